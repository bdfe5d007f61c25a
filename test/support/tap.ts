import type { Message } from '../../src/protocol/messages';
import type { Transport, TransportListener } from '../../src/transport/types';

/**
 * Wraps a transport to see and shape what one side sends: records every
 * outgoing message and lets a test duplicate, delay or drop messages.
 */
export class TapTransport implements Transport {
  readonly sent: Message[] = [];
  /** Decides, per outgoing message, how many copies go out and after how long. */
  shape: (message: Message) => { copies?: number; delayMs?: number } = () => ({});

  constructor(private readonly inner: Transport) {}

  send(message: Message): void {
    this.sent.push(message);
    const { copies = 1, delayMs = 0 } = this.shape(message);
    for (let i = 0; i < copies; i++) {
      if (delayMs > 0) setTimeout(() => this.inner.send(message), delayMs);
      else this.inner.send(message);
    }
  }

  listen(listener: TransportListener): () => void {
    return this.inner.listen(listener);
  }

  close(): void {
    this.inner.close();
  }

  /** Types of the messages sent so far, in order. */
  types(): string[] {
    return this.sent.map((m) => m.type);
  }

  count(type: Message['type']): number {
    return this.sent.filter((m) => m.type === type).length;
  }
}
