import type { HangupReason } from '../protocol/messages';
import { rtcConfiguration } from '../peer/ice';
import { capEncoding } from '../peer/encoding';
import { mediaError } from '../media/errors';
import type { CallError } from '../foundation/errors';
import { errorName } from '../foundation/log';
import type { ClientCore, ConsumerCall } from './core';
import { createPeer } from './connection';
import { ConnectionSupervisor } from './supervisor';
import type { MediaControls } from './controls';
import type { RemotePlayback } from './playback';

/**
 * A consumer call from `accept` to connected: the camera and microphone
 * (`media-permission`), then the peer connection, the first offer and the
 * supervision of the connection (`connecting`, `connected ⇄ reconnecting`).
 */
export class CallSetup {
  constructor(
    private readonly core: ClientCore,
    private readonly controls: MediaControls,
    private readonly playback: RemotePlayback,
  ) {}

  /**
   * The call's peer, made at accept so that candidates the agent sends
   * early wait in it; its connection is opened once the media is there.
   */
  prepare(call: ConsumerCall): void {
    const { core } = this;
    const options = core.options;
    const relay = Boolean(options.forceRelay || call.info.policy.forceRelay);
    const supervisor = new ConnectionSupervisor(
      call,
      {
        connect: core.timeouts.connect,
        reconnect: core.timeouts.reconnect,
        // The consumer offers, so it is the one that restarts ICE.
        restart: {
          disconnectGrace: core.timeouts.disconnectGrace,
          retry: core.timeouts.restartRetry,
          run: () => {
            core.log('info', 'restarting ICE', { callId: call.info.callId });
            void call.peer?.negotiate({ iceRestart: true });
          },
        },
      },
      {
        connected: (first) => {
          if (first) {
            if (call.markConnected()) call.info.connectedAt = call.connectedAt;
            void this.controls.encode(call, capEncoding(core.videoMaxKbps));
          }
          const resumed = first && call.resumedFrom !== undefined;
          core.setState('connected');
          if (!core.live(call)) return;
          this.controls.sendMediaState(call);
          if (resumed) {
            core.emit('resumed', {
              callId: call.info.callId,
              gapMs: core.clock.now() - (call.resumedFrom as number),
            });
          }
        },
        reconnecting: () => core.setState('reconnecting'),
        failed: (reason, detail) => core.fail(call, reason, detail),
      },
    );
    call.supervisor = supervisor;
    call.config = rtcConfiguration(call.iceServers ?? options.iceServers, relay);
    createPeer(call, core.platform, {
      configuration: call.config,
      polite: false,
      onRemoteStream: (stream) => this.playback.onStream(call, stream),
      onState: (state) => {
        core.log('debug', `peer ${state}`, { callId: call.info.callId });
        supervisor.onPeerState(state);
      },
      onFailure: (detail, error) => {
        core.log('error', 'negotiation failed', { error: errorName(error) });
        core.fail(call, 'error', detail);
      },
      onWarning: (code, message, cause) => core.warn(code, message, cause),
      onNoCandidates: (detail) => {
        // Before the first connection there is no path at all; later, a cut
        // network can empty a restart's gathering and the reconnect window decides.
        if (core.state !== 'connecting') return;
        core.fail(
          call,
          'network',
          relay
            ? `no relay candidate from the TURN server: ${detail}`
            : `no network path for media: ${detail}`,
        );
      },
    });
  }

  /**
   * Opens the media, then the peer connection, and sends the offer. A
   * resumed call stays `resuming` until it is connected again.
   */
  async start(call: ConsumerCall, resuming = false): Promise<void> {
    const { core } = this;
    if (!core.live(call)) return;
    if (!resuming) core.setState('media-permission');
    if (!core.live(call)) return;
    call.timers.set('permission', core.timeouts.permission, () =>
      core.fail(call, 'timeout', 'the camera/microphone prompt was not answered in time'),
    );
    const media = this.controls.open(call);
    const wantVideo = call.info.acceptedMedia === 'video' && call.wantVideo;
    let cameraError: CallError | undefined;
    try {
      ({ cameraError } = await media.start(call.info.media, !wantVideo, call.info.local.camera));
    } catch (error) {
      if (!core.live(call)) return;
      const e = mediaError(error);
      const reason: HangupReason =
        e.code === 'permission-denied' || e.code === 'unsupported' ? e.code : 'no-device';
      core.fail(call, reason, e.message);
      return;
    }
    if (!core.live(call)) return;
    call.timers.clear('permission');
    if (cameraError) {
      core.warn(
        'camera-unavailable',
        `the call goes on without video: ${cameraError.message}`,
        cameraError,
      );
    }
    this.controls.sync(call);
    call.wantVideo = call.info.local.videoEnabled;
    this.controls.follow(call);
    this.playback.follow(call);
    const stream = media.localStream;
    if (stream) core.emit('localstream', stream);
    core.emit('localmediastate', { ...call.info.local });
    // A listener may have ended the call.
    if (!core.live(call)) return;
    if (!resuming) core.setState('connecting');
    if (!core.live(call)) return;
    await this.connect(call);
  }

  /** Opens the peer connection with its transceivers and sends the first offer. */
  private async connect(call: ConsumerCall): Promise<void> {
    const { core } = this;
    const certificate = await call.certificate;
    const peer = call.peer;
    const media = call.media;
    if (!peer || !media || !core.live(call)) return;
    if (certificate) call.config.certificates = [certificate];
    try {
      peer.open();
      peer.addTransceiver('audio', media.audio);
      // A video call always has a video transceiver, so turning the camera on
      // later is replaceTrack, never a new offer.
      if (call.info.media === 'video') peer.addTransceiver('video', media.video);
    } catch (error) {
      if ((error as CallError | null)?.code === 'unsupported') {
        core.fail(call, 'unsupported', (error as CallError).message);
        return;
      }
      // E.g. a TURN server without credentials: the browser refuses the configuration.
      core.log('error', 'the peer connection could not be created', { error: errorName(error) });
      core.fail(call, 'error', 'the connection could not be set up');
      return;
    }
    call.supervisor?.start();
    await peer.negotiate();
  }
}
