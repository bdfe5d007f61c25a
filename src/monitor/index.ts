/**
 * The `quality` and `bandwidth` events ({@link qualityMonitor}, an extension
 * of the client), and the summaries of getStats they are built from.
 *
 * @module messaging-calls/quality
 */
export { qualityMonitor } from './qualityMonitor';
export type { QualityMonitorOptions } from './qualityMonitor';
export { summarizeStats, qualityLevel } from '../quality/stats';
export type { QualitySample, VideoSize, CandidateType, StatsEntry } from '../quality/stats';
export { DEFAULT_BANDWIDTH_POLICY } from '../quality/bandwidth';
export type { BandwidthPolicy, BandwidthTier, BandwidthEvent } from '../quality/bandwidth';
