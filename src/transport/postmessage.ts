import type { Message } from '../protocol/messages';
import { contains } from '../util/list';
import { listenerMethod } from '../util/events';
import { Listeners } from './listeners';
import { errorName } from '../foundation/log';
import { readSignaling } from './signaling';
import type { Transport, TransportListener } from './types';

/** What the transport posts to: a window (an iframe's contentWindow, or window.parent). */
export interface PostTarget {
  postMessage(message: unknown, targetOrigin: string): void;
}

/** What it listens on for `message` events: the window. */
export interface MessageSource {
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

export interface PostMessageTransportOptions {
  /** The window on the other side. */
  target: PostTarget;
  /** The exact origin of that window, e.g. `https://chat.example.com`; `*` is refused. */
  targetOrigin: string;
  /** Origins whose messages are accepted; defaults to `[targetOrigin]`. */
  allowedOrigins?: readonly string[];
  /** Where to listen for messages; defaults to the global window. */
  listenOn?: MessageSource;
}

/**
 * Carries signaling between frames with `postMessage`, for a messaging
 * window in an iframe while the SDK runs in the top frame (or the reverse).
 * Each message is posted as its JSON text to the one configured origin.
 * Incoming messages are accepted only from the allowed origins and the
 * target window; anything else is dropped and reported as a warning. A
 * signaling text is parsed once, never when over the protocol's size limit
 * (refused with a warning, as is broken JSON), and handed on parsed.
 *
 * @throws {TypeError} for `targetOrigin` `*` or a missing target.
 * @example
 * const transport = new PostMessageTransport({
 *   target: iframe.contentWindow,
 *   targetOrigin: 'https://chat.example.com',
 * });
 */
export class PostMessageTransport implements Transport {
  private readonly listeners = new Listeners();
  private readonly source: MessageSource;
  private readonly allowed: readonly string[];
  private readonly handler = (event: MessageEvent) => this.receive(event);

  constructor(private readonly options: PostMessageTransportOptions) {
    if (!options?.target) throw new TypeError('PostMessageTransport needs a target window');
    if (!options.targetOrigin || options.targetOrigin === '*') {
      throw new TypeError('PostMessageTransport needs an exact targetOrigin, not "*"');
    }
    const source = options.listenOn ?? globalThis;
    if (typeof source?.addEventListener !== 'function') {
      throw new TypeError('PostMessageTransport needs a window to listen on (options.listenOn)');
    }
    this.source = source;
    this.allowed = options.allowedOrigins ?? [options.targetOrigin];
    listenerMethod(source, 'addEventListener')?.call(source, 'message', this.handler);
  }

  send(message: Message): void {
    if (this.listeners.closed) return;
    try {
      this.options.target.postMessage(JSON.stringify(message), this.options.targetOrigin);
    } catch (error) {
      this.listeners.warning(`could not post ${message.type} (${errorName(error)})`);
    }
  }

  listen(listener: TransportListener): () => void {
    return this.listeners.add(listener);
  }

  close(): void {
    if (this.listeners.closed) return;
    listenerMethod(this.source, 'removeEventListener')?.call(
      this.source,
      'message',
      this.handler as (event: never) => void,
    );
    this.listeners.close('closed locally');
  }

  private receive(event: MessageEvent): void {
    if (!contains(this.allowed, event.origin)) {
      this.listeners.warning(`ignored a message from origin ${String(event.origin)}`);
      return;
    }
    if (event.source && event.source !== (this.options.target as unknown)) {
      this.listeners.warning('ignored a message from a window other than the target');
      return;
    }
    const read = readSignaling(event.data);
    if (read?.refused !== undefined) this.listeners.warning(read.refused);
    else if (read) this.listeners.message(read.value);
  }
}
