import { MAX_MESSAGE_BYTES } from '../protocol/messages';

/** A payload from a shared channel that is meant as call signaling, read once. */
export type SignalingPayload =
  /** The parsed value, for the validator: a text is never parsed a second time. */
  | { value: object; refused?: undefined }
  /** Refused before it was parsed (too large) or because it could not be: the reason. */
  | { value?: undefined; refused: string };

/**
 * Reads a payload from a shared channel (a conversation, window messages):
 * call signaling is a JSON object, or its text, with `v` and `type`. Anything
 * else belongs to someone else and is left alone (null).
 *
 * A text is measured before it is parsed, so a page's megabyte of JSON never
 * reaches `JSON.parse`, and is parsed here only: the parsed value goes on to
 * the validator. Text that was meant as signaling (it has a `"v":` key) but is
 * over the size limit or not JSON is refused with a reason, for a warning.
 *
 * The measure is the text's length: a UTF-16 unit is at least one UTF-8 byte,
 * so a text longer than the limit is over it, and one the validator would
 * accept is never refused. The exact count stays in the validator, the one
 * place of the protocol's rules, which measures what was parsed (importing
 * it here would put the whole validator in every bundle with a transport).
 */
export function readSignaling(payload: unknown): SignalingPayload | null {
  let value = payload;
  if (typeof payload === 'string') {
    if (!/^\s*\{/.test(payload)) return null;
    const meant = /"v"\s*:/.test(payload);
    if (payload.length > MAX_MESSAGE_BYTES) {
      return meant
        ? { refused: `dropped a signaling message over ${MAX_MESSAGE_BYTES} bytes` }
        : null;
    }
    try {
      value = JSON.parse(payload);
    } catch {
      return meant ? { refused: 'dropped a signaling message that is not valid JSON' } : null;
    }
  }
  if (typeof value !== 'object' || value === null) return null;
  const has = (key: string) => Object.prototype.hasOwnProperty.call(value, key);
  return has('v') && has('type') ? { value } : null;
}

/** The id of a message-like value, if it has a string one. */
export function idOf(value: object): string | undefined {
  const id = (value as { id?: unknown }).id;
  return typeof id === 'string' ? id : undefined;
}
