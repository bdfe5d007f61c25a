import type { Message } from '../protocol/messages';
import { SeenIds } from '../protocol/ids';
import { Listeners } from './listeners';
import { errorName } from '../foundation/log';
import { idOf, readSignaling } from './signaling';
import type { Transport, TransportListener } from './types';

export interface MessagingTransportOptions {
  /**
   * Publishes one signaling payload (a protocol message as JSON text) into the
   * conversation, e.g. as the content of a conversation event.
   */
  publish(payload: string): void | Promise<void>;
  /**
   * Subscribes to the conversation's incoming payloads (text or parsed
   * objects); returns the function that unsubscribes.
   */
  subscribe(handler: (payload: unknown) => void): () => void;
}

/**
 * Carries signaling inside a chat/messaging conversation through two
 * functions the integration supplies. Conversation events that are not call
 * signaling (chat text, typing indicators, other rich content) are ignored,
 * and so are this side's own messages when the conversation echoes them.
 * Signaling text is parsed once, never when over the protocol's size limit
 * (refused with a warning, as is broken JSON), and handed on parsed.
 *
 * @example
 * const transport = new MessagingTransport({
 *   publish: (payload) => conversation.send({ type: 'call-signal', payload }),
 *   subscribe: (handler) => conversation.on('event', (e) => handler(e.payload)),
 * });
 */
export class MessagingTransport implements Transport {
  private readonly listeners = new Listeners();
  private readonly sentIds = new SeenIds(1024);
  private readonly unsubscribe: () => void;

  constructor(private readonly options: MessagingTransportOptions) {
    this.unsubscribe = options.subscribe((payload) => this.receive(payload));
  }

  send(message: Message): void {
    if (this.listeners.closed) return;
    this.sentIds.add(message.id);
    try {
      const result = this.options.publish(JSON.stringify(message));
      if (result && typeof result.then === 'function') {
        result.then(undefined, (error: unknown) => this.failed(message, error));
      }
    } catch (error) {
      this.failed(message, error);
    }
  }

  listen(listener: TransportListener): () => void {
    return this.listeners.add(listener);
  }

  close(): void {
    if (this.listeners.closed) return;
    try {
      this.unsubscribe();
    } finally {
      this.listeners.close('closed locally');
    }
  }

  private receive(payload: unknown): void {
    const read = readSignaling(payload);
    if (!read) return;
    if (read.refused !== undefined) return this.listeners.warning(read.refused);
    const id = idOf(read.value);
    if (id !== undefined && this.sentIds.has(id)) return; // our own message, echoed
    this.listeners.message(read.value);
  }

  private failed(message: Message, error: unknown): void {
    this.listeners.warning(`could not publish ${message.type} (${errorName(error)})`);
  }
}
