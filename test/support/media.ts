/**
 * Looking at real media in integration tests: which camera the far side is
 * receiving (by the synthetic cameras' background luma), and how many frames
 * arrived. Every sink made here is stopped by `stopFrameWatches()` (wrtc can
 * crash at exit with a live sink).
 */
import wrtc from 'wrtc';

/** Background luma of the default synthetic cameras: front 64, back 192. */
export const FRONT_LUMA = 64;
export const BACK_LUMA = 192;
/** A frame whose median luma is above this came from the back camera (192), below from the front (64). */
export const LUMA_SPLIT = 128;

interface VideoFrame {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface FrameWatch {
  /** Frames received so far. */
  readonly count: number;
  /** Median luma of the centre of every frame received, in order. */
  readonly lumas: readonly number[];
  /** True when the last `n` frames all satisfy `test` (and there are at least `n`). */
  lastAre(n: number, test: (luma: number) => boolean): boolean;
  stop(): void;
}

const watches = new Set<FrameWatch>();

/**
 * Median luma of the central quarter of an I420 frame. The synthetic
 * picture is a flat background with one moving bar; the median ignores the
 * bar and the encoder's ringing around it.
 */
export function centreLuma({ width, height, data }: VideoFrame): number {
  const histogram = new Uint32Array(256);
  let n = 0;
  for (let y = Math.floor(height / 4); y < Math.floor((3 * height) / 4); y += 2) {
    for (let x = Math.floor(width / 4); x < Math.floor((3 * width) / 4); x += 2) {
      histogram[data[y * width + x] ?? 0]!++;
      n++;
    }
  }
  let seen = 0;
  for (let v = 0; v < 256; v++) {
    seen += histogram[v] ?? 0;
    if (seen * 2 >= n) return v;
  }
  return 255;
}

/** Counts the frames of `track` (a received track) and records each one's centre luma. */
export function watchFrames(track: MediaStreamTrack): FrameWatch {
  const sink = new wrtc.nonstandard.RTCVideoSink(track);
  const lumas: number[] = [];
  sink.onframe = ({ frame }: { frame: VideoFrame }) => {
    lumas.push(centreLuma(frame));
  };
  const watch: FrameWatch = {
    get count() {
      return lumas.length;
    },
    lumas,
    lastAre(n, test) {
      if (lumas.length < n) return false;
      for (let i = lumas.length - n; i < lumas.length; i++) if (!test(lumas[i] ?? -1)) return false;
      return true;
    },
    stop() {
      if (!sink.stopped) sink.stop();
      watches.delete(watch);
    },
  };
  watches.add(watch);
  return watch;
}

/** Stops every sink made by `watchFrames` that is still running. */
export function stopFrameWatches(): void {
  for (const watch of [...watches]) watch.stop();
}

export const isFront = (luma: number): boolean => luma < LUMA_SPLIT;
export const isBack = (luma: number): boolean => luma > LUMA_SPLIT;
