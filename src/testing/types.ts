// The synthetic devices' types: the part of wrtc they use (typed
// structurally, so src/ depends on wrtc neither at run time nor for types),
// the devices, and the controls a test has over them.
import type { MediaDevicesLike, MediaStreamConstructor } from '../env/platform';

/** What the synthetic devices use of `wrtc.nonstandard.RTCAudioSource`. */
export interface AudioSourceLike {
  createTrack(): MediaStreamTrack;
  onData(data: {
    samples: Int16Array;
    sampleRate: number;
    bitsPerSample?: number;
    channelCount?: number;
    numberOfFrames?: number;
  }): void;
}

/** What the synthetic devices use of `wrtc.nonstandard.RTCVideoSource`. */
export interface VideoSourceLike {
  createTrack(): MediaStreamTrack;
  onFrame(frame: { width: number; height: number; data: Uint8Array }): void;
}

/** The part of the wrtc module the synthetic devices use. */
export interface WrtcMediaLike {
  MediaStream: MediaStreamConstructor;
  nonstandard: {
    RTCAudioSource: new () => AudioSourceLike;
    RTCVideoSource: new () => VideoSourceLike;
  };
}

/**
 * What every synthetic device has.
 *
 * @inline
 */
interface DeviceBase {
  deviceId: string;
  /** Defaults to the deviceId. */
  label?: string;
  /** Defaults to `synthetic-<deviceId>`. */
  groupId?: string;
}

export interface SyntheticCamera extends DeviceBase {
  /** 'user', 'environment', ...; matched by the `facingMode` constraint. */
  facingMode?: string;
  /**
   * Background luma (0-255) of its frames, which tells cameras apart even
   * after encoding. By default each camera gets the next of 64, 192, 128,
   * 96, 160, 32, 224 (front 64, back 192 with the default cameras).
   */
  luma?: number;
}

export interface SyntheticMicrophone extends DeviceBase {
  /** Tone frequency; by default 440 Hz, then 660, 880, ... per microphone. */
  toneHz?: number;
}

export type SyntheticSpeaker = DeviceBase;

export type SyntheticDevice =
  | (SyntheticCamera & { kind: 'videoinput' })
  | (SyntheticMicrophone & { kind: 'audioinput' })
  | (SyntheticSpeaker & { kind: 'audiooutput' });

export type InputDevice = Extract<SyntheticDevice, { kind: 'videoinput' | 'audioinput' }>;
export type ConstrainedProperty = 'deviceId' | 'facingMode';

/** Which permissions the (pretend) user refused. */
export interface SyntheticDeny {
  audio?: boolean;
  video?: boolean;
}

/**
 * The screen `getDisplayMedia` captures, as if the user picked it in the
 * browser's picker. Its frames differ from every camera's: another shape
 * (16:9 where the cameras are 4:3 by default, which survives an encoder's
 * downscaling) and a bright background (luma 240), with the same moving bar
 * and frame counter as a camera (`readFrameNumber`).
 */
export interface SyntheticScreen {
  /** Frame size, even numbers (I420). Default 640x360. */
  width?: number;
  height?: number;
  /** Frames a second. Default: the cameras' `fps`. */
  fps?: number;
  /** Background luma (0-255). Default 240. */
  luma?: number;
  /** The track's label. Default `screen:0:0`, as Chromium names a screen. */
  label?: string;
  /** `getSettings().displaySurface`. Default `monitor`. */
  displaySurface?: 'monitor' | 'window' | 'browser';
}

export interface SyntheticMediaDevicesOptions {
  /** Default: `front` (facingMode 'user') and `back` (facingMode 'environment'). */
  cameras?: SyntheticCamera[];
  /** Default: one, `microphone`. */
  microphones?: SyntheticMicrophone[];
  /** Default: one, `speaker`. */
  speakers?: SyntheticSpeaker[];
  deny?: SyntheticDeny;
  /** Video frame size, even numbers (I420). Default 320x240. */
  width?: number;
  height?: number;
  /** Video frames a second. Default 15. */
  fps?: number;
  /**
   * The screen `getDisplayMedia` shares (default: a 640x360 screen), or
   * `false` for devices without `getDisplayMedia` at all, as on phones.
   */
  screen?: SyntheticScreen | false;
}

export interface SyntheticMediaDevices extends MediaDevicesLike {
  getUserMedia(constraints: MediaStreamConstraints): Promise<MediaStream>;
  enumerateDevices(): Promise<MediaDeviceInfo[]>;
  /** Listeners are called synchronously by `plug` and `unplug`. */
  addEventListener(type: 'devicechange', listener: () => void): void;
  removeEventListener(type: 'devicechange', listener: () => void): void;

  /** A copy of the constraints of every getUserMedia call, in order, failed ones too. */
  readonly getUserMediaCalls: readonly MediaStreamConstraints[];
  /** Replaces the refused permissions; later getUserMedia calls see them. */
  setDenied(deny: SyntheticDeny): void;
  /** A busy device makes getUserMedia reject with NotReadableError. */
  setBusy(deviceId: string, busy?: boolean): void;
  /** Adds a device (deviceIds are unique across kinds) and fires devicechange. */
  plug(device: SyntheticDevice): void;
  /**
   * Removes a device, ends its live tracks as a browser does (readyState
   * 'ended', then an `ended` event) and fires devicechange.
   */
  unplug(deviceId: string): void;
  /** The deviceId a track (or a clone of it) was captured from. */
  deviceOf(track: MediaStreamTrack): string | undefined;
  /** Tracks handed out (clones included) that have not ended: a finished call leaves none. */
  liveTracks(): MediaStreamTrack[];
  /** Timers still feeding a source: a finished call leaves none. */
  activeFeeders(): number;
  /** Stops every live track (without `ended` events, like `track.stop()`). */
  stopAll(): void;

  /**
   * Shares the synthetic screen at once, as if the user picked it in the
   * browser's picker: one video track (no audio, whatever was asked), with
   * label, `displaySurface`, size and frame rate in `getSettings()`. Rejects
   * as `setDisplayMediaError` says. Missing when the devices were made with
   * `screen: false` (like a phone's).
   */
  getDisplayMedia?(constraints?: DisplayMediaStreamOptions): Promise<MediaStream>;
  /** A copy of the options of every getDisplayMedia call, in order, failed ones too. */
  readonly getDisplayMediaCalls: readonly DisplayMediaStreamOptions[];
  /**
   * Makes later getDisplayMedia calls reject with a DOMException of this
   * name, until set back to null: `NotAllowedError` is the user closing the
   * picker (or refusing), `NotReadableError` a capture the system could not
   * start, `AbortError` and others as a browser gives them.
   */
  setDisplayMediaError(name: string | null): void;
  /** Every track getDisplayMedia handed out (clones included), ended ones too, in order. */
  screenTracks(): MediaStreamTrack[];
  /**
   * What the browser's own "Stop sharing" button does: ends every live
   * screen track (readyState 'ended', then an `ended` event, which a plain
   * `track.stop()` does not fire). Returns how many tracks it ended.
   */
  stopSharing(): number;
}
