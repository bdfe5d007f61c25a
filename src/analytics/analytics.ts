import type { CallClient, CallExtension } from '../call/CallClient';
import type { CallState } from '../call/states';
import type { MediaState } from '../call/events';
import type { BandwidthTier } from '../quality/bandwidth';
import { VERSION } from '../version';
import { VENDORS } from './adapters';
import type { AnalyticsAdapterOption, AnalyticsWindow, MappParameterIds } from './adapters';
import type { AnalyticsEventName, AnalyticsParams, ParamsOf } from './taxonomy';
import { REPORT_VERSION, addSample, serialize, summary } from './report';
import type { CallReport, QualityTotals } from './report';

export interface AnalyticsOptions {
  /**
   * Where the events go: `'ga4'`, `'gtm'`, `'matomo'`, `'mapp'`,
   * `'tealium'`, a function `(event, params) => void`, or an object with
   * `track(event, params)`. Chosen here, never detected: GTM often loads
   * GA4, and Tealium Mapp, so detection would count twice.
   */
  adapters?: readonly AnalyticsAdapterOption[];
  /**
   * Events (and the report's beacon) are dropped while this returns false.
   * The SDK never sets a tracker's consent itself; the trackers enforce
   * their own.
   */
  consent?: () => boolean;
  /** Where each call's report is POSTed (sendBeacon, else fetch keepalive). */
  reportUrl?: string;
  /** Receives each call's report, at the end of the call (whatever `consent` says). */
  onReport?: (report: CallReport) => void;
  /** Mapp: taxonomy parameter name → the numeric id of the custom click parameter set up in Mapp. */
  mappParameters?: MappParameterIds;
  /** The page's globals (trackers, navigator, fetch); defaults to `globalThis`. */
  window?: AnalyticsWindow;
}

/** Events wait this long, and at most this many, for a tracker that is not there yet. */
const MAX_WAIT_MS = 300_000;
const MAX_WAITING = 100;
const RETRY_MS = 1_000;
const MAX_VALUE_LENGTH = 100;

type Entry = [at: number, event: string, params: AnalyticsParams];
/** A tracker: its name (for the log), how to send, what waits for it. */
type Sink = [name: string, send: (event: string, params: AnalyticsParams) => unknown, Entry[]];

/** Where the report of a call waits for the next page. */
const KEPT = 'messaging-calls-report';

const REJECTED: Partial<Record<string, true>> = {
  declined: true,
  expired: true,
  unsupported: true,
  disabled: true,
};

/**
 * Tracks calls in the analytics the brand's site already runs (GA4, GTM,
 * Matomo, Mapp, Tealium, or its own), with the taxonomy of
 * `ANALYTICS_EVENTS`, and makes a report of every call (`onReport`,
 * `reportUrl`). A tracker that is missing, late or throwing never touches
 * the call.
 *
 * @throws {TypeError} for an unknown adapter, or when given to `extensions`
 *   without being called.
 * @example
 * new CallClient({
 *   transport,
 *   extensions: [qualityMonitor(), analytics({ adapters: ['ga4', 'matomo'], reportUrl: '/call-report' })],
 * });
 */
export function analytics(given?: AnalyticsOptions | null): CallExtension {
  const options = given ?? {};
  if ('client' in options) {
    // `extensions: [analytics]` from plain JavaScript: the factory was given a context.
    throw new TypeError('analytics is a factory: use extensions: [analytics()]');
  }
  const win: AnalyticsWindow = options.window ?? globalThis;
  const ids = options.mappParameters ?? {};
  const sinks: Sink[] = [];
  for (const a of options.adapters ?? []) {
    if (typeof a === 'string' && Object.hasOwn(VENDORS, a)) {
      sinks.push([a, (e, p) => VENDORS[a](win, e, p, ids), []]);
    } else if (typeof a === 'function') {
      sinks.push(['function', (e, p) => void a(e, p), []]);
    } else if (typeof a === 'object' && typeof a?.track === 'function') {
      sinks.push([a.name ?? 'adapter', (e, p) => void a.track(e, p), []]);
    } else
      throw new TypeError(`unknown analytics adapter: ${typeof a === 'string' ? a : typeof a}`);
  }
  const consented = () => {
    try {
      return !options.consent || Boolean(options.consent());
    } catch {
      return false;
    }
  };

  return (ctx) => {
    const { clock, log } = ctx;
    const client: CallClient = ctx.client;
    let retry: unknown;

    // Each tracker gets its own copy of each event, in order; one whose
    // global is not there yet keeps its events (a while) and is tried again.
    const flush = () => {
      const now = clock.now();
      let pending = false;
      for (const [name, deliver, queue] of sinks) {
        while (queue.length > 0) {
          const [at, event, params] = queue[0] as Entry;
          if (now - at <= MAX_WAIT_MS) {
            let sent: unknown;
            try {
              sent = deliver(event, { ...params });
            } catch {
              log('warn', `analytics: ${name} threw`);
            }
            if (sent === false) break;
          }
          queue.shift();
        }
        if (queue.length > 0) pending = true;
      }
      if (pending && retry === undefined) {
        retry = clock.setTimeout(() => {
          retry = undefined;
          flush();
        }, RETRY_MS);
      }
    };

    const track = <E extends AnalyticsEventName>(event: E, given: ParamsOf<E>) => {
      if (!consented()) return;
      const params: AnalyticsParams = {};
      for (const key in given) {
        const v = (given as Record<string, string | number | boolean | undefined>)[key];
        if (v !== undefined) params[key] = typeof v === 'string' ? v.slice(0, MAX_VALUE_LENGTH) : v;
      }
      for (const [, , queue] of sinks) {
        queue.push([clock.now(), event, params]);
        if (queue.length > MAX_WAITING) queue.shift();
      }
      flush();
    };

    // The current call (one at a time): its report, filled in as it goes,
    // and what the events need.
    let report: CallReport | null = null;
    let states: Partial<Record<CallState, number>> = {};
    let devices = { microphone: 0, camera: 0, lost: 0 };
    let start = 0;
    /** When the current reconnection began. */
    let lostAt: number | undefined;
    let local: MediaState | undefined;
    let audioId: string | null | undefined;
    let videoId: string | null | undefined;
    let totals: QualityTotals = { samples: 0, stats: {} };
    /** Quality: samples in a row against the verdict `poor`; the tier; the last level; since when degraded. */
    let streak = 0;
    let poor = false;
    let tier: BandwidthTier = 'full';
    let level: number | undefined;
    let degradedAt: number | undefined;

    /** An event of the current call, with its id first. */
    const send = <E extends AnalyticsEventName>(event: E, params: ParamsOf<E> = {}) => {
      if (report) track(event, { call_id: report.callId, ...params } as ParamsOf<E>);
    };

    const judge = () => {
      const now = clock.now();
      const degraded = poor || tier !== 'full';
      if (degraded === (degradedAt !== undefined)) return;
      if (degraded) {
        degradedAt = now;
        send('call_quality_degraded', { level, tier });
      } else {
        send('call_quality_recovered', {
          degraded_s: Math.floor((now - (degradedAt as number)) / 1000),
          level,
        });
        degradedAt = undefined;
      }
    };

    // A call that goes on from another page goes on in the report the
    // page before left (the same call, its start, its states).
    const keep = () => {
      try {
        if (report) win.sessionStorage?.setItem(KEPT, JSON.stringify([report, start]));
      } catch {
        // blocked storage: the next page starts a report of its own
      }
    };
    win.addEventListener?.('pagehide', keep);
    let kept: [CallReport, number] | null = null;
    try {
      kept = JSON.parse(win.sessionStorage?.getItem(KEPT) ?? 'null') as typeof kept;
    } catch {
      // unreadable: a report of this page's own
    }

    ctx.onStateChange((state, previous) => {
      const now = clock.now();
      const info = client.callInfo;
      // A page back from the cache resumes the call this report already follows.
      const again = state === 'resuming' && report?.callId === info?.callId;
      if ((state === 'invited' || (state === 'resuming' && !again)) && info) {
        start = now;
        lostAt = local = audioId = videoId = level = degradedAt = undefined;
        streak = 0;
        poor = false;
        tier = 'full';
        totals = { samples: 0, stats: {} };
        report = {
          version: REPORT_VERSION,
          sdk: VERSION,
          callId: info.callId,
          media: info.media,
          states: (states = {}),
          setupMs: null,
          durationMs: 0,
          reason: 'normal',
          by: 'local',
          reconnections: { count: 0, ms: 0 },
          resumes: 0,
          shareMs: 0,
          devices: (devices = { microphone: 0, camera: 0, lost: 0 }),
          quality: null,
          candidates: [],
          browser: null,
        };
        if (state === 'resuming' && kept?.[0]?.callId === info.callId) {
          [report, start] = kept;
          states = report.states ??= {};
          devices = report.devices ??= devices;
          report.resumes ??= 0;
          report.shareMs ??= 0;
        }
        if (state === 'resuming') report.acceptedMedia = info.acceptedMedia;
        kept = null;
      }
      const r = report;
      if (!r) return;
      states[state] ??= now - start;
      const media = r.acceptedMedia ?? r.media;
      if (state === 'invited') send('call_invited', { media });
      else if (state === 'accepted') {
        r.acceptedMedia = info?.acceptedMedia ?? media;
        send('call_accepted', { media: r.acceptedMedia });
      } else if (state === 'connecting') {
        send('call_permission_granted', {
          media,
          wait_ms: now - start - (states['media-permission'] ?? 0),
        });
      } else if (state === 'reconnecting') {
        r.reconnections.count++;
        lostAt = now;
        send('call_reconnecting');
      } else if (state === 'connected' && previous === 'connecting') {
        r.setupMs = now - start - (states.accepted ?? 0);
        send('call_connected', { media, setup_ms: r.setupMs });
      } else if (lostAt !== undefined) {
        // Back (connected), or the end while reconnecting.
        const outage = now - lostAt;
        r.reconnections.ms += outage;
        lostAt = undefined;
        if (state === 'connected') send('call_reconnected', { outage_ms: outage });
      }
    });

    client.on('ended', ({ callId, reason, by, durationMs }) => {
      const r = report;
      if (r?.callId !== callId) return;
      shareStopped();
      const media = r.acceptedMedia ?? r.media;
      if (states.accepted === undefined && REJECTED[reason]) send('call_rejected', { reason });
      if (
        states.connecting === undefined &&
        (reason === 'permission-denied' || reason === 'no-device')
      ) {
        send('call_permission_denied', { reason, media });
      }
      send('call_ended', { reason, by, duration_s: Math.floor(durationMs / 1000), media });
      report = null;
      r.durationMs = durationMs;
      r.reason = reason;
      r.by = by;
      r.quality = summary(totals);
      r.browser = browser(client, win);
      const text = serialize(r);
      if (options.reportUrl && consented()) beacon(win, options.reportUrl, text);
      // Last: a throwing onReport is the page's listener error (a `listener-error` warning).
      options.onReport?.(r);
    });
    client.on('resumed', ({ gapMs }) => {
      if (report) report.resumes++;
      send('call_resumed', { gap_ms: gapMs });
    });
    client.on('warning', ({ code }) => {
      if (code === 'busy') track('call_rejected', { reason: 'busy' });
      else if (code === 'device-lost') devices.lost++;
    });
    /** When the current screen share began. */
    let sharedAt: number | undefined;
    const shareStopped = () => {
      if (sharedAt === undefined || !report) return;
      const ms = clock.now() - sharedAt;
      report.shareMs += ms;
      sharedAt = undefined;
      send('call_share_stopped', { share_s: Math.floor(ms / 1000) });
    };
    client.on('share-request', () => send('call_share_requested'));
    client.on('localmediastate', (m) => {
      const before = local;
      local = m;
      if (m.screen && sharedAt === undefined) {
        sharedAt = clock.now();
        send('call_share_started');
      } else if (!m.screen) shareStopped();
      // The first state is where the call starts, not a change.
      if (!before || !report) return;
      if (before.audioMuted !== m.audioMuted) {
        send(m.audioMuted ? 'call_mic_muted' : 'call_mic_unmuted');
      }
      if (before.videoEnabled !== m.videoEnabled) {
        send(m.videoEnabled ? 'call_camera_on' : 'call_camera_off');
      }
    });
    // A new track where one was already sending is another device.
    client.on('localstream', (stream) => {
      const audio = stream.getAudioTracks()[0]?.id ?? null;
      const video = stream.getVideoTracks()[0]?.id ?? null;
      if (audio && audioId && audio !== audioId) devices.microphone++;
      if (video && videoId && video !== videoId) {
        devices.camera++;
        send('call_camera_switched', { facing: client.localMediaState?.camera });
      }
      audioId = audio;
      videoId = video;
    });
    client.on('quality', (sample) => {
      if (!report) return;
      addSample(totals, sample);
      const type = sample.candidateType;
      const { candidates } = report;
      if (type && candidates.indexOf(type) < 0) candidates.push(type);
      level = sample.level;
      streak = (poor ? level >= 4 : level <= 2) ? streak + 1 : 0;
      if (streak >= 3) {
        poor = !poor;
        streak = 0;
      }
      judge();
    });
    client.on('bandwidth', (change) => {
      tier = change.tier;
      judge();
    });

    return () => {
      win.removeEventListener?.('pagehide', keep);
      if (retry !== undefined) clock.clearTimeout(retry);
      retry = undefined;
      report = null;
    };
  };
}

/**
 * The browser, as the SDK's own support check tells it (its UA parser is in
 * the core already: importing it here would add it to this entry again).
 */
function browser(client: CallClient, win: AnalyticsWindow): CallReport['browser'] {
  try {
    const nav = win.navigator;
    const { browser: b } = (client.constructor as typeof CallClient).checkSupport({
      platform: {
        environment: {
          userAgent: nav?.userAgent,
          userAgentData: nav?.userAgentData as never,
        },
      },
    });
    return b && { name: b.name, version: b.version, os: b.os, mobile: b.mobile };
  } catch {
    return null;
  }
}

/** POSTs the report as text: sendBeacon (survives the page closing), else fetch keepalive. */
function beacon(win: AnalyticsWindow, url: string, text: string): void {
  try {
    const nav = win.navigator;
    if (nav?.sendBeacon?.(url, text)) return;
    void Promise.resolve(win.fetch?.(url, { method: 'POST', body: text, keepalive: true })).catch(
      () => undefined,
    );
  } catch {
    // A beacon that cannot go is a report lost, never a call touched.
  }
}
