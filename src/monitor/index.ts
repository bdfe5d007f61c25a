// messaging-calls/quality: the `quality` and `bandwidth` events, and the
// summaries of getStats they are built from.
export { qualityMonitor } from './qualityMonitor';
export type { QualityMonitorOptions } from './qualityMonitor';
export { summarizeStats, qualityLevel } from '../quality/stats';
export type { QualitySample, VideoSize, CandidateType, StatsEntry } from '../quality/stats';
export { DEFAULT_BANDWIDTH_POLICY } from '../quality/bandwidth';
export type { BandwidthPolicy, BandwidthTier, BandwidthEvent } from '../quality/bandwidth';
