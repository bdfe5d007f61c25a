// messaging-calls/ui: the default call UI and the transcript's system
// messages, built on the client's public API and events. The core never
// imports it.
export { mountCallUI } from './mount';
export type { CallUI, CallUIOptions } from './mount';
export { callTranscript } from './transcript';
export type { SystemMessage, TranscriptOptions } from './transcript';
export { EN as UI_TEXTS } from './texts';
export type { TextKey, Texts } from './texts';
