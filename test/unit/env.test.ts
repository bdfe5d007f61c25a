import { parseUserAgent } from '../../src/env/browser';
import type { BrowserInfo } from '../../src/env/browser';
import { DEFAULT_BROWSER_POLICY, evaluateSupport, readEnvironment } from '../../src/env/support';
import type { Environment } from '../../src/env/support';
import type { PartialPlatform } from '../../src/env/platform';

const UA = {
  chromeHeadlessLinux:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36',
  chromeWindows:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36',
  chromeMac:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/155.0.0.0 Safari/537.36',
  chromeAndroid:
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36',
  chromeOS:
    'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36',
  chrome90:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/90.0.4430.93 Safari/537.36',
  edgeWindows:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36 Edg/156.0.3485.54',
  edgeAndroid:
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36 EdgA/156.0.0.0',
  edgeLegacy:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.19582',
  firefoxEsrLinux: 'Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0',
  firefoxWindows:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:157.0) Gecko/20100101 Firefox/157.0',
  firefoxAndroid: 'Mozilla/5.0 (Android 14; Mobile; rv:157.0) Gecko/157.0 Firefox/157.0',
  firefox115: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Firefox/115.0',
  safariMac:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Safari/605.1.15',
  safari17Mac:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15',
  safariIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Mobile/15E148 Safari/604.1',
  chromeIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/156.0.7390.41 Mobile/15E148 Safari/604.1',
  opera:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/155.0.0.0 Safari/537.36 OPR/120.0.0.0',
  samsung:
    'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/28.0 Chrome/130.0.0.0 Mobile Safari/537.36',
  ie11: 'Mozilla/5.0 (Windows NT 6.1; Trident/7.0; rv:11.0) like Gecko',
  jsdom: 'Mozilla/5.0 (linux) AppleWebKit/537.36 (KHTML, like Gecko) jsdom/26.1.0',
  // Seen in the real-browser suite (Debian 12): headless Chromium 156 sends
  // chromeHeadlessLinux and Firefox ESR 153 sends firefoxEsrLinux, byte for
  // byte; WebKitGTK 2.50.6's MiniBrowser claims Safari, with a version of its own.
  webkitGtkLinux:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/60.5 Safari/605.1.15',
};

describe('parseUserAgent', () => {
  test.each<[keyof typeof UA, BrowserInfo]>([
    ['chromeHeadlessLinux', { name: 'chrome', version: 156, os: 'linux', mobile: false }],
    ['chromeWindows', { name: 'chrome', version: 156, os: 'windows', mobile: false }],
    ['chromeMac', { name: 'chrome', version: 155, os: 'macos', mobile: false }],
    ['chromeAndroid', { name: 'chrome', version: 156, os: 'android', mobile: true }],
    ['chromeOS', { name: 'chrome', version: 156, os: 'chromeos', mobile: false }],
    ['chrome90', { name: 'chrome', version: 90, os: 'windows', mobile: false }],
    ['edgeWindows', { name: 'edge', version: 156, os: 'windows', mobile: false }],
    ['edgeAndroid', { name: 'edge', version: 156, os: 'android', mobile: true }],
    ['edgeLegacy', { name: 'other', version: null, os: 'windows', mobile: false }],
    ['firefoxEsrLinux', { name: 'firefox', version: 153, os: 'linux', mobile: false }],
    ['firefoxWindows', { name: 'firefox', version: 157, os: 'windows', mobile: false }],
    ['firefoxAndroid', { name: 'firefox', version: 157, os: 'android', mobile: true }],
    ['safariMac', { name: 'safari', version: 26, os: 'macos', mobile: false }],
    ['safariIphone', { name: 'safari', version: 26, os: 'ios', mobile: true }],
    ['chromeIphone', { name: 'safari', version: null, os: 'ios', mobile: true }],
    ['opera', { name: 'opera', version: 120, os: 'windows', mobile: false }],
    ['samsung', { name: 'samsung', version: 28, os: 'android', mobile: true }],
    ['ie11', { name: 'other', version: null, os: 'windows', mobile: false }],
    ['jsdom', { name: 'other', version: null, os: 'other', mobile: false }],
    ['webkitGtkLinux', { name: 'other', version: null, os: 'linux', mobile: false }],
  ])('%s', (key, expected) => {
    expect(parseUserAgent(UA[key])).toEqual(expected);
  });

  test('client hints name Edge and the exact major version behind a frozen UA string', () => {
    const brands = [
      { brand: 'Not)A;Brand', version: '99' },
      { brand: 'Microsoft Edge', version: '156' },
      { brand: 'Chromium', version: '156' },
    ];
    expect(parseUserAgent(UA.chromeWindows, { brands, mobile: false })).toMatchObject({
      name: 'edge',
      version: 156,
    });
  });

  test('client hints that disagree with the UA string major version lose to it', () => {
    // The UA string's major is never frozen: a mismatch means it was overridden.
    const chrome = [{ brand: 'Google Chrome', version: '156' }];
    expect(parseUserAgent(UA.chrome90, { brands: chrome })).toMatchObject({
      name: 'chrome',
      version: 90,
    });
    const edge = [
      { brand: 'Microsoft Edge', version: '156' },
      { brand: 'Chromium', version: '156' },
    ];
    expect(parseUserAgent(UA.chrome90, { brands: edge }).name).toBe('chrome');
  });

  test('a UA string naming a non-Chromium browser wins over Chromium client hints', () => {
    const brands = [{ brand: 'Chromium', version: '156' }];
    expect(parseUserAgent(UA.ie11, { brands }).name).toBe('other');
    expect(parseUserAgent(UA.firefoxWindows, { brands }).name).toBe('firefox');
  });

  test('client hints decide mobile when present', () => {
    expect(parseUserAgent(UA.chromeWindows, { brands: [], mobile: true }).mobile).toBe(true);
  });
});

describe('evaluateSupport', () => {
  const platform: PartialPlatform = {
    RTCPeerConnection: class {} as unknown as PartialPlatform['RTCPeerConnection'],
    mediaDevices: { getUserMedia: () => Promise.reject(new Error('unused')) },
  };
  const page = (userAgent: string, extra: Partial<Environment> = {}): Environment => ({
    secureContext: true,
    topFrame: true,
    userAgent,
    ...extra,
  });
  const codes = (env: Environment, p = platform, options = {}) =>
    evaluateSupport(env, p, options).reasons.map((r) => r.code);

  test.each<keyof typeof UA>([
    'chromeHeadlessLinux',
    'chromeWindows',
    'chromeMac',
    'chromeAndroid',
    'edgeWindows',
    'edgeAndroid',
    'firefoxEsrLinux',
    'firefoxWindows',
    'safariMac',
    'safariIphone',
    'chromeIphone',
  ])('%s is supported by default', (key) => {
    expect(evaluateSupport(page(UA[key]), platform)).toMatchObject({
      supported: true,
      reasons: [],
    });
  });

  test.each<[keyof typeof UA, string]>([
    ['chrome90', 'browser-outdated'],
    ['firefox115', 'browser-outdated'],
    ['safari17Mac', 'browser-outdated'],
    ['ie11', 'browser-unsupported'],
    ['edgeLegacy', 'browser-unsupported'],
    ['opera', 'browser-unsupported'],
    ['samsung', 'browser-unsupported'],
    ['jsdom', 'browser-unsupported'],
  ])('%s is refused as %s', (key, code) => {
    expect(codes(page(UA[key]))).toEqual([code]);
  });

  test('the outdated reason names the version needed', () => {
    const [reason] = evaluateSupport(page(UA.chrome90), platform).reasons;
    expect(reason?.message).toBe(
      `Chrome 90 is too old for calls: version ${String(DEFAULT_BROWSER_POLICY.chrome)} or later is needed`,
    );
  });

  test('an insecure page, an iframe and missing APIs are each a reason', () => {
    const env = page(UA.chromeWindows, { secureContext: false, topFrame: false });
    expect(codes(env, {})).toEqual([
      'insecure-context',
      'not-top-frame',
      'no-webrtc',
      'no-media-devices',
    ]);
  });

  test('the integrator may allow iframes, other browsers, older versions or any browser', () => {
    expect(
      codes(page(UA.chromeWindows, { topFrame: false }), platform, { requireTopFrame: false }),
    ).toEqual([]);
    expect(codes(page(UA.opera), platform, { browsers: { others: true } })).toEqual([]);
    expect(codes(page(UA.chrome90), platform, { browsers: { chrome: 90 } })).toEqual([]);
    expect(codes(page(UA.ie11), platform, { browsers: 'any' })).toEqual([]);
  });

  test('the integrator may refuse a browser altogether', () => {
    expect(codes(page(UA.firefoxWindows), platform, { browsers: { firefox: false } })).toEqual([
      'browser-unsupported',
    ]);
  });

  test('outside a browser page (no user agent, no frame facts) only the APIs are checked', () => {
    expect(evaluateSupport({}, platform)).toEqual({ supported: true, reasons: [], browser: null });
  });
});

describe('readEnvironment', () => {
  test('reads the page (jsdom here) and lets injected facts win', () => {
    const env = readEnvironment({ userAgent: 'x' });
    expect(env.topFrame).toBe(true);
    expect(env.userAgent).toBe('x');
  });
});
