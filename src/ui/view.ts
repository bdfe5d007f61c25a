import { CSS } from './styles';
import type { TextKey } from './texts';
import { h } from './dom';

/**
 * The UI's elements in its open shadow root: the invitation dialog, the call
 * window and a live region. Built once; `render` (mount.ts) only shows,
 * hides and fills them.
 */
export function buildView(
  doc: Document,
  t: (key: TextKey) => string,
  dir: 'ltr' | 'rtl',
  locale: string,
  theme: Record<string, string> = {},
) {
  const host = doc.createElement('messaging-call-ui');
  const root = host.attachShadow({ mode: 'open' });
  const View = doc.defaultView ?? window;
  if ('adoptedStyleSheets' in root && typeof View.CSSStyleSheet === 'function') {
    const sheet = new View.CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.appendChild(h(doc, 'style', { text: CSS }));
  }
  for (const key in theme) {
    const name = key.startsWith('--') ? key : `--mc-${key}`;
    host.style.setProperty(name, String(theme[key]));
  }
  const button = (part: string, key: TextKey, extra: Record<string, string | boolean> = {}) =>
    h(doc, 'button', { type: 'button', part, text: t(key), ...extra });

  // The invitation.
  const inviteAvatar = h(doc, 'div', { class: 'av', part: 'avatar', 'aria-hidden': 'true' });
  const inviteTitle = h(doc, 'p', { class: 't', id: 'it' });
  const inviteLeft = h(doc, 'p', { class: 's', id: 'il' });
  const accept = button('accept', 'accept', { class: 'ok' });
  const decline = button('decline', 'decline', { class: 'no' });
  const dialog = h(
    doc,
    'div',
    {
      class: 'd',
      part: 'invitation',
      role: 'alertdialog',
      'aria-labelledby': 'it',
      'aria-describedby': 'il',
      dir,
      lang: locale,
      hidden: true,
    },
    [
      h(doc, 'div', { class: 'row' }, [
        inviteAvatar,
        h(doc, 'div', { class: 'tx' }, [inviteTitle, inviteLeft]),
      ]),
      h(doc, 'div', { class: 'row' }, [accept, decline]),
    ],
  );

  // The call window.
  const title = h(doc, 'button', {
    type: 'button',
    class: 't',
    part: 'move',
  });
  const quality = h(doc, 'span', { class: 'q', part: 'quality', hidden: true });
  const minimize = button('minimize', 'minimize', { 'aria-expanded': 'true' });
  const remote = h(doc, 'video', { part: 'remote', autoplay: true, playsinline: true });
  const agentAvatar = h(doc, 'div', { class: 'av', part: 'avatar', 'aria-hidden': 'true' });
  const self = h(doc, 'video', {
    class: 'me',
    part: 'self',
    autoplay: true,
    playsinline: true,
  });
  self.muted = true;
  const note = h(doc, 'p', { class: 'note', part: 'status', hidden: true });
  const stage = h(doc, 'div', { class: 'st' }, [remote, agentAvatar, self, note]);
  const message = h(doc, 'p', { class: 'm', part: 'message' });
  const mute = button('mute', 'mute', { 'aria-pressed': 'false' });
  const stopVideo = button('stopVideo', 'stopVideo', { 'aria-pressed': 'false' });
  const switchCamera = button('switchCamera', 'switchCamera');
  const devices = button('devices', 'devices', { 'aria-expanded': 'false' });
  const enableSound = button('enableSound', 'enableSound', { class: 'ok', hidden: true });
  const endCall = button('endCall', 'endCall', { class: 'end' });
  const close = button('close', 'close');
  const controls = h(doc, 'div', { class: 'c row', part: 'controls' }, [
    mute,
    stopVideo,
    switchCamera,
    devices,
    enableSound,
    endCall,
    close,
  ]);
  const selects: Record<'microphone' | 'camera' | 'speaker', HTMLSelectElement> = {
    microphone: h(doc, 'select', { part: 'microphone', id: 'sm' }),
    camera: h(doc, 'select', { part: 'camera', id: 'sc' }),
    speaker: h(doc, 'select', { part: 'speaker', id: 'ss' }),
  };
  const menu = h(doc, 'div', { class: 'menu', part: 'menu', hidden: true }, [
    h(doc, 'label', { for: 'sm', text: t('microphone') }, [selects.microphone]),
    h(doc, 'label', { for: 'sc', text: t('camera') }, [selects.camera]),
    h(doc, 'label', { for: 'ss', text: t('speaker') }, [selects.speaker]),
  ]);
  const win = h(
    doc,
    'div',
    { class: 'w', part: 'window', role: 'region', dir, lang: locale, hidden: true },
    [h(doc, 'div', { class: 'bar' }, [title, quality, minimize]), stage, message, controls, menu],
  );
  const live = h(doc, 'div', { class: 'sr', 'aria-live': 'polite', role: 'status' });
  root.append(dialog, win, live);

  return {
    host,
    root,
    View,
    dialog,
    inviteAvatar,
    inviteTitle,
    inviteLeft,
    accept,
    decline,
    title,
    quality,
    minimize,
    remote,
    agentAvatar,
    self,
    note,
    stage,
    message,
    mute,
    stopVideo,
    switchCamera,
    devices,
    enableSound,
    endCall,
    close,
    selects,
    menu,
    win,
    live,
  };
}

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
    const step = 16;
    const d =
      k === 'ArrowLeft'
        ? [-step, 0]
        : k === 'ArrowRight'
          ? [step, 0]
          : k === 'ArrowUp'
            ? [0, -step]
            : k === 'ArrowDown'
              ? [0, step]
              : null;
    if (!d) return;
    e.preventDefault();
    moveBy(d[0] as number, d[1] as number);
  });
}
