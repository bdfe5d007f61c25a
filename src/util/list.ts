/**
 * The few list operations the SDK needs, as plain loops. Pages in the wild
 * replace Array.prototype helpers (old libraries, broken polyfills); the SDK
 * runs on pages it does not control, so its call paths do not depend on them.
 */

export function contains<T>(list: ArrayLike<T>, value: unknown): boolean {
  for (let i = 0; i < list.length; i++) if (list[i] === value) return true;
  return false;
}

export function indexWhere<T>(list: ArrayLike<T>, test: (item: T) => boolean): number {
  for (let i = 0; i < list.length; i++) if (test(list[i] as T)) return i;
  return -1;
}

export function firstWhere<T>(list: ArrayLike<T>, test: (item: T) => boolean): T | undefined {
  const i = indexWhere(list, test);
  return i < 0 ? undefined : list[i];
}

export function allWhere<T>(list: ArrayLike<T>, test: (item: T) => boolean): T[] {
  const out: T[] = [];
  for (let i = 0; i < list.length; i++) if (test(list[i] as T)) out[out.length] = list[i] as T;
  return out;
}

/** A copy of a list or set, read by index or iterator; holes read as undefined. */
export function copy<T>(items: ArrayLike<T> | Iterable<T>): T[] {
  const out: T[] = [];
  if (typeof (items as ArrayLike<T>).length === 'number') {
    const list = items as ArrayLike<T>;
    for (let i = 0; i < list.length; i++) out[i] = list[i] as T;
  } else {
    for (const item of items as Iterable<T>) out[out.length] = item;
  }
  return out;
}

/** Removes and returns every item of a list. */
export function drain<T>(list: T[]): T[] {
  const out = copy(list);
  list.length = 0;
  return out;
}

/** Joins strings with a separator. */
export function joined(list: ArrayLike<string>, separator: string): string {
  let out = '';
  for (let i = 0; i < list.length; i++) out += (i > 0 ? separator : '') + list[i];
  return out;
}

/** Maps every index of a list, holes included (they read as undefined). */
export function mapAll<T, U>(list: ArrayLike<T>, fn: (item: T, index: number) => U): U[] {
  const out: U[] = [];
  for (let i = 0; i < list.length; i++) out[i] = fn(list[i] as T, i);
  return out;
}
