import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PageDriver } from './browser';

/**
 * Reading and driving the default call UI (`MessagingCalls.mountCallUI`) in
 * a page: its host element `<messaging-call-ui>` with an open shadow root,
 * whose controls are found by their `part`. Every read is one expression
 * sent over the protocol (no helper script in the page, no array helpers, so
 * it also runs on hostile pages); every click, tap and key press is trusted
 * input from the browser (PageDriver.click/tap/press).
 */

/** The part keys of the UI's controls (each a `<button>` whose `part` contains it). */
export type ControlKey =
  | 'accept'
  | 'decline'
  | 'mute'
  | 'stopVideo'
  | 'switchCamera'
  | 'endCall'
  | 'enableSound'
  | 'devices'
  | 'minimize'
  | 'close'
  | 'shareScreen'
  | 'notNow'
  | 'stopSharing';

export type View = 'idle' | 'invitation' | 'permission' | 'call' | 'ended';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface UiState {
  /** How many `<messaging-call-ui>` elements the document holds. */
  hosts: number;
  /** `data-view` of the host: what is shown. */
  view: string | null;
  /** `data-state` of the host: the client's state as the UI saw it. */
  state: string | null;
}

export interface ControlInfo {
  exists: boolean;
  /** How many elements of the shadow root have this part. */
  count: number;
  tag: string | null;
  /** It or an ancestor in the shadow root has the `hidden` attribute. */
  hidden: boolean;
  /** Rendered: a box of non-zero size, not `visibility: hidden`, no `display: none` above it. */
  visible: boolean;
  /** Its accessible name: aria-labelledby, aria-label, its text (without aria-hidden parts), title. */
  name: string | null;
  /** `aria-pressed`, as written (null when absent). */
  pressed: string | null;
  disabled: boolean;
  rect: Rect | null;
}

export interface PartInfo {
  exists: boolean;
  tag: string | null;
  role: string | null;
  /** Its text, whitespace collapsed. */
  text: string;
  /** `dir` attribute, and the computed `direction`. */
  dir: string | null;
  direction: string | null;
  hidden: boolean;
  visible: boolean;
  position: string | null;
  /**
   * What fixes it to the viewport: `self`, `host` or another element in
   * between whose computed position is `fixed` (null: nothing, it scrolls
   * with the page).
   */
  fixedBy: string | null;
  rect: Rect | null;
  /** For a video: its size and whether it plays. */
  video: { width: number; height: number; paused: boolean; hasStream: boolean } | null;
}

/** The body of an expression with `host` and `root` (its shadow root, or null) in scope. */
function inUi(body: string): string {
  return `(function () {
    var host = document.querySelector('messaging-call-ui');
    var root = host ? host.shadowRoot : null;
    ${body}
  })()`;
}

/** Functions shared by the expressions below (in the page, ES5, no array helpers). */
const PAGE_HELPERS = `
  function rectOf(el) {
    var r = el.getBoundingClientRect();
    return { x: r.x, y: r.y, width: r.width, height: r.height };
  }
  function isHidden(el) {
    for (var e = el; e && e.nodeType === 1; e = e.parentNode) {
      if (e.hasAttribute('hidden')) return true;
    }
    return false;
  }
  function isVisible(el) {
    var r = el.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0) return false;
    if (typeof el.checkVisibility === 'function') {
      return el.checkVisibility({ visibilityProperty: true });
    }
    return getComputedStyle(el).visibility !== 'hidden';
  }
  function collapse(text) {
    return String(text || '').replace(/\\s+/g, ' ').trim();
  }
  function textOf(node) {
    if (node.nodeType === 3) return node.nodeValue;
    if (node.nodeType !== 1) return '';
    if (node.getAttribute('aria-hidden') === 'true' || node.hasAttribute('hidden')) return '';
    var tag = node.tagName.toLowerCase();
    if (tag === 'style' || tag === 'script' || tag === 'template') return '';
    if (tag === 'img') return node.getAttribute('alt') || '';
    if (node.hasAttribute('aria-label')) return node.getAttribute('aria-label');
    var text = '';
    for (var c = node.firstChild; c; c = c.nextSibling) text += ' ' + textOf(c);
    return text;
  }
  function nameOf(el, root) {
    var ids = collapse(el.getAttribute('aria-labelledby'));
    if (ids) {
      var parts = ids.split(' ');
      var named = '';
      for (var i = 0; i < parts.length; i++) {
        var ref = root.getElementById ? root.getElementById(parts[i]) : null;
        if (ref) named += ' ' + textOf(ref);
      }
      if (collapse(named)) return collapse(named);
    }
    var label = collapse(el.getAttribute('aria-label'));
    if (label) return label;
    var own = '';
    for (var c = el.firstChild; c; c = c.nextSibling) own += ' ' + textOf(c);
    if (collapse(own)) return collapse(own);
    return collapse(el.getAttribute('title')) || null;
  }
  /** The element with part token \`key\`: the first rendered one, else the first. */
  function byPart(root, key) {
    var all = root ? root.querySelectorAll('[part~="' + key + '"]') : [];
    for (var i = 0; i < all.length; i++) {
      if (!isHidden(all[i]) && isVisible(all[i])) return { el: all[i], count: all.length };
    }
    return { el: all[0] || null, count: all.length };
  }
`;

export function uiState(page: PageDriver): Promise<UiState> {
  return page.expression<UiState>(
    inUi(`return {
      hosts: document.querySelectorAll('messaging-call-ui').length,
      view: host ? host.getAttribute('data-view') : null,
      state: host ? host.getAttribute('data-state') : null,
    };`),
  );
}

/** Waits until the UI shows `view` (and, if given, its data-state is `state`). */
export async function waitForView(
  page: PageDriver,
  view: View,
  state?: string,
  ms = 15_000,
): Promise<UiState> {
  let last: UiState | null = null;
  try {
    return await page.waitFor(
      async () => {
        last = await uiState(page);
        return last.view === view && (state === undefined || last.state === state) ? last : null;
      },
      `the UI's data-view ${view}${state ? ` and data-state ${state}` : ''}`,
      ms,
    );
  } catch (error) {
    throw new Error(
      `${(error as Error).message}\nthe UI last showed ${JSON.stringify(last)}; ` +
        `its live regions said ${JSON.stringify(await announcements(page).catch(() => null))}`,
      { cause: error },
    );
  }
}

/** A control of the UI, found in its shadow root by `part`. */
export function control(page: PageDriver, key: ControlKey): Promise<ControlInfo> {
  return page.expression<ControlInfo>(
    inUi(`${PAGE_HELPERS}
    var found = byPart(root, ${JSON.stringify(key)});
    var el = found.el;
    if (!el) {
      return { exists: false, count: 0, tag: null, hidden: false, visible: false, name: null,
               pressed: null, disabled: false, rect: null };
    }
    return {
      exists: true,
      count: found.count,
      tag: el.tagName.toLowerCase(),
      hidden: isHidden(el),
      visible: isVisible(el),
      name: nameOf(el, root),
      pressed: el.getAttribute('aria-pressed'),
      disabled: Boolean(el.disabled) || el.getAttribute('aria-disabled') === 'true',
      rect: rectOf(el),
    };`),
  );
}

/** Waits until `check` holds for the control `key`; returns it. */
export async function waitForControl(
  page: PageDriver,
  key: ControlKey,
  check: (c: ControlInfo) => boolean,
  what: string,
  ms = 10_000,
): Promise<ControlInfo> {
  let last: ControlInfo | null = null;
  try {
    return await page.waitFor(
      async () => {
        last = await control(page, key);
        return check(last) ? last : null;
      },
      `control ${key}: ${what}`,
      ms,
    );
  } catch (error) {
    throw new Error(
      `${(error as Error).message}\ncontrol ${key} last: ${JSON.stringify(last)}; ` +
        `the UI: ${JSON.stringify(await uiState(page))}`,
      { cause: error },
    );
  }
}

/** Shown and usable: exists, no `hidden`, rendered, not disabled. */
export const usable = (c: ControlInfo): boolean =>
  c.exists && !c.hidden && c.visible && !c.disabled;

/**
 * Scrolls the control `key` into view and clicks (or taps) its centre with
 * trusted input. Waits up to 10 s for it to be usable and for the UI's
 * animations to end first; fails if something else is on top of its centre.
 */
export async function clickControl(
  page: PageDriver,
  key: ControlKey,
  how: 'click' | 'tap' = 'click',
): Promise<void> {
  await waitForControl(page, key, usable, 'shown and enabled');
  await settle(page); // not a moving target
  const target = await page.expression<{
    x: number;
    y: number;
    onTop: boolean;
    top: string | null;
  } | null>(
    inUi(`${PAGE_HELPERS}
    var el = byPart(root, ${JSON.stringify(key)}).el;
    if (!el) return null;
    el.scrollIntoView({ block: 'center', inline: 'center', behavior: 'instant' });
    var r = el.getBoundingClientRect();
    var x = r.x + r.width / 2;
    var y = r.y + r.height / 2;
    var top = root.elementFromPoint(x, y);
    var onTop = Boolean(top) && (top === el || el.contains(top));
    var described = top ? top.tagName.toLowerCase() + (top.getAttribute('part') ?
      '[part="' + top.getAttribute('part') + '"]' : '') : null;
    return { x: x, y: y, onTop: onTop, top: described };`),
  );
  if (!target) throw new Error(`control ${key} went away before the ${how}`);
  if (!target.onTop) {
    throw new Error(
      `control ${key} is covered at its centre (${target.x}, ${target.y}) by ${target.top}`,
    );
  }
  await (how === 'tap' ? page.tap(target.x, target.y) : page.click(target.x, target.y));
}

/** The `part` of the shadow root's focused element (null: focus is not in the UI). */
export function focusedPart(page: PageDriver): Promise<string | null> {
  return page.expression<string | null>(
    inUi(`var el = root ? root.activeElement : null;
    return el ? el.getAttribute('part') || el.tagName.toLowerCase() : null;`),
  );
}

/** Whether focus is on or inside the element with part `key`. */
export function focusWithin(page: PageDriver, key: string): Promise<boolean> {
  return page.expression<boolean>(
    inUi(`var el = root ? root.activeElement : null;
    var part = root ? root.querySelector('[part~=' + JSON.stringify(${JSON.stringify(key)}) + ']') : null;
    return Boolean(el && part && (el === part || part.contains(el)));`),
  );
}

/**
 * Moves focus to the control `key` as a keyboard user does: Tab when it
 * comes after the focused element in the UI (or focus is outside the UI),
 * Shift+Tab when it comes before, at most `max` presses; fails with the parts
 * focus went through. (Tab past the last control leaves the page: Firefox
 * headless then brings focus back to the control it left, not to the first
 * one, so going back needs Shift+Tab there as in a browser with a toolbar.)
 */
export async function tabTo(page: PageDriver, key: ControlKey, max = 15): Promise<void> {
  const seen: (string | null)[] = [];
  for (let i = 0; i <= max; i++) {
    const where = await page.expression<{ part: string | null; before: boolean }>(
      inUi(`${PAGE_HELPERS}
      var el = root ? root.activeElement : null;
      var target = byPart(root, ${JSON.stringify(key)}).el;
      var before = Boolean(el && target && el !== target &&
        (el.compareDocumentPosition(target) & 2)); // DOCUMENT_POSITION_PRECEDING
      return { part: el ? el.getAttribute('part') || el.tagName.toLowerCase() : null,
               before: before };`),
    );
    if (where.part !== null && where.part.split(/\s+/).includes(key)) return;
    seen.push(where.part);
    if (i < max) await page.press(where.before ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(
    `${max} Tab presses never focused ${key}; focus went through ${JSON.stringify(seen)} ` +
      `(null: outside the UI); the UI: ${JSON.stringify(await uiState(page))}; ` +
      `its buttons: ${JSON.stringify(await buttons(page))}`,
  );
}

/** Every button of the shadow root, as focus sees it (for failure messages). */
export function buttons(page: PageDriver): Promise<unknown[]> {
  return page.expression<unknown[]>(
    inUi(`${PAGE_HELPERS}
    var out = [];
    var all = root ? root.querySelectorAll('button') : [];
    for (var i = 0; i < all.length; i++) {
      var b = all[i];
      out.push({
        part: b.getAttribute('part'),
        hidden: isHidden(b),
        visible: isVisible(b),
        disabled: b.disabled,
        tabIndex: b.tabIndex,
        inert: Boolean(b.closest && b.closest('[inert]')),
      });
    }
    return out;`),
  );
}

/** The element with part `key` of the shadow root (the first rendered one). */
export function part(page: PageDriver, key: string): Promise<PartInfo> {
  return page.expression<PartInfo>(
    inUi(`${PAGE_HELPERS}
    var el = byPart(root, ${JSON.stringify(key)}).el;
    if (!el) {
      return { exists: false, tag: null, role: null, text: '', dir: null, direction: null,
               hidden: false, visible: false, position: null, fixedBy: null, rect: null,
               video: null };
    }
    var style = getComputedStyle(el);
    var fixedBy = null;
    var e = el;
    while (e) {
      if (getComputedStyle(e).position === 'fixed') {
        fixedBy = e === el ? 'self' : e === host ? 'host' : e.tagName.toLowerCase() +
          (e.getAttribute('part') ? '[part="' + e.getAttribute('part') + '"]' : '');
        break;
      }
      var up = e.parentNode;
      e = up && up.nodeType === 11 ? up.host || null : up && up.nodeType === 1 ? up : null;
    }
    var isVideo = el.tagName.toLowerCase() === 'video';
    return {
      exists: true,
      tag: el.tagName.toLowerCase(),
      role: el.getAttribute('role'),
      text: collapse(textOf(el)),
      dir: el.getAttribute('dir'),
      direction: style.direction,
      hidden: isHidden(el),
      visible: isVisible(el),
      position: style.position,
      fixedBy: fixedBy,
      rect: rectOf(el),
      video: isVideo ? { width: el.videoWidth, height: el.videoHeight, paused: el.paused,
                         hasStream: Boolean(el.srcObject) } : null,
    };`),
  );
}

/** Facts of the shadow root: elements by tag, and live regions. */
export function shadowFacts(page: PageDriver): Promise<{
  shadowRoot: 'open' | null;
  imgs: number;
  liveRegions: number;
  /** Text of the whole shadow root (collapsed). */
  text: string;
}> {
  return page.expression(
    inUi(`${PAGE_HELPERS}
    if (!root) return { shadowRoot: null, imgs: 0, liveRegions: 0, text: '' };
    return {
      shadowRoot: root.mode,
      imgs: root.querySelectorAll('img').length,
      liveRegions: root.querySelectorAll('[aria-live]').length,
      text: collapse(root.textContent),
    };`),
  );
}

/**
 * Waits (at most 2 s) until the finite animations and transitions of the
 * shadow root have finished (the window fades and slides in as it opens),
 * so that contrast and screenshots see what a person sees once it settled.
 * Returns how many were running.
 */
export function settle(page: PageDriver): Promise<number> {
  return page.expression<number>(
    inUi(`if (!root || typeof root.getAnimations !== 'function') return 0;
    var all = root.getAnimations();
    var running = [];
    for (var i = 0; i < all.length; i++) {
      var a = all[i];
      var end = a.effect ? a.effect.getComputedTiming().endTime : Infinity;
      if (a.playState === 'running' && end !== Infinity) {
        running.push(a.finished.then(null, function () {}));
      }
    }
    return Promise.race([
      Promise.all(running),
      new Promise(function (resolve) { setTimeout(resolve, 2000); }),
    ]).then(function () { return running.length; });`),
  );
}

/** What the UI's live regions said since mountUI (pages/ui.js records it). */
export function announcements(page: PageDriver): Promise<string[]> {
  return page.call<string[]>('announcements');
}

/** The viewport's size in CSS pixels. */
export function viewport(page: PageDriver): Promise<{ width: number; height: number }> {
  return page.expression(
    '({ width: document.documentElement.clientWidth, height: document.documentElement.clientHeight })',
  );
}

// ---- accessibility: axe-core --------------------------------------------------------

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown; html: string; failureSummary: string | null }[];
}

/**
 * Runs axe-core on the UI's host element (axe pierces open shadow roots) and
 * returns the violations of impact serious or critical, once its animations
 * have settled (see settle). axe is injected over
 * the protocol, as an evaluated expression, so a page's CSP does not block
 * loading it (axe itself compiles a few strings: run it on pages without a
 * `script-src` policy).
 */
export async function runAxe(page: PageDriver): Promise<AxeViolation[]> {
  await settle(page);
  const loaded = await page.expression<boolean>("typeof window.axe === 'object'");
  if (!loaded) {
    const type = await page.expression(
      `(function () {\n${AXE_SOURCE}\n;return typeof window.axe; })()`,
    );
    if (type !== 'object') throw new Error(`axe-core did not load in the page: ${String(type)}`);
  }
  return page.expression<AxeViolation[]>(`(function () {
    var host = document.querySelector('messaging-call-ui');
    if (!host) throw new Error('no messaging-call-ui element to scan');
    return window.axe.run(host, { resultTypes: ['violations'] }).then(function (results) {
      var out = [];
      for (var i = 0; i < results.violations.length; i++) {
        var v = results.violations[i];
        if (v.impact !== 'serious' && v.impact !== 'critical') continue;
        var nodes = [];
        for (var j = 0; j < v.nodes.length; j++) {
          nodes.push({
            target: v.nodes[j].target,
            html: String(v.nodes[j].html).slice(0, 300),
            failureSummary: v.nodes[j].failureSummary || null,
          });
        }
        out.push({ id: v.id, impact: v.impact, help: v.help, nodes: nodes });
      }
      return JSON.parse(JSON.stringify(out));
    });
  })()`);
}

// ---- screenshots ----------------------------------------------------------------------

export const SCREENSHOT_DIR = join(__dirname, '..', '..', '..', 'test-output', 'ui');

/** Every screenshot written in this process, in order. */
export const screenshots: string[] = [];

/** A PNG of the page's viewport at `test-output/ui/<engine>-<name>.png`; returns its path. */
export async function screenshot(page: PageDriver, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${page.engine}-${name}.png`);
  await settle(page);
  await page.screenshot(path);
  screenshots.push(path);
  return path;
}
