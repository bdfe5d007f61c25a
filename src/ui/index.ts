/**
 * The default call UI ({@link mountCallUI}) and the transcript's system
 * messages ({@link callTranscript}), built on the client's public API and
 * events. The core never imports it.
 *
 * @module messaging-calls/ui
 */
export { mountCallUI } from './mount';
export type { CallUI, CallUIOptions } from './mount';
export { callTranscript } from './transcript';
export type { SystemMessage, TranscriptOptions } from './transcript';
export { EN as UI_TEXTS } from './texts';
export type { TextKey, Texts } from './texts';
