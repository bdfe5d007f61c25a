import { DEFAULT_TTL_MS } from '../protocol/messages';
import type { AgentInfo, CallMedia, CallPolicy } from '../protocol/messages';
import type { Transport } from '../transport/types';
import type { BrowserPolicy } from '../env/support';
import type { Platform } from '../env/platform';
import type { Clock } from '../foundation/timers';
import type { Logger } from '../foundation/log';
import type { MediaState } from './events';

/** Timer lengths in milliseconds; defaults from the protocol. */
export interface CallTimeouts {
  /** An invitation without `ttlMs` expires after this long. */
  invite: number;
  /** How long the camera/microphone prompt may stay unanswered. */
  permission: number;
  /** How long after the offer the call must connect. */
  connect: number;
  /** How long ICE may stay `disconnected` before the SDK restarts it. */
  disconnectGrace: number;
  /** How long a call may stay `reconnecting` before it ends with `network`. */
  reconnect: number;
  /** How often an ICE restart is tried again while reconnecting. */
  restartRetry: number;
}

/** The timer lengths a client uses where its `timeouts` option says nothing. */
export const DEFAULT_TIMEOUTS: CallTimeouts = {
  invite: DEFAULT_TTL_MS,
  permission: 60_000,
  connect: 30_000,
  disconnectGrace: 2_000,
  reconnect: 30_000,
  restartRetry: 5_000,
};

/** The client's options but its extensions (`CallClientOptions`). */
export interface ClientSettings {
  /** How signaling messages reach the agent. */
  transport: Transport;
  /** RTCPeerConnection, mediaDevices and MediaStream; defaults to the browser's. */
  platform?: Partial<Platform>;
  /** STUN/TURN servers; an invitation's own `iceServers` take precedence. */
  iceServers?: RTCIceServer[];
  /** Relay all media through TURN (as does an invitation's `policy.forceRelay`). */
  forceRelay?: boolean;
  /** Start every video call with the consumer's camera off. */
  consumerVideoOff?: boolean;
  /** Which invitations may be taken; others are rejected `disabled`. Default both. */
  allowedMedia?: readonly CallMedia[];
  /** Refuse calls when the SDK runs inside an iframe (default true). */
  requireTopFrame?: boolean;
  /**
   * Which browsers may take calls (default `DEFAULT_BROWSER_POLICY`: recent
   * Chrome, Edge and Safari, Firefox from the ESR).
   */
  browsers?: BrowserPolicy | 'any';
  /**
   * Cap of the video sender, kbit/s (default 2,500: with audio, the 2,600 a
   * video call wants). Under it the browser trades resolution and frame
   * rate as bandwidth shrinks; `qualityMonitor` adds tiers below.
   */
  videoMaxKbps?: number;
  /**
   * Calls that survive a page navigation (protocol 1.1 resume), on by
   * default where the invitation allows it: `false` turns it off;
   * `storageKey` names the session-storage record (default
   * `messaging-calls`), so two setups on one site do not collide.
   */
  resume?: boolean | { storageKey?: string };
  /** Timer lengths, ms; those not given keep {@link DEFAULT_TIMEOUTS}. */
  timeouts?: Partial<CallTimeouts>;
  /** The time source of the client's timers (a test's fake clock); the real one by default. */
  clock?: Clock;
  /**
   * Where the client's log goes (`consoleLogger()` from
   * `messaging-calls/diagnostics`, or your own); nowhere by default.
   */
  logger?: Logger;
}

/** Options of `CallClient.accept()`. */
export interface AcceptOptions {
  /** Accept a video invitation as voice: the camera is not opened. */
  media?: CallMedia;
}

/** What the client knows of the current (or last) call: plain data, serializable. */
export interface CallInfo {
  callId: string;
  /** The media of the invitation. */
  media: CallMedia;
  /** What the consumer accepted to send, once accepted. */
  acceptedMedia?: CallMedia;
  agent: AgentInfo;
  policy: CallPolicy;
  invitedAt: number;
  expiresAt: number;
  connectedAt?: number;
  local: MediaState;
  remote: MediaState | null;
}
