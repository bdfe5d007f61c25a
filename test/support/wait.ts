/** Small awaiting helpers for integration tests: every wait is bounded. */

import type { EventEmitter } from 'eventemitter3';

type Emitter = Pick<EventEmitter, 'once' | 'off'>;

/** Resolves with the first argument of the next `event`, or rejects after `ms`. */
export function nextEvent<T = unknown>(emitter: Emitter, event: string, ms = 10_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, handler as never);
      reject(new Error(`no "${event}" event within ${ms} ms`));
    }, ms);
    const handler = (value: T) => {
      clearTimeout(timer);
      resolve(value);
    };
    emitter.once(event, handler as never);
  });
}

/** Polls `check` until it returns a truthy value, or rejects after `ms`. */
export async function until<T>(check: () => T | Promise<T>, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Resolves when `target.state` equals `state` (now or later). */
export function reachState(
  target: Emitter & { state: string },
  state: string,
  ms = 10_000,
): Promise<void> {
  if (target.state === state) return Promise.resolve();
  return until(() => target.state === state, `state ${state} (now ${target.state})`, ms).then(
    () => undefined,
  );
}
