import type { IceCandidate, SessionDescription } from '../protocol/messages';
import type { MediaStreamConstructor, RTCPeerConnectionConstructor } from '../env/platform';
import { candidateToJSON, iceErrorText } from './ice';
import { SerialQueue } from '../foundation/queue';
import { CallError } from '../foundation/errors';
import type { VideoEncoding } from './encoding';
import { contains, firstWhere } from '../util/list';

/** The connection states a call cares about. */
export type PeerConnectionState =
  'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

export interface PeerSessionOptions {
  /** Absent where the browser has no WebRTC: `open()` then throws `unsupported`. */
  RTCPeerConnection: RTCPeerConnectionConstructor | undefined;
  MediaStream?: MediaStreamConstructor | undefined;
  configuration: RTCConfiguration;
  /** Perfect negotiation role: the polite peer yields when offers collide. */
  polite: boolean;
  /** Sends a description or a candidate (null: end of candidates) to the other side. */
  signal(message: { description: SessionDescription } | { candidate: IceCandidate | null }): void;
  /** The remote stream gained a track. The stream object stays the same for the session. */
  onRemoteStream(stream: MediaStream, track: MediaStreamTrack): void;
  onConnectionState(state: PeerConnectionState): void;
  /** Negotiation failed in a way the session cannot recover from. */
  onError(error: unknown): void;
  /** Non-fatal problems (a candidate that could not be applied). */
  onWarning(code: 'ice-candidate' | 'unexpected-message', message: string, cause: unknown): void;
  /**
   * A description from the other side could not be applied (or answered).
   * The session is back where it was before it (rolled back where needed);
   * whether the call can go on is the caller's decision.
   */
  onRemoteDescriptionError(error: unknown): void;
  /**
   * A round of candidate gathering ended with no candidate at all (with a
   * forced relay: the TURN server refused or could not be reached). `detail`
   * says what the ICE agent reported, without addresses or credentials.
   */
  onNoCandidates?(detail: string): void;
  /** Runs after a remote offer is applied, before the answer is made: attach local tracks here. */
  beforeAnswer?(pc: RTCPeerConnection): Promise<void> | void;
}

/**
 * One RTCPeerConnection and the negotiation around it: perfect negotiation
 * (https://w3c.github.io/webrtc-pc/#perfect-negotiation-example), candidates
 * buffered until a remote description exists, one remote stream.
 *
 * The session exists before its connection: candidates that arrive before
 * `open()` (the other side can be quicker than a permission prompt) wait
 * in the same buffer as those that arrive before the remote description,
 * so the session is a call's only candidate buffer.
 *
 * Every operation that touches the signaling state runs through one queue,
 * so an offer, an incoming description and candidates never interleave; an
 * incoming offer while a local offer is pending is a collision by definition.
 * A session can be closed and replaced without touching the call around it.
 */
export class PeerSession {
  private connection: RTCPeerConnection | null = null;
  private readonly queue = new SerialQueue();
  private closed = false;
  private hasRemoteDescription = false;
  private pendingCandidates: (IceCandidate | null)[] = [];
  private remoteStream: MediaStream | null = null;
  private lastState: PeerConnectionState = 'new';
  private gathered = 0;
  private iceError: string | null = null;

  constructor(private readonly options: PeerSessionOptions) {}

  /** The connection; only read once it is open. */
  private get pc(): RTCPeerConnection {
    return this.connection as RTCPeerConnection;
  }

  get isOpen(): boolean {
    return this.connection !== null;
  }

  /**
   * Creates the RTCPeerConnection (throws what its constructor throws, such
   * as a TURN server without credentials). Idempotent.
   */
  open(): RTCPeerConnection {
    if (this.connection) return this.connection;
    const Ctor = this.options.RTCPeerConnection;
    if (!Ctor) throw new CallError('unsupported', 'this browser has no WebRTC (RTCPeerConnection)');
    const pc = new Ctor(this.options.configuration);
    this.connection = pc;
    pc.onicecandidate = (event) => {
      if (this.closed) return;
      // An empty candidate string is how some browsers say "end of candidates".
      const c = event.candidate;
      if (c && c.candidate) {
        this.gathered++;
        this.options.signal({ candidate: candidateToJSON(c) });
        return;
      }
      // Firefox ends each m-line's candidates with an empty candidate string
      // before the final null: only the end of the whole round counts.
      if (c && pc.iceGatheringState !== 'complete') return;
      this.options.signal({ candidate: null });
      if (this.gathered === 0) this.options.onNoCandidates?.(this.iceError ?? 'no ICE candidate');
      this.gathered = 0;
    };
    // Kept to explain a gathering that found nothing.
    pc.onicecandidateerror = (event) => {
      this.iceError = iceErrorText(event);
    };
    pc.ontrack = (event) => this.addRemoteTrack(event.track, event.streams);
    pc.onnegotiationneeded = () => {
      void this.negotiate();
    };
    // connectionState includes DTLS; older engines only have the ICE state.
    if ('connectionState' in pc && pc.connectionState !== undefined) {
      pc.onconnectionstatechange = () => this.report(pc.connectionState);
    } else {
      pc.oniceconnectionstatechange = () => this.report(iceToConnection(pc.iceConnectionState));
    }
    return pc;
  }

  /** Adds a transceiver whose sender sends `track` (or nothing yet, when null). */
  addTransceiver(kind: 'audio' | 'video', track: MediaStreamTrack | null): RTCRtpTransceiver {
    return this.pc.addTransceiver(track ?? kind, { direction: 'sendrecv' });
  }

  /** Sends `track` (or nothing) on the existing sender of that kind, without renegotiating. */
  replaceTrack(kind: 'audio' | 'video', track: MediaStreamTrack | null): Promise<void> {
    return this.queue.run(async () => {
      if (this.closed || !this.connection) return;
      const transceiver = this.transceiverOf(kind);
      if (!transceiver) throw new Error(`no ${kind} transceiver`);
      await transceiver.sender.replaceTrack(track);
    });
  }

  /**
   * Changes the first encoding of the video sender (cap, scale, on/off)
   * without renegotiating. Engines that do not support a field ignore it.
   */
  setVideoEncoding(encoding: VideoEncoding): Promise<void> {
    return this.queue.run(async () => {
      const sender = this.connection ? this.transceiverOf('video')?.sender : undefined;
      if (this.closed || !sender || typeof sender.getParameters !== 'function') return;
      const parameters = sender.getParameters();
      const first = parameters.encodings?.[0];
      if (!first) return; // not negotiated yet
      first.maxBitrate = encoding.maxBitrate;
      first.scaleResolutionDownBy = encoding.scaleResolutionDownBy;
      first.active = encoding.active;
      // Keep the picture sharp and drop frames first only when told to;
      // 'balanced' lets the browser trade both (a moving camera).
      (
        parameters as RTCRtpSendParameters & { degradationPreference?: string }
      ).degradationPreference ??= 'balanced';
      await sender.setParameters(parameters);
    });
  }

  /** The transceiver that carries `kind`, found by its receiver's track (always present). */
  transceiverOf(kind: 'audio' | 'video'): RTCRtpTransceiver | undefined {
    if (!this.connection) return undefined;
    return firstWhere(this.connection.getTransceivers(), (t) => t.receiver.track?.kind === kind);
  }

  /** Makes and sends an offer if none is pending. `iceRestart` gathers new ICE credentials. */
  negotiate(options: { iceRestart?: boolean } = {}): Promise<void> {
    return this.queue.run(async () => {
      if (this.closed || !this.connection) return;
      try {
        // A restart replaces an offer that was never answered (it may have been lost).
        if (options.iceRestart && this.pc.signalingState === 'have-local-offer') {
          await this.pc.setLocalDescription({ type: 'rollback' });
        }
        // Not stable: an offer is being answered; negotiationneeded fires
        // again when the state returns to stable if still needed.
        if (this.pc.signalingState !== 'stable') return;
        const offer = await this.pc.createOffer(options.iceRestart ? { iceRestart: true } : {});
        if (this.closed || this.pc.signalingState !== 'stable') return;
        await this.pc.setLocalDescription(offer);
        if (this.closed) return;
        this.options.signal({ description: { type: 'offer', sdp: offer.sdp ?? '' } });
      } catch (error) {
        if (!this.closed) this.options.onError(error);
      }
    });
  }

  /** Applies a description from the other side, answering an offer. */
  handleDescription(description: SessionDescription): Promise<void> {
    return this.queue.run(async () => {
      if (this.closed) return;
      if (!this.connection) {
        this.options.onWarning(
          'unexpected-message',
          'description before the connection',
          undefined,
        );
        return;
      }
      const collision = description.type === 'offer' && this.pc.signalingState !== 'stable';
      if (collision && !this.options.polite) return; // the impolite peer keeps its own offer
      if (description.type === 'answer' && this.pc.signalingState !== 'have-local-offer') {
        this.options.onWarning(
          'unexpected-message',
          'answer without a pending offer ignored',
          undefined,
        );
        return;
      }
      try {
        // Explicit rollback: not every engine rolls back implicitly (wrtc does not).
        if (collision) await this.pc.setLocalDescription({ type: 'rollback' });
        await this.pc.setRemoteDescription(description);
        if (this.closed) return;
        this.hasRemoteDescription = true;
        await this.flushCandidates();
        if (description.type === 'offer') {
          await this.options.beforeAnswer?.(this.pc);
          if (this.closed) return;
          const answer = await this.pc.createAnswer();
          if (this.closed) return;
          await this.pc.setLocalDescription(answer);
          if (this.closed) return;
          this.options.signal({ description: { type: 'answer', sdp: answer.sdp ?? '' } });
        }
      } catch (error) {
        if (this.closed) return;
        // A description that cannot be applied leaves the connection as it
        // was: an offer applied but not answered is rolled back to stable.
        if (this.pc.signalingState === 'have-remote-offer') {
          await this.pc.setLocalDescription({ type: 'rollback' }).catch(() => undefined);
        }
        if (!this.closed) this.options.onRemoteDescriptionError(error);
      }
    });
  }

  /** Applies a remote candidate, or buffers it until a remote description exists. */
  handleCandidate(candidate: IceCandidate | null): Promise<void> {
    return this.queue.run(async () => {
      if (this.closed) return;
      if (!this.hasRemoteDescription) {
        this.pendingCandidates.push(candidate);
        return;
      }
      await this.addCandidate(candidate);
    });
  }

  getStats(): Promise<RTCStatsReport | null> {
    return this.connection ? this.connection.getStats() : Promise.resolve(null);
  }

  /** Closes the connection. Idempotent; nothing is signaled or reported afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pendingCandidates = [];
    const pc = this.connection;
    if (!pc) return;
    pc.onicecandidate = pc.ontrack = pc.onnegotiationneeded = pc.onicecandidateerror = null;
    pc.onconnectionstatechange = pc.oniceconnectionstatechange = null;
    try {
      pc.close();
    } catch {
      // Closing twice or after a failure throws in some engines; closed is closed.
    }
    this.remoteStream = null;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private async flushCandidates(): Promise<void> {
    const pending = this.pendingCandidates;
    this.pendingCandidates = [];
    for (const candidate of pending) {
      if (this.closed) return;
      await this.addCandidate(candidate);
    }
  }

  private async addCandidate(candidate: IceCandidate | null): Promise<void> {
    if (!candidate) {
      // End of candidates lets ICE conclude sooner; engines that do not
      // take the argument-less form simply go on without it.
      await this.pc.addIceCandidate().catch(() => undefined);
      return;
    }
    try {
      await this.pc.addIceCandidate(candidate);
    } catch (error) {
      // A candidate for an old ICE generation or an unknown m-line is harmless.
      if (!this.closed)
        this.options.onWarning('ice-candidate', 'ICE candidate could not be applied', error);
    }
  }

  private addRemoteTrack(track: MediaStreamTrack, streams: readonly MediaStream[]): void {
    if (this.closed) return;
    // One stream for everything the other side sends, whatever msid it used
    // (a track sent by replaceTrack belongs to no stream).
    if (!this.remoteStream) {
      const Ctor = this.options.MediaStream;
      this.remoteStream = Ctor ? new Ctor() : (streams[0] ?? null);
      if (!this.remoteStream) return;
    }
    if (!contains(this.remoteStream.getTracks(), track)) this.remoteStream.addTrack(track);
    this.options.onRemoteStream(this.remoteStream, track);
  }

  private report(state: RTCPeerConnectionState | PeerConnectionState): void {
    if (this.closed || state === this.lastState) return;
    this.lastState = state;
    this.options.onConnectionState(state);
  }
}

function iceToConnection(state: RTCIceConnectionState): PeerConnectionState {
  switch (state) {
    case 'checking':
      return 'connecting';
    case 'connected':
    case 'completed':
      return 'connected';
    default:
      return state;
  }
}
