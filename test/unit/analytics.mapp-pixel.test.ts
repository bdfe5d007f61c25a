/**
 * messaging-calls/analytics: the `mapp` adapter against Mapp's real Smart
 * Pixel (@webtrekk-smart-pixel/core, its minified build loaded the way a
 * page loads it: a classic <script> in the jsdom window, which reads the
 * `wtSmart` queue array and replaces it with the pixel). The requests the
 * pixel makes (an <img> per request by default, sendBeacon when asked) are
 * captured and read: `ct` is the action's name, `ck<N>` its custom click
 * parameters. The tracking server answers every image at once (a load event),
 * as a real one does with its 1×1 GIF: the pixel's request queue sends the
 * next request only then.
 */
import { readFileSync } from 'node:fs';
import type { SmartPixel } from '@webtrekk-smart-pixel/core';
import { analytics } from '../../src/analytics';
import type { AnalyticsWindow } from '../../src/analytics';
import { answer, settle, setup } from '../support/fakePlatform';
import type { Setup } from '../support/fakePlatform';

jest.useFakeTimers();

const PIXEL = readFileSync(
  require.resolve('@webtrekk-smart-pixel/core/dist/smart-pixel.min.js'),
  'utf8',
);
const TRACK_ID = '123451234512345';
const TRACK_DOMAIN = 'track.example.com';
const MAPP_PARAMETERS = { reason: 1, media: 2, duration_s: 3 };

type PixelFn = (pixel: SmartPixel) => void;
interface Page {
  /** The queue array before the pixel loads, the pixel after. */
  wtSmart?: unknown;
}
const page = window as typeof window & Page;

/** The page's tag: what the Smart Pixel documentation puts before the script. */
const init: PixelFn = (pixel) => {
  pixel.init.set({ trackId: TRACK_ID, trackDomain: TRACK_DOMAIN });
};

/** Loads the real pixel as a classic script (jsdom runs it at once). */
function loadPixel(): void {
  const script = document.createElement('script');
  script.textContent = PIXEL;
  document.head.appendChild(script);
  script.remove();
}

/** One request the pixel made, as the tracking server would see it. */
interface Request {
  via: 'img' | 'beacon';
  url: string;
  params: URLSearchParams;
}
let requests: Request[] = [];
const record = (via: Request['via'], url: string) =>
  requests.push({ via, url, params: new URL(url).searchParams });

const clients: Setup[] = [];

beforeEach(() => {
  requests = [];
  // No network in jsdom: the src is recorded and the image "loads".
  jest.spyOn(HTMLImageElement.prototype, 'src', 'set').mockImplementation(function (
    this: HTMLImageElement,
    url: string,
  ) {
    record('img', url);
    void Promise.resolve().then(() => this.dispatchEvent(new Event('load')));
  });
  Object.defineProperty(navigator, 'sendBeacon', {
    configurable: true,
    value: (url: string, data: string) => {
      record('beacon', `${url}${data}`);
      return true;
    },
  });
});

afterEach(() => {
  for (const s of clients.splice(0)) s.client.destroy();
  jest.clearAllTimers();
  jest.restoreAllMocks();
  delete (navigator as { sendBeacon?: unknown }).sendBeacon;
  delete page.wtSmart;
  // The pixel keeps its ever id in a cookie and its request queue in localStorage.
  localStorage.clear();
  for (const cookie of document.cookie.split(';')) {
    const name = cookie.split('=')[0]?.trim();
    if (name) document.cookie = `${name}=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/`;
  }
});

/** A client on the fake platform whose analytics go to Mapp on this page. */
function client(): Setup {
  const s = setup({
    extensions: [
      analytics({
        adapters: ['mapp'],
        mappParameters: MAPP_PARAMETERS,
        window: page as AnalyticsWindow,
      }),
    ],
  });
  clients.push(s);
  return s;
}

/** Lets the pixel's request queue send everything (each image loads in a microtask). */
async function drain(): Promise<void> {
  let seen = -1;
  while (seen !== requests.length) {
    seen = requests.length;
    await settle();
  }
}

/** The action requests (the first request of a page is the page's own). */
const actions = () => requests.filter((r) => r.params.has('ct'));
const names = () => actions().map((r) => r.params.get('ct'));
const action = (name: string) => {
  const found = actions().filter((r) => r.params.get('ct') === name);
  expect(found).toHaveLength(1);
  return (found[0] as Request).params;
};
/** The custom click parameters of a request. */
const clickParams = (params: URLSearchParams) =>
  Object.fromEntries([...params].filter(([key]) => /^ck\d+$/.test(key)));

/** Invite (video), accept, answer, connected for 42.5 s, hang up. */
async function videoCall(s: Setup, afterAccept: () => void = () => undefined): Promise<void> {
  s.agent({ type: 'invite', media: 'video' });
  jest.advanceTimersByTime(2_000);
  await s.client.accept();
  afterAccept();
  jest.advanceTimersByTime(300);
  await answer(s);
  s.pc().setConnectionState('connected');
  jest.advanceTimersByTime(42_500);
  s.client.hangup();
  await drain();
}

const CALL = [
  'call_invited',
  'call_accepted',
  'call_permission_granted',
  'call_connected',
  'call_ended',
];

describe("the mapp adapter with Mapp's real Smart Pixel", () => {
  test('a whole call: one action request per event, with the configured click parameters', async () => {
    page.wtSmart = [init];
    loadPixel();
    // The pixel replaced the queue with itself.
    expect(Array.isArray(page.wtSmart)).toBe(false);
    expect((page.wtSmart as SmartPixel).version).toBe('6.10.0');

    const s = client();
    await videoCall(s);

    expect(s.ended).toHaveLength(1);
    expect(names()).toEqual(CALL);
    for (const r of requests) {
      expect(r.via).toBe('img');
      expect(r.url.startsWith(`https://${TRACK_DOMAIN}/${TRACK_ID}/wt?p=600,`)).toBe(true);
    }
    // The page request the pixel sends first on a page, then the actions.
    expect(requests).toHaveLength(CALL.length + 1);
    expect(requests[0]?.params.has('ct')).toBe(false);

    for (const name of CALL.slice(0, -1)) {
      expect(clickParams(action(name))).toEqual({ ck2: 'video' });
    }
    const durationS = Math.floor((s.ended[0]?.durationMs ?? NaN) / 1000);
    expect(durationS).toBe(42);
    expect(clickParams(action('call_ended'))).toEqual({
      ck1: 'normal',
      ck2: 'video',
      ck3: String(durationS),
    });
    // Nothing that was not set up in Mapp: no call id, no timings, no `by`.
    const s0 = s.ended[0]?.callId as string;
    for (const r of requests) expect(r.url).not.toContain(encodeURIComponent(s0));
  });

  test('the pixel loads after the call started: what waited in the wtSmart array reaches it, in order', async () => {
    // The page's tag ran (the queue and its init), the pixel script has not loaded yet.
    page.wtSmart = [init];
    const s = client();
    await videoCall(s, () => {
      expect(page.wtSmart).toHaveLength(4);
      expect(requests).toEqual([]);
      loadPixel();
      expect(Array.isArray(page.wtSmart)).toBe(false);
    });
    expect(names()).toEqual(CALL);
    expect(clickParams(action('call_invited'))).toEqual({ ck2: 'video' });
    expect(clickParams(action('call_ended'))).toEqual({ ck1: 'normal', ck2: 'video', ck3: '42' });
  });

  test('no wtSmart at all until the pixel loads: the SDK keeps the events and hands them over', async () => {
    const s = client();
    await videoCall(s, () => {
      expect(page.wtSmart).toBeUndefined();
      // A tag that loads the pixel first, then configures it.
      loadPixel();
      (page.wtSmart as SmartPixel).push(init);
      // The SDK tries the waiting events again within a second.
      jest.advanceTimersByTime(1_000);
    });
    expect(names()).toEqual(CALL);
    expect(clickParams(action('call_ended'))).toEqual({ ck1: 'normal', ck2: 'video', ck3: '42' });
  });

  test("with sendBeacon as the pixel's transport, the same actions go by beacon", async () => {
    // Not in the package's types, but the pixel reads it: 'image' (default) or 'beacon'.
    const beacon: PixelFn = (pixel) => {
      pixel.advanced.add({ requestType: 'beacon' } as never);
    };
    page.wtSmart = [init, beacon];
    loadPixel();
    const s = client();
    await videoCall(s);
    expect(names()).toEqual(CALL);
    for (const r of requests) {
      expect(r.via).toBe('beacon');
      expect(r.url.startsWith(`https://${TRACK_DOMAIN}/${TRACK_ID}/batch?p=600,`)).toBe(true);
    }
    expect(clickParams(action('call_ended'))).toEqual({ ck1: 'normal', ck2: 'video', ck3: '42' });
  });
});
