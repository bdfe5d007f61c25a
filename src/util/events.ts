/** Something that takes event listeners: a window, a document, mediaDevices. */
export type ListenerTarget = Partial<Record<'addEventListener' | 'removeEventListener', unknown>>;

export type Method = (this: unknown, type: string, listener: (event: never) => void) => void;

/**
 * EventTarget's own method rather than the target's property: pages
 * sometimes replace window.addEventListener (or a document's) with something
 * broken. Falls back to the target's method for non-EventTarget stand-ins.
 */
export function listenerMethod(
  target: ListenerTarget,
  name: 'addEventListener' | 'removeEventListener',
): Method | undefined {
  if (typeof EventTarget !== 'undefined' && target instanceof EventTarget) {
    // eslint-disable-next-line @typescript-eslint/unbound-method
    return EventTarget.prototype[name] as unknown as Method;
  }
  const own = target[name];
  return typeof own === 'function' ? (own as Method) : undefined;
}

/**
 * Adds `listener` for `type` and returns the function that removes it.
 * Neither throws: a target that refuses (a hostile page, a stand-in without
 * the method) leaves the listener off, and the caller goes on without it.
 */
export function listenTo<E>(
  target: object | undefined,
  type: string,
  listener: (event: E) => void,
): () => void {
  const add = target && listenerMethod(target, 'addEventListener');
  if (!target || !add) return () => undefined;
  const handler = listener as (event: never) => void;
  try {
    add.call(target, type, handler);
  } catch {
    return () => undefined;
  }
  return () => {
    try {
      listenerMethod(target, 'removeEventListener')?.call(target, type, handler);
    } catch {
      // Nothing more to do: the call's end must not stop here.
    }
  };
}
