/**
 * Synthetic cameras, microphones and a screen (getDisplayMedia) for Node with wrtc
 * ({@link createNodePlatform}), to test an integration without a browser.
 *
 * @module messaging-calls/testing
 */
export { createSyntheticMediaDevices } from './syntheticDevices';
export type {
  AudioSourceLike,
  SyntheticCamera,
  SyntheticDeny,
  SyntheticDevice,
  SyntheticMediaDevices,
  SyntheticMediaDevicesOptions,
  SyntheticMicrophone,
  SyntheticScreen,
  SyntheticSpeaker,
  VideoSourceLike,
  WrtcMediaLike,
} from './syntheticDevices';
export { createNodePlatform } from './nodePlatform';
export type { NodePlatform, WrtcLike } from './nodePlatform';
export { readFrameNumber } from './frames';
