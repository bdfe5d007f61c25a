/**
 * LocalMedia on its own, against fake devices: what it opens, what it
 * releases (the camera light tells the truth), how it switches and fails
 * over between cameras, and that nothing stays live after stop(), not even
 * a device granted after it.
 */
import { LocalMedia } from '../../src/media/LocalMedia';
import type { TrackKind } from '../../src/media/LocalMedia';
import type { MediaDevicesLike } from '../../src/env/platform';
import { CallError } from '../../src/foundation/errors';
import { FakeMediaStream, FakeTrack } from '../support/fakePlatform';

/** A track whose device can go away: it then ends by itself and says so. */
class DeviceTrack extends FakeTrack {
  /** The device was unplugged or revoked by the system. */
  lose(): void {
    this.end();
  }
}

interface Camera {
  deviceId: string;
  /** Absent for cameras that do not tell (most desktop webcams). */
  facingMode?: 'user' | 'environment';
}

/**
 * navigator.mediaDevices with a microphone and the given cameras. It honours
 * the constraints LocalMedia uses (deviceId and facingMode, exact or not),
 * records every request, and can fail a kind, a camera, or hold the
 * permission prompt open.
 */
class Devices implements MediaDevicesLike {
  readonly requests: MediaStreamConstraints[] = [];
  /** Every track handed out, in order. */
  readonly tracks: DeviceTrack[] = [];
  /** The cameras that were live when each request was made. */
  readonly liveCamerasAtRequest: number[] = [];
  /** Requests that include this kind reject with this error name. */
  readonly fail: Partial<Record<TrackKind, string>> = {};
  /** Cameras that cannot be opened (in use by another app). */
  readonly broken = new Set<string>();
  private held: (() => void)[] = [];
  private holding = false;

  constructor(
    public cameras: Camera[] = [
      { deviceId: 'front', facingMode: 'user' },
      { deviceId: 'back', facingMode: 'environment' },
    ],
  ) {}

  getUserMedia(constraints: MediaStreamConstraints): Promise<MediaStream> {
    this.requests.push(constraints);
    this.liveCamerasAtRequest.push(this.live('video').length);
    return new Promise((resolve, reject) => {
      const answer = () => {
        try {
          resolve(this.grant(constraints) as unknown as MediaStream);
        } catch (error) {
          reject(error);
        }
      };
      if (this.holding) this.held.push(answer);
      else answer();
    });
  }

  async enumerateDevices(): Promise<MediaDeviceInfo[]> {
    const list = [{ kind: 'audioinput', deviceId: 'mic', groupId: '', label: '' }];
    for (const c of this.cameras)
      list.push({ kind: 'videoinput', deviceId: c.deviceId, groupId: '', label: '' });
    return list as MediaDeviceInfo[];
  }

  /** The permission prompt stays open until `release()`. */
  hold(): void {
    this.holding = true;
  }

  release(): void {
    this.holding = false;
    for (const answer of this.held.splice(0)) answer();
  }

  live(kind?: TrackKind): DeviceTrack[] {
    return this.tracks.filter((t) => t.readyState === 'live' && (!kind || t.kind === kind));
  }

  /** The request that asked for video, as LocalMedia wrote its constraints. */
  videoConstraints(request: number): MediaTrackConstraints | boolean | undefined {
    return this.requests[request]?.video;
  }

  private grant(constraints: MediaStreamConstraints): FakeMediaStream {
    const kinds = (['audio', 'video'] as const).filter((k) => Boolean(constraints[k]));
    for (const kind of kinds) {
      const failure = this.fail[kind];
      if (failure) throw new DOMException(`${failure} (fake)`, failure);
    }
    const tracks: DeviceTrack[] = [];
    if (constraints.audio)
      tracks.push(new DeviceTrack('audio', { deviceId: this.microphone(constraints.audio) }));
    if (constraints.video) {
      const camera = this.camera(constraints.video);
      tracks.push(
        new DeviceTrack('video', {
          deviceId: camera.deviceId,
          ...(camera.facingMode ? { facingMode: camera.facingMode } : {}),
        }),
      );
    }
    this.tracks.push(...tracks);
    return new FakeMediaStream(tracks);
  }

  private microphone(audio: boolean | MediaTrackConstraints): string {
    const wanted = typeof audio === 'object' ? exact(audio.deviceId) : undefined;
    return wanted ?? 'mic';
  }

  private camera(video: boolean | MediaTrackConstraints): Camera {
    const c = typeof video === 'object' ? video : {};
    const byId = exact(c.deviceId);
    const facing = c.facingMode as string | { exact: string } | undefined;
    let camera: Camera | undefined;
    if (byId !== undefined) camera = this.cameras.find((cam) => cam.deviceId === byId);
    else if (typeof facing === 'object')
      camera = this.cameras.find((cam) => cam.facingMode === facing.exact);
    else camera = this.cameras.find((cam) => cam.facingMode === facing) ?? this.cameras[0];
    if (!camera) throw new DOMException('no such camera (fake)', 'OverconstrainedError');
    if (this.broken.has(camera.deviceId))
      throw new DOMException('camera in use (fake)', 'NotReadableError');
    return camera;
  }
}

function exact(value: ConstrainDOMString | undefined): string | undefined {
  if (typeof value === 'object' && !Array.isArray(value) && value !== null && 'exact' in value) {
    return value.exact as string;
  }
  return undefined;
}

interface Scene {
  media: LocalMedia;
  devices: Devices;
  /** Every onTrackEnded call (a device lost), in order. */
  lost: TrackKind[];
}

function scene(cameras?: Camera[]): Scene {
  const devices = new Devices(cameras);
  const lost: TrackKind[] = [];
  const media = new LocalMedia(devices, (kind) => lost.push(kind));
  return { media, devices, lost };
}

/** LocalMedia with the microphone and the front camera open. */
async function videoScene(cameras?: Camera[]): Promise<Scene> {
  const s = scene(cameras);
  await s.media.start('video', false);
  expect(s.media.video).not.toBeNull();
  return s;
}

function settingsOf(track: MediaStreamTrack | null): MediaTrackSettings | undefined {
  return track?.getSettings();
}

describe('start', () => {
  test('a voice call opens the microphone only', async () => {
    const s = scene();
    await expect(s.media.start('voice', false)).resolves.toEqual({});
    expect(s.devices.requests).toEqual([{ audio: true, video: false }]);
    expect(s.media.audio?.readyState).toBe('live');
    expect(s.media.video).toBeNull();
    expect(s.media.localStream?.getTracks()).toEqual([s.media.audio]);
  });

  test('a video call opens the microphone and the front camera in one request', async () => {
    const s = scene();
    await expect(s.media.start('video', false)).resolves.toEqual({});
    expect(s.devices.requests).toHaveLength(1);
    expect(s.devices.videoConstraints(0)).toEqual(expect.objectContaining({ facingMode: 'user' }));
    expect(s.media.facing).toBe('user');
    expect(s.media.camera).toBe('front');
    expect(s.media.localStream?.getTracks()).toEqual([s.media.audio, s.media.video]);
  });

  test('a video call accepted with the camera off opens no camera', async () => {
    const s = scene();
    await s.media.start('video', true);
    expect(s.devices.requests).toEqual([{ audio: true, video: false }]);
    expect(s.media.video).toBeNull();
  });

  test('a camera that cannot be opened leaves the microphone, and says why (cameraError)', async () => {
    const s = scene();
    s.devices.fail.video = 'NotReadableError';
    const result = await s.media.start('video', false);
    expect(result.cameraError).toBeInstanceOf(CallError);
    expect(result.cameraError?.code).toBe('no-device');
    expect(s.devices.requests[1]).toEqual({ audio: true, video: false });
    expect(s.media.audio?.readyState).toBe('live');
    expect(s.media.video).toBeNull();
    expect(s.devices.live()).toEqual([s.media.audio]);
  });

  test('a camera refused by the user is a permission-denied cameraError', async () => {
    const s = scene();
    s.devices.fail.video = 'NotAllowedError';
    const result = await s.media.start('video', false);
    expect(result.cameraError?.code).toBe('permission-denied');
    expect(s.media.audio?.readyState).toBe('live');
  });

  test('a microphone that cannot be had is an error, and nothing stays live', async () => {
    const s = scene();
    s.devices.fail.audio = 'NotAllowedError';
    await expect(s.media.start('video', false)).rejects.toMatchObject({
      code: 'permission-denied',
    });
    expect(s.devices.live()).toEqual([]);
  });

  test('a browser without getUserMedia is unsupported', async () => {
    const media = new LocalMedia(undefined);
    await expect(media.start('voice', false)).rejects.toMatchObject({ code: 'unsupported' });
  });
});

describe('microphone', () => {
  test('mute disables the track and keeps the device open; unmute needs no new request', async () => {
    const s = scene();
    await s.media.start('voice', false);
    const mic = s.media.audio;
    s.media.setAudioMuted(true);
    expect(mic?.enabled).toBe(false);
    expect(mic?.readyState).toBe('live');
    s.media.setAudioMuted(false);
    expect(mic?.enabled).toBe(true);
    expect(s.media.audio).toBe(mic);
    expect(s.devices.requests).toHaveLength(1);
  });

  test('a mute asked for before the microphone opens applies to it when it does', async () => {
    const s = scene();
    s.media.setAudioMuted(true);
    await s.media.start('voice', false);
    expect(s.media.audio?.enabled).toBe(false);
  });

  test('another microphone replaces the first, which is stopped; the mute carries over', async () => {
    const s = scene();
    await s.media.start('voice', false);
    const first = s.media.audio;
    s.media.setAudioMuted(true);
    const second = await s.media.selectMicrophone('usb-mic');
    expect(first?.readyState).toBe('ended');
    expect(s.media.audio).toBe(second);
    expect(second.enabled).toBe(false);
    expect(s.media.microphone).toBe('usb-mic');
    expect(s.media.localStream?.getTracks()).toEqual([second]);
  });
});

describe('camera on and off', () => {
  test('off releases the camera: its track is stopped and leaves the stream', async () => {
    const s = await videoScene();
    const camera = s.media.video;
    await expect(s.media.setVideoEnabled(false)).resolves.toBeNull();
    expect(camera?.readyState).toBe('ended');
    expect(s.media.video).toBeNull();
    expect(s.media.localStream?.getTracks()).toEqual([s.media.audio]);
    expect(s.devices.live('video')).toEqual([]);
  });

  test('on opens the same camera again as a new track', async () => {
    const s = await videoScene();
    const first = s.media.video;
    await s.media.setVideoEnabled(false);
    const track = await s.media.setVideoEnabled(true);
    expect(track).not.toBe(first);
    expect(track?.readyState).toBe('live');
    expect(s.devices.videoConstraints(1)).toEqual(
      expect.objectContaining({ deviceId: { exact: 'front' } }),
    );
    expect(s.media.video).toBe(track);
    expect(s.media.localStream?.getTracks()).toEqual([s.media.audio, track]);
  });

  test('on while the camera is already on keeps the track and asks for nothing', async () => {
    const s = await videoScene();
    const camera = s.media.video;
    await expect(s.media.setVideoEnabled(true)).resolves.toBe(camera);
    expect(s.devices.requests).toHaveLength(1);
  });
});

describe('switching cameras', () => {
  test('by facingMode: the front camera is released first, then the back one opened', async () => {
    const s = await videoScene();
    const front = s.media.video;
    const back = await s.media.switchCamera();
    expect(s.devices.videoConstraints(1)).toEqual(
      expect.objectContaining({ facingMode: { exact: 'environment' } }),
    );
    // Phones often cannot open two cameras at once.
    expect(s.devices.liveCamerasAtRequest[1]).toBe(0);
    expect(front?.readyState).toBe('ended');
    expect(settingsOf(back)).toEqual({ deviceId: 'back', facingMode: 'environment' });
    expect(s.media.facing).toBe('environment');
    expect(s.media.video).toBe(back);
    expect(s.devices.live('video')).toEqual([back]);
  });

  test('and back again', async () => {
    const s = await videoScene();
    await s.media.switchCamera();
    const again = await s.media.switchCamera();
    expect(settingsOf(again)?.deviceId).toBe('front');
    expect(s.media.facing).toBe('user');
  });

  test('to the next camera in the list where cameras do not tell their facing', async () => {
    const s = await videoScene([
      { deviceId: 'cam-a' },
      { deviceId: 'cam-b' },
      { deviceId: 'cam-c' },
    ]);
    expect(s.media.facing).toBeUndefined();
    const seen: (string | undefined)[] = [];
    for (let i = 0; i < 3; i++) seen.push(settingsOf(await s.media.switchCamera())?.deviceId);
    expect(seen).toEqual(['cam-b', 'cam-c', 'cam-a']);
    // Straight by deviceId: no facingMode is tried first.
    expect(s.devices.requests.slice(1).map((r) => r.video)).toEqual([
      expect.objectContaining({ deviceId: { exact: 'cam-b' } }),
      expect.objectContaining({ deviceId: { exact: 'cam-c' } }),
      expect.objectContaining({ deviceId: { exact: 'cam-a' } }),
    ]);
    expect(s.devices.live('video')).toHaveLength(1);
  });

  test('to the next camera when no camera faces the other way', async () => {
    const s = await videoScene([{ deviceId: 'front', facingMode: 'user' }, { deviceId: 'usb' }]);
    const track = await s.media.switchCamera();
    expect(settingsOf(track)?.deviceId).toBe('usb');
    expect(s.devices.live('video')).toEqual([track]);
  });

  test('with a single camera is a no-device error, and the camera stays on', async () => {
    const s = await videoScene([{ deviceId: 'only', facingMode: 'user' }]);
    const camera = s.media.video;
    await expect(s.media.switchCamera()).rejects.toMatchObject({ code: 'no-device' });
    expect(s.media.video).toBe(camera);
    expect(camera?.readyState).toBe('live');
  });

  test('with the camera off only chooses the camera opened next', async () => {
    const s = await videoScene();
    await s.media.setVideoEnabled(false);
    await expect(s.media.switchCamera()).resolves.toBeNull();
    expect(s.devices.requests).toHaveLength(1);
    const track = await s.media.setVideoEnabled(true);
    expect(settingsOf(track)?.deviceId).toBe('back');
  });

  test('that fails leaves the camera off (the old one was released first) and rejects', async () => {
    const s = await videoScene();
    const front = s.media.video;
    s.devices.broken.add('back');
    await expect(s.media.switchCamera()).rejects.toMatchObject({ code: 'no-device' });
    // The facing request and the fallback by deviceId both failed.
    expect(s.devices.requests).toHaveLength(3);
    expect(front?.readyState).toBe('ended');
    expect(s.media.video).toBeNull();
    expect(s.devices.live('video')).toEqual([]);
    expect(s.media.audio?.readyState).toBe('live');
  });
});

describe('selecting a camera', () => {
  test('with the camera on opens it at once in place of the current one', async () => {
    const s = await videoScene();
    const front = s.media.video;
    const track = await s.media.selectCamera('back');
    expect(settingsOf(track)?.deviceId).toBe('back');
    expect(front?.readyState).toBe('ended');
    expect(s.media.camera).toBe('back');
  });

  test('with the camera off is remembered for the next time it is turned on', async () => {
    const s = await videoScene();
    await s.media.setVideoEnabled(false);
    await expect(s.media.selectCamera('back')).resolves.toBeNull();
    const track = await s.media.setVideoEnabled(true);
    expect(settingsOf(track)?.deviceId).toBe('back');
  });

  test('that fails goes back to the camera that worked (opened again) and rejects', async () => {
    const s = await videoScene();
    const front = s.media.video;
    s.devices.broken.add('back');
    await expect(s.media.selectCamera('back')).rejects.toMatchObject({ code: 'no-device' });
    expect(front?.readyState).toBe('ended'); // released before the other was tried
    const reopened = s.media.video;
    expect(reopened).not.toBe(front);
    expect(settingsOf(reopened)).toEqual({ deviceId: 'front', facingMode: 'user' });
    expect(s.media.camera).toBe('front');
    expect(s.media.facing).toBe('user');
    expect(s.devices.live('video')).toEqual([reopened]);
  });

  test('that fails while the old camera cannot be reopened either leaves the camera off', async () => {
    const s = await videoScene();
    s.devices.broken.add('back');
    s.devices.broken.add('front');
    await expect(s.media.selectCamera('back')).rejects.toMatchObject({ code: 'no-device' });
    expect(s.media.video).toBeNull();
    expect(s.devices.live('video')).toEqual([]);
  });
});

describe('a device lost', () => {
  test('a microphone that ends by itself is reported through the callback', async () => {
    const s = await videoScene();
    (s.media.audio as unknown as DeviceTrack).lose();
    expect(s.lost).toEqual(['audio']);
  });

  test('a camera that ends by itself is reported through the callback', async () => {
    const s = await videoScene();
    (s.media.video as unknown as DeviceTrack).lose();
    expect(s.lost).toEqual(['video']);
  });

  test('a track LocalMedia replaced is not reported when it ends later', async () => {
    const s = await videoScene();
    const front = s.media.video as unknown as DeviceTrack;
    await s.media.switchCamera();
    front.lose();
    expect(s.lost).toEqual([]);
  });

  test('recover opens any microphone in place of the lost one, keeping the mute', async () => {
    const s = await videoScene();
    s.media.setAudioMuted(true);
    (s.media.audio as unknown as DeviceTrack).lose();
    const track = await s.media.recover('audio');
    expect(s.devices.requests.at(-1)).toEqual({ audio: true });
    expect(track?.readyState).toBe('live');
    expect(s.media.audio).toBe(track);
    expect(track?.enabled).toBe(false);
  });

  test('recover opens any camera, whichever was chosen before', async () => {
    const s = await videoScene();
    (s.media.video as unknown as DeviceTrack).lose();
    s.devices.cameras = [{ deviceId: 'back', facingMode: 'environment' }];
    const track = await s.media.recover('video');
    const constraints = s.devices.videoConstraints(
      s.devices.requests.length - 1,
    ) as MediaTrackConstraints;
    expect(constraints.deviceId).toBeUndefined();
    expect(constraints.facingMode).toBeUndefined();
    expect(settingsOf(track)?.deviceId).toBe('back');
    expect(s.media.video).toBe(track);
  });

  test.each<[TrackKind, TrackKind]>([
    ['audio', 'video'],
    ['video', 'audio'],
  ])(
    'recover with no %s left resolves null and holds none; the %s goes on',
    async (kind, other) => {
      const s = await videoScene();
      const lost = s.media[kind] as unknown as DeviceTrack;
      lost.lose();
      s.devices.fail[kind] = 'NotFoundError';
      await expect(s.media.recover(kind)).resolves.toBeNull();
      expect(s.media[kind]).toBeNull();
      expect(s.media.localStream?.getTracks()).toEqual([s.media[other]]);
      expect(s.media[other]?.readyState).toBe('live');
    },
  );
});

describe('stop', () => {
  test('stops every track, and a device lost afterwards is not reported', async () => {
    const s = await videoScene();
    const tracks = [s.media.audio, s.media.video] as unknown as DeviceTrack[];
    s.media.stop();
    expect(s.devices.live()).toEqual([]);
    expect(s.media.liveTracks()).toEqual([]);
    expect(s.media.localStream).toBeNull();
    for (const track of tracks) track.lose();
    expect(s.lost).toEqual([]);
  });

  test('media granted after stop (a permission prompt answered late) is stopped at once', async () => {
    const s = scene();
    s.devices.hold();
    const starting = s.media.start('video', false);
    s.media.stop();
    s.devices.release();
    await expect(starting).rejects.toMatchObject({ code: 'invalid-state' });
    expect(s.devices.tracks).toHaveLength(2);
    expect(s.devices.live()).toEqual([]);
    // No second try with the microphone alone after the end.
    expect(s.devices.requests).toHaveLength(1);
    expect(s.media.audio).toBeNull();
  });

  test('a camera turned on just before stop is stopped when it arrives', async () => {
    const s = await videoScene();
    await s.media.setVideoEnabled(false);
    s.devices.hold();
    const opening = s.media.setVideoEnabled(true);
    s.media.stop();
    s.devices.release();
    await expect(opening).rejects.toMatchObject({ code: 'invalid-state' });
    expect(s.devices.live()).toEqual([]);
    expect(s.media.video).toBeNull();
  });
});
