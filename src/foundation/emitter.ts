import { EventEmitter } from 'eventemitter3';

/** An event map: event name → the listener's argument tuple. */
export type EventMap<Events> = { [E in keyof Events]: unknown[] };

/**
 * An EventEmitter whose emit cannot be broken by a listener: each listener
 * runs on its own, and one that throws is reported through `onListenerError`
 * while the others still run and the call goes on.
 */
export class SafeEmitter<Events extends EventMap<Events>> extends EventEmitter<{
  [E in keyof Events]: (...args: Events[E]) => void;
}> {
  protected safeEmit<E extends keyof Events & string>(event: E, ...args: Events[E]): void {
    type Listener = (...a: Events[E]) => void;
    const listeners = this.listeners(event as never) as unknown as Listener[];
    for (const listener of listeners) {
      // Like EventEmitter.emit, a `once` listener is removed before it runs.
      this.removeListener(event as never, listener as never, undefined, true);
      try {
        listener.apply(this, args);
      } catch (error) {
        this.onListenerError(event, error);
      }
    }
  }

  /** Called when a listener throws; subclasses report it. */
  protected onListenerError(_event: string, error: unknown): void {
    setTimeout(() => {
      throw error;
    }, 0);
  }
}
