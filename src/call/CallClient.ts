import { DEFAULT_TTL_MS } from '../protocol/messages';
import type {
  AgentInfo,
  CallMedia,
  CallPolicy,
  HangupReason,
  IceCandidate,
  Message,
  MessageBody,
} from '../protocol/messages';
import { parseMessage } from '../protocol/validate';
import { SeenIds } from '../protocol/ids';
import { envelope } from '../protocol/envelope';
import type { Transport } from '../transport/types';
import { resolvePlatform } from '../env/platform';
import { supportOf } from '../env/support';
import type { BrowserPolicy, SupportOptions, SupportReport } from '../env/support';
import type { PartialPlatform, Platform } from '../env/platform';
import { PeerSession } from '../peer/PeerSession';
import type { PeerConnectionState } from '../peer/PeerSession';
import { rtcConfiguration, serverHasScheme } from '../peer/ice';
import { SerialQueue } from '../foundation/queue';
import { LocalMedia } from '../media/LocalMedia';
import type { TrackKind } from '../media/LocalMedia';
import { deviceList, enumerateDevices } from '../media/devices';
import type { DeviceList } from '../media/devices';
import { playStream } from '../media/attach';
import type { MediaElementLike } from '../media/attach';
import { mediaError } from '../media/errors';
import { VERSION } from '../version';
import { CallError } from '../foundation/errors';
import { SafeEmitter } from '../foundation/emitter';
import type { CallEvents, EndReason, EndedBy, MediaState, WarningCode } from './events';
import type { CallExtension, CallExtensionContext } from './extension';
import type { VideoEncoding } from '../peer/encoding';
import { canTransition, isAccepted, isActive } from './states';
import type { CallState } from './states';
import { systemClock, Timers } from '../foundation/timers';
import type { Clock } from '../foundation/timers';
import { errorName, noopLogger } from '../foundation/log';
import type { Logger } from '../foundation/log';
import { contains, copy, drain, indexWhere } from '../util/list';
import { listenTo } from '../util/events';
import { capEncoding } from '../peer/encoding';

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

export const DEFAULT_TIMEOUTS: CallTimeouts = {
  invite: DEFAULT_TTL_MS,
  permission: 60_000,
  connect: 30_000,
  disconnectGrace: 2_000,
  reconnect: 30_000,
  restartRetry: 5_000,
};

export interface CallClientOptions {
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
  /** Which browsers may take calls (default: the two latest of Chrome, Edge, Firefox, Safari). */
  browsers?: BrowserPolicy | 'any';
  /**
   * Cap of the video sender, kbit/s (default 2,500: with audio, the 2,600 a
   * video call wants). Under it the browser trades resolution and frame
   * rate as bandwidth shrinks; `qualityMonitor` adds tiers below.
   */
  videoMaxKbps?: number;
  /** Features built on the client: `qualityMonitor()`, and the application's own. */
  extensions?: readonly CallExtension[];
  timeouts?: Partial<CallTimeouts>;
  clock?: Clock;
  logger?: Logger;
}

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

type TimerName = 'invite' | 'permission' | 'connect' | 'iceRestart' | 'reconnect';

/** Everything one call holds; released as a whole when it ends. */
interface Call {
  info: CallInfo;
  iceServers?: RTCIceServer[];
  seen: SeenIds;
  timers: Timers<TimerName>;
  ops: SerialQueue;
  media: LocalMedia | null;
  peer: PeerSession | null;
  /** Candidates that arrived before the peer connection existed. */
  early: (IceCandidate | null)[];
  /** The camera state last asked for; queued toggles apply the latest. */
  wantVideo: boolean;
  /** Stop following devicechange and the page's visibility. */
  unwatch: (() => void)[];
  /** Video is not sent for lack of bandwidth (automatic audio-only). */
  videoPaused: boolean;
  /** The engine refused an encoding change (logged once). */
  encodingRefused: boolean;
  /** autoplay-blocked was warned for this call. */
  autoplayWarned: boolean;
}

const IN_CALL: readonly CallState[] = [
  'accepted',
  'media-permission',
  'connecting',
  'connected',
  'reconnecting',
];

/**
 * The consumer's side of a call: receives the agent's invitation, accepts or
 * rejects it, opens the camera and microphone, and runs the WebRTC session.
 * One call at a time; a new invitation after the end starts the next.
 *
 * Methods called in a state that does not allow them throw a `CallError`
 * with code `invalid-state` synchronously; everything that goes wrong during
 * a call ends it with a reason (`ended`) instead of throwing.
 *
 * @example
 * const client = new CallClient({ transport: new WebSocketTransport(url) });
 * client.on('invitation', () => client.accept());
 * client.on('remotestream', (stream) => (video.srcObject = stream));
 * client.on('ended', ({ reason }) => console.log('call ended:', reason));
 */
export class CallClient extends SafeEmitter<CallEvents> {
  private currentState: CallState = 'idle';
  private call: Call | null = null;
  private destroyed = false;
  private readonly platform: PartialPlatform;
  private readonly timeouts: CallTimeouts;
  private readonly videoMaxKbps: number;
  /** What the extensions run at destroy(). */
  private readonly teardowns: (() => void)[] = [];
  /** The extensions' state listeners: not on the public emitter, which the page may clear. */
  private readonly stateHooks: ((state: CallState, previous: CallState) => void)[] = [];
  private readonly clock: Clock;
  private readonly log: Logger;
  private stopListening: () => void = () => undefined;
  /** Ids of invitations answered `busy`, so a repeated one is answered once. */
  private readonly busyInvites = new SeenIds(256);
  /** callIds of calls that ended: a call id is never reused. */
  private readonly finishedCalls = new SeenIds(256);
  /** The last device list seen (for canSwitchCamera). */
  private devices: MediaDeviceInfo[] = [];
  private readonly remoteElements = new Set<MediaElementLike>();
  private speakerId: string | undefined;
  private remoteStream: MediaStream | null = null;

  constructor(private readonly options: CallClientOptions) {
    super();
    if (!options?.transport)
      throw new CallError('invalid-argument', 'options.transport is required');
    this.platform = resolvePlatform(options.platform);
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    const cap = options.videoMaxKbps ?? 2_500;
    if (typeof cap !== 'number' || !(cap > 0) || !Number.isFinite(cap)) {
      throw new CallError('invalid-argument', 'options.videoMaxKbps must be a positive number');
    }
    this.videoMaxKbps = cap;
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? noopLogger;
    const context: CallExtensionContext = {
      client: this,
      clock: this.clock,
      log: this.log,
      videoMaxKbps: this.videoMaxKbps,
      emit: (event, ...args) => {
        // Only the events extensions own: never a forged state or ending.
        if (event === 'quality' || event === 'bandwidth' || event === 'warning') {
          this.safeEmit(event, ...args);
        }
      },
      onStateChange: (hook) => {
        this.stateHooks.push(hook);
      },
      setVideoEncoding: (encoding) => this.encode(encoding),
      setVideoPaused: (paused) => this.pauseVideo(paused),
    };
    // Extensions first: one that throws leaves nothing behind (no transport
    // listener, the others' teardowns run) and the error reaches the caller.
    try {
      for (const extension of options.extensions ?? []) {
        if (typeof extension !== 'function') {
          throw new CallError('invalid-argument', 'options.extensions must hold functions');
        }
        const teardown = extension(context);
        if (typeof teardown === 'function') this.teardowns.push(teardown);
      }
      this.stopListening = options.transport.listen({
        message: (data) => this.receive(data),
        close: (reason) => this.onTransportClosed(reason),
        warning: (message) => this.warn('transport', message),
      });
      // An extension may have destroyed the client already.
      if (this.destroyed) this.stopListening();
    } catch (error) {
      this.tearDown();
      throw error;
    }
  }

  /** Runs the extensions' teardowns, each on its own: one that throws is logged. */
  private tearDown(): void {
    for (const teardown of drain(this.teardowns)) {
      try {
        teardown();
      } catch (error) {
        this.log('error', 'an extension teardown threw', { error: errorName(error) });
      }
    }
  }

  /** The current state. */
  get state(): CallState {
    return this.currentState;
  }

  /** The current or last call, as plain data; null before the first invitation. */
  get callInfo(): Readonly<CallInfo> | null {
    return this.call ? structuredCloneInfo(this.call.info) : null;
  }

  /** The local stream while a call has media. */
  get localStream(): MediaStream | null {
    return this.call?.media?.localStream ?? null;
  }

  /** Local tracks still open (0 after every call; for leak checks). */
  get liveTrackCount(): number {
    return this.call?.media?.liveTracks().length ?? 0;
  }

  /** WebRTC statistics of the current call, or null without a peer connection. */
  getStats(): Promise<RTCStatsReport | null> {
    return this.call?.peer?.getStats() ?? Promise.resolve(null);
  }

  /**
   * Accepts the invitation. `accept` is sent at once, then the browser asks
   * for the microphone (and camera, for video); the call then connects.
   * Resolves when the offer is sent or the call has ended; failures end the
   * call with a reason rather than rejecting.
   *
   * @throws {CallError} `invalid-state` unless `invited`; `invalid-argument`
   *   for video on a voice invitation.
   */
  accept(options: AcceptOptions = {}): Promise<void> {
    const call = this.require(['invited'], 'accept');
    const media = options.media ?? call.info.media;
    if (media !== 'voice' && media !== 'video') {
      throw new CallError('invalid-argument', 'media must be "voice" or "video"');
    }
    if (media === 'video' && call.info.media === 'voice') {
      throw new CallError('invalid-argument', 'a voice invitation cannot be accepted as video');
    }
    call.info.acceptedMedia = media;
    call.timers.clear('invite');
    this.setState('accepted');
    this.send(call, { type: 'accept', media, client: { sdk: `messaging-calls/${VERSION}` } });
    return call.ops.run(() => this.start(call));
  }

  /**
   * Declines the invitation.
   *
   * @throws {CallError} `invalid-state` unless `invited`.
   */
  reject(): void {
    const call = this.require(['invited'], 'reject');
    this.end(call, 'declined', 'local', undefined, { type: 'reject', reason: 'declined' });
  }

  /**
   * Ends the call.
   *
   * @throws {CallError} `invalid-state` unless the call was accepted and has not ended.
   */
  hangup(): void {
    const call = this.require(IN_CALL, 'hangup');
    this.end(call, 'normal', 'local', undefined, { type: 'hangup', reason: 'normal' });
  }

  /**
   * Mutes or unmutes the microphone. A muted microphone stays open and sends
   * silence, so unmuting needs no new permission.
   *
   * @throws {CallError} `invalid-state` unless the call was accepted and has not ended.
   */
  setAudioMuted(muted: boolean): void {
    const call = this.require(IN_CALL, 'setAudioMuted');
    if (call.info.local.audioMuted === Boolean(muted)) return;
    const media = call.media;
    if (!muted && media && !media.audio) {
      // The microphone was lost: unmuting means finding one again.
      media.setAudioMuted(false);
      this.mediaOp(call, async (m) => {
        const track = await m.recover('audio');
        if (!track) this.warn('device-lost', 'no microphone is available; the call stays muted');
        return track ? ['audio', track] : null;
      }).catch(() => undefined);
      return;
    }
    call.info.local.audioMuted = Boolean(muted);
    call.media?.setAudioMuted(call.info.local.audioMuted);
    this.localMediaChanged(call);
  }

  /**
   * Turns the camera on or off. Off releases the camera (its light goes out);
   * on opens it again and sends it on the same sender, without renegotiation.
   * Rapid calls coalesce: the camera ends in the state last asked for.
   *
   * @throws {CallError} `invalid-state` on a voice call or outside a call; the
   *   promise rejects with `permission-denied` or `no-device` if the camera
   *   cannot be opened.
   */
  setVideoEnabled(enabled: boolean): Promise<void> {
    const call = this.requireVideo('setVideoEnabled');
    call.wantVideo = Boolean(enabled);
    return this.mediaOp(call, async (media) => {
      const want = call.wantVideo;
      if ((media.video !== null) === want) return null; // already there (a later call won)
      return ['video', await media.setVideoEnabled(want)];
    });
  }

  /**
   * Switches between the front and back camera (`facingMode`), or to the next
   * camera where cameras do not tell their facing. With the camera off, the
   * other camera is used when it is turned on. No new offer is made.
   *
   * @throws {CallError} `invalid-state` on a voice call or outside a call; the
   *   promise rejects with `no-device` when there is no other camera.
   */
  switchCamera(): Promise<void> {
    const call = this.requireVideo('switchCamera');
    return this.mediaOp(call, async (media) => {
      const track = await media.switchCamera();
      return track ? ['video', track] : null;
    });
  }

  /** True when this device has two or more cameras (for a switch button). */
  get canSwitchCamera(): boolean {
    let cameras = 0;
    for (const d of this.devices) if (d.kind === 'videoinput') cameras++;
    return cameras >= 2;
  }

  /**
   * The microphones, cameras and speakers (labels once permission is granted).
   * Also refreshes `canSwitchCamera`.
   */
  async listDevices(): Promise<DeviceList> {
    const devices = await enumerateDevices(this.platform.mediaDevices);
    this.devices = devices;
    return deviceList(devices);
  }

  /**
   * Sends another microphone from now on (replaceTrack; no new offer).
   *
   * @throws {CallError} `invalid-state` outside a call; the promise rejects
   *   with `no-device` or `permission-denied` if it cannot be opened.
   */
  selectMicrophone(deviceId: string): Promise<void> {
    const call = this.require(IN_CALL, 'selectMicrophone');
    return this.mediaOp(call, async (media) => ['audio', await media.selectMicrophone(deviceId)]);
  }

  /**
   * Uses another camera: at once when the camera is on, otherwise when it is
   * turned on.
   *
   * @throws {CallError} `invalid-state` on a voice call or outside a call.
   */
  selectCamera(deviceId: string): Promise<void> {
    const call = this.requireVideo('selectCamera');
    return this.mediaOp(call, async (media) => {
      const track = await media.selectCamera(deviceId);
      return track ? ['video', track] : null;
    });
  }

  /**
   * Plays the agent's audio (and video) in `element` for every call from now
   * on: sets `srcObject`, plays it, and applies the speaker chosen with
   * `setSpeaker`. A browser that blocks playback until the user interacts
   * gives a `warning` with code `autoplay-blocked`; call `element.play()` from
   * a click then. Returns the function that detaches the element.
   */
  attachRemoteMedia(element: MediaElementLike): () => void {
    this.remoteElements.add(element);
    const stream = this.call?.peer ? this.remoteStream : null;
    if (stream) void this.play(element, stream);
    return () => {
      this.remoteElements.delete(element);
    };
  }

  /**
   * Plays the agent's audio on the speaker `deviceId` (from `listDevices`),
   * in every attached element.
   *
   * @throws {CallError} `unsupported` where the browser cannot choose the
   *   speaker (no `setSinkId`); the promise rejects with `no-device` for a
   *   speaker that is gone and `permission-denied` where the page may not
   *   choose one.
   */
  async setSpeaker(deviceId: string): Promise<void> {
    const elements = copy(this.remoteElements);
    for (const element of elements) {
      if (typeof element.setSinkId !== 'function') {
        throw new CallError('unsupported', 'this browser cannot choose the speaker');
      }
    }
    try {
      for (const element of elements) await element.setSinkId?.(deviceId);
    } catch (error) {
      // NotFoundError: a speaker unplugged since it was listed, or a stale id.
      const e = mediaError(error);
      throw new CallError(e.code, 'the speaker could not be used', error);
    }
    // Only a speaker every element accepted is used for the next ones.
    this.speakerId = deviceId;
  }

  /** What the consumer is sending now, or null outside a call. */
  get localMediaState(): MediaState | null {
    return this.call && isAccepted(this.currentState) ? { ...this.call.info.local } : null;
  }

  /**
   * What the agent is sending, as it last said; before its first media-state,
   * what the invitation's policy says (`agentVideoOff`). Null outside a call.
   */
  get remoteMediaState(): MediaState | null {
    const call = this.call;
    if (!call || !isAccepted(this.currentState)) return null;
    if (call.info.remote) return { ...call.info.remote };
    const video = call.info.media === 'video' && !call.info.policy.agentVideoOff;
    return { audioMuted: false, videoEnabled: video };
  }

  /**
   * Ends any call (declining an invitation, hanging up a call), stops
   * listening to the transport and removes every listener. The transport
   * itself belongs to the application and stays open.
   */
  destroy(): void {
    if (this.destroyed) return;
    const call = this.call;
    if (call && this.currentState === 'invited') {
      this.end(call, 'declined', 'local', 'client destroyed', {
        type: 'reject',
        reason: 'declined',
      });
    } else if (call && isActive(this.currentState)) {
      this.end(call, 'normal', 'local', 'client destroyed', { type: 'hangup', reason: 'normal' });
    }
    this.destroyed = true;
    this.stopListening();
    this.tearDown();
    this.removeAllListeners();
  }

  // ---- incoming signaling -------------------------------------------------

  private receive(data: unknown): void {
    if (this.destroyed) return;
    const parsed = parseMessage(data);
    if (!parsed.ok) {
      this.warn('invalid-message', `signaling message dropped: ${parsed.reason}`);
      return;
    }
    const message = parsed.message;
    if (message.from !== 'agent') {
      this.warn('unexpected-message', `ignored a ${message.type} sent as consumer`);
      return;
    }
    if (message.type === 'invite') {
      this.onInvite(message);
      return;
    }
    const call = this.call;
    // Messages of another call, or of one that ended, are not ours to act on.
    if (!call || message.callId !== call.info.callId || !isActive(this.currentState)) return;
    if (!call.seen.add(message.id)) return; // duplicate
    this.log('debug', `received ${message.type}`, { callId: call.info.callId });
    this.dispatch(call, message);
  }

  private onInvite(message: Extract<Message, { type: 'invite' }>): void {
    // A late copy of the invitation of a call that already ended must not start it again.
    if (this.finishedCalls.has(message.callId)) return;
    const current = this.call;
    if (current && isActive(this.currentState)) {
      if (message.callId === current.info.callId) {
        if (current.seen.add(message.id)) {
          this.warn('unexpected-message', 'a second invite for the same call was ignored');
        }
        return;
      }
      if (this.busyInvites.add(message.id)) {
        this.sendTo(message.callId, {
          type: 'reject',
          reason: 'busy',
          detail: 'already in a call',
        });
        this.warn('busy', 'an invitation arrived during a call and was declined as busy');
      }
      return;
    }
    const refusal = this.refusal(message);
    const now = this.clock.now();
    const ttl = message.ttlMs ?? this.timeouts.invite;
    const policy = message.policy ?? {};
    const call: Call = {
      info: {
        callId: message.callId,
        media: message.media,
        agent: message.agent ?? {},
        policy,
        invitedAt: now,
        expiresAt: now + ttl,
        local: {
          audioMuted: false,
          videoEnabled:
            message.media === 'video' && !policy.consumerVideoOff && !this.options.consumerVideoOff,
        },
        remote: null,
      },
      iceServers: message.iceServers,
      seen: new SeenIds(),
      timers: new Timers<TimerName>(this.clock),
      ops: new SerialQueue(),
      media: null,
      peer: null,
      early: [],
      wantVideo: false,
      unwatch: [],
      videoPaused: false,
      encodingRefused: false,
      autoplayWarned: false,
    };
    call.wantVideo = call.info.local.videoEnabled;
    call.seen.add(message.id);
    this.call = call;
    this.setState('invited');
    if (refusal) {
      // The application still hears of the invitation, then why it cannot be taken.
      this.emitInvitation(call);
      const { reason, detail } = refusal;
      this.end(call, reason, 'system', detail, { type: 'reject', reason, detail });
      return;
    }
    call.timers.set('invite', ttl, () =>
      this.end(call, 'expired', 'system', 'the invitation was not answered in time', {
        type: 'reject',
        reason: 'expired',
      }),
    );
    this.emitInvitation(call);
  }

  private emitInvitation(call: Call): void {
    const { callId, media, agent, policy, expiresAt } = call.info;
    this.safeEmit('invitation', {
      callId,
      media,
      agent: { ...agent },
      policy: { ...policy },
      expiresAt,
    });
  }

  /** Why an invitation cannot be taken here, if it cannot. */
  private refusal(
    invite: Extract<Message, { type: 'invite' }>,
  ): { reason: 'unsupported' | 'disabled'; detail: string } | null {
    const report = supportOf(this.platform, {
      requireTopFrame: this.options.requireTopFrame,
      browsers: this.options.browsers,
    });
    if (!report.supported) {
      let detail = '';
      for (const r of report.reasons) detail += (detail ? '; ' : '') + r.message;
      return { reason: 'unsupported', detail };
    }
    const allowed = this.options.allowedMedia ?? ['voice', 'video'];
    if (!contains(allowed, invite.media)) {
      return { reason: 'disabled', detail: `${invite.media} calls are disabled on this site` };
    }
    const relay = Boolean(this.options.forceRelay || invite.policy?.forceRelay);
    const servers = invite.iceServers ?? this.options.iceServers ?? [];
    if (relay && indexWhere(servers, isTurnServer) < 0) {
      return { reason: 'unsupported', detail: 'relay is forced but no TURN server is configured' };
    }
    return null;
  }

  /**
   * Whether calls can run on this page, and every reason why not: secure
   * context, top frame, WebRTC and media APIs, browser and version. Never
   * throws; runs no prompt.
   *
   * @example
   * const { supported, reasons } = CallClient.checkSupport();
   * if (!supported) console.warn(reasons.map((r) => r.message).join('; '));
   */
  static checkSupport(
    options: SupportOptions & { platform?: Partial<Platform> } = {},
  ): SupportReport {
    const o = options ?? {};
    return supportOf(resolvePlatform(o.platform), o);
  }

  private dispatch(call: Call, message: Message): void {
    const state = this.currentState;
    switch (message.type) {
      case 'cancel':
        // Also after connecting: the agent's side may not have seen the
        // connection yet, and a call only one side believes in is worse.
        this.end(call, 'cancelled', 'remote', message.reason);
        return;
      case 'hangup':
        this.end(call, message.reason, 'remote', message.detail);
        return;
      case 'media-state':
        if (!isAccepted(state)) return this.unexpected(message);
        call.info.remote = compactState(message);
        this.safeEmit('remotemediastate', { ...call.info.remote });
        return;
      case 'sdp':
        if (!isAccepted(state)) return this.unexpected(message);
        if (!call.peer) return this.unexpected(message); // the consumer offers first
        void call.peer.handleDescription(message.description);
        return;
      case 'ice':
        if (!isAccepted(state)) return this.unexpected(message);
        if (call.peer) void call.peer.handleCandidate(message.candidate);
        else call.early.push(message.candidate);
        return;
      default:
        this.unexpected(message);
    }
  }

  private unexpected(message: Message): void {
    this.warn('unexpected-message', `ignored ${message.type} in state ${this.currentState}`);
  }

  private onTransportClosed(reason: string): void {
    const call = this.call;
    this.log('warn', `transport closed: ${reason}`);
    if (call && isActive(this.currentState)) {
      this.end(call, 'network', 'system', 'the signaling connection closed');
    }
  }

  // ---- the call's progress -------------------------------------------------

  /** Opens the media, then creates the peer connection and sends the offer. */
  private async start(call: Call): Promise<void> {
    if (!this.isLive(call)) return;
    this.setState('media-permission');
    call.timers.set('permission', this.timeouts.permission, () =>
      this.fail(call, 'timeout', 'the camera/microphone prompt was not answered in time'),
    );
    const media = new LocalMedia(this.platform.mediaDevices, (kind) =>
      this.onDeviceLost(call, kind),
    );
    call.media = media;
    media.setAudioMuted(call.info.local.audioMuted);
    const wantVideo = call.info.acceptedMedia === 'video' && call.wantVideo;
    let cameraError: CallError | undefined;
    try {
      ({ cameraError } = await media.start(call.info.media, !wantVideo));
    } catch (error) {
      if (!this.isLive(call)) return;
      const e = mediaError(error);
      const reason: HangupReason =
        e.code === 'permission-denied'
          ? 'permission-denied'
          : e.code === 'unsupported'
            ? 'unsupported'
            : 'no-device';
      this.fail(call, reason, e.message);
      return;
    }
    if (!this.isLive(call)) return;
    call.timers.clear('permission');
    if (cameraError) {
      this.warn(
        'camera-unavailable',
        `the call goes on without video: ${cameraError.message}`,
        cameraError,
      );
    }
    this.syncLocal(call);
    call.wantVideo = call.info.local.videoEnabled;
    this.watchDevices(call);
    this.watchPage(call);
    const stream = media.localStream;
    if (stream) this.safeEmit('localstream', stream);
    this.safeEmit('localmediastate', { ...call.info.local });
    // A listener may have ended the call.
    if (!this.isLive(call)) return;
    this.setState('connecting');
    if (!this.isLive(call)) return;
    await this.connectPeer(call, media);
  }

  /** Creates the peer connection with its transceivers and sends the first offer. */
  private async connectPeer(call: Call, media: LocalMedia): Promise<void> {
    const { RTCPeerConnection } = this.platform;
    if (!RTCPeerConnection) {
      this.fail(call, 'unsupported', 'this browser has no WebRTC (RTCPeerConnection)');
      return;
    }
    let peer: PeerSession;
    try {
      peer = this.createPeer(call, RTCPeerConnection);
      call.peer = peer;
      peer.addTransceiver('audio', media.audio);
      // A video call always has a video transceiver, so turning the camera on
      // later is replaceTrack, never a new offer.
      if (call.info.media === 'video') peer.addTransceiver('video', media.video);
    } catch (error) {
      // E.g. a TURN server without credentials: the browser refuses the configuration.
      this.log('error', 'the peer connection could not be created', { error: errorName(error) });
      this.fail(call, 'error', 'the connection could not be set up');
      return;
    }
    for (const candidate of drain(call.early)) void peer.handleCandidate(candidate);
    call.timers.set('connect', this.timeouts.connect, () =>
      this.fail(call, 'timeout', 'the call did not connect in time'),
    );
    await peer.negotiate();
  }

  private createPeer(call: Call, RTCPeerConnection: Platform['RTCPeerConnection']): PeerSession {
    const policy = call.info.policy;
    return new PeerSession({
      RTCPeerConnection,
      MediaStream: this.platform.MediaStream,
      configuration: rtcConfiguration(
        call.iceServers ?? this.options.iceServers,
        Boolean(this.options.forceRelay || policy.forceRelay),
      ),
      polite: false,
      signal: (m) =>
        this.send(
          call,
          'description' in m
            ? { type: 'sdp', description: m.description }
            : { type: 'ice', candidate: m.candidate },
        ),
      onRemoteStream: (stream) => {
        if (!this.isLive(call)) return;
        this.remoteStream = stream;
        for (const element of copy(this.remoteElements)) void this.play(element, stream);
        this.safeEmit('remotestream', stream);
      },
      onConnectionState: (state) => this.onPeerState(call, state),
      onError: (error) => {
        this.log('error', 'negotiation failed', { error: errorName(error) });
        this.fail(call, 'error', 'the connection could not be negotiated');
      },
      onWarning: (code, message, cause) =>
        this.warn(code, message, cause === undefined ? undefined : { name: errorName(cause) }),
      onNoCandidates: (detail) => {
        // Before the first connection there is no path at all; later, a cut
        // network can empty a restart's gathering and the reconnect window decides.
        if (!this.isLive(call) || this.currentState !== 'connecting') return;
        const relay = Boolean(this.options.forceRelay || call.info.policy.forceRelay);
        this.fail(
          call,
          'network',
          relay
            ? `no relay candidate from the TURN server: ${detail}`
            : `no network path for media: ${detail}`,
        );
      },
    });
  }

  private onPeerState(call: Call, state: PeerConnectionState): void {
    if (!this.isLive(call)) return;
    this.log('debug', `peer ${state}`, { callId: call.info.callId });
    const current = this.currentState;
    switch (state) {
      case 'connected':
        call.timers.clear('connect');
        call.timers.clear('iceRestart');
        call.timers.clear('reconnect');
        if (current === 'connecting') {
          call.info.connectedAt = this.clock.now();
          void this.encode(capEncoding(this.videoMaxKbps));
        }
        if (current === 'connecting' || current === 'reconnecting') {
          this.setState('connected');
          if (this.isLive(call)) this.sendMediaState(call);
        }
        return;
      case 'disconnected':
        if (current !== 'connected') return;
        this.enterReconnecting(call);
        call.timers.set('iceRestart', this.timeouts.disconnectGrace, () => this.restartIce(call));
        return;
      case 'failed':
        if (current === 'connected') this.enterReconnecting(call);
        this.restartIce(call);
        return;
      case 'closed':
        this.fail(call, 'error', 'the peer connection closed');
        return;
    }
  }

  private enterReconnecting(call: Call): void {
    this.setState('reconnecting');
    call.timers.set('reconnect', this.timeouts.reconnect, () =>
      this.fail(call, 'network', 'the connection was lost and could not be restored'),
    );
  }

  /** Restarts ICE with a new offer, and again later while the call is not back. */
  private restartIce(call: Call): void {
    if (!this.isLive(call) || !call.peer) return;
    this.log('info', 'restarting ICE', { callId: call.info.callId });
    void call.peer.negotiate({ iceRestart: true });
    call.timers.set('iceRestart', this.timeouts.restartRetry, () => this.restartIce(call));
  }

  private localMediaChanged(call: Call, tracksChanged = false): void {
    const media = call.media;
    if (tracksChanged && media?.localStream) this.safeEmit('localstream', media.localStream);
    this.safeEmit('localmediastate', { ...call.info.local });
    this.sendMediaStateWhileConnected(call);
  }

  /** media-state goes to the agent only once the call has connected (after, on connect). */
  private sendMediaStateWhileConnected(call: Call): void {
    if (this.currentState === 'connected' || this.currentState === 'reconnecting') {
      this.sendMediaState(call);
    }
  }

  private sendMediaState(call: Call): void {
    const { audioMuted, camera } = call.info.local;
    // What is sent now: no video while paused for bandwidth.
    const videoEnabled = call.info.local.videoEnabled && !call.videoPaused;
    this.send(call, {
      type: 'media-state',
      audioMuted,
      videoEnabled,
      ...(camera ? { camera } : {}),
    });
  }

  // ---- media and devices ---------------------------------------------------

  /**
   * Runs a media change in the call's queue: `op` returns the kind and the
   * track to send (or null for no change), which goes on the existing sender
   * by replaceTrack; then the state is told to the app and the agent.
   */
  private mediaOp(
    call: Call,
    op: (media: LocalMedia) => Promise<[TrackKind, MediaStreamTrack | null] | null>,
  ): Promise<void> {
    return call.ops.run(async () => {
      const media = call.media;
      if (!this.isLive(call) || !media) return;
      const before = JSON.stringify(call.info.local);
      let replaced = false;
      try {
        const change = await op(media);
        if (!change || !this.isLive(call)) return;
        await call.peer?.replaceTrack(change[0], change[1]);
        replaced = true;
      } catch (error) {
        // A failed change may have released the old device: send what is left.
        if (this.isLive(call) && media.video === null) {
          await call.peer?.replaceTrack('video', null);
          replaced = true;
        }
        throw error;
      } finally {
        if (this.isLive(call)) {
          this.syncLocal(call);
          // Tell only what changed: a no-op toggle sends nothing.
          const changed = JSON.stringify(call.info.local) !== before;
          if (replaced && media.localStream) this.safeEmit('localstream', media.localStream);
          if (changed) this.localMediaChanged(call);
        }
      }
    });
  }

  /** A device was lost (unplugged): fail over to another one of its kind, or go on without. */
  private onDeviceLost(call: Call, kind: TrackKind): void {
    const what = kind === 'audio' ? 'microphone' : 'camera';
    this.mediaOp(call, async (media) => {
      const track = await media.recover(kind);
      this.warn(
        'device-lost',
        track
          ? `the ${what} was lost; the call goes on with another one`
          : `the ${what} was lost and no other is available; the call goes on without it`,
      );
      if (kind === 'video') call.wantVideo = track !== null;
      return [kind, track];
    }).catch(() => undefined);
  }

  /** Follows devicechange while the call has media, keeping the device list fresh. */
  private watchDevices(call: Call): void {
    const devices = this.platform.mediaDevices;
    const refresh = () => {
      void this.listDevices().then((list) => {
        if (this.isLive(call)) this.safeEmit('devicechange', list);
      });
    };
    refresh();
    call.unwatch.push(listenTo(devices, 'devicechange', refresh));
  }

  /**
   * Plays the attached elements again when the page is shown again: iOS
   * pauses them when the page goes to the background or a phone call
   * interrupts, and they stay paused (a black, silent call) unless replayed.
   */
  private watchPage(call: Call): void {
    const doc = this.platform.document;
    const resume = () => {
      const stream = this.remoteStream;
      if (doc?.visibilityState === 'hidden' || !stream || !this.isLive(call)) return;
      for (const element of copy(this.remoteElements)) {
        if (element.paused) void this.play(element, stream);
      }
    };
    call.unwatch.push(listenTo(doc, 'visibilitychange', resume));
  }

  /** Changes the video sender's encoding; an engine that refuses is logged once per call. */
  private encode(encoding: VideoEncoding): Promise<void> {
    const call = this.call;
    if (!call?.peer || call.info.media !== 'video' || !this.isLive(call)) return Promise.resolve();
    return call.peer.setVideoEncoding(encoding).catch((error: unknown) => {
      if (call.encodingRefused) return;
      call.encodingRefused = true;
      this.log('warn', 'video encoding could not be changed', { error: errorName(error) });
    });
  }

  private pauseVideo(paused: boolean): void {
    const call = this.call;
    if (!call || !this.isLive(call) || call.videoPaused === paused) return;
    call.videoPaused = paused;
    this.sendMediaStateWhileConnected(call);
  }

  /** The call's local media state, from what LocalMedia actually holds. */
  private syncLocal(call: Call): void {
    const media = call.media;
    if (!media) return;
    const local = call.info.local;
    local.videoEnabled = media.video !== null;
    local.audioMuted = media.audioMuted || media.audio === null;
    // `camera` tells what is being sent: nothing while the camera is off.
    if (media.facing && media.video) local.camera = media.facing;
    else delete local.camera;
  }

  private async play(element: MediaElementLike, stream: MediaStream): Promise<void> {
    const result = await playStream(element, stream, this.speakerId);
    // Said once per call: every remote track replays the same element.
    if (result === 'blocked' && this.call && !this.call.autoplayWarned) {
      this.call.autoplayWarned = true;
      this.warn(
        'autoplay-blocked',
        'the browser blocked sound until the user interacts with the page',
      );
    }
  }

  private requireVideo(method: string): Call {
    const call = this.require(IN_CALL, method);
    if (call.info.media !== 'video') {
      throw new CallError('invalid-state', `${method}() needs a video call`);
    }
    return call;
  }

  // ---- ending ----------------------------------------------------------------

  /** Ends the call because something went wrong here, telling the agent why. */
  private fail(call: Call, reason: HangupReason, detail: string): void {
    this.end(call, reason, 'system', detail, { type: 'hangup', reason, detail });
  }

  /**
   * The one way a call ends: tells the agent (when `notify` is given), stops
   * every track, closes the peer connection, clears every timer, then emits
   * `ended`. Runs once per call; later calls are no-ops.
   */
  private end(
    call: Call,
    reason: EndReason,
    by: EndedBy,
    detail?: string,
    notify?: MessageBody,
  ): void {
    if (!this.isLive(call)) return;
    if (notify) this.send(call, notify);
    call.timers.clearAll();
    // The camera and microphone first: nothing after this may leave them on.
    call.media?.stop();
    call.peer?.close();
    for (const unwatch of drain(call.unwatch)) unwatch();
    this.remoteStream = null;
    for (const element of copy(this.remoteElements)) element.srcObject = null;
    call.peer = null;
    call.media = null;
    call.early = [];
    call.iceServers = undefined; // credentials do not outlive the call
    const connectedAt = call.info.connectedAt;
    const durationMs = connectedAt === undefined ? 0 : this.clock.now() - connectedAt;
    this.finishedCalls.add(call.info.callId);
    this.setState('ended');
    this.log('info', `call ended: ${reason} (${by})`, { callId: call.info.callId });
    this.safeEmit('ended', {
      callId: call.info.callId,
      reason,
      by,
      durationMs,
      ...(detail ? { detail } : {}),
    });
  }

  // ---- plumbing -----------------------------------------------------------------

  private setState(next: CallState): void {
    const previous = this.currentState;
    if (!canTransition(previous, next)) {
      // Unreachable by design; a bug here must not take the page down.
      this.log('error', `illegal transition ${previous} -> ${next}`);
      return;
    }
    this.currentState = next;
    this.log('debug', `state ${previous} -> ${next}`, { callId: this.call?.info.callId });
    // A hook may move the state on (end the call): the later hooks and the
    // listeners then hear only of the state that holds.
    for (const hook of copy(this.stateHooks)) {
      if (this.currentState !== next) return;
      try {
        hook(next, previous);
      } catch (error) {
        this.onListenerError('statechange', error);
      }
    }
    if (this.currentState === next) this.safeEmit('statechange', { state: next, previous });
  }

  /** The current call if the state is one of `states`; throws otherwise. */
  private require(states: readonly CallState[], method: string): Call {
    if (this.destroyed) throw new CallError('destroyed', `${method}() called after destroy()`);
    const call = this.call;
    if (!call || !contains(states, this.currentState)) {
      throw new CallError(
        'invalid-state',
        `${method}() is not allowed in state ${this.currentState}`,
      );
    }
    return call;
  }

  private isLive(call: Call): boolean {
    return this.call === call && isActive(this.currentState);
  }

  /** Sends a message of a live call; nothing goes out after its end. */
  private send(call: Call, body: MessageBody): void {
    if (this.isLive(call)) this.sendTo(call.info.callId, body);
  }

  private sendTo(callId: string, body: MessageBody): void {
    const message = envelope(body, callId, 'consumer');
    try {
      this.options.transport.send(message);
    } catch (error) {
      this.log('error', `transport.send threw for ${body.type}`, { error: errorName(error) });
    }
  }

  private warn(code: WarningCode, message: string, cause?: unknown): void {
    this.log('warn', message, { code });
    this.safeEmit('warning', { code, message, ...(cause !== undefined ? { cause } : {}) });
  }

  protected override onListenerError(event: string, error: unknown): void {
    if (event === 'warning') {
      this.log('error', 'a warning listener threw', { error: errorName(error) });
      return;
    }
    this.warn('listener-error', `a listener of "${event}" threw`, error);
  }
}

function compactState(m: {
  audioMuted: boolean;
  videoEnabled: boolean;
  camera?: MediaState['camera'];
}): MediaState {
  return {
    audioMuted: m.audioMuted,
    videoEnabled: m.videoEnabled,
    ...(m.camera ? { camera: m.camera } : {}),
  };
}

function isTurnServer(server: RTCIceServer): boolean {
  return serverHasScheme(server, /^turns?:/i);
}

function structuredCloneInfo(info: CallInfo): CallInfo {
  return JSON.parse(JSON.stringify(info)) as CallInfo;
}
