import { LocalMedia } from '../media/LocalMedia';
import type { TrackKind } from '../media/LocalMedia';
import { deviceList, enumerateDevices } from '../media/devices';
import type { DeviceList } from '../media/devices';
import type { VideoEncoding } from '../peer/encoding';
import { errorName } from '../foundation/log';
import { listenTo } from '../util/events';
import type { ClientCore, ConsumerCall } from './core';
import type { MediaState } from './events';

type Change = [TrackKind, MediaStreamTrack | null] | null;

/**
 * The consumer's media during a call: mute, camera on/off, switch and
 * select, device failover, the video sender's encoding, and the projection
 * of what LocalMedia holds into the call's media state (told to the page,
 * and to the agent once connected).
 */
export class MediaControls {
  /** The last device list seen (for canSwitchCamera). */
  private devices: MediaDeviceInfo[] = [];

  constructor(private readonly core: ClientCore) {}

  /** Opens LocalMedia for `call`, following lost devices. */
  open(call: ConsumerCall): LocalMedia {
    const media = new LocalMedia(this.core.platform.mediaDevices, (kind) =>
      this.onDeviceLost(call, kind),
    );
    call.media = media;
    media.setAudioMuted(call.info.local.audioMuted);
    return media;
  }

  setAudioMuted(call: ConsumerCall, muted: boolean): void {
    if (call.info.local.audioMuted === muted) return;
    const media = call.media;
    if (!muted && media && !media.audio) {
      // The microphone was lost: unmuting means finding one again.
      media.setAudioMuted(false);
      this.run(call, async (m) => {
        const track = await m.recover('audio');
        if (!track)
          this.core.warn('device-lost', 'no microphone is available; the call stays muted');
        return track ? ['audio', track] : null;
      }).catch(() => undefined);
      return;
    }
    call.info.local.audioMuted = muted;
    media?.setAudioMuted(muted);
    this.changed(call);
  }

  setVideoEnabled(call: ConsumerCall, enabled: boolean): Promise<void> {
    call.wantVideo = enabled;
    return this.run(call, async (media) => {
      const want = call.wantVideo;
      if ((media.video !== null) === want) return null; // already there (a later call won)
      return ['video', await media.setVideoEnabled(want)];
    });
  }

  switchCamera(call: ConsumerCall): Promise<void> {
    return this.run(call, async (media) => {
      const track = await media.switchCamera();
      return track ? ['video', track] : null;
    });
  }

  selectMicrophone(call: ConsumerCall, deviceId: string): Promise<void> {
    return this.run(call, async (media) => ['audio', await media.selectMicrophone(deviceId)]);
  }

  selectCamera(call: ConsumerCall, deviceId: string): Promise<void> {
    return this.run(call, async (media) => {
      const track = await media.selectCamera(deviceId);
      return track ? ['video', track] : null;
    });
  }

  get canSwitchCamera(): boolean {
    let cameras = 0;
    for (const d of this.devices) if (d.kind === 'videoinput') cameras++;
    return cameras >= 2;
  }

  async listDevices(): Promise<DeviceList> {
    const devices = await enumerateDevices(this.core.platform.mediaDevices);
    this.devices = devices;
    return deviceList(devices);
  }

  /** Follows devicechange while the call has media, keeping the device list fresh. */
  follow(call: ConsumerCall): void {
    const refresh = () => {
      void this.listDevices().then((list) => {
        if (this.core.live(call)) this.core.emit('devicechange', list);
      });
    };
    refresh();
    call.onClose(listenTo(this.core.platform.mediaDevices, 'devicechange', refresh));
  }

  /** The call's local media state, from what LocalMedia actually holds. */
  sync(call: ConsumerCall): void {
    const media = call.media;
    if (!media) return;
    const local = call.info.local;
    local.videoEnabled = media.video !== null;
    local.audioMuted = media.audioMuted || media.audio === null;
    // `camera` tells what is being sent: nothing while the camera is off.
    if (media.facing && media.video) local.camera = media.facing;
    else delete local.camera;
  }

  /**
   * What the agent is sending, as it last said; before its first media-state,
   * what the invitation's policy says (`agentVideoOff`).
   */
  remoteState(call: ConsumerCall): MediaState {
    if (call.info.remote) return { ...call.info.remote };
    const video = call.info.media === 'video' && !call.info.policy.agentVideoOff;
    return { audioMuted: false, videoEnabled: video };
  }

  /** media-state to the agent: what is sent now (no video while paused for bandwidth). */
  sendMediaState(call: ConsumerCall): void {
    const { audioMuted, camera, screen } = call.info.local;
    const videoEnabled = call.info.local.videoEnabled && !call.videoPaused;
    call.send({
      type: 'media-state',
      audioMuted,
      videoEnabled,
      ...(camera ? { camera } : {}),
      ...(screen !== undefined ? { screen } : {}),
    });
  }

  /** Changes the video sender's encoding; an engine that refuses is logged once per call. */
  encode(call: ConsumerCall | null, encoding: VideoEncoding): Promise<void> {
    if (!call?.peer || call.info.media !== 'video' || !this.core.live(call)) {
      return Promise.resolve();
    }
    return call.peer.setVideoEncoding(encoding).catch((error: unknown) => {
      if (call.encodingRefused) return;
      call.encodingRefused = true;
      this.core.log('warn', 'video encoding could not be changed', { error: errorName(error) });
    });
  }

  pauseVideo(call: ConsumerCall | null, paused: boolean): void {
    if (!call || !this.core.live(call) || call.videoPaused === paused) return;
    call.videoPaused = paused;
    this.sendWhileConnected(call);
  }

  /** The page hears of the local state; the agent too once the call has connected. */
  changed(call: ConsumerCall): void {
    this.core.emit('localmediastate', { ...call.info.local });
    this.sendWhileConnected(call);
  }

  private sendWhileConnected(call: ConsumerCall): void {
    if (this.core.machine.is(['connected', 'reconnecting'])) this.sendMediaState(call);
  }

  /**
   * Runs a media change in the call's queue: `op` returns the kind and the
   * track to send (or null for no change), which goes on the existing sender
   * by replaceTrack; then the state is told to the page and the agent, and
   * only what changed.
   */
  private run(call: ConsumerCall, op: (media: LocalMedia) => Promise<Change>): Promise<void> {
    return call.ops.run(async () => {
      const media = call.media;
      if (!this.core.live(call) || !media) return;
      const before = JSON.stringify(call.info.local);
      let replaced = false;
      try {
        const change = await op(media);
        if (!change || !this.core.live(call)) return;
        // While a screen is shared, the camera changes only where it comes back to.
        if (change[0] === 'audio' || !call.screen) await call.peer?.replaceTrack(...change);
        replaced = true;
      } catch (error) {
        // A failed change may have released the camera, or reopened it as a
        // new track: the video sender sends what LocalMedia holds now. A voice
        // call has no video sender.
        if (this.core.live(call) && call.info.media === 'video' && call.peer && !call.screen) {
          await call.peer.replaceTrack('video', media.video).catch(() => undefined);
          replaced = true;
        }
        throw error;
      } finally {
        if (this.core.live(call)) {
          this.sync(call);
          const stream = media.localStream;
          if (replaced && stream) this.core.emit('localstream', stream);
          if (JSON.stringify(call.info.local) !== before) this.changed(call);
        }
      }
    });
  }

  /** A device was lost (unplugged): fail over to another one of its kind, or go on without. */
  private onDeviceLost(call: ConsumerCall, kind: TrackKind): void {
    const what = kind === 'audio' ? 'microphone' : 'camera';
    this.run(call, async (media) => {
      const track = await media.recover(kind);
      this.core.warn(
        'device-lost',
        track
          ? `the ${what} was lost; the call goes on with another one`
          : `the ${what} was lost and no other is available; the call goes on without it`,
      );
      if (kind === 'video') call.wantVideo = track !== null;
      return [kind, track];
    }).catch(() => undefined);
  }
}
