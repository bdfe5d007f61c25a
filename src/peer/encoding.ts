/** Encoding of the video sender: the cap, the scale-down and whether it sends at all. */
export interface VideoEncoding {
  /** bit/s */
  maxBitrate: number;
  scaleResolutionDownBy: number;
  active: boolean;
}

/** The encoding of a call with room to spare: the cap, full resolution. */
export function capEncoding(videoMaxKbps: number): VideoEncoding {
  return { maxBitrate: videoMaxKbps * 1000, scaleResolutionDownBy: 1, active: true };
}
