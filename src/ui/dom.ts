/** Small DOM helpers of the UI: elements as text, never markup. */

type Attrs = Record<string, string | boolean | undefined>;

/**
 * Makes elements of `doc` with attributes (`text` sets the text;
 * `false`/undefined leave one out) and children.
 */
export const builder =
  (doc: Document) =>
  <K extends keyof HTMLElementTagNameMap>(
    tag: K,
    attrs: Attrs = {},
    children: Node[] = [],
  ): HTMLElementTagNameMap[K] => {
    const el = doc.createElement(tag);
    for (const key in attrs) {
      const value = attrs[key];
      if (value === undefined || value === false) continue;
      if (key === 'text') el.textContent = value as string;
      else el.setAttribute(key, value === true ? '' : value);
    }
    el.append(...children);
    return el;
  };

/** Shows or hides an element (the `hidden` attribute). */
export function show(el: Element, visible: boolean): void {
  el.toggleAttribute('hidden', !visible);
}

/** Initials of a name, for an avatar without a picture. */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/);
  let out = '';
  for (let i = 0; i < words.length && out.length < 2; i++) out += words[i]?.charAt(0) ?? '';
  return out.toUpperCase();
}

/** `m:ss`, or `h:mm:ss` from an hour on. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const two = (n: number) => (n < 10 ? '0' : '') + n;
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor(s / 60) % 60;
  return (hours ? `${hours}:${two(minutes)}` : `${minutes}`) + `:${two(s % 60)}`;
}

/**
 * Which browser's words to use for "allow the camera again": a rough look
 * at the user agent is enough for a help text.
 */
export function helpKey(ua: string): 'helpDesktop' | 'helpSafari' | 'helpAndroid' | 'helpIos' {
  if (/iPhone|iPad|iPod/.test(ua)) return 'helpIos';
  if (/Android/.test(ua)) return 'helpAndroid';
  return /Safari\//.test(ua) && !/Chrome\/|Chromium\/|Edg\/|Firefox\//.test(ua)
    ? 'helpSafari'
    : 'helpDesktop';
}
