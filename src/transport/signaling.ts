/**
 * Whether a payload from a shared channel (a conversation, window messages)
 * is meant as call signaling: a JSON object, or its text, with `v` and
 * `type`. Anything else belongs to someone else and is left alone; what looks
 * like signaling goes on to the validator, which reports what is wrong.
 */
export function looksLikeSignaling(payload: unknown): boolean {
  let value = payload;
  if (typeof payload === 'string') {
    if (!/^\s*\{/.test(payload)) return false;
    try {
      value = JSON.parse(payload);
    } catch {
      return /"v"\s*:/.test(payload); // broken JSON that was meant as signaling
    }
  }
  if (typeof value !== 'object' || value === null) return false;
  const has = (key: string) => Object.prototype.hasOwnProperty.call(value, key);
  return has('v') && has('type');
}

/** The id of a message-like value, if it has a string one. */
export function idOf(payload: unknown): string | undefined {
  let value = payload;
  if (typeof payload === 'string') {
    try {
      value = JSON.parse(payload);
    } catch {
      return undefined;
    }
  }
  const id = (value as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : undefined;
}
