/**
 * Calls tracked in the brand's own analytics (GA4, GTM, Matomo, Mapp, Tealium
 * or its own adapter) by the {@link analytics} extension, and a report of
 * every call.
 *
 * @module messaging-calls/analytics
 */
export { analytics } from './analytics';
export type { AnalyticsOptions } from './analytics';
export { ANALYTICS_EVENTS } from './taxonomy';
export type { AnalyticsEventName, AnalyticsParams } from './taxonomy';
export type {
  AdapterName,
  AnalyticsAdapter,
  AnalyticsAdapterOption,
  AnalyticsWindow,
  MappParameterIds,
} from './adapters';
export { REPORT_VERSION } from './report';
export type { CallReport, QualitySummary, Stat } from './report';
