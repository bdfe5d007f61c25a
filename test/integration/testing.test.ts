/**
 * The Node testing helper (`messaging-calls/testing`) against real wrtc:
 * synthetic devices must behave like a browser's and carry real media.
 * Every test stops its tracks and sinks: wrtc can crash at exit otherwise.
 */
import * as wrtc from 'wrtc';
import type { Platform } from '../../src/env/platform';
import {
  createNodePlatform,
  createSyntheticMediaDevices,
  readFrameNumber,
} from '../../src/testing';
import type { SyntheticMediaDevices, SyntheticMediaDevicesOptions } from '../../src/testing';

const { RTCVideoSink, RTCAudioSink } = wrtc.nonstandard;

interface Sink {
  stop(): void;
}
type VideoFrame = { width: number; height: number; data: Uint8Array };

const made: SyntheticMediaDevices[] = [];
const sinks: Sink[] = [];

function devicesWith(options?: SyntheticMediaDevicesOptions): SyntheticMediaDevices {
  const devices = createSyntheticMediaDevices(wrtc, options);
  made.push(devices);
  return devices;
}

afterEach(() => {
  for (const sink of sinks.splice(0)) sink.stop();
  for (const devices of made.splice(0)) {
    devices.stopAll();
    expect(devices.liveTracks()).toHaveLength(0);
    expect(devices.activeFeeders()).toBe(0);
  }
});

/** Resolves with the first `count` frames an RTCVideoSink gets from the track. */
function videoFrames(track: MediaStreamTrack, count: number): Promise<VideoFrame[]> {
  const sink = new RTCVideoSink(track);
  sinks.push(sink);
  const frames: VideoFrame[] = [];
  return new Promise((resolve) => {
    sink.onframe = ({ frame }: { frame: VideoFrame }) => {
      // The sink may reuse its buffer: keep a copy.
      frames.push({ ...frame, data: Uint8Array.from(frame.data) });
      if (frames.length === count) {
        sink.stop();
        resolve(frames);
      }
    };
  });
}

function meanLuma({ width, height, data }: VideoFrame): number {
  let sum = 0;
  for (let i = 0; i < width * height; i++) sum += data[i] ?? 0;
  return sum / (width * height);
}

function nextEvent(subscribe: (listener: () => void) => void): Promise<void> {
  return new Promise((resolve) => subscribe(resolve));
}

async function rejection(promise: Promise<unknown>): Promise<DOMException> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DOMException);
  return error as DOMException;
}

describe('enumerateDevices', () => {
  it('lists the default devices as MediaDeviceInfo-shaped objects', async () => {
    const list = await devicesWith().enumerateDevices();
    expect(list.map((d) => d.toJSON())).toEqual([
      {
        deviceId: 'microphone',
        groupId: 'synthetic-microphone',
        kind: 'audioinput',
        label: 'Synthetic microphone',
      },
      {
        deviceId: 'front',
        groupId: 'synthetic-front',
        kind: 'videoinput',
        label: 'Synthetic front camera',
      },
      {
        deviceId: 'back',
        groupId: 'synthetic-back',
        kind: 'videoinput',
        label: 'Synthetic back camera',
      },
      {
        deviceId: 'speaker',
        groupId: 'synthetic-speaker',
        kind: 'audiooutput',
        label: 'Synthetic speaker',
      },
    ]);
    expect(list[1]).toMatchObject({ deviceId: 'front', kind: 'videoinput' });
  });

  it('lists what was configured', async () => {
    const devices = devicesWith({
      cameras: [{ deviceId: 'c1', label: 'Cam', groupId: 'g' }],
      microphones: [{ deviceId: 'm1' }, { deviceId: 'm2', label: 'Headset' }],
      speakers: [],
    });
    const list = await devices.enumerateDevices();
    expect(
      list.map(({ deviceId, kind, label, groupId }) => ({ deviceId, kind, label, groupId })),
    ).toEqual([
      { deviceId: 'm1', kind: 'audioinput', label: 'm1', groupId: 'synthetic-m1' },
      { deviceId: 'm2', kind: 'audioinput', label: 'Headset', groupId: 'synthetic-m2' },
      { deviceId: 'c1', kind: 'videoinput', label: 'Cam', groupId: 'g' },
    ]);
  });
});

describe('getUserMedia', () => {
  it('gives exactly one audio track for audio only, and records what was asked', async () => {
    const devices = devicesWith();
    const stream = await devices.getUserMedia({ audio: true });
    expect(stream.getTracks()).toHaveLength(1);
    expect(stream.getAudioTracks()).toHaveLength(1);
    expect(stream.getVideoTracks()).toHaveLength(0);
    const [track] = stream.getAudioTracks() as [MediaStreamTrack];
    expect(devices.deviceOf(track)).toBe('microphone');
    expect(track.label).toBe('Synthetic microphone');
    expect(track.getSettings()).toMatchObject({
      deviceId: 'microphone',
      sampleRate: 48000,
      channelCount: 1,
    });
    expect(devices.getUserMediaCalls).toEqual([{ audio: true }]);
    expect(devices.getUserMediaCalls.some((c) => c.video)).toBe(false);
    expect(devices.liveTracks()).toEqual([track]);
  });

  it('gives an audio and a video track for both', async () => {
    const devices = devicesWith();
    const stream = await devices.getUserMedia({ audio: true, video: true });
    expect(stream.getAudioTracks()).toHaveLength(1);
    expect(stream.getVideoTracks()).toHaveLength(1);
    expect(devices.liveTracks()).toHaveLength(2);
  });

  it.each<[string, MediaTrackConstraints | true, string]>([
    ['no constraint: the first camera', true, 'front'],
    ['facingMode exact environment', { facingMode: { exact: 'environment' } }, 'back'],
    ['facingMode ideal environment', { facingMode: { ideal: 'environment' } }, 'back'],
    ['facingMode bare user', { facingMode: 'user' }, 'front'],
    [
      'facingMode ideal with no match: the first camera',
      { facingMode: { ideal: 'left' } },
      'front',
    ],
    ['deviceId bare', { deviceId: 'back' }, 'back'],
    ['deviceId exact', { deviceId: { exact: 'back' } }, 'back'],
    ['deviceId ideal', { deviceId: { ideal: 'back' } }, 'back'],
    [
      'deviceId ideal outranks facingMode ideal',
      { deviceId: 'front', facingMode: 'environment' },
      'front',
    ],
  ])('picks the camera by %s', async (_name, video, expected) => {
    const devices = devicesWith({ width: 64, height: 48 });
    const [track] = (await devices.getUserMedia({ video })).getVideoTracks() as [MediaStreamTrack];
    expect(devices.deviceOf(track)).toBe(expected);
    expect(track.getSettings()).toMatchObject({
      deviceId: expected,
      facingMode: expected === 'front' ? 'user' : 'environment',
      width: 64,
      height: 48,
    });
  });

  it('rejects an exact facingMode or deviceId with no match with OverconstrainedError', async () => {
    const devices = devicesWith();
    const byFacing = await rejection(
      devices.getUserMedia({ video: { facingMode: { exact: 'left' } } }),
    );
    expect(byFacing.name).toBe('OverconstrainedError');
    expect((byFacing as DOMException & { constraint: string }).constraint).toBe('facingMode');
    const byId = await rejection(
      devices.getUserMedia({ audio: true, video: { deviceId: { exact: 'nope' } } }),
    );
    expect(byId.name).toBe('OverconstrainedError');
    expect((byId as DOMException & { constraint: string }).constraint).toBe('deviceId');
    // A failed call makes no track, not even the audio one that was possible.
    expect(devices.liveTracks()).toHaveLength(0);
    expect(devices.activeFeeders()).toBe(0);
  });

  it('rejects with NotAllowedError when permission is denied, changeable at run time', async () => {
    const devices = devicesWith({ deny: { video: true } });
    expect((await rejection(devices.getUserMedia({ video: true }))).name).toBe('NotAllowedError');
    expect((await rejection(devices.getUserMedia({ audio: true, video: true }))).name).toBe(
      'NotAllowedError',
    );
    (await devices.getUserMedia({ audio: true })).getTracks().forEach((t) => t.stop());
    devices.setDenied({ audio: true });
    expect((await rejection(devices.getUserMedia({ audio: true }))).name).toBe('NotAllowedError');
    const video = await devices.getUserMedia({ video: true });
    expect(video.getVideoTracks()).toHaveLength(1);
  });

  it('rejects with NotFoundError when no device of the kind exists', async () => {
    const devices = devicesWith({ cameras: [] });
    expect((await rejection(devices.getUserMedia({ video: true }))).name).toBe('NotFoundError');
    expect((await rejection(devices.getUserMedia({ audio: true, video: true }))).name).toBe(
      'NotFoundError',
    );
    expect(devices.liveTracks()).toHaveLength(0);
  });

  it('rejects with NotReadableError for a busy device', async () => {
    const devices = devicesWith();
    devices.setBusy('back');
    const error = await rejection(devices.getUserMedia({ video: { deviceId: { exact: 'back' } } }));
    expect(error.name).toBe('NotReadableError');
    // The other camera still works; and the busy one once released.
    (await devices.getUserMedia({ video: true })).getTracks().forEach((t) => t.stop());
    devices.setBusy('back', false);
    const stream = await devices.getUserMedia({ video: { deviceId: { exact: 'back' } } });
    expect(stream.getVideoTracks()).toHaveLength(1);
  });

  it('rejects a call asking for neither audio nor video with a TypeError', async () => {
    await expect(devicesWith().getUserMedia({})).rejects.toBeInstanceOf(TypeError);
  });
});

describe('media', () => {
  it('feeds changing I420 video frames of the configured size', async () => {
    const devices = devicesWith({ width: 160, height: 120, fps: 30 });
    const [track] = (await devices.getUserMedia({ video: true })).getVideoTracks() as [
      MediaStreamTrack,
    ];
    const frames = await videoFrames(track, 4);
    for (const frame of frames) {
      expect(frame).toMatchObject({ width: 160, height: 120 });
      expect(frame.data).toHaveLength((160 * 120 * 3) / 2);
    }
    const numbers = frames.map((f) => readFrameNumber(f.data));
    // Consecutive (the sink sees every frame of a local track), each one new.
    expect(numbers).toEqual(numbers.map((_, i) => (numbers[0] ?? 0) + i));
    expect(Buffer.from(frames[0]!.data).equals(Buffer.from(frames[1]!.data))).toBe(false);
  });

  it('sends different pictures from different cameras', async () => {
    const devices = devicesWith({ width: 64, height: 48, fps: 30 });
    const front = (
      await devices.getUserMedia({ video: { facingMode: 'user' } })
    ).getVideoTracks()[0]!;
    const back = (
      await devices.getUserMedia({ video: { facingMode: 'environment' } })
    ).getVideoTracks()[0]!;
    const [[fromFront], [fromBack]] = await Promise.all([
      videoFrames(front, 1),
      videoFrames(back, 1),
    ]);
    expect(Math.abs(meanLuma(fromFront!) - meanLuma(fromBack!))).toBeGreaterThan(50);
  });

  it('feeds 10 ms frames of a 48 kHz mono 16-bit tone', async () => {
    const devices = devicesWith();
    const [track] = (await devices.getUserMedia({ audio: true })).getAudioTracks() as [
      MediaStreamTrack,
    ];
    const sink = new RTCAudioSink(track);
    sinks.push(sink);
    const received: Array<{ samples: Int16Array; sampleRate: number; channelCount: number }> = [];
    await new Promise<void>((resolve) => {
      sink.ondata = (data: { samples: Int16Array; sampleRate: number; channelCount: number }) => {
        received.push(data);
        if (received.length === 5) resolve();
      };
    });
    sink.stop();
    for (const data of received) {
      expect(data).toMatchObject({ sampleRate: 48000, channelCount: 1 });
      expect(data.samples).toHaveLength(480);
      expect(Math.max(...data.samples)).toBeGreaterThan(1000);
    }
  });
});

describe('leaks', () => {
  it('stops feeding as soon as the track is stopped', async () => {
    const devices = devicesWith();
    const stream = await devices.getUserMedia({ audio: true, video: true });
    expect(devices.activeFeeders()).toBe(2);
    expect(devices.liveTracks()).toHaveLength(2);
    stream.getTracks().forEach((t) => t.stop());
    expect(devices.liveTracks()).toHaveLength(0);
    expect(devices.activeFeeders()).toBe(0);
  });

  it('notices on the next tick a track stopped behind its back', async () => {
    jest.useFakeTimers();
    try {
      const devices = devicesWith();
      const [track] = (await devices.getUserMedia({ audio: true })).getTracks() as [
        MediaStreamTrack,
      ];
      // wrtc's own stop, not the patched one: only the feeder's tick can see it.
      (Object.getPrototypeOf(track) as MediaStreamTrack).stop.call(track);
      expect(devices.activeFeeders()).toBe(1);
      expect(jest.getTimerCount()).toBe(1);
      jest.advanceTimersByTime(10);
      expect(devices.activeFeeders()).toBe(0);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('keeps feeding a clone until the clone is stopped too', async () => {
    const devices = devicesWith({ width: 64, height: 48, fps: 30 });
    const [track] = (await devices.getUserMedia({ video: true })).getTracks() as [MediaStreamTrack];
    const copy = track.clone();
    expect(devices.deviceOf(copy)).toBe('front');
    expect(copy.getSettings().deviceId).toBe('front');
    track.stop();
    expect(devices.liveTracks()).toEqual([copy]);
    expect(await videoFrames(copy, 2)).toHaveLength(2);
    copy.stop();
    expect(devices.activeFeeders()).toBe(0);
  });

  it('stopAll stops everything', async () => {
    const devices = devicesWith();
    await devices.getUserMedia({ audio: true, video: true });
    await devices.getUserMedia({ video: { facingMode: 'environment' } });
    expect(devices.liveTracks()).toHaveLength(3);
    devices.stopAll();
    expect(devices.liveTracks()).toHaveLength(0);
    expect(devices.activeFeeders()).toBe(0);
  });
});

describe('plug and unplug', () => {
  it('unplugging ends the live track of that device and fires devicechange', async () => {
    const devices = devicesWith();
    const stream = await devices.getUserMedia({
      audio: true,
      video: { facingMode: 'environment' },
    });
    const video = stream.getVideoTracks()[0]!;
    const audio = stream.getAudioTracks()[0]!;
    const ended = nextEvent((fn) => video.addEventListener('ended', fn));
    const onended = nextEvent((fn) => {
      video.onended = fn;
    });
    const changed = jest.fn();
    devices.addEventListener('devicechange', changed);

    devices.unplug('back');
    expect(changed).toHaveBeenCalledTimes(1);
    expect(video.readyState).toBe('ended');
    await Promise.all([ended, onended]);
    expect(audio.readyState).toBe('live');
    expect(devices.liveTracks()).toEqual([audio]);
    expect(devices.activeFeeders()).toBe(1);
    expect((await devices.enumerateDevices()).map((d) => d.deviceId)).not.toContain('back');
    const gone = await rejection(devices.getUserMedia({ video: { deviceId: { exact: 'back' } } }));
    expect(gone.name).toBe('OverconstrainedError');

    devices.plug({ kind: 'videoinput', deviceId: 'usb', label: 'USB camera' });
    expect(changed).toHaveBeenCalledTimes(2);
    devices.removeEventListener('devicechange', changed);
    devices.unplug('usb');
    expect(changed).toHaveBeenCalledTimes(2);
    expect(() => devices.unplug('usb')).toThrow();
  });

  it('a plugged device can be captured, and an unplugged kind gives NotFoundError', async () => {
    const devices = devicesWith({ microphones: [] });
    expect((await rejection(devices.getUserMedia({ audio: true }))).name).toBe('NotFoundError');
    devices.plug({ kind: 'audioinput', deviceId: 'headset', label: 'Headset' });
    const [track] = (await devices.getUserMedia({ audio: true })).getAudioTracks() as [
      MediaStreamTrack,
    ];
    expect(devices.deviceOf(track)).toBe('headset');
    expect(() => devices.plug({ kind: 'audiooutput', deviceId: 'headset' })).toThrow();
  });
});

describe('createNodePlatform', () => {
  it('is a Platform that keeps the device controls, and its video crosses a peer connection', async () => {
    const platform = createNodePlatform(wrtc, { width: 160, height: 120, fps: 30 });
    made.push(platform.mediaDevices);
    const asPlatform: Platform = platform; // type-level check
    expect(asPlatform.RTCPeerConnection).toBe(wrtc.RTCPeerConnection);
    expect(platform.MediaStream).toBe(wrtc.MediaStream);

    const a = new platform.RTCPeerConnection();
    const b = new platform.RTCPeerConnection();
    try {
      a.onicecandidate = ({ candidate }) => candidate && void b.addIceCandidate(candidate);
      b.onicecandidate = ({ candidate }) => candidate && void a.addIceCandidate(candidate);
      const remote = new Promise<MediaStreamTrack>((resolve) => {
        b.ontrack = ({ track }) => resolve(track);
      });
      const stream = await platform.mediaDevices.getUserMedia({
        video: { facingMode: { exact: 'environment' } },
      });
      a.addTrack(stream.getVideoTracks()[0]!, stream);
      // Keep the descriptions rather than reading pc.*Description (MACHINE.md: can crash).
      const offer = await a.createOffer();
      await a.setLocalDescription(offer);
      await b.setRemoteDescription(offer);
      const answer = await b.createAnswer();
      await b.setLocalDescription(answer);
      await a.setRemoteDescription(answer);
      const frames = await videoFrames(await remote, 3);
      // The back camera's background (192) survives encoding; the front's is 64.
      expect(Math.abs(meanLuma(frames[2]!) - 181)).toBeLessThan(25);
      expect(platform.mediaDevices.deviceOf(stream.getVideoTracks()[0]!)).toBe('back');
    } finally {
      a.close();
      b.close();
    }
  });
});
