import type { Feature, HangupReason, MessageBody } from '../protocol/messages';
import { newId, SeenIds } from '../protocol/ids';
import type { PartialPlatform } from '../env/platform';
import type { Clock } from '../foundation/timers';
import type { Logger } from '../foundation/log';
import type { CallEvents, EndReason, EndedBy, WarningCode } from './events';
import type { ClientSettings, CallInfo, CallTimeouts } from './options';
import { StateMachine } from './machine';
import { TRANSITIONS } from './states';
import type { CallState } from './states';
import { CallSession, envelopeSender } from './session';
import type { Sender } from './session';
import type { ConnectionSupervisor, SupervisorTimer } from './supervisor';

/** Emits one of the client's events; a throwing listener cannot break the call. */
export type Emit<Events extends { [K in keyof Events]: unknown[] }> = <
  E extends keyof Events & string,
>(
  event: E,
  ...args: Events[E]
) => void;

export type CallTimer = SupervisorTimer | 'invite' | 'permission' | 'save';

/** One consumer call: its plain data (`info`) and the resources of its session. */
export class ConsumerCall extends CallSession<CallTimer> {
  /** Message ids of this call already handled. */
  readonly seen = new SeenIds();
  /** The camera state last asked for; queued toggles apply the latest. */
  wantVideo: boolean;
  /** Video is not sent for lack of bandwidth (automatic audio-only). */
  videoPaused = false;
  /** The engine refused an encoding change (logged once). */
  encodingRefused = false;
  /** autoplay-blocked was warned for this call. */
  autoplayWarned = false;
  supervisor: ConnectionSupervisor<CallTimer> | null = null;
  /** The peer connection's configuration, completed (certificate) before it opens. */
  config: RTCConfiguration = {};
  // Resume (protocol 1.1); `next` is set only for a call that can be resumed.
  /** The first commitment, made at the invitation. */
  next?: Promise<{ secret: string; commit: string } | undefined>;
  /** The call's DTLS certificate, kept across pages where the browser can. */
  certificate?: Promise<RTCCertificate | undefined>;
  /** The secret of the agent's current commitment, and the one revealed before it. */
  secret?: string;
  previous?: string;
  /** A secret to try once more if this page's resume is refused; the commitment it sent. */
  fallback?: string;
  nextCommit?: string;
  /** The screen being shared (protocol 1.1), and whether a share request waits for its answer. */
  screen: MediaStreamTrack | null = null;
  asked = false;
  /** The instance of the page this call was restored from. */
  restored?: string;
  /** When the previous page last saved the call (a resumed call). */
  resumedFrom?: number;

  constructor(
    readonly info: CallInfo,
    /** The invitation's own servers; their credentials do not outlive the call. */
    public iceServers: RTCIceServer[] | undefined,
    clock: Clock,
    sender: Sender,
    /** The 1.1 features of the invitation. */
    readonly features: Feature[] = [],
  ) {
    super(info.callId, clock, sender);
    this.wantVideo = info.local.videoEnabled;
  }

  override close(lastMessage?: MessageBody): boolean {
    if (!super.close(lastMessage)) return false;
    this.iceServers = undefined;
    this.config = {};
    this.supervisor = null;
    this.screen?.stop();
    this.screen = null;
    return true;
  }
}

/**
 * What the consumer's rooms share: the client's settings, its state machine,
 * the current call, and the one way a call ends. The rooms (router, setup,
 * media controls, playback) talk to each other only through it.
 */
export class ClientCore {
  call: ConsumerCall | null = null;
  readonly machine: StateMachine<CallState>;
  readonly send: Sender;
  /** This page's instance id (protocol 1.1), in every message; a page back from the cache draws anew. */
  instance = newId();

  constructor(
    readonly options: ClientSettings,
    readonly platform: PartialPlatform,
    readonly timeouts: CallTimeouts,
    readonly videoMaxKbps: number,
    readonly clock: Clock,
    readonly log: Logger,
    readonly emit: Emit<CallEvents>,
    onHookError: (error: unknown) => void,
  ) {
    this.send = envelopeSender(options.transport, 'consumer', log, () => this.instance);
    this.machine = new StateMachine<CallState>(
      TRANSITIONS,
      'idle',
      log,
      (state, previous) => emit('statechange', { state, previous }),
      onHookError,
    );
  }

  get state(): CallState {
    return this.machine.state;
  }

  /** The call is the current one and has not ended. */
  live(call: ConsumerCall): boolean {
    return this.call === call && !call.closed;
  }

  setState(next: CallState): void {
    this.machine.set(next, { callId: this.call?.info.callId });
  }

  warn(code: WarningCode, message: string, cause?: unknown): void {
    this.log('warn', message, { code });
    this.emit('warning', { code, message, ...(cause !== undefined ? { cause } : {}) });
  }

  /** Ends the call because something went wrong here, telling the agent why. */
  fail(call: ConsumerCall, reason: HangupReason, detail: string): void {
    this.end(call, reason, 'system', detail, { type: 'hangup', reason, detail });
  }

  /**
   * The one way a call ends: tells the agent (when `notify` is given), closes
   * the session (tracks, peer connection, timers, watchers), then emits
   * `ended`. Runs once per call; later calls are no-ops.
   */
  end(
    call: ConsumerCall,
    reason: EndReason,
    by: EndedBy,
    detail?: string,
    notify?: MessageBody,
  ): void {
    if (this.call !== call || !call.close(notify)) return;
    this.onEnded(call);
    this.setState('ended');
    this.log('info', `call ended: ${reason} (${by})`, { callId: call.info.callId });
    this.emit('ended', {
      callId: call.info.callId,
      reason,
      by,
      durationMs: call.durationMs(),
      ...(detail ? { detail } : {}),
    });
  }

  /** Ends whatever call there is: declined while invited, hung up once accepted. */
  endAny(detail: string): void {
    const call = this.call;
    if (!call || !this.live(call)) return;
    if (this.state === 'invited') {
      this.end(call, 'declined', 'local', detail, { type: 'reject', reason: 'declined' });
    } else {
      this.end(call, 'normal', 'local', detail, { type: 'hangup', reason: 'normal' });
    }
  }

  /** What the client remembers of an ended call (set by the router). */
  onEnded: (call: ConsumerCall) => void = () => undefined;
}
