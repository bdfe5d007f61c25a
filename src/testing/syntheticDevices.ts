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
  SyntheticScreen,
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

/** The screen getDisplayMedia shares: not a device (enumerateDevices does not list it). */
interface ScreenSource {
  kind: 'screen';
  deviceId: string;
  label: string;
}

/** Where a track came from: a camera or microphone, or the shared screen. */
type Source = InputDevice | ScreenSource;

const DEFAULT_SCREEN: Required<SyntheticScreen> = {
  width: 640,
  height: 360,
  fps: 0, // 0: the cameras' fps
  luma: 240,
  label: 'screen:0:0',
  displaySurface: 'monitor',
};

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
  const screen =
    options.screen === false
      ? null
      : { ...DEFAULT_SCREEN, fps, ...definedOnly(options.screen ?? {}) };
  if (screen) {
    if (!(screen.fps > 0)) {
      throw new RangeError(`Synthetic screen fps must be positive, got ${screen.fps}`);
    }
    videoFrames(screen.width, screen.height, 0);
  }
  const screenSource: ScreenSource | null = screen && {
    kind: 'screen',
    deviceId: screen.label,
    label: screen.label,
  };
  const displayCalls: DisplayMediaStreamOptions[] = [];
  const screens: MediaStreamTrack[] = [];
  let displayError: string | null = null;

  const devices: SyntheticDevice[] = [];
  const busy = new Set<string>();
  let denied: SyntheticDeny = { ...options.deny };
  const calls: MediaStreamConstraints[] = [];
  const listeners = new Set<() => void>();
  const origin = new WeakMap<MediaStreamTrack, Source>();
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
    device: Source,
    feeder: Feeder,
    settings: MediaTrackSettings,
  ): void {
    origin.set(track, device);
    if (device.kind === 'screen') screens.push(track);
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

  /** A new track of the synthetic screen. */
  function captureScreen(): MediaStreamTrack {
    if (!screen || !screenSource) throw new Error('no synthetic screen');
    const { width: w, height: h, luma } = screen;
    const source = new wrtc.nonstandard.RTCVideoSource();
    const next = videoFrames(w, h, luma);
    const track = source.createTrack();
    const feeder = startFeeder(1000 / screen.fps, () =>
      source.onFrame({ width: w, height: h, data: next() }),
    );
    adopt(track, screenSource, feeder, {
      deviceId: screenSource.deviceId,
      displaySurface: screen.displaySurface,
      width: w,
      height: h,
      frameRate: screen.fps,
      aspectRatio: w / h,
      // Not in every version of lib.dom's MediaTrackSettings; a browser reports them.
      ...({ cursor: 'never', logicalSurface: true } as MediaTrackSettings),
    });
    return track;
  }

  async function getDisplayMedia(
    constraints: DisplayMediaStreamOptions = {},
  ): Promise<MediaStream> {
    displayCalls.push(structuredClone(constraints));
    // As the spec: video may not be refused, and min/exact constraints are a TypeError.
    if (constraints.video === false) {
      throw new TypeError('getDisplayMedia: video must be requested');
    }
    for (const kind of ['video', 'audio'] as const) {
      const asked = constraints[kind];
      if (typeof asked === 'object' && asked !== null) {
        for (const value of Object.values(asked)) {
          if (typeof value === 'object' && value !== null && ('exact' in value || 'min' in value)) {
            throw new TypeError(
              `getDisplayMedia: min and exact ${kind} constraints are not allowed`,
            );
          }
        }
      }
    }
    if (displayError !== null) {
      const messages: Record<string, string> = {
        NotAllowedError: 'Permission denied by user',
        NotReadableError: 'Could not start video source',
      };
      throw domError(displayError, messages[displayError] ?? displayError);
    }
    // The picker is answered at once; the screen has no audio to give.
    return new wrtc.MediaStream([captureScreen()]);
  }

  /** Ends a track as the browser does when capture stops by itself: readyState, then `ended`. */
  function endTrack(track: MediaStreamTrack): void {
    // wrtc's stop() fires no `ended` (nor does a browser's); a device lost
    // or a share stopped from the browser's own UI does, so dispatch it.
    // wrtc's dispatchEvent delivers it on process.nextTick, to
    // addEventListener listeners and `onended`.
    track.stop();
    track.dispatchEvent(new Event('ended'));
  }

  function liveTracks(): MediaStreamTrack[] {
    for (const track of live) if (track.readyState === 'ended') live.delete(track);
    return [...live];
  }

  const devicesApi: SyntheticMediaDevices = {
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
        if (origin.get(track) === device) endTrack(track);
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

    getDisplayMediaCalls: displayCalls,

    setDisplayMediaError(name) {
      displayError = name;
    },

    screenTracks() {
      return [...screens];
    },

    stopSharing() {
      let ended = 0;
      for (const track of liveTracks()) {
        if (origin.get(track)?.kind !== 'screen') continue;
        endTrack(track);
        ended++;
      }
      return ended;
    },
  };
  // Only where there is a screen to share: a phone's mediaDevices has no getDisplayMedia.
  if (screen) devicesApi.getDisplayMedia = getDisplayMedia;
  return devicesApi;
}

/** `value` without its undefined properties, so that spreading it keeps defaults. */
function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

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
} from './types';
