/**
 * The bottom layer (src/foundation): the serial queue, named timers on an
 * injected clock, what may be logged of an error, and the emitter whose
 * listeners cannot break a call.
 */
import { EventEmitter } from 'eventemitter3';
import { SafeEmitter } from '../../src/foundation/emitter';
import { errorName } from '../../src/foundation/log';
import { SerialQueue } from '../../src/foundation/queue';
import { Timers } from '../../src/foundation/timers';
import type { Clock } from '../../src/foundation/timers';

/** Lets promise chains run; no timer is involved. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** A promise the test resolves or rejects by hand. */
function deferred<T = void>(): {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('SerialQueue', () => {
  test('runs tasks one after another in the order they were queued', async () => {
    const queue = new SerialQueue();
    const log: string[] = [];
    const first = deferred();
    const a = queue.run(async () => {
      log.push('a starts');
      await first.promise;
      log.push('a ends');
      return 'a';
    });
    const b = queue.run(async () => {
      log.push('b');
      return 'b';
    });
    await settle();
    expect(log).toEqual(['a starts']); // b waits for a, however long a takes
    first.resolve();
    await expect(a).resolves.toBe('a');
    await expect(b).resolves.toBe('b');
    expect(log).toEqual(['a starts', 'a ends', 'b']);
  });

  test('a failing task rejects only its own promise; the queue goes on', async () => {
    const queue = new SerialQueue();
    const boom = new Error('boom');
    const failing = queue.run(async () => {
      throw boom;
    });
    const next = queue.run(async () => 'next');
    await expect(failing).rejects.toBe(boom);
    await expect(next).resolves.toBe('next');
  });

  test('a task that throws synchronously rejects its own promise instead of throwing', async () => {
    const queue = new SerialQueue();
    const boom = new Error('sync boom');
    let failing: Promise<never> | undefined;
    expect(() => {
      failing = queue.run((() => {
        throw boom;
      }) as () => Promise<never>);
    }).not.toThrow();
    await expect(failing).rejects.toBe(boom);
    await expect(queue.run(async () => 'after')).resolves.toBe('after');
  });

  test('a task queued from within a task runs after it and after the tasks already queued', async () => {
    const queue = new SerialQueue();
    const log: string[] = [];
    let inner: Promise<void> | undefined;
    const outer = queue.run(async () => {
      log.push('outer starts');
      inner = queue.run(async () => {
        log.push('inner');
      });
      await settle();
      log.push('outer ends');
    });
    const queuedBefore = queue.run(async () => {
      log.push('queued before inner');
    });
    await outer;
    await queuedBefore;
    await inner;
    expect(log).toEqual(['outer starts', 'outer ends', 'queued before inner', 'inner']);
  });
});

/** A clock the test moves by hand; it keeps what is scheduled so a test can see it. */
class ManualClock implements Clock {
  private time = 0;
  private nextHandle = 1;
  readonly scheduled = new Map<number, { at: number; fn: () => void }>();

  setTimeout(fn: () => void, ms: number): unknown {
    const handle = this.nextHandle++;
    this.scheduled.set(handle, { at: this.time + ms, fn });
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.scheduled.delete(handle as number);
  }

  now(): number {
    return this.time;
  }

  /** Moves time on by `ms`, running what falls due in order (including what those schedule). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let due: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.scheduled) {
        if (entry[1].at <= end && (!due || entry[1].at < due[1].at)) due = entry;
      }
      if (!due) break;
      this.scheduled.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
    }
    this.time = end;
  }
}

describe('Timers', () => {
  function timers(): { clock: ManualClock; timers: Timers<'answer' | 'ring'>; fired: string[] } {
    const clock = new ManualClock();
    return { clock, timers: new Timers<'answer' | 'ring'>(clock), fired: [] };
  }

  test('a timer fires once at its time, not a millisecond before, and is then forgotten', () => {
    const t = timers();
    t.timers.set('answer', 1_000, () => t.fired.push('answer'));
    expect(t.timers.has('answer')).toBe(true);
    t.clock.advance(999);
    expect(t.fired).toEqual([]);
    t.clock.advance(1);
    expect(t.fired).toEqual(['answer']);
    expect(t.timers.has('answer')).toBe(false);
    expect(t.timers.size).toBe(0);
    t.clock.advance(10_000);
    expect(t.fired).toEqual(['answer']);
  });

  test('setting a name again replaces its timer: only the new one fires, at its own time', () => {
    const t = timers();
    t.timers.set('answer', 1_000, () => t.fired.push('first'));
    t.clock.advance(500);
    t.timers.set('answer', 1_000, () => t.fired.push('second'));
    expect(t.timers.size).toBe(1);
    expect(t.clock.scheduled.size).toBe(1); // the first one is cancelled on the clock too
    t.clock.advance(999);
    expect(t.fired).toEqual([]);
    t.clock.advance(1);
    expect(t.fired).toEqual(['second']);
  });

  test('timers of different names run independently', () => {
    const t = timers();
    t.timers.set('answer', 2_000, () => t.fired.push('answer'));
    t.timers.set('ring', 1_000, () => t.fired.push('ring'));
    t.clock.advance(2_000);
    expect(t.fired).toEqual(['ring', 'answer']);
  });

  test('clear cancels one timer and leaves the others; clearing an unknown name does nothing', () => {
    const t = timers();
    t.timers.set('answer', 1_000, () => t.fired.push('answer'));
    t.timers.set('ring', 1_000, () => t.fired.push('ring'));
    t.timers.clear('answer');
    t.timers.clear('answer');
    expect(t.timers.has('answer')).toBe(false);
    expect(t.timers.has('ring')).toBe(true);
    t.clock.advance(1_000);
    expect(t.fired).toEqual(['ring']);
  });

  test('clearAll cancels every timer and leaves nothing on the clock', () => {
    const t = timers();
    t.timers.set('answer', 1_000, () => t.fired.push('answer'));
    t.timers.set('ring', 2_000, () => t.fired.push('ring'));
    t.timers.clearAll();
    expect(t.timers.size).toBe(0);
    expect(t.timers.has('answer')).toBe(false);
    expect(t.clock.scheduled.size).toBe(0);
    t.clock.advance(5_000);
    expect(t.fired).toEqual([]);
  });

  test('a timer may set its own name again from its callback: the new one is armed and can be cleared', () => {
    const t = timers();
    const tick = () => {
      t.fired.push(`ring at ${t.clock.now()}`);
      t.timers.set('ring', 1_000, tick);
    };
    t.timers.set('ring', 1_000, tick);
    t.clock.advance(2_000);
    expect(t.fired).toEqual(['ring at 1000', 'ring at 2000']);
    expect(t.timers.has('ring')).toBe(true);
    t.timers.clear('ring');
    t.clock.advance(5_000);
    expect(t.fired).toEqual(['ring at 1000', 'ring at 2000']);
  });
});

describe('errorName: only a plain name may reach the log', () => {
  class NamedError extends Error {
    override name = 'CallError';
  }
  test.each<[string, unknown, string]>([
    ['a DOMException', new DOMException('m=video 9 UDP/TLS…', 'OperationError'), 'OperationError'],
    ['an Error', new Error('a=candidate:1 1 udp 2122 192.168.1.2'), 'Error'],
    ['a TypeError', new TypeError('x'), 'TypeError'],
    ['an Error subclass with its own name', new NamedError('x'), 'CallError'],
    ['a name that quotes an SDP line', { name: 'a=ice-ufrag:abcd' }, 'object'],
    ['a name with spaces', { name: 'Not Allowed' }, 'object'],
    ['a name of 41 letters', { name: 'A'.repeat(41) }, 'object'],
    ['a name of 40 letters', { name: 'A'.repeat(40) }, 'A'.repeat(40)],
    ['an empty name', { name: '' }, 'object'],
    ['a name that is not a string', { name: 42 }, 'object'],
    ['null', null, 'object'],
    ['undefined', undefined, 'undefined'],
    ['a thrown string', '192.168.1.2 refused', 'string'],
    ['a thrown number', 7, 'number'],
  ])('%s', (_what, error, expected) => {
    expect(errorName(error)).toBe(expected);
  });
});

describe('SafeEmitter', () => {
  type Events = { ping: [number]; pong: [] };

  /** A SafeEmitter that exposes safeEmit and keeps what its listeners threw. */
  class Emitter extends SafeEmitter<Events> {
    readonly listenerErrors: { event: string; error: unknown }[] = [];
    fire<E extends keyof Events>(event: E, ...args: Events[E]): void {
      this.safeEmit(event, ...args);
    }
    protected override onListenerError(event: string, error: unknown): void {
      this.listenerErrors.push({ event, error });
    }
  }

  /** The base class as it is, with its default error reporting. */
  class PlainSafeEmitter extends SafeEmitter<Events> {
    fire<E extends keyof Events>(event: E, ...args: Events[E]): void {
      this.safeEmit(event, ...args);
    }
  }

  test('every listener hears the arguments, in the order the listeners were added', () => {
    const emitter = new Emitter();
    const heard: string[] = [];
    emitter.on('ping', (n) => heard.push(`first ${n}`));
    emitter.on('ping', (n) => heard.push(`second ${n}`));
    emitter.on('pong', () => heard.push('pong'));
    emitter.fire('ping', 7);
    expect(heard).toEqual(['first 7', 'second 7']);
  });

  test('a listener that throws does not stop the others and is reported with its event', () => {
    const emitter = new Emitter();
    const heard: string[] = [];
    const boom = new Error('listener bug');
    emitter.on('ping', () => heard.push('before'));
    emitter.on('ping', () => {
      throw boom;
    });
    emitter.on('ping', () => heard.push('after'));
    expect(() => emitter.fire('ping', 1)).not.toThrow();
    expect(heard).toEqual(['before', 'after']);
    expect(emitter.listenerErrors).toEqual([{ event: 'ping', error: boom }]);
  });

  test('by default a listener error is thrown again on a later task, never into the emitter', () => {
    jest.useFakeTimers();
    try {
      const emitter = new PlainSafeEmitter();
      const heard: string[] = [];
      emitter.on('ping', () => {
        throw new Error('listener bug');
      });
      emitter.on('ping', () => heard.push('other'));
      expect(() => emitter.fire('ping', 1)).not.toThrow();
      expect(heard).toEqual(['other']);
      expect(() => jest.runOnlyPendingTimers()).toThrow('listener bug');
    } finally {
      jest.useRealTimers();
    }
  });

  test('a once listener runs once, and is gone before it runs (an emit from inside does not reach it)', () => {
    const emitter = new Emitter();
    const heard: number[] = [];
    emitter.once('ping', (n) => {
      heard.push(n);
      emitter.fire('ping', n + 1);
    });
    emitter.fire('ping', 1);
    emitter.fire('ping', 10);
    expect(heard).toEqual([1]);
    expect(emitter.listenerCount('ping')).toBe(0);
  });

  test('a once listener that throws is removed all the same', () => {
    const emitter = new Emitter();
    let calls = 0;
    emitter.once('ping', () => {
      calls++;
      throw new Error('once bug');
    });
    emitter.fire('ping', 1);
    emitter.fire('ping', 2);
    expect(calls).toBe(1);
    expect(emitter.listenerErrors).toHaveLength(1);
  });

  test('a listener removed by an earlier one still hears the emit in progress (as eventemitter3 does), and no later one', () => {
    // The same scenario on eventemitter3's own emit and on safeEmit.
    function scenario(emitter: EventEmitter<Events>, emit: (n: number) => void): string[] {
      const heard: string[] = [];
      const second = (n: number) => heard.push(`second ${n}`);
      emitter.on('ping', (n) => {
        heard.push(`first ${n}`);
        emitter.off('ping', second);
      });
      emitter.on('ping', second);
      emit(1);
      emit(2);
      return heard;
    }
    const expected = ['first 1', 'second 1', 'first 2'];
    const reference = new EventEmitter<Events>();
    expect(scenario(reference, (n) => reference.emit('ping', n))).toEqual(expected);
    const safe = new Emitter();
    expect(scenario(safe, (n) => safe.fire('ping', n))).toEqual(expected);
  });

  test('a listener added during an emit hears only the next one (as eventemitter3 does)', () => {
    function scenario(emitter: EventEmitter<Events>, emit: (n: number) => void): string[] {
      const heard: string[] = [];
      let added = false;
      emitter.on('ping', (n) => {
        heard.push(`first ${n}`);
        if (!added) emitter.on('ping', (m) => heard.push(`added ${m}`));
        added = true;
      });
      emitter.on('ping', (n) => heard.push(`second ${n}`));
      emit(1);
      emit(2);
      return heard;
    }
    const expected = ['first 1', 'second 1', 'first 2', 'second 2', 'added 2'];
    const reference = new EventEmitter<Events>();
    expect(scenario(reference, (n) => reference.emit('ping', n))).toEqual(expected);
    const safe = new Emitter();
    expect(scenario(safe, (n) => safe.fire('ping', n))).toEqual(expected);
  });

  test('a listener added with a context is called with that context as `this`, as eventemitter3 does', () => {
    const emitter = new Emitter();
    const context = { name: 'the page widget' };
    const seen: unknown[] = [];
    function listener(this: unknown) {
      seen.push(this);
    }
    emitter.on('ping', listener, context);
    emitter.once('ping', listener, context);
    emitter.fire('ping', 1);
    expect(seen).toEqual([context, context]);
    expect(seen[0]).toBe(context);
    expect(seen[1]).toBe(context);
  });

  test('a listener added without a context is called with the emitter as `this`', () => {
    const emitter = new Emitter();
    const seen: unknown[] = [];
    emitter.on('ping', function (this: unknown) {
      seen.push(this);
    });
    emitter.fire('ping', 1);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBe(emitter);
  });

  test('one function added with two contexts is called once with each; off with a context removes only that one', () => {
    const emitter = new Emitter();
    const a = { id: 'a' };
    const b = { id: 'b' };
    const seen: unknown[] = [];
    function listener(this: { id: string }, n: number) {
      seen.push(`${this.id} ${n}`);
    }
    emitter.on('ping', listener, a);
    emitter.on('ping', listener, b);
    emitter.fire('ping', 1);
    emitter.off('ping', listener, a);
    emitter.fire('ping', 2);
    expect(seen).toEqual(['a 1', 'b 1', 'b 2']);
  });

  test('the public emit reaches no listener and returns false; safeEmit still does', () => {
    const emitter = new Emitter();
    const heard: number[] = [];
    emitter.on('ping', (n) => heard.push(n));
    emitter.once('ping', (n) => heard.push(-n));
    expect(emitter.emit('ping', 1)).toBe(false);
    expect(heard).toEqual([]);
    expect(emitter.listenerCount('ping')).toBe(2); // the once listener was not used up either
    emitter.fire('ping', 2);
    expect(heard).toEqual([2, -2]);
  });
});
