import type { TransportListener } from './types';
import { copy } from '../util/list';

/**
 * The listener set every transport shares: fan-out that survives a throwing
 * listener, and a close that is reported exactly once.
 */
export class Listeners {
  private readonly set = new Set<TransportListener>();
  private closedReason: string | null = null;

  get closed(): boolean {
    return this.closedReason !== null;
  }

  add(listener: TransportListener): () => void {
    this.set.add(listener);
    return () => this.set.delete(listener);
  }

  message(data: unknown): void {
    if (this.closed) return;
    for (const listener of copy(this.set)) guard(() => listener.message(data));
  }

  warning(message: string): void {
    if (this.closed) return;
    for (const listener of copy(this.set)) guard(() => listener.warning?.(message));
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closedReason = reason;
    const all = copy(this.set);
    this.set.clear();
    for (const listener of all) guard(() => listener.close(reason));
  }
}

function guard(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    // A listener's bug must not stop delivery to the others; surface it async.
    setTimeout(() => {
      throw error;
    }, 0);
  }
}
