/**
 * Synthetic cameras, microphones and speakers for running calls in Node with
 * wrtc: a `MediaDevicesLike` whose tracks carry real (generated) media, plus
 * the controls a test needs to play the browser's part: deny permission,
 * make a device busy, unplug it mid-call, and check that nothing leaked.
 *
 * wrtc is injected and typed structurally (types.ts), so that src/ depends
 * on wrtc neither at run time nor for types.
 */
import { domError, pickDevice } from './constraints';
import type {
  ConstrainedProperty,
  InputDevice,
  WrtcMediaLike,
  SyntheticCamera,
  SyntheticMicrophone,
  SyntheticSpeaker,
  SyntheticDevice,
  SyntheticDeny,
  SyntheticMediaDevicesOptions,
  SyntheticMediaDevices,
} from './types';
import { AUDIO_FRAME_MS, AUDIO_SAMPLE_RATE, toneFrames, videoFrames } from './frames';

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
} from './types';
