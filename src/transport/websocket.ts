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

/** How a dropped connection is re-established. */
export interface ReconnectPolicy {
  /** First delay before reconnecting; doubles with every failed attempt. */
  minDelayMs: number;
  maxDelayMs: number;
  /** How long the connection may stay down before the transport closes for good. */
  giveUpAfterMs: number;
  /** Messages kept while down; the oldest go first past this. */
  maxQueued: number;
}

export const DEFAULT_RECONNECT: ReconnectPolicy = {
  minDelayMs: 250,
  maxDelayMs: 5_000,
  giveUpAfterMs: 30_000,
  maxQueued: 1_000,
};

export interface WebSocketTransportOptions {
  /** The WebSocket constructor; defaults to the global one (pass `ws` in Node). */
  WebSocket?: WebSocketConstructor;
  /** Reconnection after a drop (on by default); `false` closes on the first drop. */
  reconnect?: Partial<ReconnectPolicy> | false;
  /**
   * Allow `ws://` to a host other than this machine. For development only:
   * signaling carries the call's keys (DTLS fingerprints) and TURN
   * credentials, and must travel over TLS.
   */
  allowInsecure?: boolean;
}

/** `ws://` only to this machine (localhost, 127.0.0.0/8, ::1), unless allowed. */
export function assertSecureSocketUrl(url: string, allowInsecure: boolean): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError('WebSocketTransport needs an absolute ws:// or wss:// URL');
  }
  if (parsed.protocol === 'wss:') return;
  if (parsed.protocol !== 'ws:')
    throw new TypeError('WebSocketTransport needs a ws:// or wss:// URL');
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  if (!loopback && !allowInsecure) {
    throw new TypeError(
      'WebSocketTransport refuses ws:// to another host: use wss://, or allowInsecure for development',
    );
  }
}

const OPEN = 1;

/**
 * Carries signaling over one WebSocket: one protocol message per text frame,
 * as JSON, nothing around it. Connects as soon as it is constructed.
 *
 * A connection that drops is opened again with growing delays; messages sent
 * meanwhile are queued and go out in order once it is back, so a live call
 * loses nothing (the receiver drops duplicates). Only when it stays down
 * longer than `giveUpAfterMs` does the transport report `close`.
 *
 * Signaling carries the keys of the call, so only `wss://` is accepted,
 * except `ws://` to this machine (development, tests) or with `allowInsecure`.
 *
 * @throws {TypeError} when no WebSocket constructor is available, or for a
 *   `ws://` URL to another host without `allowInsecure`.
 * @example
 * const transport = new WebSocketTransport('wss://example.com/calls');
 */
export class WebSocketTransport implements Transport {
  private socket: WebSocketLike | null = null;
  private readonly listeners = new Listeners();
  private readonly Ctor: WebSocketConstructor;
  private readonly policy: ReconnectPolicy | null;
  private queue: string[] = [];
  private attempts = 0;
  private downSince: number | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly url: string,
    options: WebSocketTransportOptions = {},
  ) {
    const Ctor =
      options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) throw new TypeError('No WebSocket implementation: pass options.WebSocket');
    assertSecureSocketUrl(url, options.allowInsecure === true);
    this.Ctor = Ctor;
    this.policy =
      options.reconnect === false ? null : { ...DEFAULT_RECONNECT, ...options.reconnect };
    this.connect(true);
  }

  send(message: Message): void {
    if (this.listeners.closed) return;
    const text = JSON.stringify(message);
    if (this.socket?.readyState === OPEN) {
      this.socket.send(text);
      return;
    }
    this.queue.push(text);
    const max = this.policy?.maxQueued ?? DEFAULT_RECONNECT.maxQueued;
    if (this.queue.length > max) this.queue.shift();
  }

  listen(listener: TransportListener): () => void {
    return this.listeners.add(listener);
  }

  close(): void {
    const socket = this.socket;
    this.detach();
    try {
      socket?.close(1000, 'closed');
    } catch {
      // Closing a socket that never connected may throw in some engines.
    }
    this.shut('closed locally');
  }

  /** Opens a socket; the first one may throw (a malformed URL), later ones count as a drop. */
  private connect(first: boolean): void {
    let socket: WebSocketLike;
    try {
      socket = new this.Ctor(this.url);
    } catch (error) {
      if (first) throw error;
      this.dropped('the connection could not be opened');
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.attempts = 0;
      this.downSince = null;
      this.flush();
    };
    socket.onmessage = (event) => this.listeners.message(event.data);
    socket.onclose = (event) =>
      this.dropped(
        `websocket closed (${event.code ?? 'no code'}${event.reason ? `: ${event.reason}` : ''})`,
      );
    // An error is always followed by close, which carries the code.
    socket.onerror = () => undefined;
  }

  private dropped(reason: string): void {
    this.detach();
    if (this.listeners.closed) return;
    const policy = this.policy;
    const now = Date.now();
    this.downSince ??= now;
    if (!policy || now - this.downSince >= policy.giveUpAfterMs) {
      this.shut(policy ? `${reason}; gave up reconnecting` : reason);
      return;
    }
    if (this.attempts === 0)
      this.listeners.warning(`signaling connection lost (${reason}); reconnecting`);
    const delay = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** this.attempts);
    this.attempts++;
    // Up to 20 % jitter, so that many clients dropped together do not return together.
    this.retry = setTimeout(
      () => {
        this.retry = null;
        this.connect(false);
      },
      delay * (1 + Math.random() * 0.2),
    );
  }

  private flush(): void {
    const pending = this.queue;
    this.queue = [];
    for (const text of pending) this.socket?.send(text);
  }

  private detach(): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const socket = this.socket;
    if (socket) socket.onopen = socket.onmessage = socket.onclose = null;
    this.socket = null;
  }

  private shut(reason: string): void {
    this.detach();
    this.queue = [];
    this.listeners.close(reason);
  }
}
