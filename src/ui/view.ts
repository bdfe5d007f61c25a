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

const PLACE_KEY = 'messaging-calls-ui';

/**
 * The window's place (left, top) and whether it is minimized, kept in the
 * tab's session storage so the next page of the site shows it where the
 * consumer left it. Storage that is blocked keeps nothing.
 */
export function keepPlace(
  win: HTMLElement,
  View: Window,
  minimized: (min: boolean) => void,
): { save(): void } {
  try {
    const kept = JSON.parse(View.sessionStorage.getItem(PLACE_KEY) ?? 'null') as {
      x: number;
      y: number;
      min: boolean;
    } | null;
    if (kept) {
      if (kept.x >= 0 && kept.y >= 0) moveTo(win, View, kept.x, kept.y);
      minimized(kept.min === true);
    }
  } catch {
    // blocked or unreadable: the default place
  }
  return {
    save() {
      const { left, top } = win.style;
      const place = { x: parseFloat(left), y: parseFloat(top), min: win.classList.contains('min') };
      try {
        View.sessionStorage.setItem(PLACE_KEY, JSON.stringify(place));
      } catch {
        // blocked storage: the place is not kept
      }
    },
  };
}

/** Puts the window at (x, y), kept inside the viewport. */
function moveTo(win: HTMLElement, View: Window, x: number, y: number): void {
  const box = win.getBoundingClientRect();
  win.style.inset = 'auto';
  win.style.left = `${Math.min(Math.max(0, x), Math.max(0, View.innerWidth - box.width))}px`;
  win.style.top = `${Math.min(Math.max(0, y), Math.max(0, View.innerHeight - box.height))}px`;
}

/** Moving the window: a pointer on its title, or the arrow keys; `moved` after each move. */
export function makeMovable(
  win: HTMLElement,
  title: HTMLElement,
  View: Window,
  moved: () => void = () => undefined,
): void {
  const on = (type: string, fn: (e: Event) => void) => title.addEventListener(type, fn);
  const moveBy = (dx: number, dy: number) => {
    const box = win.getBoundingClientRect();
    moveTo(win, View, box.left + dx, box.top + dy);
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
  on('pointerup', () => {
    if (drag) moved();
    drag = null;
  });
  on('keydown', (e) => {
    const k = (e as KeyboardEvent).key;
    const d = Object.hasOwn(ARROWS, k) ? ARROWS[k] : undefined;
    if (!d) return;
    e.preventDefault();
    moveBy(d[0], d[1]);
    moved();
  });
}
