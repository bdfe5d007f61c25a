import { EventEmitter } from 'eventemitter3';

/** An event map: event name → the listener's argument tuple. */
export type EventMap<Events> = { [E in keyof Events]: unknown[] };

/**
 * The listener types eventemitter3 is given for an event map.
 *
 * @inline
 */
type Listeners<Events extends EventMap<Events>> = {
  [E in keyof Events]: (...args: Events[E]) => void;
};

/** A listener as eventemitter3 v5 keeps it: `listeners()` hands out `fn` only. */
interface Registration {
  fn: (...args: unknown[]) => void;
  context: unknown;
  once: boolean;
}

/**
 * An EventEmitter whose emit cannot be broken by a listener: each listener
 * runs on its own, and one that throws is reported through `onListenerError`
 * while the others still run and the call goes on.
 *
 * Only the class itself emits (`safeEmit`); the public `emit` does nothing.
 */
export class SafeEmitter<Events extends EventMap<Events>> extends EventEmitter<Listeners<Events>> {
  /**
   * Does nothing and returns false. The events of a client are facts about
   * its call: if anyone holding the object (an extension, a script on the
   * page) could emit them, a forged `ended` or `statechange` would reach the
   * page's listeners while the call goes on. Extensions emit the events they
   * own through their context.
   */
  override emit(..._args: unknown[]): boolean {
    return false;
  }

  protected safeEmit<E extends keyof Events & string>(event: E, ...args: Events[E]): void {
    // eventemitter3 keeps one registration or an array of them under the
    // event's (prefixed) name. `listeners()` drops each one's context, so
    // read them as its own emit does.
    const registry = (this as unknown as { _events: Record<string, unknown> })._events;
    const prefix = EventEmitter.prefixed;
    const found = registry[prefix ? `${String(prefix)}${event}` : event] as
      Registration | Registration[] | undefined;
    if (!found) return;
    // Like EventEmitter.emit: the listeners at the start of the emit, each
    // with its context. Removal makes a new array; an addition goes past `n`.
    const list = Array.isArray(found) ? found : [found];
    for (let i = 0, n = list.length; i < n; i++) {
      const listener = list[i] as Registration;
      // A `once` listener is removed before it runs.
      if (listener.once) this.removeListener(event as never, listener.fn as never, undefined, true);
      try {
        listener.fn.apply(listener.context, args);
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
