import { resolvePlatform } from '../env/platform';
import { supportOf } from '../env/support';
import type { SupportOptions, SupportReport } from '../env/support';
import type { Platform } from '../env/platform';
import type { DeviceList } from '../media/devices';
import type { MediaElementLike } from '../media/attach';
import { CallError } from '../foundation/errors';
import { SafeEmitter } from '../foundation/emitter';
import { systemClock } from '../foundation/timers';
import { errorName, noopLogger } from '../foundation/log';
import { VERSION } from '../version';
import type { CallEvents, MediaState } from './events';
import type { Extension, ExtensionContext } from './extension';
import { IN_CALL, isAccepted } from './states';
import type { CallState } from './states';
import { DEFAULT_TIMEOUTS } from './options';
import type { AcceptOptions, CallInfo, ClientSettings } from './options';
import { ClientCore } from './core';
import type { ConsumerCall } from './core';
import { SignalingRouter } from './router';
import { CallSetup } from './setup';
import { MediaControls } from './controls';
import { RemotePlayback } from './playback';
import { CallResume } from './resume';
import { ScreenShare } from './share';
import { extensionContext, runExtensions, tearDown } from './extensions';

export { DEFAULT_TIMEOUTS };
export type { AcceptOptions, CallInfo, CallTimeouts } from './options';

/** What `new CallClient(options)` takes: only `transport` is required. */
export interface CallClientOptions extends ClientSettings {
  /** Features built on the client: `qualityMonitor()`, and the application's own. */
  extensions?: readonly CallExtension[];
}

/** What an extension of a `CallClient` can do beyond its public API. */
export type CallExtensionContext = ExtensionContext<CallClient>;
/** A feature added to a `CallClient` at construction (`extensions` option). */
export type CallExtension = Extension<CallClient>;

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
  private readonly core: ClientCore;
  private readonly router: SignalingRouter;
  private readonly setup: CallSetup;
  private readonly controls: MediaControls;
  private readonly playback: RemotePlayback;
  private readonly resume: CallResume;
  private readonly share: ScreenShare;
  /** What the extensions run at destroy(). */
  private readonly teardowns: (() => void)[] = [];
  private stopListening: () => void = () => undefined;
  private destroyed = false;

  constructor(options: CallClientOptions) {
    super();
    if (!options?.transport)
      throw new CallError('invalid-argument', 'options.transport is required');
    const cap = options.videoMaxKbps ?? 2_500;
    if (typeof cap !== 'number' || !(cap > 0) || !Number.isFinite(cap)) {
      throw new CallError('invalid-argument', 'options.videoMaxKbps must be a positive number');
    }
    const log = options.logger ?? noopLogger;
    const core = new ClientCore(
      options,
      resolvePlatform(options.platform),
      { ...DEFAULT_TIMEOUTS, ...options.timeouts },
      cap,
      options.clock ?? systemClock,
      log,
      (event, ...args) => this.safeEmit(event, ...args),
      (error) => this.onListenerError('statechange', error),
    );
    this.core = core;
    this.controls = new MediaControls(core);
    this.playback = new RemotePlayback(core);
    this.setup = new CallSetup(core, this.controls, this.playback);
    this.router = new SignalingRouter(core);
    this.resume = new CallResume(core, this.setup, (call) => this.router.ring(call));
    this.router.resume = this.resume;
    this.share = new ScreenShare(core, this.controls);
    this.router.share = this.share;
    core.machine.hook((state) => {
      if (state === 'ended') this.playback.clear();
    });
    // Extensions first: one that throws leaves nothing behind (no transport
    // listener, the others' teardowns run) and the error reaches the caller.
    const context: CallExtensionContext = extensionContext(this, core, this.controls, (e, a) =>
      this.safeEmit(e, ...a),
    );
    runExtensions(options.extensions, context, this.teardowns, log);
    try {
      this.stopListening = options.transport.listen({
        message: (data) => {
          if (!this.destroyed) this.router.receive(data);
        },
        close: (reason) => this.router.onTransportClosed(reason),
        warning: (message) => core.warn('transport', message),
      });
    } catch (error) {
      tearDown(this.teardowns, log);
      throw error;
    }
    // An extension may have destroyed the client already.
    if (this.destroyed) {
      this.stopListening();
      return;
    }
    const stopTransport = this.stopListening;
    const stopPage = this.resume.listen();
    this.stopListening = () => {
      stopTransport();
      stopPage();
    };
    // A call left by the previous page of this tab goes on here.
    this.resume.restore();
  }

  /** This page's instance id (protocol 1.1), sent in every message. */
  get instanceId(): string {
    return this.core.instance;
  }

  /** The current state. */
  get state(): CallState {
    return this.core.state;
  }

  /** The current or last call, as plain data; null before the first invitation. */
  get callInfo(): Readonly<CallInfo> | null {
    const call = this.core.call;
    return call ? (JSON.parse(JSON.stringify(call.info)) as CallInfo) : null;
  }

  /** The local stream while a call has media. */
  get localStream(): MediaStream | null {
    return this.core.call?.media?.localStream ?? null;
  }

  /** Local tracks still open (0 after every call; for leak checks). */
  get liveTrackCount(): number {
    return this.core.call?.media?.liveTracks().length ?? 0;
  }

  /** WebRTC statistics of the current call, or null without a peer connection. */
  getStats(): Promise<RTCStatsReport | null> {
    return this.core.call?.peer?.getStats() ?? Promise.resolve(null);
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
    this.setup.prepare(call);
    this.core.setState('accepted');
    const client = { sdk: `messaging-calls/${VERSION}` };
    if (!call.next) call.send({ type: 'accept', media, client });
    return call.ops.run(async () => {
      // A call that can be resumed commits to its first secret in `accept`.
      if (call.next) {
        const resume = await this.resume.commit(call);
        call.send({ type: 'accept', media, client, ...(resume ? { resume } : {}) });
      }
      await this.setup.start(call);
    });
  }

  /**
   * Declines the invitation.
   *
   * @throws {CallError} `invalid-state` unless `invited`.
   */
  reject(): void {
    const call = this.require(['invited'], 'reject');
    this.core.end(call, 'declined', 'local', undefined, { type: 'reject', reason: 'declined' });
  }

  /**
   * Ends the call.
   *
   * @throws {CallError} `invalid-state` unless the call was accepted and has not ended.
   */
  hangup(): void {
    const call = this.require(IN_CALL, 'hangup');
    this.core.end(call, 'normal', 'local', undefined, { type: 'hangup', reason: 'normal' });
  }

  /**
   * Mutes or unmutes the microphone. A muted microphone stays open and sends
   * silence, so unmuting needs no new permission.
   *
   * @throws {CallError} `invalid-state` unless the call was accepted and has not ended.
   */
  setAudioMuted(muted: boolean): void {
    this.controls.setAudioMuted(this.require(IN_CALL, 'setAudioMuted'), Boolean(muted));
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
    return this.controls.setVideoEnabled(this.requireVideo('setVideoEnabled'), Boolean(enabled));
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
    return this.controls.switchCamera(this.requireVideo('switchCamera'));
  }

  /** True where the browser can share a screen (`getDisplayMedia`; not on phones). */
  get canShareScreen(): boolean {
    return this.share.can;
  }

  /**
   * Shares a screen, window or tab, chosen in the browser's picker, in place
   * of the camera (a voice call gains video); answers the agent's request,
   * if one waits. The camera comes back when sharing stops.
   *
   * @throws {CallError} `invalid-state` unless connected or reconnecting;
   *   the promise rejects with `permission-denied` when the picker is closed
   *   or the browser refuses, `unsupported` without `getDisplayMedia`.
   */
  startScreenShare(): Promise<void> {
    return this.share.start(this.require(['connected', 'reconnecting'], 'startScreenShare'));
  }

  /** Stops sharing the screen (nothing happens when nothing is shared). */
  stopScreenShare(): void {
    const call = this.core.call;
    if (call) this.share.stop(call);
  }

  /** Answers the agent's request to see the screen: not now. */
  declineShare(): void {
    const call = this.core.call;
    if (call && this.core.live(call)) this.share.decline(call);
  }

  /** True when this device has two or more cameras (for a switch button). */
  get canSwitchCamera(): boolean {
    return this.controls.canSwitchCamera;
  }

  /**
   * The microphones, cameras and speakers (labels once permission is granted).
   * Also refreshes `canSwitchCamera`.
   */
  listDevices(): Promise<DeviceList> {
    return this.controls.listDevices();
  }

  /**
   * Sends another microphone from now on (replaceTrack; no new offer).
   *
   * @throws {CallError} `invalid-state` outside a call; the promise rejects
   *   with `no-device` or `permission-denied` if it cannot be opened.
   */
  selectMicrophone(deviceId: string): Promise<void> {
    return this.controls.selectMicrophone(this.require(IN_CALL, 'selectMicrophone'), deviceId);
  }

  /**
   * Uses another camera: at once when the camera is on, otherwise when it is
   * turned on.
   *
   * @throws {CallError} `invalid-state` on a voice call or outside a call.
   */
  selectCamera(deviceId: string): Promise<void> {
    return this.controls.selectCamera(this.requireVideo('selectCamera'), deviceId);
  }

  /**
   * Plays the agent's audio (and video) in `element` for every call from now
   * on: sets `srcObject`, plays it, and applies the speaker chosen with
   * `setSpeaker`. A browser that blocks playback until the user interacts
   * gives a `warning` with code `autoplay-blocked`; call `element.play()` from
   * a click then. Returns the function that detaches the element.
   */
  attachRemoteMedia(element: MediaElementLike): () => void {
    return this.playback.attach(element);
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
  setSpeaker(deviceId: string): Promise<void> {
    return this.playback.setSpeaker(deviceId);
  }

  /** What the consumer is sending now, or null outside a call. */
  get localMediaState(): MediaState | null {
    const call = this.core.call;
    return call && isAccepted(this.state) ? { ...call.info.local } : null;
  }

  /**
   * What the agent is sending, as it last said; before its first media-state,
   * what the invitation's policy says (`agentVideoOff`). Null outside a call.
   */
  get remoteMediaState(): MediaState | null {
    const call = this.core.call;
    return call && isAccepted(this.state) ? this.controls.remoteState(call) : null;
  }

  /**
   * Ends any call (declining an invitation, hanging up a call), stops
   * listening to the transport and removes every listener. The transport
   * itself belongs to the application and stays open.
   */
  destroy(): void {
    if (this.destroyed) return;
    this.core.endAny('client destroyed');
    this.destroyed = true;
    this.stopListening();
    tearDown(this.teardowns, this.core.log);
    this.removeAllListeners();
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

  /** The current call if the state is one of `states`; throws otherwise. */
  private require(states: readonly CallState[], method: string): ConsumerCall {
    if (this.destroyed) throw new CallError('destroyed', `${method}() called after destroy()`);
    this.core.machine.require(states, method);
    return this.core.call as ConsumerCall;
  }

  private requireVideo(method: string): ConsumerCall {
    const call = this.require(IN_CALL, method);
    if (call.info.media !== 'video') {
      throw new CallError('invalid-state', `${method}() needs a video call`);
    }
    return call;
  }

  protected override onListenerError(event: string, error: unknown): void {
    if (event === 'warning') {
      this.core.log('error', 'a warning listener threw', { error: errorName(error) });
      return;
    }
    this.core.warn('listener-error', `a listener of "${event}" threw`, error);
  }
}
