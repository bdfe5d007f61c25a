import type { Message } from '../protocol/messages';
import { Listeners } from './listeners';
import type { Transport, TransportListener } from './types';

/** The part of the WebSocket API the transport uses (the browser's, or `ws` in Node). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code?: number; reason?: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface WebSocketTransportOptions {
  /** The WebSocket constructor; defaults to the global one (pass `ws` in Node). */
  WebSocket?: WebSocketConstructor;
}

const OPEN = 1;

/**
 * Carries signaling over one WebSocket: one protocol message per text frame,
 * as JSON, nothing around it. Connects as soon as it is constructed; messages
 * sent before the socket opens are queued and sent in order once it does.
 *
 * @throws {TypeError} when no WebSocket constructor is available.
 * @example
 * const transport = new WebSocketTransport('wss://example.com/calls');
 */
export class WebSocketTransport implements Transport {
  private readonly socket: WebSocketLike;
  private readonly listeners = new Listeners();
  private queue: string[] = [];

  constructor(url: string, options: WebSocketTransportOptions = {}) {
    const Ctor =
      options.WebSocket ??
      (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket ??
      undefined;
    if (!Ctor) throw new TypeError('No WebSocket implementation: pass options.WebSocket');
    this.socket = new Ctor(url);
    this.socket.onopen = () => this.flush();
    this.socket.onmessage = (event) => this.listeners.message(event.data);
    this.socket.onclose = (event) =>
      this.shut(
        `websocket closed (${event.code ?? 'no code'}${event.reason ? `: ${event.reason}` : ''})`,
      );
    // An error is always followed by close, which carries the code.
    this.socket.onerror = () => undefined;
  }

  send(message: Message): void {
    if (this.listeners.closed) return;
    const text = JSON.stringify(message);
    if (this.socket.readyState === OPEN) this.socket.send(text);
    else this.queue.push(text);
  }

  listen(listener: TransportListener): () => void {
    return this.listeners.add(listener);
  }

  close(): void {
    try {
      this.socket.close(1000, 'closed');
    } catch {
      // Closing a socket that never connected may throw in some engines.
    }
    this.shut('closed locally');
  }

  private flush(): void {
    const pending = this.queue;
    this.queue = [];
    for (const text of pending) this.socket.send(text);
  }

  private shut(reason: string): void {
    this.queue = [];
    this.socket.onopen = this.socket.onmessage = this.socket.onclose = null;
    this.listeners.close(reason);
  }
}
