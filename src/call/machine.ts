import { CallError } from '../foundation/errors';
import type { Logger } from '../foundation/log';
import { contains, copy } from '../util/list';

/**
 * One side's call state and its one table of allowed transitions. `set` is
 * the only way the state changes: it validates, logs, tells the hooks
 * (extensions) and then the listeners. Both sides of a call use it.
 */
export class StateMachine<S extends string> {
  private current: S;
  private readonly hooks: ((state: S, previous: S) => void)[] = [];

  constructor(
    private readonly table: ReadonlyMap<S, readonly S[]>,
    initial: S,
    private readonly log: Logger,
    /** Tells the listeners (`statechange`) of a state that holds. */
    private readonly announce: (state: S, previous: S) => void,
    /** A hook threw: reported, and the change goes on. */
    private readonly onHookError: (error: unknown) => void,
  ) {
    this.current = initial;
  }

  get state(): S {
    return this.current;
  }

  is(states: readonly S[]): boolean {
    return contains(states, this.current);
  }

  /** Follows every change before the listeners hear of it. */
  hook(fn: (state: S, previous: S) => void): void {
    this.hooks.push(fn);
  }

  set(next: S, fields?: Record<string, unknown>): void {
    const previous = this.current;
    const allowed = this.table.get(previous);
    if (!allowed || !contains(allowed, next)) {
      // Unreachable by design; a bug here must not take the page down.
      this.log('error', `illegal transition ${previous} -> ${next}`);
      return;
    }
    this.current = next;
    this.log('debug', `state ${previous} -> ${next}`, fields);
    // A hook may move the state on (end the call): the later hooks and the
    // listeners then hear only of the state that holds.
    for (const hook of copy(this.hooks)) {
      if (this.current !== next) return;
      try {
        hook(next, previous);
      } catch (error) {
        this.onHookError(error);
      }
    }
    if (this.current === next) this.announce(next, previous);
  }

  /** Throws `invalid-state` unless the state is one of `states`. */
  require(states: readonly S[], method: string): void {
    if (!contains(states, this.current)) {
      throw new CallError('invalid-state', `${method}() is not allowed in state ${this.current}`);
    }
  }
}
