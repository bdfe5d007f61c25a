/**
 * messaging-calls/analytics: the taxonomy's rules, each tracker's calling
 * convention (against fake globals shaped like the real libraries: gtag,
 * GTM's dataLayer, Matomo's _paq, Mapp's wts / wtSmart / wt, Tealium's
 * utag), late and throwing trackers, the consent gate, and whole calls on
 * the fake platform giving the expected events and one report that holds
 * nothing personal or secret.
 */
import { ANALYTICS_EVENTS, analytics } from '../../src/analytics';
import type {
  AnalyticsOptions,
  AnalyticsParams,
  AnalyticsWindow,
  CallReport,
} from '../../src/analytics';
import { VENDORS } from '../../src/analytics/adapters';
import { MAX_REPORT_BYTES, serialize } from '../../src/analytics/report';
import { CallClient } from '../../src/call/CallClient';
import type { CallExtension, CallExtensionContext } from '../../src/call/CallClient';
import type { QualitySample } from '../../src/quality/stats';
import {
  MemoryStorage,
  SUPPORTED_UA,
  answer,
  connectCall,
  fromAgent,
  pageHide,
  settle,
  setup,
} from '../support/fakePlatform';
import type { Setup } from '../support/fakePlatform';

jest.useFakeTimers();

const clients: Setup[] = [];
afterEach(() => {
  for (const s of clients.splice(0)) s.client.destroy();
  jest.clearAllTimers();
});

type Tracked = [event: string, params: AnalyticsParams];

/** A page without any tracker, whose navigator takes beacons. */
function page(extra: Partial<AnalyticsWindow> = {}): {
  win: AnalyticsWindow;
  beacons: [string, string][];
} {
  const beacons: [string, string][] = [];
  const win: AnalyticsWindow = {
    navigator: {
      userAgent: SUPPORTED_UA,
      sendBeacon: (url, data) => {
        beacons.push([url, data]);
        return true;
      },
    },
    ...extra,
  };
  return { win, beacons };
}

interface Run extends Setup {
  /** What the function adapter received, in order. */
  tracked: Tracked[];
  reports: CallReport[];
  /** The context of an extension beside analytics, to emit `quality` and `bandwidth`. */
  feed: CallExtensionContext;
}

/** A client on the fake platform with analytics (a function adapter unless `adapters` is given). */
function run(options: AnalyticsOptions = {}): Run {
  const tracked: Tracked[] = [];
  const reports: CallReport[] = [];
  let feed: CallExtensionContext | undefined;
  const feeder: CallExtension = (ctx) => {
    feed = ctx;
  };
  const s = setup({
    extensions: [
      feeder,
      analytics({
        adapters: [(event, params) => tracked.push([event, params])],
        window: page().win,
        onReport: (report) => reports.push(report),
        ...options,
      }),
    ],
  });
  clients.push(s);
  return Object.assign(s, { tracked, reports, feed: feed as CallExtensionContext });
}

const names = (tracked: Tracked[]) => tracked.map(([event]) => event);

function sample(level: QualitySample['level'], extra: Partial<QualitySample> = {}): QualitySample {
  return {
    level,
    rttMs: level >= 4 ? 40 : 600,
    packetLoss: level >= 4 ? 0 : 0.08,
    jitterMs: 12,
    sendKbps: 1_200,
    receiveKbps: 1_500,
    availableSendKbps: 2_000,
    sendVideo: { width: 1280, height: 720, fps: 30 },
    receiveVideo: { width: 640, height: 360, fps: 25 },
    candidateType: 'host',
    videoLimitation: 'none',
    ...extra,
  };
}

// ---- the taxonomy ------------------------------------------------------------------

/** GA4's reserved event names (collected automatically; a custom event of that name is refused). */
const GA4_RESERVED_EVENTS = [
  'ad_activeview',
  'ad_click',
  'ad_exposure',
  'ad_impression',
  'ad_query',
  'ad_reward',
  'adunit_exposure',
  'app_background',
  'app_clear_data',
  'app_exception',
  'app_remove',
  'app_store_refund',
  'app_store_subscription_cancel',
  'app_store_subscription_convert',
  'app_store_subscription_renew',
  'app_update',
  'app_upgrade',
  'dynamic_link_app_open',
  'dynamic_link_app_update',
  'dynamic_link_first_open',
  'error',
  'first_open',
  'first_visit',
  'in_app_purchase',
  'notification_dismiss',
  'notification_foreground',
  'notification_open',
  'notification_receive',
  'os_update',
  'session_start',
  'session_start_with_rollout',
  'user_engagement',
];
/** GA4's reserved parameter names. */
const GA4_RESERVED_PARAMS = [
  'cid',
  'customer_id',
  'customerid',
  'dclid',
  'gclid',
  'session_id',
  'sessionid',
  'sfmc_id',
  'sid',
  'srsltid',
  'uid',
  'user_id',
  'userid',
];
const GA4_RESERVED_PREFIXES = ['_', 'ga_', 'google_', 'firebase_', 'gtag'];
/** A name GA4 takes: a letter, then letters, digits and underscores, at most 40 (snake_case here). */
const NAME = /^[a-z][a-z0-9_]{0,39}$/;

const TABLE = Object.entries(ANALYTICS_EVENTS) as [string, readonly string[]][];

describe('the taxonomy', () => {
  test('has the events of the issue with at least their parameters', () => {
    const atLeast: Record<string, string[]> = {
      call_invited: ['call_id', 'media'],
      call_accepted: ['call_id', 'media'],
      call_rejected: ['call_id', 'reason'],
      call_connected: ['call_id', 'media', 'setup_ms'],
      call_ended: ['call_id', 'reason', 'by', 'duration_s'],
    };
    for (const [event, params] of Object.entries(atLeast)) {
      expect(ANALYTICS_EVENTS).toHaveProperty(event);
      expect(ANALYTICS_EVENTS[event as keyof typeof ANALYTICS_EVENTS]).toEqual(
        expect.arrayContaining(params),
      );
    }
    for (const event of [
      'call_permission_granted',
      'call_permission_denied',
      'call_reconnecting',
      'call_reconnected',
      'call_mic_muted',
      'call_mic_unmuted',
      'call_camera_on',
      'call_camera_off',
      'call_camera_switched',
      'call_quality_degraded',
      'call_quality_recovered',
    ]) {
      expect(ANALYTICS_EVENTS).toHaveProperty(event);
    }
  });

  test.each(TABLE)('%s follows GA4 naming rules and has no reserved name', (event, params) => {
    expect(event).toMatch(NAME);
    expect(event.startsWith('call_')).toBe(true);
    expect(GA4_RESERVED_EVENTS).not.toContain(event);
    for (const prefix of GA4_RESERVED_PREFIXES) expect(event.startsWith(prefix)).toBe(false);
    expect(params.length).toBeLessThanOrEqual(25);
    expect(new Set(params).size).toBe(params.length);
    expect(params[0]).toBe('call_id');
    for (const param of params) {
      expect(param).toMatch(NAME);
      expect(GA4_RESERVED_PARAMS).not.toContain(param);
      for (const prefix of GA4_RESERVED_PREFIXES) expect(param.startsWith(prefix)).toBe(false);
      // Nothing that names a person, an address or a secret.
      expect(param).not.toMatch(/name|email|phone|ip|addr|sdp|candidate|user|pass|cred|token/);
    }
  });
});

/** Every tracked event is in the table, with only its parameters, at most 25, values at most 100 chars. */
function expectConforming(tracked: Tracked[]): void {
  for (const [event, params] of tracked) {
    const allowed = (ANALYTICS_EVENTS as Record<string, readonly string[]>)[event];
    expect(allowed).toBeDefined();
    const keys = Object.keys(params);
    expect(keys.length).toBeLessThanOrEqual(25);
    for (const key of keys) expect(allowed).toContain(key);
    for (const value of Object.values(params)) {
      expect(['string', 'number', 'boolean']).toContain(typeof value);
      if (typeof value === 'string') expect(value.length).toBeLessThanOrEqual(100);
    }
  }
}

// ---- the factory -----------------------------------------------------------------------

describe('the factory', () => {
  test('given uncalled to extensions, it says it is a factory', () => {
    expect(
      () =>
        new CallClient({
          transport: {
            send: () => undefined,
            listen: () => () => undefined,
            close: () => undefined,
          },
          extensions: [analytics as unknown as CallExtension],
        }),
    ).toThrow(/factory/);
  });

  test.each([['ga'], [{}], [42]])('refuses the adapter %p', (adapter) => {
    expect(() => analytics({ adapters: [adapter as never] })).toThrow(TypeError);
  });

  test('takes names, functions and adapter objects, and no option at all', () => {
    expect(() =>
      analytics({ adapters: ['ga4', 'gtm', 'matomo', 'mapp', 'tealium', () => 0, { track() {} }] }),
    ).not.toThrow();
    expect(() => run({ adapters: undefined })).not.toThrow();
    expect(typeof analytics()).toBe('function');
  });
});

// ---- the adapters, one call each -----------------------------------------------------

describe('each adapter uses its library the documented way', () => {
  const params = { call_id: 'c1', reason: 'normal', by: 'local', duration_s: 61, media: 'video' };

  test('ga4: gtag("event", name, params), and nothing without gtag', () => {
    const gtag = jest.fn();
    expect(VENDORS.ga4({ gtag }, 'call_ended', params, {})).toBe(true);
    expect(gtag).toHaveBeenCalledWith('event', 'call_ended', params);
    expect(VENDORS.ga4({ dataLayer: [] }, 'call_ended', params, {})).toBe(false);
  });

  test('gtm: the nested object cleared, then the event with its parameters under `call`', () => {
    const dataLayer: unknown[] = [];
    expect(VENDORS.gtm({ dataLayer }, 'call_ended', params, {})).toBe(true);
    expect(dataLayer).toEqual([{ call: null }, { event: 'call_ended', call: params }]);
    expect(VENDORS.gtm({}, 'call_ended', params, {})).toBe(false);
  });

  test('matomo: trackEvent with category and action, the reason as name, a number as value', () => {
    const _paq: unknown[] = [];
    VENDORS.matomo({ _paq }, 'call_ended', params, {});
    VENDORS.matomo({ _paq }, 'call_mic_muted', { call_id: 'c1' }, {});
    VENDORS.matomo(
      { _paq },
      'call_connected',
      { call_id: 'c1', media: 'voice', setup_ms: 900 },
      {},
    );
    expect(_paq).toEqual([
      ['trackEvent', 'call', 'call_ended', 'normal', 61],
      ['trackEvent', 'call', 'call_mic_muted'],
      ['trackEvent', 'call', 'call_connected', 'voice', 900],
    ]);
    for (const command of _paq as unknown[][]) {
      expect(command[1]).toBeTruthy();
      expect(command[2]).toBeTruthy();
      if (command.length > 4) expect(typeof command[4]).toBe('number');
    }
  });

  test('mapp pixel v4/v5: wts.push(["send", "click", …]) with the configured parameter ids', () => {
    const wts: unknown[] = [];
    VENDORS.mapp({ wts }, 'call_ended', params, { reason: 1, duration_s: 2, unknown: 3 });
    expect(wts).toEqual([
      ['send', 'click', { linkId: 'call_ended', customClickParameter: { 1: 'normal', 2: '61' } }],
    ]);
  });

  test('mapp Smart Pixel: a function pushed to wtSmart sets the action and tracks it', () => {
    const wtSmart: ((pixel: unknown) => void)[] = [];
    VENDORS.mapp({ wtSmart, wts: [] }, 'call_ended', params, { reason: 1 });
    expect(wtSmart).toHaveLength(1);
    const set = jest.fn();
    const trackAction = jest.fn();
    wtSmart[0]?.({ action: { data: { set } }, trackAction });
    expect(set).toHaveBeenCalledWith({ name: 'call_ended', parameter: { 1: 'normal' } });
    expect(trackAction).toHaveBeenCalledTimes(1);
    // A broken pixel running the function later throws nothing at us.
    expect(() => wtSmart[0]?.({})).not.toThrow();
  });

  test('mapp pixel v3: wt.sendinfo({ linkId, customClickParameter })', () => {
    const sendinfo = jest.fn();
    VENDORS.mapp({ wt: { sendinfo } }, 'call_ended', params, { media: 7 });
    expect(sendinfo).toHaveBeenCalledWith({
      linkId: 'call_ended',
      customClickParameter: { 7: 'video' },
    });
    expect(VENDORS.mapp({ wt: {} }, 'call_ended', params, {})).toBe(false);
  });

  test('tealium: utag.link({ tealium_event, ...params }) and never a uid_array', () => {
    const link = jest.fn();
    VENDORS.tealium({ utag: { link } }, 'call_ended', params, {});
    expect(link).toHaveBeenCalledWith({ tealium_event: 'call_ended', ...params });
    expect(link.mock.calls[0]).toHaveLength(1);
    expect(VENDORS.tealium({}, 'call_ended', params, {})).toBe(false);
  });
});

// ---- late, throwing and absent trackers ---------------------------------------------

describe('trackers on a real page', () => {
  test('Matomo: events queued in _paq before matomo.js loads, then to the tracker that replaced it, in order', async () => {
    const queue: unknown[][] = [];
    const { win } = page({ _paq: queue });
    const s = run({ adapters: ['matomo'], window: win });
    s.agent({ type: 'invite', media: 'voice' });
    await s.client.accept();
    // matomo.js loads: it runs what was queued, then replaces _paq with its own object.
    const ran: unknown[][] = [];
    const tracker = { push: (command: unknown[]) => void ran.push(command) };
    for (const command of queue) tracker.push(command);
    win._paq = tracker;
    await answer(s);
    s.pc().setConnectionState('connected');
    s.client.hangup();
    expect(ran.map((c) => c[2])).toEqual([
      'call_invited',
      'call_accepted',
      'call_permission_granted',
      'call_connected',
      'call_ended',
    ]);
  });

  test('Tealium: events wait for utag, then arrive in order; later ones go at once', async () => {
    const { win } = page();
    const s = run({ adapters: ['tealium'], window: win });
    await connectCall(s, 'voice');
    const link = jest.fn();
    jest.advanceTimersByTime(2_000);
    win.utag = { link };
    expect(link).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1_000);
    expect(link.mock.calls.map(([data]) => (data as AnalyticsParams).tealium_event)).toEqual([
      'call_invited',
      'call_accepted',
      'call_permission_granted',
      'call_connected',
    ]);
    s.client.setAudioMuted(true);
    expect(link).toHaveBeenLastCalledWith({ tealium_event: 'call_mic_muted', call_id: s.callId });
    // Nothing waits any more: no timer left behind.
    s.client.hangup();
    expect(jest.getTimerCount()).toBe(0);
  });

  test('Tealium: at most 100 events wait, for at most 5 minutes', async () => {
    const { win } = page();
    const s = run({ adapters: ['tealium'], window: win });
    await connectCall(s, 'voice');
    for (let i = 0; i < 60; i++) {
      s.client.setAudioMuted(true);
      s.client.setAudioMuted(false);
    }
    const link = jest.fn();
    win.utag = { link };
    jest.advanceTimersByTime(1_000);
    expect(link).toHaveBeenCalledTimes(100);
    // The oldest were dropped: the last is the last unmute.
    expect(link).toHaveBeenLastCalledWith({ tealium_event: 'call_mic_unmuted', call_id: s.callId });

    const late = jest.fn();
    const other = page();
    const t = run({ adapters: ['tealium'], window: other.win });
    t.agent({ type: 'invite', media: 'voice', ttlMs: 600_000 });
    jest.advanceTimersByTime(300_001);
    other.win.utag = { link: late };
    t.client.reject();
    expect(late.mock.calls.map(([data]) => (data as AnalyticsParams).tealium_event)).toEqual([
      'call_rejected',
      'call_ended',
    ]);
  });

  test('a tracker that throws never touches the call, and the others still get every event', async () => {
    const { win } = page({
      gtag: () => {
        throw new Error('gtag broke');
      },
      utag: {
        link: () => {
          throw new Error('utag broke');
        },
      },
    });
    const s = run({
      adapters: [
        'ga4',
        'tealium',
        () => {
          throw new Error('mine broke');
        },
        {
          track: () => {
            throw new Error('object broke');
          },
        },
      ],
      window: win,
    });
    await connectCall(s, 'video');
    s.client.setAudioMuted(true);
    s.client.hangup();
    expect(s.ended).toEqual([expect.objectContaining({ reason: 'normal', by: 'local' })]);
    expect(s.warnings).toEqual([]);
    expect(s.reports).toHaveLength(1);
    // Nothing is retried: a tracker that threw had its event.
    expect(jest.getTimerCount()).toBe(0);
  });

  test('a throwing tracker does not hold back the next one', async () => {
    const { win } = page({
      gtag: () => {
        throw new Error('gtag broke');
      },
      dataLayer: [],
    });
    const s = run({ adapters: ['ga4', 'gtm'], window: win });
    await connectCall(s, 'voice');
    const pushed = (win.dataLayer as { event?: string }[]).flatMap((d) => d.event ?? []);
    expect(pushed).toEqual([
      'call_invited',
      'call_accepted',
      'call_permission_granted',
      'call_connected',
    ]);
  });

  test('a vendor global is never created and no script is added', async () => {
    const { win } = page();
    const scripts = document.scripts.length;
    const s = run({ adapters: ['ga4', 'gtm', 'matomo', 'mapp', 'tealium'], window: win });
    await connectCall(s, 'video');
    s.client.hangup();
    expect(Object.keys(win)).toEqual(['navigator']);
    expect(document.scripts.length).toBe(scripts);
  });
});

// ---- consent ---------------------------------------------------------------------------

describe('consent', () => {
  test('events are dropped while consent is false, and only later ones go once it is true', async () => {
    let consent = false;
    const { win, beacons } = page();
    const s = run({ consent: () => consent, window: win, reportUrl: 'https://collect.test/r' });
    await connectCall(s, 'voice');
    consent = true;
    s.client.setAudioMuted(true);
    consent = false;
    s.client.hangup();
    jest.advanceTimersByTime(10_000);
    expect(names(s.tracked)).toEqual(['call_mic_muted']);
    // No beacon without consent; the page's own callback still has its report.
    expect(beacons).toEqual([]);
    expect(s.reports).toHaveLength(1);
  });

  test('a consent function that throws counts as no consent', async () => {
    const s = run({
      consent: () => {
        throw new Error('CMP not ready');
      },
    });
    await connectCall(s, 'voice');
    expect(s.tracked).toEqual([]);
    expect(s.client.state).toBe('connected');
  });
});

// ---- whole calls ---------------------------------------------------------------------

const IPV4 = /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])/;
const IPV6 =
  /(?<![0-9a-f:])(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:){0,6}[0-9a-f]{0,4}::(?:[0-9a-f]{1,4}:){0,6}[0-9a-f]{0,4})(?![0-9a-f:])/i;
const SDP_LINE =
  /\bv=0\b|\bo=\S* \d+ \d+ IN\b|\bc=IN IP[46]\b|\bm=(?:audio|video|application) \d|\ba=[a-z][a-z0-9-]*[:\s"\\]|\ba=(?:sendrecv|sendonly|recvonly|inactive|rtcp-mux|rtcp-rsize)\b/;
const CANDIDATE = /candidate:[A-Za-z0-9+/]+ \d+ (?:udp|tcp) /i;

/** Every secret, personal datum or network detail found in `text`; empty when clean. */
function leaksIn(text: string, secrets: string[]): string[] {
  const found: string[] = [];
  for (const secret of secrets) if (text.includes(secret)) found.push(`secret ${secret}`);
  for (const [name, re] of [
    ['IPv4 address', IPV4],
    ['IPv6 address', IPV6],
    ['SDP line', SDP_LINE],
    ['candidate', CANDIDATE],
  ] as const) {
    const match = re.exec(text);
    if (match) found.push(`${name}: ${match[0]}`);
  }
  return found;
}

test('the leak scan finds what it looks for', () => {
  for (const text of [
    'v=0\r\no=- 1 2 IN IP4 127.0.0.1',
    'candidate:842163049 1 udp 1677729535 10.0.0.1 5000 typ srflx',
    'fe80::1ff:fe23:4567:890a',
    'Jane Agent',
  ]) {
    expect(leaksIn(text, ['Jane Agent'])).not.toEqual([]);
  }
  expect(leaksIn(JSON.stringify({ candidates: ['relay'], sdk: '0.1.0' }), [])).toEqual([]);
});

describe('a whole video call', () => {
  const SECRETS = ['Jane Agent', 'avatar.example', 'turn-user-7', 'turn-pass-7', 'the agent said'];

  async function wholeCall() {
    const vendors = {
      gtag: jest.fn(),
      dataLayer: [] as unknown[],
      _paq: [] as unknown[],
      wts: [] as unknown[],
      utag: { link: jest.fn() },
    };
    const { win, beacons } = page(vendors);
    const s = run({
      window: win,
      reportUrl: 'https://collect.test/calls',
      mappParameters: { reason: 1, media: 2, duration_s: 3 },
    });
    // The same events through every vendor adapter, for the leak scan.
    const all = analytics({
      adapters: ['ga4', 'gtm', 'matomo', 'mapp', 'tealium'],
      window: win,
      mappParameters: { call_id: 1, reason: 2, media: 3, by: 4, facing: 5 },
    });
    all(s.feed);
    s.agent({
      type: 'invite',
      media: 'video',
      agent: { name: 'Jane Agent', avatarUrl: 'https://avatar.example/jane.png' },
      iceServers: [
        { urls: 'turn:192.0.2.10:3478', username: 'turn-user-7', credential: 'turn-pass-7' },
      ],
    });
    jest.advanceTimersByTime(3_000);
    await s.client.accept();
    s.agent({
      type: 'ice',
      candidate: {
        candidate: 'candidate:1 1 udp 2122260223 192.0.2.1 5000 typ host',
        sdpMid: '0',
        sdpMLineIndex: 0,
      },
    });
    jest.advanceTimersByTime(1_200);
    await answer(s);
    s.pc().emitIceCandidate({
      candidate: 'candidate:2 1 udp 2122260223 198.51.100.7 6000 typ host',
      sdpMid: '0',
    });
    s.pc().setConnectionState('connected');
    jest.advanceTimersByTime(10_000);
    s.client.setAudioMuted(true);
    s.client.setAudioMuted(false);
    await s.client.setVideoEnabled(false);
    await s.client.setVideoEnabled(true);
    s.devices.facing = 'environment';
    await s.client.switchCamera();
    s.feed.emit('quality', sample(5));
    for (let i = 0; i < 3; i++) s.feed.emit('quality', sample(2, { candidateType: 'relay' }));
    jest.advanceTimersByTime(4_000);
    for (let i = 0; i < 3; i++) s.feed.emit('quality', sample(4, { candidateType: 'relay' }));
    s.feed.emit('bandwidth', { tier: 'reduced', previous: 'full', availableKbps: 900 });
    s.feed.emit('bandwidth', { tier: 'full', previous: 'reduced', availableKbps: 2_000 });
    s.pc().setConnectionState('disconnected');
    jest.advanceTimersByTime(1_500);
    s.pc().setConnectionState('connected');
    jest.advanceTimersByTime(20_000);
    s.agent({ type: 'hangup', reason: 'normal', detail: 'the agent said goodbye' });
    await settle();
    return { s, win, beacons, vendors };
  }

  test('gives the events in order, with their parameters', async () => {
    const { s } = await wholeCall();
    expect(names(s.tracked)).toEqual([
      'call_invited',
      'call_accepted',
      'call_permission_granted',
      'call_connected',
      'call_mic_muted',
      'call_mic_unmuted',
      'call_camera_off',
      'call_camera_on',
      'call_camera_switched',
      'call_quality_degraded',
      'call_quality_recovered',
      'call_quality_degraded',
      'call_quality_recovered',
      'call_reconnecting',
      'call_reconnected',
      'call_ended',
    ]);
    const id = { call_id: s.callId };
    const of = (event: string) => s.tracked.filter(([e]) => e === event).map(([, p]) => p);
    expect(of('call_invited')).toEqual([{ ...id, media: 'video' }]);
    expect(of('call_connected')).toEqual([{ ...id, media: 'video', setup_ms: 1_200 }]);
    expect(of('call_camera_switched')).toEqual([{ ...id, facing: 'environment' }]);
    expect(of('call_quality_degraded')).toEqual([
      { ...id, level: 2, tier: 'full' },
      { ...id, level: 4, tier: 'reduced' },
    ]);
    expect(of('call_quality_recovered')[0]).toEqual({ ...id, degraded_s: 4, level: 4 });
    expect(of('call_reconnected')).toEqual([{ ...id, outage_ms: 1_500 }]);
    expect(of('call_ended')).toEqual([
      { ...id, reason: 'normal', by: 'remote', duration_s: 35, media: 'video' },
    ]);
    expectConforming(s.tracked);
  });

  test('gives one report under 4 KB, also sent as a beacon', async () => {
    const { s, beacons } = await wholeCall();
    expect(s.reports).toHaveLength(1);
    const report = s.reports[0] as CallReport;
    expect(report).toEqual({
      version: 1,
      sdk: expect.stringMatching(/^\d+\.\d+\.\d+/),
      callId: s.callId,
      media: 'video',
      acceptedMedia: 'video',
      states: {
        invited: 0,
        accepted: 3_000,
        'media-permission': 3_000,
        connecting: 3_000,
        connected: 4_200,
        reconnecting: 18_200,
        ended: 39_700,
      },
      setupMs: 1_200,
      durationMs: 35_500,
      reason: 'normal',
      by: 'remote',
      reconnections: { count: 1, ms: 1_500 },
      resumes: 0,
      shareMs: 0,
      devices: { microphone: 0, camera: 1, lost: 0 },
      quality: expect.objectContaining({
        samples: 7,
        level: { avg: 3.3, min: 2, max: 5 },
        rttMs: { avg: expect.any(Number), min: 40, max: 600 },
        lossPct: { avg: expect.any(Number), min: 0, max: 8 },
        receiveHeight: { avg: 360, min: 360, max: 360 },
      }),
      candidates: ['host', 'relay'],
      browser: { name: 'chrome', version: 156, os: 'linux', mobile: false },
    });
    expect(beacons).toHaveLength(1);
    const [url, text] = beacons[0] as [string, string];
    expect(url).toBe('https://collect.test/calls');
    expect(JSON.parse(text)).toEqual(report);
    expect(new Blob([text]).size).toBeLessThanOrEqual(4_096);
  });

  test('no payload of any tracker, nor the report, holds a name, secret, SDP, candidate or address', async () => {
    const { s, beacons, vendors } = await wholeCall();
    const payloads = [
      ...s.tracked,
      ...vendors.gtag.mock.calls,
      ...vendors.dataLayer,
      ...vendors._paq,
      ...vendors.wts,
      ...vendors.utag.link.mock.calls,
      ...s.reports,
      ...beacons,
    ];
    expect(vendors.utag.link.mock.calls.length).toBe(s.tracked.length);
    const leaks: string[] = [];
    for (const payload of payloads) {
      const text = JSON.stringify(payload);
      for (const leak of leaksIn(text, SECRETS)) leaks.push(`${leak} in ${text.slice(0, 200)}`);
    }
    expect(leaks).toEqual([]);
  });
});

describe('calls that do not connect', () => {
  test('declined: invited, rejected, ended', () => {
    const s = run();
    s.agent({ type: 'invite', media: 'voice' });
    s.client.reject();
    expect(s.tracked).toEqual([
      ['call_invited', { call_id: s.callId, media: 'voice' }],
      ['call_rejected', { call_id: s.callId, reason: 'declined' }],
      [
        'call_ended',
        { call_id: s.callId, reason: 'declined', by: 'local', duration_s: 0, media: 'voice' },
      ],
    ]);
    expect(s.reports[0]).toMatchObject({ setupMs: null, durationMs: 0, reason: 'declined' });
    expect(s.reports[0]).not.toHaveProperty('acceptedMedia');
  });

  test('expired and unsupported invitations are rejected with their reason', () => {
    const s = run();
    s.agent({ type: 'invite', media: 'voice', ttlMs: 5_000 });
    jest.advanceTimersByTime(5_000);
    expect(s.tracked.filter(([e]) => e === 'call_rejected')).toEqual([
      ['call_rejected', { call_id: s.callId, reason: 'expired' }],
    ]);
    const tracked: Tracked[] = [];
    const u = setup(
      { extensions: [analytics({ adapters: [(e, p) => tracked.push([e, p])] })] },
      { RTCPeerConnection: undefined },
    );
    clients.push(u);
    u.agent({ type: 'invite', media: 'voice' });
    expect(names(tracked)).toEqual(['call_invited', 'call_rejected', 'call_ended']);
    expect(tracked[1]?.[1]).toMatchObject({ reason: 'unsupported' });
  });

  test('a second invitation during a call is rejected busy, without a call id', async () => {
    const s = run();
    await connectCall(s, 'voice');
    s.transport.deliver(fromAgent('another-call', { type: 'invite', media: 'voice' }));
    expect(s.tracked.at(-1)).toEqual(['call_rejected', { reason: 'busy' }]);
  });

  test('the microphone refused: permission denied, then the end', async () => {
    const s = run();
    s.devices.fail.audio = 'NotAllowedError';
    s.agent({ type: 'invite', media: 'voice' });
    await s.client.accept();
    expect(names(s.tracked)).toEqual([
      'call_invited',
      'call_accepted',
      'call_permission_denied',
      'call_ended',
    ]);
    expect(s.tracked[2]?.[1]).toEqual({
      call_id: s.callId,
      reason: 'permission-denied',
      media: 'voice',
    });
  });

  test('a second call starts clean: no toggles from the first, its own report', async () => {
    const s = run();
    await connectCall(s, 'video');
    await s.client.setVideoEnabled(false);
    s.client.hangup();
    s.tracked.length = 0;
    s.callId = 'call-two';
    s.agent({ type: 'invite', media: 'video' });
    await s.client.accept();
    await answer(s);
    s.peers[1]?.setConnectionState('connected');
    s.client.hangup();
    expect(names(s.tracked)).toEqual([
      'call_invited',
      'call_accepted',
      'call_permission_granted',
      'call_connected',
      'call_ended',
    ]);
    expect(s.reports.map((r) => [r.callId, r.devices])).toEqual([
      [expect.any(String), { microphone: 0, camera: 0, lost: 0 }],
      ['call-two', { microphone: 0, camera: 0, lost: 0 }],
    ]);
    expect(s.reports[1]?.quality).toBeNull();
  });
});

describe('the report', () => {
  test('goes by fetch keepalive where sendBeacon is missing or refuses', async () => {
    const fetch = jest.fn((_url: string, _init: unknown) => Promise.reject(new Error('offline')));
    for (const navigator of [{}, { sendBeacon: () => false }]) {
      fetch.mockClear();
      const s = run({ window: { navigator, fetch }, reportUrl: 'https://collect.test/r' });
      await connectCall(s, 'voice');
      s.client.hangup();
      await settle();
      expect(fetch).toHaveBeenCalledWith('https://collect.test/r', {
        method: 'POST',
        body: JSON.stringify(s.reports[0]),
        keepalive: true,
      });
    }
  });

  test('is made at destroy() too, and a throwing onReport is the page listener error it is', async () => {
    const s = run({
      onReport: () => {
        throw new Error('page bug');
      },
    });
    await connectCall(s, 'voice');
    const warnings = s.warnings;
    s.client.destroy();
    expect(names(s.tracked).at(-1)).toBe('call_ended');
    expect(s.ended).toHaveLength(1);
    expect(warnings.map((w) => w.code)).toEqual(['listener-error']);
  });

  test('drops detail fields, quality first, to stay within 4 KB', () => {
    const big = {
      version: 1,
      callId: 'c',
      quality: { samples: 1, padding: 'x'.repeat(3_000) },
      states: { padding: 'y'.repeat(4_500) },
      devices: { microphone: 0, camera: 0, lost: 0 },
    } as unknown as CallReport;
    const text = serialize(big);
    expect(text.length).toBeLessThanOrEqual(MAX_REPORT_BYTES);
    expect(JSON.parse(text)).toEqual({
      version: 1,
      callId: 'c',
      devices: { microphone: 0, camera: 0, lost: 0 },
    });
  });

  test('counts device changes and unplugged devices', async () => {
    const s = run();
    await connectCall(s, 'video');
    await s.client.selectMicrophone('mic-2');
    await s.client.switchCamera();
    s.client.hangup();
    expect(s.reports[0]?.devices).toEqual({ microphone: 1, camera: 1, lost: 0 });
  });
});

describe('a call that goes on from the next page (resume)', () => {
  /** One page of a tab: the client's window is the analytics window. */
  function tabPage(storage: MemoryStorage) {
    const target = new EventTarget();
    const tracked: Tracked[] = [];
    const reports: CallReport[] = [];
    const win = Object.assign(page().win, {
      sessionStorage: storage,
      addEventListener: target.addEventListener.bind(target),
      removeEventListener: target.removeEventListener.bind(target),
    });
    const s = setup(
      {
        extensions: [
          analytics({
            adapters: [(event, params) => tracked.push([event, params])],
            window: win,
            onReport: (report) => reports.push(report),
          }),
        ],
      },
      { sessionStorage: storage, window: target },
    );
    clients.push(s);
    return Object.assign(s, { tracked, reports, target });
  }

  test('call_resumed with the gap, and one report of the whole call that counts the resume', async () => {
    const storage = new MemoryStorage();
    const first = tabPage(storage);
    first.agent({ type: 'invite', media: 'video', features: ['instances', 'resume'] });
    jest.advanceTimersByTime(1_000);
    await first.client.accept();
    await answer(first);
    first.pc().setConnectionState('connected');
    jest.advanceTimersByTime(10_000);
    pageHide(first.target);
    jest.advanceTimersByTime(600);

    const next = tabPage(storage);
    next.callId = first.callId;
    expect(next.client.state).toBe('resuming');
    await settle();
    const answerTo = { type: 'sdp', description: { type: 'answer', sdp: 'v=0 a' } } as const;
    next.transport.deliver(fromAgent(next.callId, answerTo, next.client.instanceId));
    await settle();
    next.pc().setConnectionState('connected');
    expect(next.tracked).toEqual([['call_resumed', { call_id: first.callId, gap_ms: 600 }]]);
    jest.advanceTimersByTime(5_000);
    next.agent({ type: 'hangup', reason: 'normal' });

    expect(first.reports).toEqual([]);
    expect(next.reports).toHaveLength(1);
    expect(next.reports[0]).toMatchObject({
      callId: first.callId,
      acceptedMedia: 'video',
      resumes: 1,
      setupMs: expect.any(Number),
      durationMs: 15_600,
      states: { invited: 0, accepted: 1_000, connected: 1_000, resuming: 11_600, ended: 16_600 },
    });
    expect(names(next.tracked)).toEqual(['call_resumed', 'call_ended']);
  });

  test('a page back from the cache goes on with the report it follows', async () => {
    const storage = new MemoryStorage();
    const page = tabPage(storage);
    page.agent({ type: 'invite', media: 'voice', features: ['instances', 'resume'] });
    await page.client.accept();
    await answer(page);
    page.pc().setConnectionState('connected');
    pageHide(page.target, true);
    page.target.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: true }));
    await settle();
    expect(page.client.state).toBe('resuming');
    const reply = { type: 'sdp', description: { type: 'answer', sdp: 'v=0 a' } } as const;
    page.transport.deliver(fromAgent(page.callId, reply, page.client.instanceId));
    await settle();
    page.peers[1]?.setConnectionState('connected');
    page.agent({ type: 'hangup', reason: 'normal' });
    expect(page.reports).toHaveLength(1);
    expect(page.reports[0]).toMatchObject({
      resumes: 1,
      states: { invited: 0, accepted: 0, connected: 0, resuming: 0 },
    });
    expect(names(page.tracked)).toEqual([
      'call_invited',
      'call_accepted',
      'call_permission_granted',
      'call_connected',
      'call_resumed',
      'call_ended',
    ]);
  });
});
