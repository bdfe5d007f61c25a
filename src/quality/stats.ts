/**
 * From WebRTC statistics to a call-quality summary. Pure functions over plain
 * stats objects (the entries of an RTCStatsReport), so they are tested on
 * reports recorded in Chromium and wrtc.
 */

/** One entry of an RTCStatsReport, as a plain object. */
export type StatsEntry = { id: string; type: string; timestamp: number } & Record<string, unknown>;

export type CandidateType = 'host' | 'srflx' | 'prflx' | 'relay';

export interface QualitySample {
  /** 5 excellent … 1 bad; 0 when no media arrived in the last interval. */
  level: 0 | 1 | 2 | 3 | 4 | 5;
  /** Round-trip time of the selected candidate pair, ms. */
  rttMs: number | null;
  /** Share of packets lost in the interval, 0–1 (the worse of the two directions). */
  packetLoss: number;
  /** Audio jitter of what is received, ms. */
  jitterMs: number | null;
  /** kbit/s over the interval. */
  sendKbps: number;
  receiveKbps: number;
  /** The congestion controller's estimate of what can be sent, kbit/s. */
  availableSendKbps: number | null;
  /** What the local camera sends, and what arrives from the other side. */
  sendVideo: VideoSize | null;
  receiveVideo: VideoSize | null;
  /** The local candidate type of the pair in use: host, srflx, prflx or relay. */
  candidateType: CandidateType | null;
  /** What limits the video encoder now, where the browser tells. */
  videoLimitation: 'bandwidth' | 'cpu' | 'other' | 'none' | null;
}

export interface VideoSize {
  width: number;
  height: number;
  fps: number;
}

const num = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;

/** Entries of a report as a list (a Map-like RTCStatsReport or an array). */
export function statsEntries(report: {
  forEach(fn: (value: unknown) => void): void;
}): StatsEntry[] {
  const out: StatsEntry[] = [];
  report.forEach((value) => {
    out[out.length] = value as StatsEntry;
  });
  return out;
}

function byType(entries: readonly StatsEntry[], type: string): StatsEntry[] {
  const out: StatsEntry[] = [];
  for (const e of entries) if (e.type === type) out[out.length] = e;
  return out;
}

function byId(entries: readonly StatsEntry[], id: unknown): StatsEntry | undefined {
  for (const e of entries) if (e.id === id) return e;
  return undefined;
}

/**
 * The candidate pair in use: the one the transport names, else the
 * nominated succeeded pair that carried the most bytes (wrtc and older
 * Firefox name none).
 */
export function selectedPair(entries: readonly StatsEntry[]): StatsEntry | undefined {
  for (const t of byType(entries, 'transport')) {
    const pair = byId(entries, t.selectedCandidatePairId);
    if (pair) return pair;
  }
  let best: StatsEntry | undefined;
  for (const p of byType(entries, 'candidate-pair')) {
    const usable = p.state === 'succeeded' && (p.nominated === true || p.selected === true);
    if (usable && (!best || (num(p.bytesSent) ?? 0) > (num(best.bytesSent) ?? 0))) best = p;
  }
  return best;
}

function sum(entries: readonly StatsEntry[], type: string, field: string): number {
  let total = 0;
  for (const e of byType(entries, type)) total += num(e[field]) ?? 0;
  return total;
}

function video(entries: readonly StatsEntry[], type: string): VideoSize | null {
  for (const e of byType(entries, type)) {
    if (e.kind !== 'video') continue;
    const width = num(e.frameWidth);
    const height = num(e.frameHeight);
    if (width && height) return { width, height, fps: num(e.framesPerSecond) ?? 0 };
  }
  return null;
}

function inboundLoss(prev: readonly StatsEntry[], curr: readonly StatsEntry[]): number {
  const lost = sum(curr, 'inbound-rtp', 'packetsLost') - sum(prev, 'inbound-rtp', 'packetsLost');
  const received =
    sum(curr, 'inbound-rtp', 'packetsReceived') - sum(prev, 'inbound-rtp', 'packetsReceived');
  const total = lost + received;
  return total > 0 && lost > 0 ? lost / total : 0;
}

/**
 * Loss of what this side sends, as the other side reports it (RTCP): over
 * the interval from the counters, else (first sample) the last report's
 * fraction. The fraction alone repeats between reports and overstates.
 */
function outboundLoss(prev: readonly StatsEntry[] | null, curr: readonly StatsEntry[]): number {
  if (prev) {
    const lost =
      sum(curr, 'remote-inbound-rtp', 'packetsLost') -
      sum(prev, 'remote-inbound-rtp', 'packetsLost');
    const sent =
      sum(curr, 'outbound-rtp', 'packetsSent') - sum(prev, 'outbound-rtp', 'packetsSent');
    return sent > 0 && lost > 0 ? Math.min(1, lost / sent) : 0;
  }
  let worst = 0;
  for (const e of byType(curr, 'remote-inbound-rtp'))
    worst = Math.max(worst, num(e.fractionLost) ?? 0);
  return worst;
}

function limitation(entries: readonly StatsEntry[]): QualitySample['videoLimitation'] {
  for (const e of byType(entries, 'outbound-rtp')) {
    const reason = e.qualityLimitationReason;
    if (e.kind === 'video' && typeof reason === 'string') {
      return reason === 'bandwidth' || reason === 'cpu' || reason === 'none' ? reason : 'other';
    }
  }
  return null;
}

/** The 0–5 level: thresholds of what people notice in a call. */
export function qualityLevel(
  rttMs: number | null,
  packetLoss: number,
  jitterMs: number | null,
  receiving: boolean,
): QualitySample['level'] {
  if (!receiving) return 0;
  const rtt = rttMs ?? 0;
  const jitter = jitterMs ?? 0;
  if (packetLoss < 0.01 && rtt < 150 && jitter < 30) return 5;
  if (packetLoss < 0.03 && rtt < 300 && jitter < 50) return 4;
  if (packetLoss < 0.05 && rtt < 500 && jitter < 100) return 3;
  if (packetLoss < 0.1 && rtt < 1000) return 2;
  return 1;
}

/**
 * Summarizes one interval between two stats reports (`prev` null: the first
 * report, rates are 0).
 */
export function summarizeStats(
  prev: readonly StatsEntry[] | null,
  curr: readonly StatsEntry[],
): QualitySample {
  const before = prev ?? [];
  const pair = selectedPair(curr);
  const pairBefore = prev ? selectedPair(before) : undefined;
  const seconds =
    pair && pairBefore && pair.timestamp > pairBefore.timestamp
      ? (pair.timestamp - pairBefore.timestamp) / 1000
      : 0;
  const rate = (type: string, field: string) =>
    seconds > 0 ? ((sum(curr, type, field) - sum(before, type, field)) * 8) / 1000 / seconds : 0;

  let rttSeconds = num(pair?.currentRoundTripTime);
  if (rttSeconds === null || rttSeconds === 0) {
    // No (or a zero) ICE measurement: the RTCP round trip of the media.
    let rtcp: number | null = null;
    for (const e of byType(curr, 'remote-inbound-rtp')) rtcp ??= num(e.roundTripTime);
    rttSeconds = rtcp ?? rttSeconds;
  }
  let jitterSeconds: number | null = null;
  for (const e of byType(curr, 'inbound-rtp'))
    if (e.kind === 'audio') jitterSeconds = num(e.jitter);
  const local = pair ? byId(curr, pair.localCandidateId) : undefined;
  const type = local?.candidateType;
  const packetLoss = Math.max(prev ? inboundLoss(before, curr) : 0, outboundLoss(prev, curr));
  const received =
    sum(curr, 'inbound-rtp', 'packetsReceived') - sum(before, 'inbound-rtp', 'packetsReceived');
  const rttMs = rttSeconds === null ? null : Math.round(rttSeconds * 1000);
  const jitterMs = jitterSeconds === null ? null : Math.round(jitterSeconds * 1000);
  const available = num(pair?.availableOutgoingBitrate);
  return {
    level: qualityLevel(rttMs, packetLoss, jitterMs, !prev || received > 0),
    rttMs,
    packetLoss,
    jitterMs,
    sendKbps: Math.round(rate('outbound-rtp', 'bytesSent')),
    receiveKbps: Math.round(rate('inbound-rtp', 'bytesReceived')),
    availableSendKbps: available === null ? null : Math.round(available / 1000),
    sendVideo: video(curr, 'outbound-rtp'),
    receiveVideo: video(curr, 'inbound-rtp'),
    candidateType:
      type === 'host' || type === 'srflx' || type === 'prflx' || type === 'relay' ? type : null,
    videoLimitation: limitation(curr),
  };
}
