// The analytics extension (`MessagingCalls.analytics`, src/analytics/) in each
// browser, from the built UMD bundle, against the Node agent over the
// WebSocket relay: a real video call with mute and camera toggles, tracked in
// fake but faithful GA4 (gtag + dataLayer), Matomo (_paq, an array replaced
// by the tracker 1 s after load), Mapp pixel v5 (wts) and Tealium (utag,
// which appears only 2 s after load) globals of pages/analytics.js, and the
// call report handed to `onReport`.
//
// What is checked: every tracker receives the whole taxonomy sequence, in
// order and in its library's calling convention (also the events queued
// before Matomo loaded and those that waited for utag); the parameters are
// those of ANALYTICS_EVENTS; `call_ended` says normal, local, whole seconds;
// the report is version 1, of this call, under 4 KB; and nothing any tracker
// or the report received holds SDP, an ICE candidate, an IP address or the
// agent's name.
import { ENGINE_NAMES, testIn } from './support/engines';
import type { PageDriver } from './support/browser';
import { relayClients } from './support/agent';
import type { AgentSide } from './support/agent';
import { connectCall, openScene } from './support/scene';
import type { Scene } from './support/scene';
import { describeEngines, useBrowser, useServer } from './support/suite';
import { ANALYTICS_EVENTS } from '../../src/analytics/taxonomy';
import type { AnalyticsEventName, AnalyticsParams } from '../../src/analytics/taxonomy';
import type { CallReport } from '../../src/analytics/report';

jest.setTimeout(45_000);

const PAGE = '/pages/analytics.html';

/** Distinctive, so that finding it in a payload cannot be a coincidence. */
const AGENT_NAME = 'Zelda Quartermain';

/** The events of this call, in order: what the analytics extension emits for it. */
const SEQUENCE = [
  'call_invited',
  'call_accepted',
  'call_permission_granted',
  'call_connected',
  'call_mic_muted',
  'call_mic_unmuted',
  'call_camera_off',
  'call_camera_on',
  'call_ended',
] as const satisfies readonly AnalyticsEventName[];

/** Until (and with) the last toggle: what is tracked before the hangup. */
const BEFORE_HANGUP = SEQUENCE.length - 1;

/** `mappParameters` of pages/analytics.js. */
const MAPP_IDS: Readonly<Record<string, number>> = { reason: 1, media: 2, duration_s: 3 };

const CANDIDATE_TYPES = ['host', 'srflx', 'prflx', 'relay'];

// ---- what the page recorded (pages/analytics.js, harness.trackers) -----------------

interface Trackers {
  /** performance.now() of the page. */
  now: number;
  loadedAt: number | null;
  gtag: { t: number; args: unknown[] }[];
  dataLayer: { isArguments: boolean; args: unknown[] }[];
  paq: {
    loadedAt: number | null;
    stillArray: boolean;
    /** `queue`: pushed onto the array before matomo "loaded"; `push`: the tracker's push. */
    log: { t: number; via: 'queue' | 'push'; command: unknown }[];
  };
  wts: { isArray: boolean; queue: unknown[] };
  utag: { definedAt: number | null; links: { t: number; argCount: number; data: unknown }[] };
  report: CallReport | null;
}

const trackers = (page: PageDriver) => page.call<Trackers>('trackers');

/** The event names gtag received, in order. */
const gtagNames = (t: Trackers) => t.gtag.map((c) => c.args[1]);

/** gtag's view of each event: its name and parameters (the reference for the others). */
function gtagEvents(t: Trackers): { name: AnalyticsEventName; params: AnalyticsParams }[] {
  return t.gtag.map((c) => ({
    name: c.args[1] as AnalyticsEventName,
    params: c.args[2] as AnalyticsParams,
  }));
}

/**
 * Matomo's trackEvent(category, action, name, value) for one event: category
 * `call`, action the event, name the first string parameter after the call
 * id, value the first number; a trailing absent argument is left out.
 */
function matomoCommand(name: string, params: AnalyticsParams): unknown[] {
  const strings = Object.keys(params).filter(
    (k) => k !== 'call_id' && typeof params[k] !== 'number',
  );
  const numbers = Object.keys(params).filter((k) => typeof params[k] === 'number');
  const command: unknown[] = ['trackEvent', 'call', name];
  const label = strings[0] === undefined ? undefined : String(params[strings[0]]);
  const value = numbers[0] === undefined ? undefined : params[numbers[0]];
  if (label !== undefined || value !== undefined) command.push(label ?? null);
  if (value !== undefined) command.push(value);
  return command;
}

/** Mapp's custom click parameters: only those set up, by id, as strings. */
function mappParameters(params: AnalyticsParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, id] of Object.entries(MAPP_IDS)) {
    if (params[key] !== undefined) out[String(id)] = String(params[key]);
  }
  return out;
}

// ---- the scan for what must never be sent -------------------------------------------

const FORBIDDEN: readonly [string, RegExp][] = [
  ['SDP (v=0)', /v=0/],
  ['SDP (a=)', /a=/],
  ['an ICE candidate', /candidate:/i],
  ['an ICE candidate', / typ (host|srflx|prflx|relay)/],
  ['an mDNS host name', /\.local\b/i],
  ['an IPv4 address', /\b\d{1,3}(\.\d{1,3}){3}\b/],
  ['an IPv6 address', /(^|[^0-9a-z])([0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}([^0-9a-z]|$)/i],
  ['the agent name', /zelda|quartermain/i],
];

/** Every string of `value` (keys, string values and numbers as written), with its path. */
function leaves(value: unknown, path: string, out: [string, string][] = []): [string, string][] {
  if (value === null || value === undefined) return out;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    out.push([path, String(value)]);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => leaves(v, `${path}[${i}]`, out));
  } else if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push([`${path} (key)`, k]);
      leaves(v, `${path}.${k}`, out);
    }
  }
  return out;
}

/** What of `payloads` matches a forbidden pattern: `path: what in "text"`, none expected. */
function forbiddenIn(payloads: Record<string, unknown>): string[] {
  const found: string[] = [];
  for (const [name, payload] of Object.entries(payloads)) {
    // Each string on its own, and the whole payload as JSON (a pattern split across fields).
    const texts: [string, string][] = [...leaves(payload, name), [name, JSON.stringify(payload)]];
    for (const [path, text] of texts) {
      for (const [what, pattern] of FORBIDDEN) {
        if (pattern.test(text)) found.push(`${path}: ${what} in ${JSON.stringify(text)}`);
      }
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------

describeEngines((engine) => {
  const server = useServer();
  const browser = useBrowser(engine);
  let scene: Scene | undefined;
  afterEach(async () => {
    await scene?.cleanup();
    scene = undefined;
  });
  const name = ENGINE_NAMES[engine];
  const callTest = testIn(engine, { bug: 'firefoxEndOfCandidates' });

  /** Waits until gtag has received `count` events (every adapter is fed in the same flush). */
  function tracked(page: PageDriver, count: number, what: string): Promise<Trackers> {
    return page.waitFor(async () => {
      const t = await trackers(page);
      return t.gtag.length >= count ? t : null;
    }, `${what} (gtag has ${count} events)`);
  }

  callTest(
    `a video call with mute and camera toggles reaches gtag, _paq, wts and a late utag in order, with a report, and nothing personal or of the network (${name})`,
    async () => {
      scene = await openScene(browser(), server(), { path: PAGE, client: false });
      const { page } = scene;
      expect(await page.call('createWithAnalytics', { url: scene.relay.url })).toEqual({
        ok: true,
      });
      await relayClients(scene.relay, 1);
      const side: AgentSide = await connectCall(scene, {
        media: 'video',
        agent: { name: AGENT_NAME },
      });
      const callId = side.agent.callId;
      // The name did reach the page: its absence from the payloads below means something.
      expect((await page.waitForEvent('invitation')).data).toMatchObject({
        agent: { name: AGENT_NAME },
      });
      await tracked(page, 4, 'connected');

      expect(await page.call('setAudioMuted', true)).toEqual({ ok: true });
      await tracked(page, 5, 'muted');
      expect(await page.call('setAudioMuted', false)).toEqual({ ok: true });
      await tracked(page, 6, 'unmuted');
      expect(await page.call('setVideoEnabled', false)).toEqual({ ok: true });
      await tracked(page, 7, 'camera off');
      expect(await page.call('setVideoEnabled', true)).toEqual({ ok: true });
      await tracked(page, BEFORE_HANGUP, 'camera on');

      // ≥ 2.5 s after the load: utag is there, and the events that waited for
      // it arrive on the extension's retry (no new event needed to flush them).
      await page.waitFor(async () => {
        const t = await trackers(page);
        return t.loadedAt !== null && t.now - t.loadedAt >= 2_500;
      }, '2.5 s since the page loaded');
      const beforeHangup = await page.waitFor(async () => {
        const t = await trackers(page);
        return t.utag.links.length >= BEFORE_HANGUP ? t : null;
      }, `utag.link to have the ${BEFORE_HANGUP} events before the hangup`);
      expect(beforeHangup.utag.definedAt).not.toBeNull();
      // A quality sample (qualityMonitor) before the end, for the report's quality and candidates.
      await page.waitForEvent('quality');

      expect(await page.call('hangup')).toEqual({ ok: true });
      const ended = (await page.waitForEvent('ended')).data as { durationMs: number };
      expect(ended).toMatchObject({ callId, reason: 'normal', by: 'local' });
      expect(await side.waitEnded()).toMatchObject({ reason: 'normal', by: 'remote' });
      const t = await page.waitFor(async () => {
        const now = await trackers(page);
        return now.report && now.gtag.length >= SEQUENCE.length ? now : null;
      }, 'the report and call_ended');

      // ---- GA4: gtag('event', name, params), each call's arguments object on dataLayer
      expect(gtagNames(t)).toEqual(SEQUENCE);
      for (const call of t.gtag) {
        expect(call.args).toHaveLength(3);
        expect(call.args[0]).toBe('event');
        expect(typeof call.args[2]).toBe('object');
      }
      expect(t.dataLayer.map((d) => d.isArguments)).toEqual(SEQUENCE.map(() => true));
      expect(t.dataLayer.map((d) => d.args)).toEqual(t.gtag.map((c) => c.args));

      // ---- the parameters: exactly those of the taxonomy, call id first
      const events = gtagEvents(t);
      for (const { name: event, params } of events) {
        expect(Object.keys(params)[0]).toBe('call_id');
        expect(params.call_id).toBe(callId);
        const allowed: readonly string[] = ANALYTICS_EVENTS[event];
        expect(Object.keys(params).filter((k) => !allowed.includes(k))).toEqual([]);
      }
      const byName = Object.fromEntries(events.map((e) => [e.name, e.params]));
      const wholeMs = expect.any(Number);
      expect(byName).toEqual({
        call_invited: { call_id: callId, media: 'video' },
        call_accepted: { call_id: callId, media: 'video' },
        call_permission_granted: { call_id: callId, media: 'video', wait_ms: wholeMs },
        call_connected: { call_id: callId, media: 'video', setup_ms: wholeMs },
        call_mic_muted: { call_id: callId },
        call_mic_unmuted: { call_id: callId },
        call_camera_off: { call_id: callId },
        call_camera_on: { call_id: callId },
        call_ended: {
          call_id: callId,
          reason: 'normal',
          by: 'local',
          duration_s: expect.any(Number),
          media: 'video',
        },
      });
      for (const [event, key] of [
        ['call_permission_granted', 'wait_ms'],
        ['call_connected', 'setup_ms'],
        ['call_ended', 'duration_s'],
      ] as const) {
        const v = byName[event]?.[key] as number;
        expect({ event, key, whole: Number.isInteger(v), nonNegative: v >= 0 }).toEqual({
          event,
          key,
          whole: true,
          nonNegative: true,
        });
      }
      const durationS = byName.call_ended?.duration_s as number;
      expect(durationS).toBe(Math.floor(ended.durationMs / 1000));

      // ---- Matomo: ['trackEvent', 'call', event, name?, value?]; what was queued
      // in the array before matomo.js loaded runs first, in order, then the pushes.
      expect(t.paq.stillArray).toBe(false);
      expect(t.paq.loadedAt).not.toBeNull();
      expect(t.paq.log.map((e) => e.command)).toEqual(
        events.map((e) => matomoCommand(e.name, e.params)),
      );
      const queuedBeforeMatomo = t.gtag.filter((c) => c.t < (t.paq.loadedAt as number)).length;
      // The invitation came before matomo.js "loaded": the queue path is exercised.
      expect({ queuedBeforeMatomo: queuedBeforeMatomo > 0 }).toEqual({ queuedBeforeMatomo: true });
      expect(t.paq.log.map((e) => e.via)).toEqual(
        SEQUENCE.map((_, i) => (i < queuedBeforeMatomo ? 'queue' : 'push')),
      );

      // ---- Mapp pixel v5: ['send', 'click', { linkId, customClickParameter }] on wts
      expect(t.wts.isArray).toBe(true);
      expect(t.wts.queue).toEqual(
        events.map((e) => [
          'send',
          'click',
          { linkId: e.name, customClickParameter: mappParameters(e.params) },
        ]),
      );
      expect(t.wts.queue[t.wts.queue.length - 1]).toEqual([
        'send',
        'click',
        {
          linkId: 'call_ended',
          customClickParameter: { '1': 'normal', '2': 'video', '3': String(durationS) },
        },
      ]);

      // ---- Tealium: utag.link({ tealium_event, ...params }), one argument; the
      // events from before utag existed come first, in order.
      const utagAt = t.utag.definedAt as number;
      expect(t.utag.links.map((l) => l.argCount)).toEqual(SEQUENCE.map(() => 1));
      expect(t.utag.links.map((l) => l.data)).toEqual(
        events.map((e) => ({ tealium_event: e.name, ...e.params })),
      );
      // The invitation was tracked before utag existed, and reached it late.
      const waited = t.gtag.filter((c) => c.t < utagAt).length;
      expect({ waitedForUtag: waited > 0 }).toEqual({ waitedForUtag: true });
      for (const link of t.utag.links) expect(link.t).toBeGreaterThanOrEqual(utagAt);

      // ---- the report
      const report = t.report as CallReport;
      expect(report).toMatchObject({
        version: 1,
        callId,
        media: 'video',
        acceptedMedia: 'video',
        reason: 'normal',
        by: 'local',
        setupMs: byName.call_connected?.setup_ms,
        reconnections: { count: 0, ms: 0 },
      });
      expect(Math.floor(report.durationMs / 1000)).toBe(durationS);
      // Camera off and on is no change of device.
      expect(report.devices).toEqual({ microphone: 0, camera: 0, lost: 0 });
      // The samples the page saw before the end, and their local candidate types.
      const pageEvents = (await page.snapshot()).events;
      const samples = pageEvents
        .slice(
          0,
          pageEvents.findIndex((e) => e.type === 'ended'),
        )
        .filter((e) => e.type === 'quality')
        .map((e) => e.data as { candidateType?: string });
      expect(samples.length).toBeGreaterThan(0);
      expect(report.quality?.samples).toBe(samples.length);
      const types = [...new Set(samples.map((s) => s.candidateType).filter(Boolean))];
      expect(Array.isArray(report.candidates)).toBe(true);
      expect(report.candidates).toEqual(types);
      expect(report.candidates.filter((c) => !CANDIDATE_TYPES.includes(c))).toEqual([]);
      expect(Buffer.byteLength(JSON.stringify(report), 'utf8')).toBeLessThan(4_096);
      const major = Number(/(\d+)\./.exec(browser().version)?.[1]);
      expect(report.browser).toEqual({
        name: engine === 'chromium' ? 'chrome' : 'firefox',
        version: major,
        os: 'linux',
        mobile: false,
      });

      // ---- nothing of the network or the person in any payload. The browser's
      // version is allowed only as the report's browser.version, checked above.
      const scanned = JSON.parse(JSON.stringify(report)) as CallReport;
      if (scanned.browser) scanned.browser = { ...scanned.browser, version: null };
      expect(
        forbiddenIn({
          gtag: t.gtag.map((c) => c.args),
          dataLayer: t.dataLayer.map((d) => d.args),
          _paq: t.paq.log.map((e) => e.command),
          wts: t.wts.queue,
          utag: t.utag.links.map((l) => l.data),
          report: scanned,
        }),
      ).toEqual([]);

      const { errors } = await page.snapshot();
      expect(errors).toEqual([]);
      expect(page.pageErrors).toEqual([]);
    },
  );
});
