import { CSS } from './styles';
import { builder } from './dom';

/**
 * The UI's host element and its open shadow root, styled (a constructable
 * stylesheet where there is one, else a <style>) and themed.
 */
export function shadowHost(
  doc: Document,
  theme: Record<string, string> = {},
): [HTMLElement, ShadowRoot, Window] {
  const host = doc.createElement('messaging-call-ui');
  const root = host.attachShadow({ mode: 'open' });
  const View = doc.defaultView ?? window;
  if ('adoptedStyleSheets' in root && typeof View.CSSStyleSheet === 'function') {
    const sheet = new View.CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.appendChild(builder(doc)('style', { text: CSS }));
  }
  for (const key in theme) {
    const name = key.startsWith('--') ? key : `--mc-${key}`;
    host.style.setProperty(name, String(theme[key]));
  }
  return [host, root, View];
}

/** The arrow keys' steps, in pixels. */
const ARROWS: Readonly<Record<string, readonly [number, number]>> = {
  ArrowLeft: [-16, 0],
  ArrowRight: [16, 0],
  ArrowUp: [0, -16],
  ArrowDown: [0, 16],
};

/** Moving the window: a pointer on its title, or the arrow keys. */
export function makeMovable(win: HTMLElement, title: HTMLElement, View: Window): void {
  const on = (type: string, fn: (e: Event) => void) => title.addEventListener(type, fn);
  const moveBy = (dx: number, dy: number) => {
    const box = win.getBoundingClientRect();
    const x = Math.min(Math.max(0, box.left + dx), View.innerWidth - box.width);
    const y = Math.min(Math.max(0, box.top + dy), View.innerHeight - box.height);
    win.style.inset = 'auto';
    win.style.left = `${x}px`;
    win.style.top = `${y}px`;
  };
  let drag: { x: number; y: number } | null = null;
  on('pointerdown', (e) => {
    const p = e as PointerEvent;
    drag = { x: p.clientX, y: p.clientY };
    title.setPointerCapture?.(p.pointerId);
  });
  on('pointermove', (e) => {
    const p = e as PointerEvent;
    if (!drag) return;
    moveBy(p.clientX - drag.x, p.clientY - drag.y);
    drag = { x: p.clientX, y: p.clientY };
  });
  on('pointerup', () => (drag = null));
  on('keydown', (e) => {
    const k = (e as KeyboardEvent).key;
    const d = Object.hasOwn(ARROWS, k) ? ARROWS[k] : undefined;
    if (!d) return;
    e.preventDefault();
    moveBy(d[0], d[1]);
  });
}
