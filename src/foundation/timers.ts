/** The clock the SDK uses; injectable so tests can drive time. */
export interface Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export const systemClock: Clock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

/**
 * Named one-shot timers of one call. Setting a name replaces its timer;
 * `clearAll` leaves nothing behind when the call ends.
 */
export class Timers<Name extends string = string> {
  private readonly handles = new Map<Name, unknown>();

  constructor(private readonly clock: Clock) {}

  set(name: Name, ms: number, fn: () => void): void {
    this.clear(name);
    const handle = this.clock.setTimeout(() => {
      this.handles.delete(name);
      fn();
    }, ms);
    this.handles.set(name, handle);
  }

  has(name: Name): boolean {
    return this.handles.has(name);
  }

  clear(name: Name): void {
    const handle = this.handles.get(name);
    if (handle === undefined) return;
    this.clock.clearTimeout(handle);
    this.handles.delete(name);
  }

  clearAll(): void {
    for (const handle of this.handles.values()) this.clock.clearTimeout(handle);
    this.handles.clear();
  }

  get size(): number {
    return this.handles.size;
  }
}
