import { DEFAULT_TTL_MS } from '../protocol/messages';
import type {
  AgentInfo,
  CallMedia,
  CallPolicy,
  ClientInfo,
  HangupReason,
  IceCandidate,
  IceServer,
  Message,
  MessageBody,
  RejectReason,
} from '../protocol/messages';
import { parseMessage } from '../protocol/validate';
import { newId, SeenIds } from '../protocol/ids';
import { envelope } from '../protocol/envelope';
import type { Transport } from '../transport/types';
import { resolvePlatform } from '../env/platform';
import type { PartialPlatform, Platform } from '../env/platform';
import { PeerSession } from '../peer/PeerSession';
import type { PeerConnectionState } from '../peer/PeerSession';
import { rtcConfiguration } from '../peer/ice';
import { SerialQueue } from '../foundation/queue';
import { verificationCode } from '../peer/verification';
import { LocalMedia } from '../media/LocalMedia';
import { mediaError } from '../media/errors';
import { CallError } from '../foundation/errors';
import { SafeEmitter } from '../foundation/emitter';
import type { CallWarning, EndedBy, MediaState } from '../call/events';
import { systemClock, Timers } from '../foundation/timers';
import type { Clock } from '../foundation/timers';
import { errorName, noopLogger } from '../foundation/log';
import type { Logger } from '../foundation/log';

export type AgentCallState =
  'idle' | 'inviting' | 'accepted' | 'connecting' | 'connected' | 'reconnecting' | 'ended';

const TRANSITIONS: ReadonlyMap<AgentCallState, readonly AgentCallState[]> = new Map<
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

const IN_CALL: readonly AgentCallState[] = ['accepted', 'connecting', 'connected', 'reconnecting'];

/**
 * The agent's side of one call, as PROTOCOL.md describes it: invites, waits
 * for the consumer's offer, answers it (the polite peer), sends its own
 * microphone and camera. Used by tests, the demo and bots; runs in a browser
 * or in Node with wrtc.
 *
 * @example
 * const agent = new AgentCall({ transport, media: 'video', platform });
 * agent.on('remotestream', (stream) => (video.srcObject = stream));
 * agent.invite();
 */
export class AgentCall extends SafeEmitter<AgentCallEvents> {
  readonly callId: string;
  /** What the consumer told of itself when accepting. */
  client: ClientInfo | null = null;
  /** The consumer's latest media state. */
  remoteMediaState: MediaState | null = null;
  /** The agent's own media state. */
  readonly local: MediaState;
  private currentState: AgentCallState = 'idle';
  private readonly platform: PartialPlatform;
  private readonly timeouts: AgentTimeouts;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly timers: Timers<'answer' | 'connect' | 'reconnect'>;
  private readonly seen = new SeenIds();
  private readonly ops = new SerialQueue();
  private readonly stopListening: () => void;
  private media: LocalMedia | null = null;
  private mediaReady: Promise<void> | null = null;
  private peer: PeerSession | null = null;
  private early: (IceCandidate | null)[] = [];
  private connectedAt: number | undefined;

  constructor(private readonly options: AgentCallOptions) {
    super();
    this.callId = options.callId ?? newId();
    this.platform = resolvePlatform(options.platform);
    this.timeouts = { ...DEFAULT_AGENT_TIMEOUTS, ...options.timeouts };
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? noopLogger;
    this.timers = new Timers(this.clock);
    this.local = {
      audioMuted: false,
      videoEnabled: options.media === 'video' && !options.policy?.agentVideoOff,
    };
    this.stopListening = options.transport.listen({
      message: (data) => this.receive(data),
      close: () => this.end('network', 'system', 'the signaling connection closed'),
    });
  }

  get state(): AgentCallState {
    return this.currentState;
  }

  get localStream(): MediaStream | null {
    return this.media?.localStream ?? null;
  }

  /** Local tracks still open (0 after the call). */
  get liveTrackCount(): number {
    return this.media?.liveTracks().length ?? 0;
  }

  /** The six-digit verification code; the consumer computes the same one. */
  verificationCode(): Promise<string | null> {
    return verificationCode(this);
  }

  getStats(): Promise<RTCStatsReport | null> {
    return this.peer?.getStats() ?? Promise.resolve(null);
  }

  /**
   * Sends the invitation.
   *
   * @throws {CallError} `invalid-state` unless `idle`.
   */
  invite(): void {
    this.require(['idle'], 'invite');
    const { media, agent, ttlMs, iceServers, policy } = this.options;
    this.setState('inviting');
    this.send({
      type: 'invite',
      media,
      ...(agent ? { agent } : {}),
      ...(ttlMs !== undefined ? { ttlMs } : {}),
      ...(iceServers ? { iceServers } : {}),
      ...(policy ? { policy } : {}),
    });
    this.timers.set('answer', (ttlMs ?? DEFAULT_TTL_MS) + this.timeouts.answerGrace, () =>
      this.end('expired', 'system', 'the consumer did not answer', {
        type: 'cancel',
        reason: 'expired',
      }),
    );
  }

  /**
   * Withdraws the invitation before the call connects.
   *
   * @throws {CallError} `invalid-state` once connected or ended.
   */
  cancel(reason?: string): void {
    this.require(['inviting', 'accepted', 'connecting'], 'cancel');
    this.end('cancelled', 'local', reason, { type: 'cancel', ...(reason ? { reason } : {}) });
  }

  /**
   * Ends the call.
   *
   * @throws {CallError} `invalid-state` unless accepted and not ended.
   */
  hangup(reason: HangupReason = 'normal', detail?: string): void {
    this.require(IN_CALL, 'hangup');
    this.end(reason, 'local', detail, { type: 'hangup', reason, ...(detail ? { detail } : {}) });
  }

  /** @throws {CallError} `invalid-state` unless accepted and not ended. */
  setAudioMuted(muted: boolean): void {
    this.require(IN_CALL, 'setAudioMuted');
    this.local.audioMuted = muted;
    this.media?.setAudioMuted(muted);
    this.mediaStateChanged();
  }

  /** @throws {CallError} `invalid-state` on a voice call or outside a call. */
  setVideoEnabled(enabled: boolean): Promise<void> {
    this.require(IN_CALL, 'setVideoEnabled');
    if (this.options.media !== 'video')
      throw new CallError('invalid-state', 'a voice call has no video');
    return this.ops.run(async () => {
      await this.mediaReady;
      if (!this.isActive() || !this.media) return;
      const track = await this.media.setVideoEnabled(enabled);
      if (!this.isActive()) return;
      await this.peer?.replaceTrack('video', track);
      this.local.videoEnabled = track !== null;
      this.mediaStateChanged();
    });
  }

  /** Ends any call and stops listening. The transport stays open. */
  destroy(): void {
    if (this.currentState === 'inviting') {
      this.end('cancelled', 'local', 'agent destroyed', { type: 'cancel' });
    } else if (IN_CALL.includes(this.currentState)) {
      this.end('normal', 'local', 'agent destroyed', { type: 'hangup', reason: 'normal' });
    }
    this.stopListening();
    this.removeAllListeners();
  }

  // ---- incoming -----------------------------------------------------------

  private receive(data: unknown): void {
    const parsed = parseMessage(data);
    if (!parsed.ok) {
      this.warn('invalid-message', `signaling message dropped: ${parsed.reason}`);
      return;
    }
    const m = parsed.message;
    if (m.callId !== this.callId || m.from !== 'consumer' || !this.isActive()) return;
    if (!this.seen.add(m.id)) return;
    this.safeEmit('message', m);
    switch (m.type) {
      case 'accept':
        if (this.currentState !== 'inviting') return this.unexpected(m.type);
        this.client = m.client;
        this.timers.clear('answer');
        this.setState('accepted');
        this.timers.set('connect', this.timeouts.connect, () =>
          this.fail('timeout', 'the call did not connect in time'),
        );
        this.safeEmit('accepted', { media: m.media, client: { ...m.client } });
        this.mediaReady = this.ops.run(() => this.startMedia());
        return;
      case 'reject':
        this.end(m.reason, 'remote', m.detail);
        return;
      case 'hangup':
        this.end(m.reason, 'remote', m.detail);
        return;
      case 'media-state':
        this.remoteMediaState = {
          audioMuted: m.audioMuted,
          videoEnabled: m.videoEnabled,
          ...(m.camera ? { camera: m.camera } : {}),
        };
        this.safeEmit('remotemediastate', { ...this.remoteMediaState });
        return;
      case 'sdp':
        if (!IN_CALL.includes(this.currentState)) return this.unexpected(m.type);
        if (this.currentState === 'accepted') this.setState('connecting');
        void this.ensurePeer()?.handleDescription(m.description);
        return;
      case 'ice':
        if (this.peer) void this.peer.handleCandidate(m.candidate);
        else this.early.push(m.candidate);
        return;
    }
  }

  private async startMedia(): Promise<void> {
    const media = new LocalMedia(this.platform.mediaDevices);
    this.media = media;
    try {
      const { cameraError } = await media.start(this.options.media, !this.local.videoEnabled);
      if (cameraError) this.warn('camera-unavailable', cameraError.message, cameraError);
    } catch (error) {
      const e = mediaError(error);
      if (this.isActive()) {
        this.fail(e.code === 'permission-denied' ? 'permission-denied' : 'no-device', e.message);
      }
      return;
    }
    if (!this.isActive()) return;
    this.local.videoEnabled = media.video !== null;
    if (media.localStream) this.safeEmit('localstream', media.localStream);
  }

  private ensurePeer(): PeerSession | null {
    if (this.peer) return this.peer;
    const { RTCPeerConnection } = this.platform;
    if (!RTCPeerConnection) {
      this.fail('unsupported', 'no RTCPeerConnection on the agent side');
      return null;
    }
    const peer = new PeerSession({
      RTCPeerConnection,
      MediaStream: this.platform.MediaStream,
      configuration: rtcConfiguration(
        this.options.iceServers,
        Boolean(this.options.policy?.forceRelay),
      ),
      polite: true,
      signal: (m) =>
        this.send(
          'description' in m
            ? { type: 'sdp', description: m.description }
            : { type: 'ice', candidate: m.candidate },
        ),
      onRemoteStream: (stream) => this.safeEmit('remotestream', stream),
      onConnectionState: (state) => this.onPeerState(state),
      onError: () => this.fail('error', 'the connection could not be negotiated'),
      onWarning: (code, message, cause) =>
        this.warn(code, message, cause === undefined ? undefined : { name: errorName(cause) }),
      beforeAnswer: (pc) => this.attachMedia(pc),
    });
    this.peer = peer;
    for (const candidate of this.early.splice(0)) void peer.handleCandidate(candidate);
    return peer;
  }

  /** Sends the agent's tracks on the transceivers the consumer's offer created. */
  private async attachMedia(pc: RTCPeerConnection): Promise<void> {
    await this.mediaReady;
    const media = this.media;
    if (!media || !this.isActive()) return;
    for (const transceiver of pc.getTransceivers()) {
      const kind = transceiver.receiver.track?.kind;
      const track = kind === 'audio' ? media.audio : kind === 'video' ? media.video : null;
      // sendrecv even without a track, so the camera can come on later by replaceTrack.
      transceiver.direction = 'sendrecv';
      if (track) await transceiver.sender.replaceTrack(track);
    }
  }

  private onPeerState(state: PeerConnectionState): void {
    if (!this.isActive()) return;
    if (state === 'connected') {
      this.timers.clear('connect');
      this.timers.clear('reconnect');
      if (this.currentState === 'connecting') this.connectedAt = this.clock.now();
      if (this.currentState === 'connecting' || this.currentState === 'reconnecting') {
        this.setState('connected');
        this.sendMediaState();
      }
    } else if (
      (state === 'disconnected' || state === 'failed') &&
      this.currentState === 'connected'
    ) {
      // The consumer, as offerer, restarts ICE; the agent waits for it.
      this.setState('reconnecting');
      this.timers.set('reconnect', this.timeouts.reconnect, () =>
        this.fail('network', 'the connection was lost and could not be restored'),
      );
    } else if (state === 'closed') {
      this.fail('error', 'the peer connection closed');
    }
  }

  private mediaStateChanged(): void {
    if (this.currentState === 'connected' || this.currentState === 'reconnecting')
      this.sendMediaState();
  }

  private sendMediaState(): void {
    const { audioMuted, videoEnabled } = this.local;
    this.send({ type: 'media-state', audioMuted, videoEnabled });
  }

  // ---- ending ---------------------------------------------------------------

  private fail(reason: HangupReason, detail: string): void {
    this.end(reason, 'system', detail, { type: 'hangup', reason, detail });
  }

  private end(reason: AgentEndReason, by: EndedBy, detail?: string, notify?: MessageBody): void {
    if (!this.isActive()) return;
    if (notify) this.send(notify);
    this.timers.clearAll();
    this.peer?.close();
    this.media?.stop();
    this.peer = null;
    this.early = [];
    const durationMs = this.connectedAt === undefined ? 0 : this.clock.now() - this.connectedAt;
    this.setState('ended');
    this.safeEmit('ended', {
      callId: this.callId,
      reason,
      by,
      durationMs,
      ...(detail ? { detail } : {}),
    });
  }

  // ---- plumbing -------------------------------------------------------------

  private isActive(): boolean {
    return this.currentState !== 'idle' && this.currentState !== 'ended';
  }

  private setState(next: AgentCallState): void {
    const previous = this.currentState;
    if (!TRANSITIONS.get(previous)?.includes(next)) {
      this.log('error', `illegal transition ${previous} -> ${next}`);
      return;
    }
    this.currentState = next;
    this.safeEmit('statechange', { state: next, previous });
  }

  private require(states: readonly AgentCallState[], method: string): void {
    if (!states.includes(this.currentState)) {
      throw new CallError(
        'invalid-state',
        `${method}() is not allowed in state ${this.currentState}`,
      );
    }
  }

  private send(body: MessageBody): void {
    try {
      this.options.transport.send(envelope(body, this.callId, 'agent'));
    } catch (error) {
      this.log('error', `transport.send threw for ${body.type}`, { error: errorName(error) });
    }
  }

  private unexpected(type: string): void {
    this.warn('unexpected-message', `ignored ${type} in state ${this.currentState}`);
  }

  private warn(code: CallWarning['code'], message: string, cause?: unknown): void {
    this.safeEmit('warning', { code, message, ...(cause !== undefined ? { cause } : {}) });
  }
}
