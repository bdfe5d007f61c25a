import type {
  AgentInfo,
  CallMedia,
  CallPolicy,
  ClientInfo,
  Feature,
  HangupReason,
  IceServer,
  Message,
  RejectReason,
  ShareRefusal,
} from '../protocol/messages';
import type { Transport } from '../transport/types';
import type { Platform } from '../env/platform';
import type { Clock } from '../foundation/timers';
import type { Logger } from '../foundation/log';
import type { CallWarning, EndedBy, MediaState } from '../call/events';

export type AgentCallState =
  | 'idle'
  | 'inviting'
  | 'accepted'
  | 'connecting'
  | 'connected'
  | 'reconnecting'
  /** The consumer is changing pages; its next page resumes the call (protocol 1.1). */
  | 'suspended'
  | 'ended';

export const AGENT_TRANSITIONS: ReadonlyMap<AgentCallState, readonly AgentCallState[]> = new Map<
  AgentCallState,
  readonly AgentCallState[]
>([
  ['idle', ['inviting']],
  ['inviting', ['accepted', 'ended']],
  // A resume (a new page of the consumer) connects anew from any state of the call.
  ['accepted', ['connecting', 'suspended', 'ended']],
  ['connecting', ['connected', 'suspended', 'ended']],
  ['connected', ['reconnecting', 'connecting', 'suspended', 'ended']],
  ['reconnecting', ['connected', 'connecting', 'suspended', 'ended']],
  ['suspended', ['connecting', 'ended']],
  ['ended', []],
]);

/**
 * Why the agent's call ended: the protocol's reasons, `cancelled`, and
 * `not-permitted` when the signaling relay refused to forward the
 * invitation (the agent may not start calls of that media).
 */
export type AgentEndReason = HangupReason | RejectReason | 'cancelled' | 'not-permitted';

export interface AgentEndedEvent {
  callId: string;
  reason: AgentEndReason;
  by: EndedBy;
  durationMs: number;
  detail?: string;
}

export interface AgentCallEvents {
  statechange: [{ state: AgentCallState; previous: AgentCallState }];
  /** The consumer accepted; `media` is what it will send. */
  accepted: [{ media: CallMedia; client: ClientInfo }];
  localstream: [MediaStream];
  remotestream: [MediaStream];
  remotemediastate: [MediaState];
  /** The consumer's answer to `requestScreenShare()`. */
  'share-reply': [{ accepted: boolean; reason?: ShareRefusal }];
  /** The consumer's next page took the call back (`instance` holds it now). */
  resumed: [{ instance: string }];
  ended: [AgentEndedEvent];
  warning: [CallWarning];
  /** Every valid message received for this call, after duplicate removal (for monitoring). */
  message: [Message];
}

export interface AgentTimeouts {
  /** Extra time, past the invitation's ttl, to wait for the consumer's answer. */
  answerGrace: number;
  /** From accept to connected (covers the consumer's permission prompt). */
  connect: number;
  /** How long a call may stay `reconnecting` (the consumer restarts ICE). */
  reconnect: number;
  /** How long a `suspended` call waits for the consumer's next page. */
  resume: number;
}

export const DEFAULT_AGENT_TIMEOUTS: AgentTimeouts = {
  answerGrace: 5_000,
  connect: 90_000,
  reconnect: 35_000,
  resume: 30_000,
};

export interface AgentCallOptions {
  transport: Transport;
  media: CallMedia;
  platform?: Partial<Platform>;
  /** Defaults to a fresh nanoid. */
  callId?: string;
  agent?: AgentInfo;
  ttlMs?: number;
  /** Sent to the consumer in the invitation and used by the agent too. */
  iceServers?: IceServer[];
  policy?: CallPolicy;
  /**
   * The protocol 1.1 features offered in the invitation (default
   * `['instances', 'resume', 'screen-share']`); `[]` speaks protocol 1.0.
   */
  features?: Feature[];
  timeouts?: Partial<AgentTimeouts>;
  clock?: Clock;
  logger?: Logger;
}
