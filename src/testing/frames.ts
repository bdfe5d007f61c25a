/**
 * The media a synthetic device produces: a sine tone for microphones and an
 * I420 picture for cameras. Plain arithmetic on typed arrays, no wrtc, so
 * that it can be checked on its own and never ties src/ to wrtc.
 */

/** 48 kHz mono 16-bit, 10 ms a frame: what wrtc's RTCAudioSource expects by default. */
export const AUDIO_SAMPLE_RATE = 48000;
export const AUDIO_FRAME_MS = 10;
const SAMPLES_PER_FRAME = (AUDIO_SAMPLE_RATE * AUDIO_FRAME_MS) / 1000;

/**
 * Returns a function giving the next 10 ms of a continuous tone. The phase
 * carries over between frames so that the signal has no clicks, which keeps
 * an encoder's output (and a receiver's level meter) steady.
 */
export function toneFrames(toneHz: number): () => Int16Array {
  const step = (2 * Math.PI * toneHz) / AUDIO_SAMPLE_RATE;
  // A quarter of full scale: clearly not silence, far from clipping.
  const amplitude = 0.25 * 32767;
  let phase = 0;
  return () => {
    // A fresh array each frame: wrtc copies it, but a test may keep one.
    const samples = new Int16Array(SAMPLES_PER_FRAME);
    for (let i = 0; i < samples.length; i++) {
      samples[i] = Math.round(amplitude * Math.sin(phase));
      phase += step;
    }
    phase %= 2 * Math.PI;
    return samples;
  };
}

/**
 * Returns a function giving the next I420 frame of a camera: a flat
 * background of luma `luma` (so that two cameras stay tellable apart even
 * after a lossy encoder), a vertical bar moving 4 pixels a frame (so that
 * every frame differs from the previous), and the frame number as a
 * little-endian uint32 in the first four luma bytes (exact for a sink on the
 * local track; an encoder blurs it). Chroma is neutral grey.
 */
export function videoFrames(width: number, height: number, luma: number): () => Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 2 || height < 2) {
    throw new RangeError(
      `Synthetic video size must be integers of at least 2, got ${width}x${height}`,
    );
  }
  // I420 subsamples chroma by 2 in both directions; odd sizes have no exact layout.
  if (width % 2 !== 0 || height % 2 !== 0) {
    throw new RangeError(`Synthetic video size must be even for I420, got ${width}x${height}`);
  }
  const lumaSize = width * height;
  const barLuma = luma < 128 ? 235 : 16;
  const barWidth = Math.max(2, Math.floor(width / 16));
  let frame = 0;
  return () => {
    // wrtc copies the frame in onFrame, but a fresh buffer costs little and
    // lets a test keep what it was handed.
    const data = new Uint8Array((lumaSize * 3) / 2);
    data.fill(luma, 0, lumaSize);
    data.fill(128, lumaSize);
    const x0 = (frame * 4) % width;
    const x1 = Math.min(width, x0 + barWidth);
    for (let y = 0; y < height; y++) data.fill(barLuma, y * width + x0, y * width + x1);
    data[0] = frame & 0xff;
    data[1] = (frame >>> 8) & 0xff;
    data[2] = (frame >>> 16) & 0xff;
    data[3] = (frame >>> 24) & 0xff;
    frame = (frame + 1) >>> 0;
    return data;
  };
}

/** The frame number `videoFrames` wrote into an I420 buffer. */
export function readFrameNumber(data: Uint8Array): number {
  return (
    ((data[0] ?? 0) | ((data[1] ?? 0) << 8) | ((data[2] ?? 0) << 16) | ((data[3] ?? 0) << 24)) >>> 0
  );
}
