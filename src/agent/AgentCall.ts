import { DEFAULT_TTL_MS, HANGUP_REASONS } from '../protocol/messages';
import type {
  ClientInfo,
  Feature,
  HangupReason,
  Message,
  MessageBody,
  MessageOf,
} from '../protocol/messages';
import { commitOf } from '../protocol/commit';
import { contains } from '../util/list';
import { newId, SeenIds } from '../protocol/ids';
import { resolvePlatform } from '../env/platform';
import type { PartialPlatform } from '../env/platform';
import { rtcConfiguration } from '../peer/ice';
import { verificationCode } from '../peer/verification';
import { LocalMedia } from '../media/LocalMedia';
import { mediaError } from '../media/errors';
import { CallError } from '../foundation/errors';
import { SafeEmitter } from '../foundation/emitter';
import { systemClock } from '../foundation/timers';
import { errorName, noopLogger } from '../foundation/log';
import type { Logger } from '../foundation/log';
import type { CallWarning, EndedBy, MediaState } from '../call/events';
import { AGENT_TRANSITIONS, DEFAULT_AGENT_TIMEOUTS } from './types';

export { DEFAULT_AGENT_TIMEOUTS };
export type {
  AgentCallEvents,
  AgentCallOptions,
  AgentCallState,
  AgentEndedEvent,
  AgentEndReason,
  AgentTimeouts,
} from './types';
import type {
  AgentCallEvents,
  AgentCallOptions,
  AgentCallState,
  AgentEndReason,
  AgentTimeouts,
} from './types';
import { StateMachine } from '../call/machine';
import { CallSession, envelopeSender } from '../call/session';
import { createPeer } from '../call/connection';
import { ConnectionSupervisor } from '../call/supervisor';
import type { SupervisorTimer } from '../call/supervisor';
import { readMessage } from '../call/inbox';

const IN_CALL: readonly AgentCallState[] = [
  'accepted',
  'connecting',
  'connected',
  'reconnecting',
  'suspended',
];

type Timer = SupervisorTimer | 'answer' | 'resume';

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
  /** The consumer instance holding the call (protocol 1.1), once one accepted. */
  holder: string | null = null;
  private readonly platform: PartialPlatform;
  private readonly timeouts: AgentTimeouts;
  private readonly log: Logger;
  private readonly machine: StateMachine<AgentCallState>;
  private readonly session: CallSession<Timer>;
  private supervisor: ConnectionSupervisor<Timer>;
  private readonly seen = new SeenIds();
  private readonly stopListening: () => void;
  private readonly send: (body: MessageBody, to?: string) => void;
  private readonly features: Feature[];
  private mediaReady: Promise<void> | null = null;
  /** The consumer's current resume commitment. */
  private commit: string | undefined;
  /** Messages of other instances wait while a resume is being verified. */
  private verifying: Message[] | null = null;
  private verifyingCount = 0;
  /** How the call ended, for a resume that comes too late. */
  private endedWith: { reason: HangupReason; detail?: string } | null = null;
  private certificate: RTCCertificate | undefined;

  constructor(private readonly options: AgentCallOptions) {
    super();
    this.callId = options.callId ?? newId();
    this.platform = resolvePlatform(options.platform);
    this.timeouts = { ...DEFAULT_AGENT_TIMEOUTS, ...options.timeouts };
    const clock = options.clock ?? systemClock;
    this.log = options.logger ?? noopLogger;
    this.machine = new StateMachine<AgentCallState>(
      AGENT_TRANSITIONS,
      'idle',
      this.log,
      (state, previous) => this.safeEmit('statechange', { state, previous }),
      (error) => this.onListenerError('statechange', error),
    );
    this.features = options.features ?? ['instances', 'resume', 'screen-share'];
    const send = envelopeSender(options.transport, 'agent', this.log, undefined, () => this.holder);
    this.send = (body, to) => send(this.callId, body, to);
    this.session = new CallSession(this.callId, clock, send);
    this.supervisor = this.supervise();
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
    return this.machine.state;
  }

  /** Follows one peer connection; the consumer, as offerer, restarts ICE and the agent waits. */
  private supervise(): ConnectionSupervisor<Timer> {
    return new ConnectionSupervisor(
      this.session,
      { connect: this.timeouts.connect, reconnect: this.timeouts.reconnect },
      {
        connected: () => {
          this.session.markConnected();
          this.machine.set('connected');
          this.sendMediaState();
        },
        reconnecting: () => this.machine.set('reconnecting'),
        failed: (reason, detail) => this.fail(reason, detail),
      },
    );
  }

  get localStream(): MediaStream | null {
    return this.session.media?.localStream ?? null;
  }

  /** Local tracks still open (0 after the call). */
  get liveTrackCount(): number {
    return this.session.media?.liveTracks().length ?? 0;
  }

  /** The six-digit verification code; the consumer computes the same one. */
  verificationCode(): Promise<string | null> {
    return verificationCode(this);
  }

  getStats(): Promise<RTCStatsReport | null> {
    return this.session.peer?.getStats() ?? Promise.resolve(null);
  }

  /**
   * Sends the invitation.
   *
   * @throws {CallError} `invalid-state` unless `idle`.
   */
  invite(): void {
    this.machine.require(['idle'], 'invite');
    const { media, agent, ttlMs, iceServers, policy } = this.options;
    const features = this.features;
    this.machine.set('inviting');
    // One certificate for every peer connection of the call: a resumed call
    // keeps its fingerprint, and the verification code with it.
    const Pc = this.platform.RTCPeerConnection as
      { generateCertificate?: (a: object) => Promise<RTCCertificate> } | undefined;
    if (contains(features, 'resume') && Pc?.generateCertificate) {
      Pc.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256' }).then(
        (certificate) => (this.certificate = certificate),
        () => undefined,
      );
    }
    this.session.send({
      type: 'invite',
      media,
      ...(agent ? { agent } : {}),
      ...(ttlMs !== undefined ? { ttlMs } : {}),
      ...(iceServers ? { iceServers } : {}),
      ...(policy ? { policy } : {}),
      ...(features.length ? { features } : {}),
    });
    this.session.timers.set('answer', (ttlMs ?? DEFAULT_TTL_MS) + this.timeouts.answerGrace, () =>
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
    this.machine.require(['inviting', 'accepted', 'connecting'], 'cancel');
    this.end('cancelled', 'local', reason, { type: 'cancel', ...(reason ? { reason } : {}) });
  }

  /**
   * Ends the call.
   *
   * @throws {CallError} `invalid-state` unless accepted and not ended.
   */
  hangup(reason: HangupReason = 'normal', detail?: string): void {
    this.machine.require(IN_CALL, 'hangup');
    this.end(reason, 'local', detail, { type: 'hangup', reason, ...(detail ? { detail } : {}) });
  }

  /** @throws {CallError} `invalid-state` unless accepted and not ended. */
  setAudioMuted(muted: boolean): void {
    this.machine.require(IN_CALL, 'setAudioMuted');
    this.local.audioMuted = muted;
    this.session.media?.setAudioMuted(muted);
    this.mediaStateChanged();
  }

  /** @throws {CallError} `invalid-state` on a voice call or outside a call. */
  setVideoEnabled(enabled: boolean): Promise<void> {
    this.machine.require(IN_CALL, 'setVideoEnabled');
    if (this.options.media !== 'video')
      throw new CallError('invalid-state', 'a voice call has no video');
    const session = this.session;
    return session.ops.run(async () => {
      await this.mediaReady;
      const media = session.media;
      if (session.closed || !media) return;
      const track = await media.setVideoEnabled(enabled);
      if (session.closed) return;
      await session.peer?.replaceTrack('video', track);
      this.local.videoEnabled = track !== null;
      this.mediaStateChanged();
    });
  }

  /**
   * Asks the consumer to share a screen, window or tab (protocol 1.1);
   * `reason` may be shown in their prompt. The answer comes as
   * `share-reply`; the shared screen arrives on the consumer's video.
   *
   * @throws {CallError} `invalid-state` unless connected or reconnecting, or
   *   when the invitation did not offer `screen-share`.
   */
  requestScreenShare(reason?: string): void {
    this.machine.require(['connected', 'reconnecting'], 'requestScreenShare');
    if (!contains(this.features, 'screen-share')) {
      throw new CallError('invalid-state', 'the invitation did not offer screen-share');
    }
    if (reason !== undefined && (typeof reason !== 'string' || reason.length > 200)) {
      throw new CallError('invalid-argument', 'reason must be a string of at most 200 characters');
    }
    this.session.send({ type: 'share-request', ...(reason ? { reason } : {}) });
  }

  /** Ends any call and stops listening. The transport stays open. */
  destroy(): void {
    if (this.state === 'inviting') {
      this.end('cancelled', 'local', 'agent destroyed', { type: 'cancel' });
    } else if (this.machine.is(IN_CALL)) {
      this.end('normal', 'local', 'agent destroyed', { type: 'hangup', reason: 'normal' });
    }
    this.stopListening();
    this.removeAllListeners();
  }

  // ---- incoming -----------------------------------------------------------

  private receive(data: unknown): void {
    if (this.refusedByRelay(data)) return;
    const m = readMessage(data, 'consumer', (code, text) => this.warn(code, text));
    if (!m || m.callId !== this.callId || this.state === 'idle') return;
    if (!this.seen.add(m.id)) return;
    this.safeEmit('message', m);
    this.handle(m);
  }

  private handle(m: Message): void {
    const instances = contains(this.features, 'instances') || contains(this.features, 'resume');
    // A resume is answered even after the end: the next page must learn how the call ended.
    if (m.type === 'resume') return void this.onResume(m);
    if (!this.isActive()) return; // ended (also by a monitoring listener)
    if (instances && this.holder !== null && m.instance !== this.holder) {
      // Another tab: it waits while a resume is verified; a second accept is told it lost.
      if (this.verifying) this.verifying.push(m);
      else if (m.type === 'accept' && m.instance) {
        this.send({ type: 'cancel', reason: 'answered-elsewhere' }, m.instance);
      }
      return;
    }
    switch (m.type) {
      case 'accept':
        if (this.state !== 'inviting') return this.unexpected(m);
        if (instances && m.instance) this.holder = m.instance;
        if (contains(this.features, 'resume')) this.commit = m.resume?.commit;
        this.onAccept(m);
        return;
      case 'reject':
        // Every other tab stops ringing.
        if (instances) this.session.send({ type: 'cancel', reason: 'declined' });
        this.end(m.reason, 'remote', m.detail);
        return;
      case 'hangup':
        // A tab that hung up before its accept went out: the others stop ringing.
        if (instances && this.state === 'inviting') {
          this.session.send({ type: 'cancel', reason: 'declined' });
        }
        this.end(m.reason, 'remote', m.detail);
        return;
      case 'share-reply':
        this.safeEmit('share-reply', {
          accepted: m.accepted,
          ...(m.reason ? { reason: m.reason } : {}),
        });
        return;
      case 'suspend':
        if (!this.machine.is(IN_CALL) || this.state === 'suspended') return this.unexpected(m);
        this.onSuspend();
        return;
      case 'media-state':
        this.remoteMediaState = {
          audioMuted: m.audioMuted,
          videoEnabled: m.videoEnabled,
          ...(m.camera ? { camera: m.camera } : {}),
          ...(m.screen !== undefined ? { screen: m.screen } : {}),
        };
        this.safeEmit('remotemediastate', { ...this.remoteMediaState });
        return;
      case 'sdp':
        if (!this.machine.is(IN_CALL) || !this.session.peer) return this.unexpected(m);
        if (this.state === 'accepted') this.machine.set('connecting');
        void this.session.peer?.handleDescription(m.description);
        return;
      case 'ice':
        if (this.session.peer) void this.session.peer.handleCandidate(m.candidate);
        else this.unexpected(m);
        return;
    }
  }

  /**
   * The signaling relay's own frame `{"relay":"refused","reason":"not-permitted","id":…}`:
   * it did not forward the invitation (this agent may not start calls of its
   * media). The invitation ends `not-permitted`; nothing is sent.
   */
  private refusedByRelay(data: unknown): boolean {
    let value = data;
    if (typeof value === 'string') {
      if (!/"relay"\s*:/.test(value)) return false;
      try {
        value = JSON.parse(value);
      } catch {
        return false;
      }
    }
    const frame = value as { relay?: unknown; reason?: unknown; v?: unknown } | null;
    if (typeof frame !== 'object' || frame === null || frame.relay !== 'refused') return false;
    if (frame.v !== undefined) return false; // a protocol message is never the relay's
    if (this.state === 'inviting') {
      const reason = typeof frame.reason === 'string' ? frame.reason.slice(0, 100) : 'refused';
      this.end('not-permitted', 'system', `the signaling relay refused the invitation: ${reason}`);
    }
    return true;
  }

  /** The consumer leaves its page: the call and the agent's media wait for its next page. */
  private onSuspend(): void {
    const session = this.session;
    this.machine.set('suspended');
    session.peer?.close();
    session.peer = null;
    for (const timer of ['connect', 'reconnect', 'iceRestart'] as const)
      session.timers.clear(timer);
    session.timers.set('resume', this.timeouts.resume, () =>
      this.fail('timeout', 'the consumer did not come back from another page'),
    );
  }

  /**
   * A new page of the consumer takes the call back: its secret must be the
   * one committed to last. Verified, it holds the call and connects anew;
   * otherwise it alone is told, and the call is not touched.
   */
  private async onResume(m: MessageOf<'resume'>): Promise<void> {
    const crypto = this.platform.crypto;
    const to = m.instance;
    if (!contains(this.features, 'resume') || !crypto?.subtle || !to) return this.unexpected(m);
    const waiting: Message[] = this.verifying ?? [];
    this.verifying = waiting;
    this.verifyingCount++;
    let valid = false;
    try {
      valid = (await commitOf(crypto, m.secret)) === this.commit && this.commit !== undefined;
    } catch {
      // an engine without SHA-256: refused below
    }
    // Messages of other instances wait until every resume under way is decided.
    const last = --this.verifyingCount === 0;
    if (last) this.verifying = null;
    const ended = this.endedWith;
    if (!valid || ended || !this.isActive() || this.state === 'inviting') {
      const reason = valid && ended ? ended.reason : 'error';
      const detail = valid && ended ? ended.detail : 'resume refused';
      this.send({ type: 'hangup', reason, ...(detail ? { detail } : {}) }, to);
    } else {
      this.commit = m.commit;
      this.holder = to;
      this.client = m.client;
      const session = this.session;
      session.peer?.close();
      session.timers.clear('resume');
      session.timers.clear('reconnect');
      session.timers.clear('iceRestart');
      this.supervisor = this.supervise();
      this.openPeer();
      if (this.state !== 'connecting') this.machine.set('connecting');
      if (session.closed) return;
      this.supervisor.start();
      this.safeEmit('resumed', { instance: to });
    }
    if (last) for (const message of waiting.splice(0)) this.handle(message);
  }

  private onAccept(m: Extract<Message, { type: 'accept' }>): void {
    const session = this.session;
    this.client = m.client;
    session.timers.clear('answer');
    if (!this.openPeer()) return;
    this.machine.set('accepted');
    if (session.closed) return; // a listener of the state hung up
    // The holder learns at once that the call is its own; other tabs, that it is taken.
    if (this.holder) this.sendMediaState();
    this.supervisor.start();
    this.safeEmit('accepted', { media: m.media, client: { ...m.client } });
    if (session.closed) return; // a listener of `accepted` hung up
    this.mediaReady = session.ops.run(() => this.startMedia());
  }

  /** A peer connection for the consumer's offer; false when none can be made (the call ended). */
  private openPeer(): boolean {
    const configuration = rtcConfiguration(
      this.options.iceServers,
      Boolean(this.options.policy?.forceRelay),
    );
    if (this.certificate) configuration.certificates = [this.certificate];
    // The peer exists from now on, so candidates sent with the offer wait in it.
    const peer = createPeer(this.session, this.platform, {
      configuration,
      polite: true,
      onRemoteStream: (stream) => this.safeEmit('remotestream', stream),
      onState: (state) => this.supervisor.onPeerState(state),
      onFailure: (detail, error) => {
        this.log('error', 'negotiation failed', { error: errorName(error) });
        this.fail('error', detail);
      },
      onWarning: (code, message, cause) => this.warn(code, message, cause),
      beforeAnswer: (pc) => this.attachMedia(pc),
    });
    try {
      peer.open();
      return true;
    } catch (error) {
      const unsupported = (error as CallError | null)?.code === 'unsupported';
      this.fail(
        unsupported ? 'unsupported' : 'error',
        unsupported
          ? 'no RTCPeerConnection on the agent side'
          : 'the connection could not be set up',
      );
      return false;
    }
  }

  private async startMedia(): Promise<void> {
    const session = this.session;
    if (session.closed) return;
    // Held by the session before the prompt, so an end during it stops what arrives.
    const media = new LocalMedia(this.platform.mediaDevices);
    session.media = media;
    try {
      const { cameraError } = await media.start(this.options.media, !this.local.videoEnabled);
      if (cameraError) this.warn('camera-unavailable', cameraError.message, cameraError);
    } catch (error) {
      const e = mediaError(error);
      if (!session.closed) {
        this.fail(e.code === 'permission-denied' ? 'permission-denied' : 'no-device', e.message);
      }
      return;
    }
    if (session.closed) return;
    this.local.videoEnabled = media.video !== null;
    if (media.localStream) this.safeEmit('localstream', media.localStream);
  }

  /** Sends the agent's tracks on the transceivers the consumer's offer created. */
  private async attachMedia(pc: RTCPeerConnection): Promise<void> {
    await this.mediaReady;
    const media = this.session.media;
    if (!media || this.session.closed) return;
    for (const transceiver of pc.getTransceivers()) {
      const kind = transceiver.receiver.track?.kind;
      const track = kind === 'audio' ? media.audio : kind === 'video' ? media.video : null;
      // sendrecv even without a track, so the camera can come on later by replaceTrack.
      transceiver.direction = 'sendrecv';
      if (track) await transceiver.sender.replaceTrack(track);
    }
  }

  private mediaStateChanged(): void {
    if (this.machine.is(['connected', 'reconnecting'])) this.sendMediaState();
  }

  private sendMediaState(): void {
    const { audioMuted, videoEnabled } = this.local;
    this.session.send({ type: 'media-state', audioMuted, videoEnabled });
  }

  // ---- ending ---------------------------------------------------------------

  private fail(reason: HangupReason, detail: string): void {
    this.end(reason, 'system', detail, { type: 'hangup', reason, detail });
  }

  /** The one way the call ends: the last message, the session closed, then `ended`. */
  private end(reason: AgentEndReason, by: EndedBy, detail?: string, notify?: MessageBody): void {
    if (!this.isActive() || !this.session.close(notify)) return;
    this.endedWith = {
      reason: contains(HANGUP_REASONS, reason) ? (reason as HangupReason) : 'normal',
      ...(detail ? { detail } : {}),
    };
    this.machine.set('ended');
    this.safeEmit('ended', {
      callId: this.callId,
      reason,
      by,
      durationMs: this.session.durationMs(),
      ...(detail ? { detail } : {}),
    });
  }

  private isActive(): boolean {
    return this.state !== 'idle' && this.state !== 'ended';
  }

  private unexpected(m: Message): void {
    this.warn('unexpected-message', `ignored ${m.type} in state ${this.state}`);
  }

  private warn(code: CallWarning['code'], message: string, cause?: unknown): void {
    this.safeEmit('warning', { code, message, ...(cause !== undefined ? { cause } : {}) });
  }
}
