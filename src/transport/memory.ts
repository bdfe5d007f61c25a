import type { Message } from '../protocol/messages';
import { Listeners } from './listeners';
import type { Transport, TransportListener } from './types';

/**
 * One end of an in-memory pair. Messages are serialized to JSON text and
 * delivered asynchronously, like a real network, so both ends exercise the
 * same parsing path as over a WebSocket.
 */
class MemoryEnd implements Transport {
  peer: MemoryEnd | null = null;
  private readonly listeners = new Listeners();

  send(message: Message): void {
    const peer = this.peer;
    if (this.listeners.closed || !peer) return;
    const text = JSON.stringify(message);
    setTimeout(() => peer.deliver(text), 0);
  }

  listen(listener: TransportListener): () => void {
    return this.listeners.add(listener);
  }

  close(): void {
    this.shut('closed locally');
    const peer = this.peer;
    if (peer) setTimeout(() => peer.shut('closed by the other end'), 0);
  }

  private deliver(text: string): void {
    this.listeners.message(text);
  }

  private shut(reason: string): void {
    this.listeners.close(reason);
  }
}

/**
 * Two linked transports: what one sends, the other receives. For tests and for
 * running both sides of a call in one process.
 *
 * @example
 * const [consumerSide, agentSide] = createMemoryTransportPair();
 */
export function createMemoryTransportPair(): [Transport, Transport] {
  const a = new MemoryEnd();
  const b = new MemoryEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
