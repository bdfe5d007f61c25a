/**
 * The consumer's side of a call: {@link CallClient}, its options, events and
 * errors, and the protocol's types. Transports, quality monitoring and
 * diagnostics are entries of their own (`messaging-calls/transports`,
 * `/quality`, `/diagnostics`), so a page pays only for what it uses; the
 * script-tag bundle has them all under `MessagingCalls`.
 *
 * @module messaging-calls
 */
export { CallClient, DEFAULT_TIMEOUTS } from './call/CallClient';
export type { CallClientOptions, CallTimeouts, AcceptOptions, CallInfo } from './call/CallClient';
export { CallError } from './foundation/errors';
export type { CallErrorCode } from './foundation/errors';
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
export type { Clock } from './foundation/timers';
export type { CallExtension, CallExtensionContext } from './call/CallClient';
export type { Extension, ExtensionContext, ExtensionEvent } from './call/extension';
export type { VideoEncoding } from './peer/encoding';
export type { Logger, LogLevel } from './foundation/log';
export type {
  Platform,
  MediaDevicesLike,
  DocumentLike,
  MediaStreamConstructor,
  RTCPeerConnectionConstructor,
  StorageLike,
  WindowLike,
} from './env/platform';
export type { CryptoLike } from './protocol/commit';
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
export type { BrowserInfo, BrowserName, OsName, UserAgentDataLike } from './env/browser';
export type { Transport, TransportListener } from './transport/types';
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
  InvalidCode,
  Envelope,
  Role,
  IceCandidate,
  SessionDescription,
  ClientInfo,
  IceServer,
  Facing,
  InviteBody,
  CancelBody,
  AcceptBody,
  RejectBody,
  SdpBody,
  IceBody,
  MediaStateBody,
  HangupBody,
  SuspendBody,
  ResumeBody,
  ShareRequestBody,
  ShareReplyBody,
  ShareRefusal,
} from './protocol';
export type { QualitySample, VideoSize, CandidateType } from './quality/stats';
export type { BandwidthTier, BandwidthEvent } from './quality/bandwidth';
export type { DeviceInfo, DeviceList } from './media/devices';
export type { MediaElementLike } from './media/attach';
export { VERSION } from './version';
