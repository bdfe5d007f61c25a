/**
 * The call report: one per call, at its end, handed to `onReport` and, when
 * `reportUrl` is set, sent with `navigator.sendBeacon` (else
 * `fetch(…, { keepalive: true })`) as JSON text (`text/plain`, so a
 * cross-origin collector needs no preflight).
 *
 * Schema, version 1 (fields are never renamed within a version; a reader
 * ignores fields it does not know):
 *
 * ```
 * {
 *   version: 1,
 *   sdk: "0.1.0",                      SDK version
 *   callId: "c-42",                    the call's id (1–64 of [A-Za-z0-9_-])
 *   media: "video",                    what the agent invited to
 *   acceptedMedia?: "voice",           what the consumer accepted, if they did
 *   states: { invited: 0,              ms from the invitation at which each
 *     accepted: 2100,                  state was first entered (states the
 *     "media-permission": 2101,        call never reached are absent)
 *     connecting: 3400, connected: 3900, reconnecting: 61000, ended: 95000 },
 *   setupMs: 1800 | null,              acceptance → connected; null if never connected
 *   durationMs: 91100,                 time connected (0 if never)
 *   reason: "normal",                  an EndReason
 *   by: "local" | "remote" | "system", who ended it
 *   reconnections: { count: 1, ms: 4200 },  how often, and time spent reconnecting
 *   shareMs: 42000,                    time the consumer's screen was shared
 *   resumes: 2,                        how often the call went on from another page
 *                                      (the report, too, follows the call across pages)
 *   devices: { microphone: 0, camera: 1, lost: 0 },  microphones and cameras changed
 *                                      mid-call (switch, select, failover); devices unplugged
 *   quality: {                         null without quality samples (qualityMonitor())
 *     samples: 90,
 *     level: { avg, min, max },        0–5; every metric is { avg, min, max }, avg to 0.1,
 *     rttMs, lossPct, jitterMs,        absent when no sample had it
 *     sendKbps, receiveKbps,
 *     sendHeight, receiveHeight, receiveFps   video size (px) and frame rate
 *   } | null,
 *   candidates: ["host", "relay"],     local candidate types used (host, srflx, prflx, relay)
 *   browser: { name: "chrome", version: 156, os: "linux", mobile: false } | null
 * }
 * ```
 *
 * At most 4 KB serialized: were it longer, `quality`, then `states`, then
 * `devices` are dropped. Nothing personal (no agent name, no hangup
 * detail), no SDP, candidate, address or credential: only the fields above.
 */
import type { CallMedia } from '../protocol/messages';
import type { CandidateType, QualitySample } from '../quality/stats';
import type { BrowserInfo } from '../env/browser';
import type { CallState } from '../call/states';
import type { EndReason, EndedBy } from '../call/events';

export const REPORT_VERSION = 1;
/** Largest serialized report, in bytes (the text is ASCII). */
export const MAX_REPORT_BYTES = 4_096;

/** One metric over the call's samples. */
export interface Stat {
  avg: number;
  min: number;
  max: number;
}

export interface QualitySummary {
  samples: number;
  level?: Stat;
  rttMs?: Stat;
  lossPct?: Stat;
  jitterMs?: Stat;
  sendKbps?: Stat;
  receiveKbps?: Stat;
  sendHeight?: Stat;
  receiveHeight?: Stat;
  receiveFps?: Stat;
}

export interface CallReport {
  version: typeof REPORT_VERSION;
  sdk: string;
  callId: string;
  media: CallMedia;
  acceptedMedia?: CallMedia;
  states?: Partial<Record<CallState, number>>;
  setupMs: number | null;
  durationMs: number;
  reason: EndReason;
  by: EndedBy;
  reconnections: { count: number; ms: number };
  resumes: number;
  shareMs: number;
  devices?: { microphone: number; camera: number; lost: number };
  quality?: QualitySummary | null;
  candidates: CandidateType[];
  browser: Pick<BrowserInfo, 'name' | 'version' | 'os' | 'mobile'> | null;
}

type Metric = Exclude<keyof QualitySummary, 'samples'>;

/** What the report summarizes of one sample. */
const metrics = (s: QualitySample): Record<Metric, number | null | undefined> => ({
  level: s.level,
  rttMs: s.rttMs,
  lossPct: s.packetLoss * 100,
  jitterMs: s.jitterMs,
  sendKbps: s.sendKbps,
  receiveKbps: s.receiveKbps,
  sendHeight: s.sendVideo?.height,
  receiveHeight: s.receiveVideo?.height,
  receiveFps: s.receiveVideo?.fps,
});

/** Running sums of one call's quality samples: metric → [count, sum, min, max]. */
export interface QualityTotals {
  samples: number;
  stats: Partial<Record<Metric, [number, number, number, number]>>;
}

export function addSample(totals: QualityTotals, sample: QualitySample): void {
  totals.samples++;
  const m = metrics(sample);
  let name: Metric;
  for (name in m) {
    const v = m[name];
    if (typeof v !== 'number') continue;
    const t = (totals.stats[name] ??= [0, 0, v, v]);
    t[0]++;
    t[1] += v;
    if (v < t[2]) t[2] = v;
    if (v > t[3]) t[3] = v;
  }
}

const tenth = (v: number) => Math.round(v * 10) / 10;

export function summary({ samples, stats }: QualityTotals): QualitySummary | null {
  if (!samples) return null;
  const out: QualitySummary = { samples };
  let name: Metric;
  for (name in stats) {
    const [n, sum, min, max] = stats[name] as [number, number, number, number];
    out[name] = { avg: tenth(sum / n), min: tenth(min), max: tenth(max) };
  }
  return out;
}

/** The report as text, at most MAX_REPORT_BYTES: detail fields go first. */
export function serialize(report: CallReport): string {
  let text = JSON.stringify(report);
  for (const field of ['quality', 'states', 'devices'] as const) {
    if (text.length <= MAX_REPORT_BYTES) break;
    delete report[field];
    text = JSON.stringify(report);
  }
  return text;
}
