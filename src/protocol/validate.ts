import {
  FEATURES,
  HANGUP_REASONS,
  MAX_AGENT_NAME_LENGTH,
  MAX_DETAIL_LENGTH,
  MAX_MESSAGE_BYTES,
  MAX_SHARE_REASON_LENGTH,
  MAX_TTL_MS,
  MESSAGE_TYPES,
  MIN_TTL_MS,
  PROTOCOL_VERSION,
  REJECT_REASONS,
  SENDER_OF,
  SHARE_REFUSALS,
} from './messages';
import type { Message, MessageType } from './messages';
import { contains, indexWhere, joined } from '../util/list';

/** Why a message was dropped. */
export type InvalidCode =
  | 'invalid-json'
  | 'too-large'
  | 'not-an-object'
  | 'unsupported-version'
  | 'unknown-type'
  | 'invalid-field';

export type ParseResult =
  { ok: true; message: Message } | { ok: false; code: InvalidCode; reason: string };

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const ID_RULE = 'must be 1-64 characters of [A-Za-z0-9_-]';

/** True for a protocol id or callId: 1–64 chars of [A-Za-z0-9_-]. */
export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && ID.test(value);
}

/** True when a text is over the size limit in UTF-8 bytes. */
export function exceedsMaxBytes(text: string): boolean {
  if (text.length * 3 <= MAX_MESSAGE_BYTES) return false; // 3 bytes per UTF-16 unit at most
  return utf8Length(text) > MAX_MESSAGE_BYTES;
}

/** UTF-8 length, counted without TextEncoder (absent in some test environments). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit < 0xdc00 && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4; // a surrogate pair is one 4-byte code point
      i++;
    } else bytes += 3; // includes a lone surrogate, encoded as U+FFFD
  }
  return bytes;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit < 0xe000;
}

/** Thrown inside the validator only; parseMessage turns it into a result. */
class Invalid extends Error {
  constructor(
    readonly code: InvalidCode,
    readonly reason: string,
  ) {
    super(reason);
  }
}

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Reads go through hasOwnProperty so that `__proto__`, `constructor` and the
// like are never picked up from the prototype chain.
function own(obj: Obj, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

function fail(path: string, rule: string): never {
  throw new Invalid('invalid-field', `${path} ${rule}`);
}

/**
 * A field's rule: given the field's value (undefined when absent) and its
 * path for the error message, returns the value to keep or throws Invalid.
 * The schema below is built from these, one line per field of the protocol.
 */
type Rule = (value: unknown, path: string) => unknown;

const string =
  (max?: number): Rule =>
  (value, path) => {
    if (typeof value !== 'string') fail(path, 'must be a string');
    if (max !== undefined && value.length > max) fail(path, `must be at most ${max} characters`);
    return value;
  };

const boolean: Rule = (value, path) =>
  typeof value === 'boolean'
    ? value
    : fail(path, value === undefined ? 'is required' : 'must be a boolean');

const oneOf =
  (values: readonly string[]): Rule =>
  (value, path) =>
    typeof value === 'string' && contains(values, value)
      ? value
      : fail(path, `must be one of ${joined(values, ', ')}`);

/** Absent stays absent; a present value must pass `rule`. */
const optional =
  (rule: Rule): Rule =>
  (value, path) =>
    value === undefined ? undefined : rule(value, path);

/** Present, and null or passing `rule`. */
const nullable =
  (rule: Rule): Rule =>
  (value, path) =>
    value === null ? null : rule(value, path);

const integer =
  (min: number, max: number, suffix = ''): Rule =>
  (value, path) =>
    Number.isInteger(value) && (value as number) >= min && (value as number) <= max
      ? value
      : fail(path, `must be an integer from ${min} to ${max}${suffix}`);

/** An object of the given fields: a fresh one, unknown fields dropped, absent ones left out. */
const object =
  (fields: Record<string, Rule>, what = 'an object'): Rule =>
  (value, path) => {
    if (!isObject(value)) fail(path, `must be ${what}`);
    const out: Obj = {};
    // Object.keys, not for…in: a page may have added enumerable keys to Object.prototype.
    const keys = Object.keys(fields);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const kept = (fields[key] as Rule)(own(value, key), path ? `${path}.${key}` : key);
      if (kept !== undefined) out[key] = kept;
    }
    return out;
  };

const httpsUrl: Rule = (value, path) => {
  let url: URL | undefined;
  try {
    url = new URL(string()(value, path) as string);
  } catch (error) {
    if (error instanceof Invalid) throw error;
  }
  return url?.protocol === 'https:' ? value : fail(path, 'must be an https URL');
};

/**
 * Every index, holes included (a structured clone keeps the holes of a
 * sparse array), each read as an own property: a hole is undefined, never
 * what a page put on Array.prototype.
 */
function each(value: unknown, path: string, rule: Rule): unknown[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: unknown[] = [];
  for (let i = 0; i < value.length; i++) {
    out[i] = rule(own(value as unknown as Obj, String(i)), `${path}[${i}]`);
  }
  return out;
}

const urls: Rule = (value, path) => {
  const list = typeof value === 'string' ? null : each(value, path, (url) => url);
  const valid =
    typeof value === 'string'
      ? value.length > 0
      : list !== undefined &&
        list !== null &&
        list.length > 0 &&
        indexWhere(list, (url) => typeof url !== 'string' || url.length === 0) < 0;
  return valid ? (list ?? value) : fail(path, 'must be a URL string or a non-empty array of them');
};

const nullableString: Rule = (value, path) =>
  value === null || typeof value === 'string' ? value : fail(path, 'must be a string or null');

const iceServers: Rule = (value, path) =>
  each(
    value,
    path,
    object({ urls, username: optional(string()), credential: optional(string()) }),
  ) ?? fail(path, 'must be an array');

const candidate = object(
  {
    candidate: string(),
    sdpMid: optional(nullableString),
    sdpMLineIndex: optional(nullable(integer(0, 65_535, ', or null'))),
    usernameFragment: optional(nullableString),
  },
  'an object or null',
);

const optionalBoolean = optional(boolean);
const media = oneOf(['voice', 'video']);
const detail = optional(string(MAX_DETAIL_LENGTH));
const client = object({
  sdk: string(),
  browser: optional(string()),
  browserVersion: optional(string()),
  os: optional(string()),
  mobile: optionalBoolean,
});

/** 32 bytes in canonical base64url: 43 characters, the last with two zero bits. */
const SECRET = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/** True for a resume secret or commitment: 32 bytes in canonical base64url. */
export function isSecret(value: unknown): value is string {
  return typeof value === 'string' && SECRET.test(value);
}

const secret: Rule = (value, path) =>
  isSecret(value) ? value : fail(path, 'must be 32 bytes in canonical base64url');

/** The features this SDK knows; unknown strings (and non-strings) are ignored. */
const features: Rule = (value, path) => {
  const list = each(value, path, (item) => item) ?? fail(path, 'must be an array');
  const known: string[] = [];
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (typeof item === 'string' && contains(FEATURES, item) && !contains(known, item)) {
      known[known.length] = item;
    }
  }
  return known;
};

/** The fields of each message type, as the protocol defines them. */
const BODIES: Record<MessageType, Record<string, Rule>> = {
  invite: {
    media,
    agent: optional(
      object({ name: optional(string(MAX_AGENT_NAME_LENGTH)), avatarUrl: optional(httpsUrl) }),
    ),
    ttlMs: optional(integer(MIN_TTL_MS, MAX_TTL_MS)),
    iceServers: optional(iceServers),
    policy: optional(
      object({
        forceRelay: optionalBoolean,
        consumerVideoOff: optionalBoolean,
        agentVideoOff: optionalBoolean,
      }),
    ),
    features: optional(features),
  },
  cancel: { reason: optional(string()) },
  accept: { media, client, resume: optional(object({ commit: secret })) },
  reject: { reason: oneOf(REJECT_REASONS), detail },
  sdp: { description: object({ type: oneOf(['offer', 'answer']), sdp: string() }) },
  // Required, and null for the end of candidates.
  ice: {
    candidate: (value, path) =>
      value === undefined ? fail(path, 'is required') : nullable(candidate)(value, path),
  },
  'media-state': {
    audioMuted: boolean,
    videoEnabled: boolean,
    camera: optional(oneOf(['user', 'environment'])),
    screen: optionalBoolean,
  },
  hangup: { reason: oneOf(HANGUP_REASONS), detail },
  suspend: {},
  resume: { secret, commit: secret, media, client },
  'share-request': { reason: optional(string(MAX_SHARE_REASON_LENGTH)) },
  'share-reply': { accepted: boolean, reason: optional(oneOf(SHARE_REFUSALS)) },
};

/** 1.1 addressing: optional ids in the envelope. */
const address = optional((value, path) => (isValidId(value) ? value : fail(path, ID_RULE)));

function validate(input: unknown): Message {
  let value = input;
  if (typeof input === 'string') {
    if (exceedsMaxBytes(input)) {
      throw new Invalid('too-large', `message exceeds ${MAX_MESSAGE_BYTES} bytes`);
    }
    try {
      value = JSON.parse(input);
    } catch {
      throw new Invalid('invalid-json', 'message is not valid JSON');
    }
  } else {
    let text: string | undefined;
    try {
      text = JSON.stringify(input);
    } catch {
      throw new Invalid('invalid-json', 'message cannot be serialized as JSON');
    }
    if (text !== undefined && exceedsMaxBytes(text)) {
      throw new Invalid('too-large', `message exceeds ${MAX_MESSAGE_BYTES} bytes`);
    }
  }
  if (!isObject(value)) throw new Invalid('not-an-object', 'message must be a JSON object');

  const v = own(value, 'v');
  if (v === undefined) fail('v', 'is required');
  if (v !== PROTOCOL_VERSION) {
    throw new Invalid(
      'unsupported-version',
      `protocol version ${typeof v === 'number' ? v : typeof v} is not supported`,
    );
  }
  const type = own(value, 'type');
  if (typeof type !== 'string') fail('type', 'must be a string');
  if (!contains(MESSAGE_TYPES, type)) {
    throw new Invalid('unknown-type', `unknown message type "${type.slice(0, 32)}"`);
  }
  const messageType = type as MessageType;
  // Each read once: a getter cannot pass the check with one value and give another.
  const id = own(value, 'id');
  const callId = own(value, 'callId');
  if (!isValidId(id)) fail('id', ID_RULE);
  if (!isValidId(callId)) fail('callId', ID_RULE);
  const from = oneOf(['agent', 'consumer'])(own(value, 'from'), 'from') as Message['from'];
  const sender = SENDER_OF.get(messageType);
  if (sender !== 'either' && sender !== from) fail('from', `must be "${sender}" for ${type}`);

  const message = {
    type: messageType,
    ...(object(BODIES[messageType])(value, '') as object),
    ...(object({ instance: address, to: address })(value, '') as object),
    v: PROTOCOL_VERSION,
    id,
    callId,
    from,
  } as Message;
  // A value (not text) measured itself through JSON.stringify, which a
  // toJSON or a getter can fool; what was kept is plain data: measure it.
  if (typeof input !== 'string' && exceedsMaxBytes(JSON.stringify(message))) {
    throw new Invalid('too-large', `message exceeds ${MAX_MESSAGE_BYTES} bytes`);
  }
  return message;
}

/**
 * Validates one incoming signaling message: a JSON text or an already parsed
 * value. Never throws. On success the message is a fresh object holding only
 * the fields of the protocol (unknown fields are ignored, as the protocol asks).
 */
export function parseMessage(input: unknown): ParseResult {
  try {
    return { ok: true, message: validate(input) };
  } catch (error) {
    if (error instanceof Invalid) return { ok: false, code: error.code, reason: error.reason };
    // Anything else (a getter that throws, a hostile proxy) is still just bad input.
    return { ok: false, code: 'invalid-field', reason: 'message could not be read' };
  }
}
