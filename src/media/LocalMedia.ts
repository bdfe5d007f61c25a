import type { CallMedia, Facing } from '../protocol/messages';
import type { MediaDevicesLike } from '../env/platform';
import { CallError } from '../foundation/errors';
import { mediaError } from './errors';
import { enumerateDevices } from './devices';
import { allWhere, contains, indexWhere } from '../util/list';

const VIDEO: MediaTrackConstraints = { width: { ideal: 1280 }, height: { ideal: 720 } };

export type TrackKind = 'audio' | 'video';

export interface StartResult {
  /** Why the camera could not be opened, when the call goes on without it. */
  cameraError?: CallError;
}

/**
 * The consumer's microphone and camera for one call. Owns every local track
 * it opens and stops them all in `stop()`: the camera light goes out.
 *
 * The camera is released whenever video is off (not just disabled), so that
 * the light tells the truth; turning it on opens the same device again.
 * A track that ends by itself (a device unplugged, revoked by the system)
 * is reported through `onTrackEnded`; tracks this class stops are not.
 */
export class LocalMedia {
  audio: MediaStreamTrack | null = null;
  video: MediaStreamTrack | null = null;
  audioMuted = false;
  facing: Facing | undefined;
  private stream: MediaStream | null = null;
  private microphoneId: string | undefined;
  private cameraId: string | undefined;
  private stopped = false;

  constructor(
    private readonly devices: MediaDevicesLike | undefined,
    private readonly onTrackEnded: (kind: TrackKind) => void = () => undefined,
  ) {}

  /**
   * Opens the microphone, and the camera for a video call unless `videoOff`.
   * A camera that cannot be had leaves a voice call; a microphone that cannot
   * be had is an error.
   *
   * @throws {CallError} `permission-denied`, `no-device` or `unsupported`.
   */
  async start(media: CallMedia, videoOff: boolean, facing: Facing = 'user'): Promise<StartResult> {
    const wantVideo = media === 'video' && !videoOff;
    if (!wantVideo) {
      this.adopt(await this.getUserMedia({ audio: true, video: false }));
      return {};
    }
    try {
      this.adopt(await this.getUserMedia({ audio: true, video: { ...VIDEO, facingMode: facing } }));
      return {};
    } catch (error) {
      if (this.stopped) throw error;
      // The camera may be the part that failed: try the microphone alone.
      const cameraError = mediaError(error);
      this.adopt(await this.getUserMedia({ audio: true, video: false }));
      return { cameraError };
    }
  }

  /** The stream holding the current local tracks, once media has started. */
  get localStream(): MediaStream | null {
    return this.stream;
  }

  setAudioMuted(muted: boolean): void {
    this.audioMuted = muted;
    // A disabled track sends silence and keeps the device open: no new prompt on unmute.
    if (this.audio) this.audio.enabled = !muted;
  }

  /** Turns the camera on (opening it) or off (releasing it). Returns the track to send. */
  async setVideoEnabled(enabled: boolean): Promise<MediaStreamTrack | null> {
    if (!enabled) {
      this.release('video');
      return null;
    }
    if (this.video) return this.video;
    const constraints: MediaTrackConstraints = this.cameraId
      ? { ...VIDEO, deviceId: { exact: this.cameraId } }
      : { ...VIDEO, facingMode: this.facing ?? 'user' };
    return this.openVideo(constraints);
  }

  /**
   * Switches to the other camera: the opposite `facingMode` where cameras
   * report one, otherwise the next camera in the device list. With the
   * camera off, only chooses the camera to open next (resolves null).
   *
   * @throws {CallError} `no-device` when there is no other camera.
   */
  async switchCamera(): Promise<MediaStreamTrack | null> {
    const cameras = allWhere(await this.listDevices(), (d) => d.kind === 'videoinput');
    if (cameras.length < 2) throw new CallError('no-device', 'there is no other camera');
    const index = indexWhere(cameras, (c) => c.deviceId === this.cameraId);
    const next = cameras[(index + 1) % cameras.length] as MediaDeviceInfo;
    const opposite = this.facing === 'user' ? 'environment' : 'user';
    if (!this.video) {
      // Camera off: the other camera is the one opened next time.
      if (this.facing) {
        this.facing = opposite;
        this.cameraId = undefined;
      } else this.cameraId = next.deviceId;
      return null;
    }
    const byDevice: MediaTrackConstraints = { ...VIDEO, deviceId: { exact: next.deviceId } };
    if (!this.facing) return this.openVideo(byDevice);
    try {
      return await this.openVideo({ ...VIDEO, facingMode: { exact: opposite } });
    } catch (error) {
      if (this.stopped) throw error;
      return this.openVideo(byDevice);
    }
  }

  /** Sends another microphone from now on. */
  async selectMicrophone(deviceId: string): Promise<MediaStreamTrack> {
    const stream = await this.getUserMedia({ audio: { deviceId: { exact: deviceId } } });
    const track = stream.getAudioTracks()[0];
    if (!track) throw new CallError('no-device', 'no microphone track was granted');
    this.setTrack('audio', track);
    return track;
  }

  /** Uses another camera: at once if the camera is on, else the next time it is turned on. */
  async selectCamera(deviceId: string): Promise<MediaStreamTrack | null> {
    const previous = { cameraId: this.cameraId, facing: this.facing };
    this.cameraId = deviceId;
    this.facing = undefined;
    if (!this.video) return null;
    try {
      return await this.openVideo({ ...VIDEO, deviceId: { exact: deviceId } });
    } catch (error) {
      if (this.stopped) throw error;
      // Keep the camera that worked: go back to it, then report the failure.
      this.cameraId = previous.cameraId;
      this.facing = previous.facing;
      await this.setVideoEnabled(true).catch(() => undefined);
      throw error;
    }
  }

  /**
   * After a device was lost: opens any device of that kind. Resolves null
   * when none can be had (the call goes on without it).
   */
  async recover(kind: TrackKind): Promise<MediaStreamTrack | null> {
    try {
      if (kind === 'audio') {
        const track = (await this.getUserMedia({ audio: true })).getAudioTracks()[0] ?? null;
        if (track) this.setTrack('audio', track);
        return track;
      }
      this.cameraId = undefined;
      return await this.openVideo({ ...VIDEO });
    } catch (error) {
      if (this.stopped) throw error;
      this.release(kind);
      return null;
    }
  }

  /** Every local track that is still live (for leak checks). */
  liveTracks(): MediaStreamTrack[] {
    const live: MediaStreamTrack[] = [];
    if (this.audio?.readyState === 'live') live[live.length] = this.audio;
    if (this.video?.readyState === 'live') live[live.length] = this.video;
    return live;
  }

  /** The devices as the browser lists them (labels once permission was granted). */
  listDevices(): Promise<MediaDeviceInfo[]> {
    return enumerateDevices(this.devices);
  }

  /** Stops every track. Anything that arrives afterwards is stopped at once. */
  stop(): void {
    this.stopped = true;
    this.release('audio');
    this.release('video');
    this.stream = null;
  }

  private async getUserMedia(constraints: MediaStreamConstraints): Promise<MediaStream> {
    if (!this.devices?.getUserMedia) {
      throw new CallError('unsupported', 'this browser cannot open a camera or microphone');
    }
    let stream: MediaStream;
    try {
      stream = await this.devices.getUserMedia(constraints);
    } catch (error) {
      throw mediaError(error);
    }
    if (this.stopped) {
      // The call ended while the prompt was open: release what was granted.
      for (const track of stream.getTracks()) track.stop();
      throw new CallError('invalid-state', 'the call ended while media was being acquired');
    }
    return stream;
  }

  private adopt(stream: MediaStream): void {
    const audio = stream.getAudioTracks()[0];
    if (!audio) {
      for (const track of stream.getTracks()) track.stop();
      throw new CallError('no-device', 'no microphone track was granted');
    }
    this.stream = stream;
    this.setTrack('audio', audio);
    const video = stream.getVideoTracks()[0];
    if (video) this.setTrack('video', video);
  }

  /** Opens a camera with `constraints` in place of the current one. */
  private async openVideo(constraints: MediaTrackConstraints): Promise<MediaStreamTrack> {
    // Phones often cannot open two cameras at once: release the old one first.
    this.release('video');
    const stream = await this.getUserMedia({ audio: false, video: constraints });
    const track = stream.getVideoTracks()[0];
    for (const other of stream.getTracks()) if (other !== track) other.stop();
    if (!track) throw new CallError('no-device', 'no camera track was granted');
    this.setTrack('video', track);
    return track;
  }

  /** Makes `track` the current one of its kind: the old one stops, the stream follows. */
  private setTrack(kind: TrackKind, track: MediaStreamTrack): void {
    const old = this[kind];
    if (old && old !== track) this.release(kind);
    this[kind] = track;
    if (this.stream && !contains(this.stream.getTracks(), track)) this.stream.addTrack(track);
    if (kind === 'audio') track.enabled = !this.audioMuted;
    const settings = typeof track.getSettings === 'function' ? track.getSettings() : {};
    if (kind === 'audio' && settings.deviceId) this.microphoneId = settings.deviceId;
    if (kind === 'video') {
      if (settings.deviceId) this.cameraId = settings.deviceId;
      const facing = settings.facingMode;
      this.facing = facing === 'user' || facing === 'environment' ? facing : undefined;
    }
    // `ended` fires only when the track ends by itself: unplugged, revoked.
    track.addEventListener?.('ended', () => {
      if (!this.stopped && this[kind] === track) this.onTrackEnded(kind);
    });
  }

  private release(kind: TrackKind): void {
    const track = this[kind];
    if (!track) return;
    track.stop();
    this.stream?.removeTrack(track);
    this[kind] = null;
  }

  /** The microphone in use, if the browser tells. */
  get microphone(): string | undefined {
    return this.microphoneId;
  }

  /** The camera in use or to be used, if the browser tells. */
  get camera(): string | undefined {
    return this.cameraId;
  }
}
