import { playStream } from '../media/attach';
import type { MediaElementLike } from '../media/attach';
import { mediaError } from '../media/errors';
import { CallError } from '../foundation/errors';
import { copy } from '../util/list';
import { listenTo } from '../util/events';
import type { ClientCore, ConsumerCall } from './core';

/**
 * The agent's media in the page's elements: the elements given to
 * `attachRemoteMedia`, the speaker they play on, playing each new track,
 * and playing again what the system paused while the page was hidden.
 */
export class RemotePlayback {
  private readonly elements = new Set<MediaElementLike>();
  private speakerId: string | undefined;
  private stream: MediaStream | null = null;

  constructor(private readonly core: ClientCore) {}

  attach(element: MediaElementLike): () => void {
    this.elements.add(element);
    const call = this.core.call;
    if (call && this.stream && this.core.live(call)) void this.play(call, element, this.stream);
    return () => {
      this.elements.delete(element);
    };
  }

  /** The agent's stream of `call` gained a track: play it everywhere, tell the page. */
  onStream(call: ConsumerCall, stream: MediaStream): void {
    if (!this.core.live(call)) return;
    this.stream = stream;
    for (const element of copy(this.elements)) void this.play(call, element, stream);
    this.core.emit('remotestream', stream);
  }

  /**
   * Plays the attached elements again when the page is shown again: iOS
   * pauses them when the page goes to the background or a phone call
   * interrupts, and they stay paused (a black, silent call) unless replayed.
   * Also clears the elements at the end of the call.
   */
  follow(call: ConsumerCall): void {
    const doc = this.core.platform.document;
    const resume = () => {
      const stream = this.stream;
      if (doc?.visibilityState === 'hidden' || !stream || !this.core.live(call)) return;
      for (const element of copy(this.elements)) {
        if (element.paused) void this.play(call, element, stream);
      }
    };
    call.onClose(listenTo(doc, 'visibilitychange', resume));
  }

  /** The call ended: nothing of it stays in the page's elements. */
  clear(): void {
    this.stream = null;
    for (const element of copy(this.elements)) element.srcObject = null;
  }

  async setSpeaker(deviceId: string): Promise<void> {
    const elements = copy(this.elements);
    for (const element of elements) {
      if (typeof element.setSinkId !== 'function') {
        throw new CallError('unsupported', 'this browser cannot choose the speaker');
      }
    }
    try {
      for (const element of elements) await element.setSinkId?.(deviceId);
    } catch (error) {
      // NotFoundError: a speaker unplugged since it was listed, or a stale id.
      const e = mediaError(error);
      throw new CallError(e.code, 'the speaker could not be used', error);
    }
    // Only a speaker every element accepted is used for the next ones.
    this.speakerId = deviceId;
  }

  private async play(
    call: ConsumerCall,
    element: MediaElementLike,
    stream: MediaStream,
  ): Promise<void> {
    const result = await playStream(element, stream, this.speakerId);
    // Said once per call, and only while that call lasts: every remote track
    // replays the same element, and a play settled late belongs to its call.
    if (result === 'blocked' && this.core.live(call) && !call.autoplayWarned) {
      call.autoplayWarned = true;
      this.core.warn(
        'autoplay-blocked',
        'the browser blocked sound until the user interacts with the page',
      );
    }
  }
}
