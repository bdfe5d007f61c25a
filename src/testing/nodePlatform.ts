import type {
  Platform,
  MediaStreamConstructor,
  RTCPeerConnectionConstructor,
} from '../env/platform';
import { createSyntheticMediaDevices } from './syntheticDevices';
import type {
  SyntheticMediaDevices,
  SyntheticMediaDevicesOptions,
  WrtcMediaLike,
} from './syntheticDevices';

/** The part of the wrtc module a Node platform uses. */
export interface WrtcLike extends WrtcMediaLike {
  RTCPeerConnection: RTCPeerConnectionConstructor;
}

/**
 * A `Platform` whose parts are all present and whose `mediaDevices` keeps
 * its test controls in the type, so a test can pass it to the SDK and still
 * call `platform.mediaDevices.unplug(...)`.
 */
export interface NodePlatform extends Platform {
  RTCPeerConnection: RTCPeerConnectionConstructor;
  MediaStream: MediaStreamConstructor;
  mediaDevices: SyntheticMediaDevices;
}

/** wrtc's peer connection and streams with synthetic devices: the SDK's platform in Node. */
export function createNodePlatform(
  wrtc: WrtcLike,
  options?: SyntheticMediaDevicesOptions,
): NodePlatform {
  return {
    RTCPeerConnection: wrtc.RTCPeerConnection,
    MediaStream: wrtc.MediaStream,
    mediaDevices: createSyntheticMediaDevices(wrtc, options),
  };
}
