/**
 * Synthetic cameras, microphones and speakers for running calls in Node with
 * wrtc: a `MediaDevicesLike` whose tracks carry real (generated) media, plus
 * the controls a test needs to play the browser's part: deny permission,
 * make a device busy, unplug it mid-call, and check that nothing leaked.
 *
 * wrtc is injected and typed structurally below, so that src/ depends on
 * wrtc neither at run time nor for types.
 */
import type { MediaDevicesLike, MediaStreamConstructor } from '../env/platform';
import { AUDIO_FRAME_MS, AUDIO_SAMPLE_RATE, toneFrames, videoFrames } from './frames';

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

type InputDevice = Extract<SyntheticDevice, { kind: 'videoinput' | 'audioinput' }>;
type ConstrainedProperty = 'deviceId' | 'facingMode';

/** Which permissions the (pretend) user refused. */
export interface SyntheticDeny {
  audio?: boolean;
  video?: boolean;
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
}

const DEFAULT_CAMERAS: SyntheticCamera[] = [
  { deviceId: 'front', label: 'Synthetic front camera', facingMode: 'user' },
  { deviceId: 'back', label: 'Synthetic back camera', facingMode: 'environment' },
];
const DEFAULT_MICROPHONES: SyntheticMicrophone[] = [
  { deviceId: 'microphone', label: 'Synthetic microphone' },
];
const DEFAULT_SPEAKERS: SyntheticSpeaker[] = [{ deviceId: 'speaker', label: 'Synthetic speaker' }];

// Spread far apart so that cameras stay distinguishable through a codec.
const CAMERA_LUMAS = [64, 192, 128, 96, 160, 32, 224];
// Enumerated in the order Chrome uses.
const KIND_ORDER = ['audioinput', 'videoinput', 'audiooutput'] as const;

/** A timer pushing media into one source, for as long as a track on it is live. */
interface Feeder {
  readonly tracks: Set<MediaStreamTrack>;
  timer: ReturnType<typeof setInterval> | undefined;
}

function domError(name: string, message: string): DOMException {
  // Node 20 has DOMException, so `instanceof DOMException` and `.name` work as in a browser.
  return new DOMException(message, name);
}

/** Browsers throw an OverconstrainedError (a DOMException) naming the failed constraint. */
function overconstrained(constraint: string): DOMException {
  const error = domError('OverconstrainedError', `Cannot satisfy constraint ${constraint}`);
  Object.defineProperty(error, 'constraint', { value: constraint, enumerable: true });
  return error;
}

function asList(value: string | string[]): string[] {
  return Array.isArray(value) ? value : [value];
}

/** A ConstrainDOMString split into its required and preferred values; a bare value is preferred. */
function parseConstraint(c: ConstrainDOMString | undefined): {
  exact?: string[];
  ideal?: string[];
} {
  if (c === undefined) return {};
  if (typeof c === 'string' || Array.isArray(c)) return { ideal: asList(c) };
  return {
    ...(c.exact !== undefined && { exact: asList(c.exact) }),
    ...(c.ideal !== undefined && { ideal: asList(c.ideal) }),
  };
}

/**
 * Picks a device as a browser does for `deviceId` and `facingMode`: `exact`
 * values filter (none left: OverconstrainedError), `ideal` (or bare) values
 * rank what is left, earlier constraints weighing more; ties go to the first.
 */
function pickDevice<D>(
  devices: D[],
  constraints: MediaTrackConstraints,
  properties: Array<[ConstrainedProperty, (device: D) => string | undefined]>,
): D {
  let candidates = devices;
  const preferences: Array<(device: D) => boolean> = [];
  for (const [name, valueOf] of properties) {
    const { exact, ideal } = parseConstraint(constraints[name]);
    const matches = (values: string[]) => (device: D) => {
      const value = valueOf(device);
      return value !== undefined && values.includes(value);
    };
    if (exact) {
      candidates = candidates.filter(matches(exact));
      if (candidates.length === 0) throw overconstrained(name);
    }
    if (ideal) preferences.push(matches(ideal));
  }
  const score = (device: D) =>
    preferences.reduce(
      (sum, prefers, i) => sum + (prefers(device) ? 2 ** (preferences.length - i) : 0),
      0,
    );
  let best = candidates[0] as D;
  for (const device of candidates) if (score(device) > score(best)) best = device;
  return best;
}

/** Defines an own, non-enumerable property, shadowing wrtc's read-only prototype member. */
function patch(track: MediaStreamTrack, name: string, value: unknown): void {
  Object.defineProperty(track, name, { value, configurable: true, writable: true });
}

export function createSyntheticMediaDevices(
  wrtc: WrtcMediaLike,
  options: SyntheticMediaDevicesOptions = {},
): SyntheticMediaDevices {
  const width = options.width ?? 320;
  const height = options.height ?? 240;
  const fps = options.fps ?? 15;
  if (!(fps > 0)) throw new RangeError(`Synthetic video fps must be positive, got ${fps}`);
  // Checks the size now rather than at the first getUserMedia.
  videoFrames(width, height, 0);

  const devices: SyntheticDevice[] = [];
  const busy = new Set<string>();
  let denied: SyntheticDeny = { ...options.deny };
  const calls: MediaStreamConstraints[] = [];
  const listeners = new Set<() => void>();
  const origin = new WeakMap<MediaStreamTrack, InputDevice>();
  const live = new Set<MediaStreamTrack>();
  const feeders = new Set<Feeder>();
  let cameraCount = 0;
  let microphoneCount = 0;

  function add(device: SyntheticDevice): void {
    if (devices.some((d) => d.deviceId === device.deviceId)) {
      throw new Error(`A synthetic device ${device.deviceId} is already plugged in`);
    }
    // Copy and fill the per-device defaults once, so that they stay stable.
    if (device.kind === 'videoinput') {
      const luma = device.luma ?? CAMERA_LUMAS[cameraCount % CAMERA_LUMAS.length];
      cameraCount++;
      devices.push({ ...device, luma });
    } else if (device.kind === 'audioinput') {
      const toneHz = device.toneHz ?? 440 + 220 * microphoneCount;
      microphoneCount++;
      devices.push({ ...device, toneHz });
    } else {
      devices.push({ ...device });
    }
  }

  for (const camera of options.cameras ?? DEFAULT_CAMERAS) add({ ...camera, kind: 'videoinput' });
  for (const mic of options.microphones ?? DEFAULT_MICROPHONES) add({ ...mic, kind: 'audioinput' });
  for (const speaker of options.speakers ?? DEFAULT_SPEAKERS)
    add({ ...speaker, kind: 'audiooutput' });

  function emitDeviceChange(): void {
    for (const listener of [...listeners]) listener();
  }

  /** Stops the feeder's timer once every track on its source has ended; true if stopped. */
  function release(feeder: Feeder): boolean {
    for (const track of feeder.tracks) if (track.readyState !== 'ended') return false;
    clearInterval(feeder.timer);
    feeder.timer = undefined;
    feeders.delete(feeder);
    return true;
  }

  function startFeeder(intervalMs: number, push: () => void): Feeder {
    const feeder: Feeder = { tracks: new Set(), timer: undefined };
    // Checked on every tick as well as in the patched stop(): a track may be
    // ended through wrtc's own prototype method, which we do not see.
    feeder.timer = setInterval(() => {
      if (!release(feeder)) push();
    }, intervalMs);
    feeders.add(feeder);
    return feeder;
  }

  /**
   * Registers a track and patches it to look like a browser's: wrtc's
   * tracks have no `label`, and their `getSettings()` describes a fixed
   * 'FakeVideoDevice'. `stop` and `clone` are wrapped so that the feeder
   * stops at once and clones (which share the source) are accounted for.
   */
  function adopt(
    track: MediaStreamTrack,
    device: InputDevice,
    feeder: Feeder,
    settings: MediaTrackSettings,
  ): void {
    origin.set(track, device);
    feeder.tracks.add(track);
    live.add(track);
    // Kept to be called on this very track (`.call(track)`) by the patched methods.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const nativeStop = track.stop;
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const nativeClone = track.clone;
    patch(track, 'label', device.label ?? device.deviceId);
    patch(track, 'getSettings', (): MediaTrackSettings => ({ ...settings }));
    patch(track, 'stop', (): void => {
      nativeStop.call(track);
      live.delete(track);
      release(feeder);
    });
    patch(track, 'clone', (): MediaStreamTrack => {
      const copy = nativeClone.call(track);
      adopt(copy, device, feeder, settings);
      return copy;
    });
  }

  function capture(device: InputDevice): MediaStreamTrack {
    const groupId = device.groupId ?? `synthetic-${device.deviceId}`;
    if (device.kind === 'videoinput') {
      const source = new wrtc.nonstandard.RTCVideoSource();
      const next = videoFrames(width, height, device.luma ?? 128);
      const track = source.createTrack();
      const feeder = startFeeder(1000 / fps, () => source.onFrame({ width, height, data: next() }));
      adopt(track, device, feeder, {
        deviceId: device.deviceId,
        groupId,
        ...(device.facingMode !== undefined && { facingMode: device.facingMode }),
        width,
        height,
        frameRate: fps,
        aspectRatio: width / height,
      });
      return track;
    }
    const source = new wrtc.nonstandard.RTCAudioSource();
    const next = toneFrames(device.toneHz ?? 440);
    const track = source.createTrack();
    const feeder = startFeeder(AUDIO_FRAME_MS, () =>
      source.onData({
        samples: next(),
        sampleRate: AUDIO_SAMPLE_RATE,
        bitsPerSample: 16,
        channelCount: 1,
      }),
    );
    adopt(track, device, feeder, {
      deviceId: device.deviceId,
      groupId,
      sampleRate: AUDIO_SAMPLE_RATE,
      sampleSize: 16,
      channelCount: 1,
    });
    return track;
  }

  /** The device a getUserMedia call gets for one kind, or the error a browser gives. */
  function choose(kind: InputDevice['kind'], asked: true | MediaTrackConstraints): InputDevice {
    const candidates = devices.filter((d): d is InputDevice => d.kind === kind);
    if (candidates.length === 0) throw domError('NotFoundError', 'Requested device not found');
    const properties: Array<[ConstrainedProperty, (d: InputDevice) => string | undefined]> = [
      ['deviceId', (d) => d.deviceId],
    ];
    if (kind === 'videoinput') {
      properties.push(['facingMode', (d) => (d.kind === 'videoinput' ? d.facingMode : undefined)]);
    }
    return pickDevice(candidates, asked === true ? {} : asked, properties);
  }

  function liveTracks(): MediaStreamTrack[] {
    for (const track of live) if (track.readyState === 'ended') live.delete(track);
    return [...live];
  }

  return {
    async getUserMedia(constraints) {
      calls.push(structuredClone(constraints ?? {}));
      const { audio, video } = constraints ?? {};
      if (!audio && !video) {
        throw new TypeError('getUserMedia: at least one of audio and video must be requested');
      }
      // Every check runs before any track is made, so a failed call leaves nothing live.
      // The order is the spec's: no device, unsatisfiable constraints, permission, hardware.
      const picked: InputDevice[] = [];
      if (audio) picked.push(choose('audioinput', audio));
      if (video) picked.push(choose('videoinput', video));
      if ((audio && denied.audio) || (video && denied.video)) {
        throw domError('NotAllowedError', 'Permission denied');
      }
      const busyDevice = picked.find((d) => busy.has(d.deviceId));
      if (busyDevice) {
        const what = busyDevice.kind === 'videoinput' ? 'video' : 'audio';
        throw domError('NotReadableError', `Could not start ${what} source`);
      }
      return new wrtc.MediaStream(picked.map(capture));
    },

    async enumerateDevices() {
      const sorted = KIND_ORDER.flatMap((kind) => devices.filter((d) => d.kind === kind));
      return sorted.map(({ deviceId, kind, label, groupId }) => {
        const info = {
          deviceId,
          groupId: groupId ?? `synthetic-${deviceId}`,
          kind,
          label: label ?? deviceId,
        };
        return { ...info, toJSON: () => ({ ...info }) };
      });
    },

    addEventListener(_type, listener) {
      listeners.add(listener);
    },
    removeEventListener(_type, listener) {
      listeners.delete(listener);
    },

    getUserMediaCalls: calls,

    setDenied(deny) {
      denied = { ...deny };
    },

    setBusy(deviceId, isBusy = true) {
      if (isBusy) busy.add(deviceId);
      else busy.delete(deviceId);
    },

    plug(device) {
      add(device);
      emitDeviceChange();
    },

    unplug(deviceId) {
      const index = devices.findIndex((d) => d.deviceId === deviceId);
      const device = devices[index];
      if (!device) throw new Error(`No synthetic device ${deviceId} is plugged in`);
      devices.splice(index, 1);
      busy.delete(deviceId);
      for (const track of liveTracks()) {
        if (origin.get(track) !== device) continue;
        // wrtc's stop() fires no `ended` (nor does a browser's); an unplugged
        // device does, so dispatch it. wrtc's dispatchEvent delivers it on
        // process.nextTick, to addEventListener listeners and `onended`.
        track.stop();
        track.dispatchEvent(new Event('ended'));
      }
      emitDeviceChange();
    },

    deviceOf(track) {
      return origin.get(track)?.deviceId;
    },

    liveTracks,

    activeFeeders() {
      return feeders.size;
    },

    stopAll() {
      for (const track of liveTracks()) track.stop();
      // Belt and braces: a feeder whose tracks were all ended behind our back.
      for (const feeder of [...feeders]) release(feeder);
    },
  };
}
