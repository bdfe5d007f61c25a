import type { ShareRefusal } from '../protocol/messages';
import { CallError } from '../foundation/errors';
import { listenTo } from '../util/events';
import type { ClientCore, ConsumerCall } from './core';
import type { MediaControls } from './controls';

/**
 * Screen share on the agent's request (protocol 1.1): the request, the
 * browser's picker, the shared track on the video sender in place of the
 * camera (replaceTrack; a voice call adds a video transceiver and offers
 * again), and the camera back when sharing stops, by the consumer, by the
 * browser's own control or by the end of the call.
 */
export class ScreenShare {
  constructor(
    private readonly core: ClientCore,
    private readonly controls: MediaControls,
  ) {}

  /** The browser can share a screen (not on phones). */
  get can(): boolean {
    return typeof this.core.platform.mediaDevices?.getDisplayMedia === 'function';
  }

  /** The agent asks: answered at once where sharing cannot run or already runs. */
  request(call: ConsumerCall, reason: string | undefined): void {
    call.asked = true;
    if (!this.can) return this.reply(call, false, 'unsupported');
    if (call.screen) return this.reply(call, true);
    this.core.emit('share-request', reason === undefined ? {} : { reason });
  }

  /** The consumer says no to the request. */
  decline(call: ConsumerCall): void {
    if (call.asked) this.reply(call, false, 'declined');
  }

  start(call: ConsumerCall): Promise<void> {
    return call.ops.run(async () => {
      const { core } = this;
      const devices = core.platform.mediaDevices;
      if (call.screen || !core.live(call)) return;
      if (!devices?.getDisplayMedia) {
        this.reply(call, false, 'unsupported');
        throw new CallError('unsupported', 'this browser cannot share a screen');
      }
      let stream: MediaStream;
      try {
        stream = await devices.getDisplayMedia({ video: true, audio: false });
      } catch (error) {
        // Closing the picker is NotAllowedError; anything else is the browser's refusal.
        const declined = (error as Error | null)?.name === 'NotAllowedError';
        this.reply(call, false, declined ? 'declined' : 'permission-denied');
        throw new CallError('permission-denied', 'the screen was not shared', error);
      }
      const track = stream.getVideoTracks()[0];
      const peer = call.peer;
      if (!track || !peer || !core.live(call)) {
        for (const t of stream.getTracks()) t.stop();
        return;
      }
      call.screen = track;
      // The browser's own "stop sharing" ends the track.
      call.onClose(listenTo(track, 'ended', () => this.stop(call)));
      try {
        if (peer.transceiverOf('video')) await peer.replaceTrack('video', track);
        else peer.addTransceiver('video', track); // a voice call: one new offer
      } catch (error) {
        track.stop();
        call.screen = null;
        this.reply(call, false, 'permission-denied');
        throw new CallError('permission-denied', 'the screen could not be sent', error);
      }
      this.reply(call, true);
      this.changed(call, stream);
    });
  }

  stop(call: ConsumerCall): void {
    void call.ops.run(async () => {
      const track = call.screen;
      if (!track) return;
      track.stop();
      call.screen = null;
      if (!this.core.live(call)) return;
      // The camera, if it is on, is back on the same sender.
      await call.peer?.replaceTrack('video', call.media?.video ?? null).catch(() => undefined);
      this.changed(call, null);
    });
  }

  private changed(call: ConsumerCall, stream: MediaStream | null): void {
    call.info.local.screen = stream !== null;
    this.core.emit('screen', stream);
    this.controls.changed(call);
  }

  /** Answers the request that waits, if one does: one reply a request. */
  private reply(call: ConsumerCall, accepted: boolean, reason?: ShareRefusal): void {
    if (!call.asked) return;
    call.asked = false;
    call.send({ type: 'share-reply', accepted, ...(reason ? { reason } : {}) });
  }
}
