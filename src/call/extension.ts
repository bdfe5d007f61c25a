import type { CallEvents } from './events';
import type { CallState } from './states';
import type { Clock } from '../foundation/timers';
import type { Logger } from '../foundation/log';
import type { VideoEncoding } from '../peer/encoding';

/** The events an extension may emit. */
export type ExtensionEvent = 'quality' | 'bandwidth' | 'warning';

/**
 * What an extension can do beyond the client's public API: emit the
 * client's events, and steer the video sender of the current call.
 * (`CallExtensionContext` is this context of a `CallClient`.)
 */
export interface ExtensionContext<Client> {
  readonly client: Client;
  /** The client's clock: an extension's timers follow the client's time. */
  readonly clock: Clock;
  readonly log: Logger;
  /** The video cap of the client's calls, kbit/s (option `videoMaxKbps`). */
  readonly videoMaxKbps: number;
  /**
   * Follows the client's state, before its `statechange` listeners hear of
   * it. Unlike a listener on the client, the page's `removeAllListeners()`
   * cannot remove it.
   */
  onStateChange(hook: (state: CallState, previous: CallState) => void): void;
  /**
   * Emits one of the events extensions own (`quality`, `bandwidth`,
   * `warning`); a throwing listener cannot break the call. The client's own
   * events (state, media, ending) cannot be emitted from here.
   */
  emit<E extends ExtensionEvent>(event: E, ...args: CallEvents[E]): void;
  /** Changes the encoding of the current call's video sender; a no-op without one. */
  setVideoEncoding(encoding: VideoEncoding): Promise<void>;
  /**
   * Marks video as paused (or resumed) for lack of bandwidth, and tells the
   * agent: its media-state says `videoEnabled: false` while paused. The
   * camera stays open. It does not stop the encoder: pair it with
   * `setVideoEncoding({ …, active: false })`, as `qualityMonitor` does.
   */
  setVideoPaused(paused: boolean): void;
}

/**
 * A feature added to a client at construction (`extensions` option), built
 * on its events and the context. Returns what to run at `destroy()`.
 * (`CallExtension` is an extension of a `CallClient`.)
 *
 * @example
 * new CallClient({ transport, extensions: [qualityMonitor()] });
 */
export type Extension<Client> = (context: ExtensionContext<Client>) => (() => void) | void;
