export { CallClient, DEFAULT_TIMEOUTS } from './call/CallClient';
export type { CallClientOptions, CallTimeouts, AcceptOptions, CallInfo } from './call/CallClient';
export { CallError } from './call/errors';
export type { CallErrorCode } from './call/errors';
export { CALL_STATES, TRANSITIONS } from './call/states';
export type { CallState } from './call/states';
export type {
  CallEvents,
  CallWarning,
  EndReason,
  EndedBy,
  EndedEvent,
  InvitationEvent,
  MediaState,
  WarningCode,
} from './call/events';
export type { Clock } from './call/timers';
export { consoleLogger } from './call/log';
export type { Logger, LogLevel } from './call/log';
export type { Platform, MediaDevicesLike } from './env/platform';
export { DEFAULT_BROWSER_POLICY } from './env/support';
export type {
  BrowserPolicy,
  Environment,
  SupportOptions,
  SupportReason,
  SupportReasonCode,
  SupportReport,
} from './env/support';
export { parseUserAgent } from './env/browser';
export type { PreflightReport, ServerCheck, PermissionStateLike } from './env/preflight';
export type { BrowserInfo, BrowserName, OsName } from './env/browser';
export type { Transport, TransportListener } from './transport/types';
export { createMemoryTransportPair } from './transport/memory';
export { WebSocketTransport } from './transport/websocket';
export type { WebSocketTransportOptions, WebSocketConstructor } from './transport/websocket';
export { MessagingTransport } from './transport/messaging';
export type { MessagingTransportOptions } from './transport/messaging';
export { PostMessageTransport } from './transport/postmessage';
export type {
  PostMessageTransportOptions,
  PostTarget,
  MessageSource,
} from './transport/postmessage';
export { parseMessage, PROTOCOL_VERSION } from './protocol';
export type {
  Message,
  MessageBody,
  MessageType,
  CallMedia,
  AgentInfo,
  CallPolicy,
  HangupReason,
  RejectReason,
  ParseResult,
} from './protocol';
export { summarizeStats, qualityLevel } from './quality/stats';
export type { QualitySample, VideoSize, CandidateType, StatsEntry } from './quality/stats';
export { DEFAULT_BANDWIDTH_POLICY } from './quality/bandwidth';
export type { BandwidthPolicy, BandwidthTier, BandwidthEvent } from './quality/bandwidth';
export type { DeviceInfo, DeviceList } from './media/devices';
export type { MediaElementLike } from './media/attach';
export { verificationCode } from './peer/verification';
export { VERSION } from './version';
