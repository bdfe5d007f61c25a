/**
 * Signaling protocol v1 (and the additions of 1.1): the messages the consumer SDK and the agent side
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

/** Which side of the call sent a message. */
export type Role = 'agent' | 'consumer';
export type CallMedia = 'voice' | 'video';
export type Facing = 'user' | 'environment';

export const REJECT_REASONS = ['declined', 'busy', 'unsupported', 'disabled', 'expired'] as const;
/**
 * Why the consumer's side answered an invitation with `reject`.
 *
 * @useDeclaredType
 */
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
/**
 * Why a side ended a call that was accepted (`hangup`).
 *
 * @useDeclaredType
 */
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
  'suspend',
  'resume',
  'share-request',
  'share-reply',
] as const;
/**
 * The `type` of a protocol message.
 *
 * @useDeclaredType
 */
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** Fields every message carries. */
export interface Envelope {
  v: typeof PROTOCOL_VERSION;
  /** Unique per sender: 1–64 chars of [A-Za-z0-9_-]. */
  id: string;
  /** Chosen by the agent in `invite`. */
  callId: string;
  from: Role;
  /** 1.1: the consumer's instance (one page load), on every consumer message. */
  instance?: string;
  /** 1.1: the instance an agent message is addressed to. */
  to?: string;
}

/** The 1.1 features an agent can name in `invite`. */
export const FEATURES = ['instances', 'resume', 'screen-share'] as const;
/**
 * A protocol 1.1 feature an agent names in `invite`.
 *
 * @useDeclaredType
 */
export type Feature = (typeof FEATURES)[number];

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
  /** 1.1: what this agent supports for this call. */
  features?: Feature[];
}
export interface CancelBody {
  type: 'cancel';
  reason?: string;
}
export interface AcceptBody {
  type: 'accept';
  media: CallMedia;
  client: ClientInfo;
  /** 1.1: the commitment of the secret that resumes this call. */
  resume?: { commit: string };
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
  /** 1.1: the consumer's video sender carries a shared screen. */
  screen?: boolean;
}
export interface HangupBody {
  type: 'hangup';
  reason: HangupReason;
  detail?: string;
}

export interface SuspendBody {
  type: 'suspend';
}
/** The consumer, on a new page, takes the call back: reveals the secret, commits to the next. */
export interface ResumeBody {
  type: 'resume';
  secret: string;
  commit: string;
  media: CallMedia;
  client: ClientInfo;
}

/** Longest `reason` of a share request. */
export const MAX_SHARE_REASON_LENGTH = 200;
export const SHARE_REFUSALS = ['declined', 'unsupported', 'permission-denied'] as const;
/**
 * Why the consumer does not share its screen (`share-reply`).
 *
 * @useDeclaredType
 */
export type ShareRefusal = (typeof SHARE_REFUSALS)[number];

/** The agent asks the consumer to share a screen, window or tab. */
export interface ShareRequestBody {
  type: 'share-request';
  reason?: string;
}
/** The consumer's answer to the last share request. */
export interface ShareReplyBody {
  type: 'share-reply';
  accepted: boolean;
  reason?: ShareRefusal;
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
  | HangupBody
  | SuspendBody
  | ResumeBody
  | ShareRequestBody
  | ShareReplyBody;

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
  ['suspend', 'consumer'],
  ['resume', 'consumer'],
  ['share-request', 'agent'],
  ['share-reply', 'consumer'],
]);
