import type { CallMedia, Facing } from '../protocol/messages';
import type { MediaDevicesLike } from '../env/platform';
import { CallError } from '../call/errors';
import { mediaError } from './errors';
import { allWhere, indexWhere } from '../util/list';

const VIDEO: MediaTrackConstraints = { width: { ideal: 1280 }, height: { ideal: 720 } };

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
 */
export class LocalMedia {
  audio: MediaStreamTrack | null = null;
  video: MediaStreamTrack | null = null;
  audioMuted = false;
  facing: Facing | undefined;
  private stream: MediaStream | null = null;
  private cameraId: string | undefined;
  private stopped = false;

  constructor(private readonly devices: MediaDevicesLike | undefined) {}

  /**
   * Opens the microphone, and the camera for a video call unless `videoOff`.
   * A camera that cannot be had leaves a voice call; a microphone that cannot
   * be had is an error.
   *
   * @throws {CallError} `permission-denied`, `no-device` or `unsupported`.
   */
  async start(media: CallMedia, videoOff: boolean): Promise<StartResult> {
    const wantVideo = media === 'video' && !videoOff;
    if (!wantVideo) {
      this.adopt(await this.getUserMedia({ audio: true, video: false }));
      return {};
    }
    try {
      this.adopt(await this.getUserMedia({ audio: true, video: { ...VIDEO, facingMode: 'user' } }));
      return {};
    } catch (error) {
      if (this.stopped) throw error;
      // The camera may be the part that failed: try the microphone alone.
      const cameraError = error instanceof CallError ? error : mediaError(error);
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
      this.dropVideo();
      return null;
    }
    if (this.video) return this.video;
    const constraints: MediaTrackConstraints = this.cameraId
      ? { ...VIDEO, deviceId: { exact: this.cameraId } }
      : { ...VIDEO, facingMode: this.facing ?? 'user' };
    const stream = await this.getUserMedia({ audio: false, video: constraints });
    return this.adoptVideo(stream);
  }

  /**
   * Switches to the other camera: the opposite `facingMode` where cameras
   * report one, otherwise the next camera in the device list.
   *
   * @throws {CallError} `no-device` when there is no other camera.
   */
  async switchCamera(): Promise<MediaStreamTrack> {
    const cameras = allWhere(await this.listDevices(), (d) => d.kind === 'videoinput');
    if (cameras.length < 2) throw new CallError('no-device', 'there is no other camera');
    const index = indexWhere(cameras, (c) => c.deviceId === this.cameraId);
    const next = cameras[(index + 1) % cameras.length] as MediaDeviceInfo;
    const target: MediaTrackConstraints = this.facing
      ? { ...VIDEO, facingMode: { exact: this.facing === 'user' ? 'environment' : 'user' } }
      : { ...VIDEO, deviceId: { exact: next.deviceId } };
    // Phones often cannot open two cameras at once: release the old one first.
    this.dropVideo();
    let stream: MediaStream;
    try {
      stream = await this.getUserMedia({ audio: false, video: target });
    } catch (error) {
      if (this.stopped || !target.facingMode) throw error;
      stream = await this.getUserMedia({
        audio: false,
        video: { ...VIDEO, deviceId: { exact: next.deviceId } },
      });
    }
    return this.adoptVideo(stream);
  }

  /** Every local track that is still live (for leak checks). */
  liveTracks(): MediaStreamTrack[] {
    const live: MediaStreamTrack[] = [];
    if (this.audio?.readyState === 'live') live[live.length] = this.audio;
    if (this.video?.readyState === 'live') live[live.length] = this.video;
    return live;
  }

  /** Stops every track. Anything that arrives afterwards is stopped at once. */
  stop(): void {
    this.stopped = true;
    this.audio?.stop();
    this.dropVideo();
    this.audio = null;
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
    this.stream = stream;
    this.audio = stream.getAudioTracks()[0] ?? null;
    if (!this.audio) {
      for (const track of stream.getTracks()) track.stop();
      throw new CallError('no-device', 'no microphone track was granted');
    }
    this.audio.enabled = !this.audioMuted;
    const video = stream.getVideoTracks()[0];
    if (video) this.setVideoTrack(video);
  }

  private adoptVideo(stream: MediaStream): MediaStreamTrack {
    const track = stream.getVideoTracks()[0];
    for (const other of stream.getTracks()) if (other !== track) other.stop();
    if (!track) throw new CallError('no-device', 'no camera track was granted');
    this.setVideoTrack(track);
    if (this.stream && this.stream !== stream) this.stream.addTrack(track);
    return track;
  }

  private setVideoTrack(track: MediaStreamTrack): void {
    this.video = track;
    const settings = typeof track.getSettings === 'function' ? track.getSettings() : {};
    if (settings.deviceId) this.cameraId = settings.deviceId;
    if (settings.facingMode === 'user' || settings.facingMode === 'environment') {
      this.facing = settings.facingMode;
    }
  }

  private dropVideo(): void {
    const video = this.video;
    if (!video) return;
    video.stop();
    this.stream?.removeTrack(video);
    this.video = null;
  }

  private async listDevices(): Promise<MediaDeviceInfo[]> {
    try {
      return (await this.devices?.enumerateDevices?.()) ?? [];
    } catch {
      return [];
    }
  }
}
