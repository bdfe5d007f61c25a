import type { AgentInfo, CallMedia, CallPolicy, Facing, HangupReason } from '../protocol/messages';
import type { CallState } from './states';
import type { DeviceList } from '../media/devices';
import type { QualitySample } from '../quality/stats';
import type { BandwidthEvent } from '../quality/bandwidth';

/** Why a call ended. Hangup reasons of the protocol, plus the endings before a call starts. */
export type EndReason =
  | HangupReason
  /** The consumer declined the invitation. */
  | 'declined'
  /** The invitation was not answered in time. */
  | 'expired'
  /** Calls of that media are disabled by configuration. */
  | 'disabled'
  /** The agent withdrew the invitation. */
  | 'cancelled'
  /** Another tab (instance) of the consumer answered the invitation or took the call. */
  | 'answered-elsewhere';

/** Who ended the call: this side's application, the other side, or the SDK itself. */
export type EndedBy = 'local' | 'remote' | 'system';

export interface EndedEvent {
  callId: string;
  reason: EndReason;
  by: EndedBy;
  /** Time spent connected (0 if the call never connected). */
  durationMs: number;
  /** A human-readable detail, when there is one. */
  detail?: string;
}

export interface InvitationEvent {
  callId: string;
  media: CallMedia;
  agent: AgentInfo;
  policy: CallPolicy;
  /** When the invitation expires, in the clock's milliseconds. */
  expiresAt: number;
}

/** What one side is sending now. */
export interface MediaState {
  audioMuted: boolean;
  videoEnabled: boolean;
  camera?: Facing;
  /** The video sender carries a shared screen (protocol 1.1), instead of the camera. */
  screen?: boolean;
}

export type WarningCode =
  /** A signaling message was malformed and dropped. */
  | 'invalid-message'
  /** A valid message arrived that makes no sense in the current state; it was ignored. */
  | 'unexpected-message'
  /** A second invitation arrived during a call and was rejected as busy. */
  | 'busy'
  /** The camera could not be opened; the call goes on without video. */
  | 'camera-unavailable'
  /** An ICE candidate could not be applied. */
  | 'ice-candidate'
  /**
   * A description from the other side could not be applied mid-call; the
   * connection stays as it was and the call goes on.
   */
  | 'negotiation'
  /** An application listener threw; the call went on. */
  | 'listener-error'
  /** The transport refused something it received (a foreign origin) or could not send. */
  | 'transport'
  /** A microphone or camera was lost mid-call (unplugged); see the message for what followed. */
  | 'device-lost'
  /** The browser blocked the agent's sound until the user interacts with the page. */
  | 'autoplay-blocked';

export interface CallWarning {
  code: WarningCode;
  message: string;
  cause?: unknown;
}

/** Every event of CallClient, name → listener arguments. */
export interface CallEvents {
  statechange: [{ state: CallState; previous: CallState }];
  invitation: [InvitationEvent];
  /** The local camera/microphone stream, after it is acquired and whenever its tracks change. */
  localstream: [MediaStream];
  /** The agent's stream, when it arrives and whenever a track is added to it. */
  remotestream: [MediaStream];
  /** The consumer's own mute/camera state changed. */
  localmediastate: [MediaState];
  /** The agent's mute/camera state changed. */
  remotemediastate: [MediaState];
  /** The list of microphones, cameras and speakers changed (or was read for the first time). */
  devicechange: [DeviceList];
  /** Call quality over the last interval (once a second while connected). */
  quality: [QualitySample];
  /**
   * A video call moved between bandwidth tiers: `reduced` (the picture is
   * scaled down) or `audio-only` (video is not worth sending: offer the
   * consumer to turn the camera off, or set `bandwidth.autoAudioOnly`).
   */
  bandwidth: [BandwidthEvent];
  /**
   * A call taken over from the previous page (or from the back/forward
   * cache) is connected again; `gapMs` is the time since that page last
   * saved it.
   */
  resumed: [{ callId: string; gapMs: number }];
  /**
   * The agent asks to see the consumer's screen (protocol 1.1), with its
   * reason: answer with `startScreenShare()` or `declineShare()`.
   */
  'share-request': [{ reason?: string }];
  /** The shared screen's stream when sharing starts, null when it stops. */
  screen: [MediaStream | null];
  ended: [EndedEvent];
  warning: [CallWarning];
}
