import type { Message } from '../protocol/messages';

/** What a transport tells the one listening to it. */
export interface TransportListener {
  /** One incoming message, as received: a JSON text or an already parsed value. */
  message(data: unknown): void;
  /** The transport is closed for good; nothing more will arrive or leave. */
  close(reason: string): void;
  /** Something was received and refused (a foreign origin), or could not be sent. */
  warning?(message: string): void;
}

/**
 * How signaling messages travel between the consumer and the agent. The SDK
 * validates everything that arrives, so a transport only carries data.
 *
 * Implement it to carry calls over your own channel; a transport that can
 * recover from a short outage should do so internally and report `close`
 * only when it gives up.
 */
export interface Transport {
  /** Sends one message. Never throws; a message sent after close is dropped. */
  send(message: Message): void;
  /** Starts listening; returns the function that stops it. */
  listen(listener: TransportListener): () => void;
  /** Closes the transport; listeners are told once. */
  close(): void;
}
