// messaging-calls/quality: the `quality` and `bandwidth` events, and the
// summaries of getStats they are built from.
export { qualityMonitor } from './monitor';
export type { QualityMonitorOptions } from './monitor';
export { summarizeStats, qualityLevel } from './stats';
export type { QualitySample, VideoSize, CandidateType, StatsEntry } from './stats';
export { DEFAULT_BANDWIDTH_POLICY } from './bandwidth';
export type { BandwidthPolicy, BandwidthTier, BandwidthEvent } from './bandwidth';
