export { createSyntheticMediaDevices } from './syntheticDevices';
export type {
  AudioSourceLike,
  SyntheticCamera,
  SyntheticDeny,
  SyntheticDevice,
  SyntheticMediaDevices,
  SyntheticMediaDevicesOptions,
  SyntheticMicrophone,
  SyntheticSpeaker,
  VideoSourceLike,
  WrtcMediaLike,
} from './syntheticDevices';
export { createNodePlatform } from './nodePlatform';
export type { NodePlatform, WrtcLike } from './nodePlatform';
export { readFrameNumber } from './frames';
