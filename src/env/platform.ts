import type { Environment } from './support';

/**
 * The browser APIs the SDK uses, injectable so that the same code runs in a
 * browser and in Node (with wrtc and synthetic devices) and can be faked in
 * unit tests. Nothing is read from the global scope at import time.
 */

/** The part of `navigator.mediaDevices` the SDK uses. */
export interface MediaDevicesLike {
  getUserMedia(constraints: MediaStreamConstraints): Promise<MediaStream>;
  enumerateDevices?(): Promise<MediaDeviceInfo[]>;
  addEventListener?(type: 'devicechange', listener: () => void): void;
  removeEventListener?(type: 'devicechange', listener: () => void): void;
}

export type RTCPeerConnectionConstructor = new (
  configuration?: RTCConfiguration,
) => RTCPeerConnection;
export type MediaStreamConstructor = new (tracks?: MediaStreamTrack[]) => MediaStream;

export interface Platform {
  RTCPeerConnection: RTCPeerConnectionConstructor;
  mediaDevices: MediaDevicesLike;
  /** Used to gather remote tracks into one stream; optional. */
  MediaStream?: MediaStreamConstructor;
  /**
   * Facts about the page (secure context, top frame, user agent) that
   * override what is read from the browser; Node platforms set them so that
   * browser-only checks do not apply.
   */
  environment?: Partial<Environment>;
}

/** A platform whose parts may be missing (an old browser, an insecure page). */
export type PartialPlatform = { [K in keyof Platform]?: Platform[K] | undefined };

/** Fills what the caller did not inject from the browser's globals, if present. */
export function resolvePlatform(injected: Partial<Platform> = {}): PartialPlatform {
  const g = globalThis as unknown as {
    RTCPeerConnection?: RTCPeerConnectionConstructor;
    MediaStream?: MediaStreamConstructor;
    navigator?: { mediaDevices?: MediaDevicesLike };
  };
  return {
    RTCPeerConnection: injected.RTCPeerConnection ?? g.RTCPeerConnection,
    mediaDevices: injected.mediaDevices ?? g.navigator?.mediaDevices,
    MediaStream: injected.MediaStream ?? g.MediaStream,
    environment: injected.environment,
  };
}
