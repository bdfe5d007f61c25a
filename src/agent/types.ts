import type {
  AgentInfo,
  CallMedia,
  CallPolicy,
  ClientInfo,
  HangupReason,
  IceServer,
  Message,
  RejectReason,
} from '../protocol/messages';
import type { Transport } from '../transport/types';
import type { Platform } from '../env/platform';
import type { Clock } from '../foundation/timers';
import type { Logger } from '../foundation/log';
import type { CallWarning, EndedBy, MediaState } from '../call/events';

export type AgentCallState =
  'idle' | 'inviting' | 'accepted' | 'connecting' | 'connected' | 'reconnecting' | 'ended';

export const AGENT_TRANSITIONS: ReadonlyMap<AgentCallState, readonly AgentCallState[]> = new Map<
  AgentCallState,
  readonly AgentCallState[]
>([
  ['idle', ['inviting']],
  ['inviting', ['accepted', 'ended']],
  ['accepted', ['connecting', 'ended']],
  ['connecting', ['connected', 'ended']],
  ['connected', ['reconnecting', 'ended']],
  ['reconnecting', ['connected', 'ended']],
  ['ended', []],
]);

/** Why the agent's call ended. */
export type AgentEndReason = HangupReason | RejectReason | 'cancelled';

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
}

export const DEFAULT_AGENT_TIMEOUTS: AgentTimeouts = {
  answerGrace: 5_000,
  connect: 90_000,
  reconnect: 35_000,
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
  timeouts?: Partial<AgentTimeouts>;
  clock?: Clock;
  logger?: Logger;
}
