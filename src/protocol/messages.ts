/**
 * Signaling protocol v1: the messages the consumer SDK and the agent side
 * exchange. docs/PROTOCOL.md is the contract; these types mirror it.
 */

export const PROTOCOL_VERSION = 1;
/** Largest serialized message, in UTF-8 bytes. */
export const MAX_MESSAGE_BYTES = 65_536;
/** Longest `detail` text of `reject` and `hangup`. */
export const MAX_DETAIL_LENGTH = 500;
/** Longest agent display name in `invite`. */
export const MAX_AGENT_NAME_LENGTH = 100;
export const MIN_TTL_MS = 1_000;
export const MAX_TTL_MS = 600_000;
export const DEFAULT_TTL_MS = 60_000;

export type Role = 'agent' | 'consumer';
export type CallMedia = 'voice' | 'video';
export type Facing = 'user' | 'environment';

export const REJECT_REASONS = ['declined', 'busy', 'unsupported', 'disabled', 'expired'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export const HANGUP_REASONS = [
  'normal',
  'permission-denied',
  'no-device',
  'network',
  'timeout',
  'unsupported',
  'error',
] as const;
export type HangupReason = (typeof HANGUP_REASONS)[number];

export const MESSAGE_TYPES = [
  'invite',
  'cancel',
  'accept',
  'reject',
  'sdp',
  'ice',
  'media-state',
  'hangup',
] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** Fields every message carries. */
export interface Envelope {
  v: typeof PROTOCOL_VERSION;
  /** Unique per sender: 1–64 chars of [A-Za-z0-9_-]. */
  id: string;
  /** Chosen by the agent in `invite`. */
  callId: string;
  from: Role;
}

export interface AgentInfo {
  name?: string;
  /** An https URL. */
  avatarUrl?: string;
}

export interface CallPolicy {
  forceRelay?: boolean;
  consumerVideoOff?: boolean;
  agentVideoOff?: boolean;
}

/** The subset of RTCIceServer the protocol carries. */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export interface IceCandidate {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

export interface SessionDescription {
  type: 'offer' | 'answer';
  sdp: string;
}

export interface ClientInfo {
  sdk: string;
  browser?: string;
  browserVersion?: string;
  os?: string;
  mobile?: boolean;
}

export interface InviteBody {
  type: 'invite';
  media: CallMedia;
  agent?: AgentInfo;
  ttlMs?: number;
  iceServers?: IceServer[];
  policy?: CallPolicy;
}
export interface CancelBody {
  type: 'cancel';
  reason?: string;
}
export interface AcceptBody {
  type: 'accept';
  media: CallMedia;
  client: ClientInfo;
}
export interface RejectBody {
  type: 'reject';
  reason: RejectReason;
  detail?: string;
}
export interface SdpBody {
  type: 'sdp';
  description: SessionDescription;
}
export interface IceBody {
  type: 'ice';
  /** `null` marks the end of candidates. */
  candidate: IceCandidate | null;
}
export interface MediaStateBody {
  type: 'media-state';
  audioMuted: boolean;
  videoEnabled: boolean;
  camera?: Facing;
}
export interface HangupBody {
  type: 'hangup';
  reason: HangupReason;
  detail?: string;
}

/** A message without its envelope: what a sender decides. */
export type MessageBody =
  | InviteBody
  | CancelBody
  | AcceptBody
  | RejectBody
  | SdpBody
  | IceBody
  | MediaStateBody
  | HangupBody;

/** A complete protocol message. */
export type Message = MessageBody & Envelope;

export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>;

/** Which role may send each type. `either` types may come from both. */
export const SENDER_OF: ReadonlyMap<MessageType, Role | 'either'> = new Map<
  MessageType,
  Role | 'either'
>([
  ['invite', 'agent'],
  ['cancel', 'agent'],
  ['accept', 'consumer'],
  ['reject', 'consumer'],
  ['sdp', 'either'],
  ['ice', 'either'],
  ['media-state', 'either'],
  ['hangup', 'either'],
]);
