import {
  HANGUP_REASONS,
  MAX_AGENT_NAME_LENGTH,
  MAX_DETAIL_LENGTH,
  MAX_MESSAGE_BYTES,
  MAX_TTL_MS,
  MESSAGE_TYPES,
  MIN_TTL_MS,
  PROTOCOL_VERSION,
  REJECT_REASONS,
  SENDER_OF,
} from './messages';
import type {
  AgentInfo,
  CallPolicy,
  ClientInfo,
  IceCandidate,
  IceServer,
  Message,
  MessageBody,
  MessageType,
} from './messages';
import { contains, copy, indexWhere, joined, mapAll } from '../util/list';

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

function fail(field: string, rule: string): never {
  throw new Invalid('invalid-field', `${field} ${rule}`);
}

function str(obj: Obj, key: string, path: string, max?: number): string {
  const value = own(obj, key);
  if (typeof value !== 'string') fail(path, 'must be a string');
  if (max !== undefined && value.length > max) fail(path, `must be at most ${max} characters`);
  return value;
}

function optStr(obj: Obj, key: string, path: string, max?: number): string | undefined {
  return own(obj, key) === undefined ? undefined : str(obj, key, path, max);
}

function optBool(obj: Obj, key: string, path: string): boolean | undefined {
  const value = own(obj, key);
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') fail(path, 'must be a boolean');
  return value;
}

function bool(obj: Obj, key: string, path: string): boolean {
  const value = optBool(obj, key, path);
  if (value === undefined) fail(path, 'is required');
  return value;
}

function oneOf<T extends string>(obj: Obj, key: string, path: string, values: readonly T[]): T {
  const value = own(obj, key);
  if (typeof value !== 'string' || !contains(values, value)) {
    fail(path, `must be one of ${joined(values, ', ')}`);
  }
  return value as T;
}

function optOneOf<T extends string>(
  obj: Obj,
  key: string,
  path: string,
  values: readonly T[],
): T | undefined {
  return own(obj, key) === undefined ? undefined : oneOf(obj, key, path, values);
}

function object(obj: Obj, key: string, path: string): Obj {
  const value = own(obj, key);
  if (!isObject(value)) fail(path, 'must be an object');
  return value;
}

function optObject(obj: Obj, key: string, path: string): Obj | undefined {
  return own(obj, key) === undefined ? undefined : object(obj, key, path);
}

/** Copies only the keys whose value is defined, so optional fields stay absent. */
function compact<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] === undefined) delete value[key];
  }
  return value;
}

function httpsUrl(value: string, path: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(path, 'must be an https URL');
  }
  if (url.protocol !== 'https:') fail(path, 'must be an https URL');
  return value;
}

function agentInfo(obj: Obj): AgentInfo | undefined {
  const agent = optObject(obj, 'agent', 'agent');
  if (!agent) return undefined;
  const avatarUrl = optStr(agent, 'avatarUrl', 'agent.avatarUrl');
  return compact({
    name: optStr(agent, 'name', 'agent.name', MAX_AGENT_NAME_LENGTH),
    avatarUrl: avatarUrl === undefined ? undefined : httpsUrl(avatarUrl, 'agent.avatarUrl'),
  });
}

function ttl(obj: Obj): number | undefined {
  const value = own(obj, 'ttlMs');
  if (value === undefined) return undefined;
  if (
    !Number.isInteger(value) ||
    (value as number) < MIN_TTL_MS ||
    (value as number) > MAX_TTL_MS
  ) {
    fail('ttlMs', `must be an integer from ${MIN_TTL_MS} to ${MAX_TTL_MS}`);
  }
  return value as number;
}

function iceServers(obj: Obj): IceServer[] | undefined {
  const value = own(obj, 'iceServers');
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) fail('iceServers', 'must be an array');
  // Every index, holes included: map/every skip the holes of a sparse array
  // (which a structured clone keeps), so a hole would pass unchecked.
  return mapAll(value as unknown[], (entry: unknown, i) => {
    const path = `iceServers[${i}]`;
    if (!isObject(entry)) fail(path, 'must be an object');
    const urls = own(entry, 'urls');
    const valid =
      (typeof urls === 'string' && urls.length > 0) ||
      (Array.isArray(urls) &&
        urls.length > 0 &&
        indexWhere(copy(urls as unknown[]), (u) => typeof u !== 'string' || u.length === 0) < 0);
    if (!valid) fail(`${path}.urls`, 'must be a URL string or a non-empty array of them');
    return compact({
      urls: Array.isArray(urls) ? copy(urls as string[]) : urls,
      username: optStr(entry, 'username', `${path}.username`),
      credential: optStr(entry, 'credential', `${path}.credential`),
    });
  });
}

function policy(obj: Obj): CallPolicy | undefined {
  const p = optObject(obj, 'policy', 'policy');
  if (!p) return undefined;
  return compact({
    forceRelay: optBool(p, 'forceRelay', 'policy.forceRelay'),
    consumerVideoOff: optBool(p, 'consumerVideoOff', 'policy.consumerVideoOff'),
    agentVideoOff: optBool(p, 'agentVideoOff', 'policy.agentVideoOff'),
  });
}

function clientInfo(obj: Obj): ClientInfo {
  const c = object(obj, 'client', 'client');
  return compact({
    sdk: str(c, 'sdk', 'client.sdk'),
    browser: optStr(c, 'browser', 'client.browser'),
    browserVersion: optStr(c, 'browserVersion', 'client.browserVersion'),
    os: optStr(c, 'os', 'client.os'),
    mobile: optBool(c, 'mobile', 'client.mobile'),
  });
}

function nullableStr(obj: Obj, key: string, path: string): string | null | undefined {
  const value = own(obj, key);
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string') fail(path, 'must be a string or null');
  return value;
}

function candidate(obj: Obj): IceCandidate | null {
  if (!Object.prototype.hasOwnProperty.call(obj, 'candidate')) fail('candidate', 'is required');
  const c = own(obj, 'candidate');
  if (c === null) return null;
  if (!isObject(c)) fail('candidate', 'must be an object or null');
  const index = own(c, 'sdpMLineIndex');
  if (
    index !== undefined &&
    index !== null &&
    !(Number.isInteger(index) && (index as number) >= 0 && (index as number) <= 65_535)
  ) {
    fail('candidate.sdpMLineIndex', 'must be an integer from 0 to 65535, or null');
  }
  return compact({
    candidate: str(c, 'candidate', 'candidate.candidate'),
    sdpMid: nullableStr(c, 'sdpMid', 'candidate.sdpMid'),
    sdpMLineIndex: index as number | null | undefined,
    usernameFragment: nullableStr(c, 'usernameFragment', 'candidate.usernameFragment'),
  });
}

function body(type: MessageType, obj: Obj): MessageBody {
  const media = ['voice', 'video'] as const;
  switch (type) {
    case 'invite':
      return compact({
        type,
        media: oneOf(obj, 'media', 'media', media),
        agent: agentInfo(obj),
        ttlMs: ttl(obj),
        iceServers: iceServers(obj),
        policy: policy(obj),
      });
    case 'cancel':
      return compact({ type, reason: optStr(obj, 'reason', 'reason') });
    case 'accept':
      return { type, media: oneOf(obj, 'media', 'media', media), client: clientInfo(obj) };
    case 'reject':
      return compact({
        type,
        reason: oneOf(obj, 'reason', 'reason', REJECT_REASONS),
        detail: optStr(obj, 'detail', 'detail', MAX_DETAIL_LENGTH),
      });
    case 'sdp': {
      const d = object(obj, 'description', 'description');
      return {
        type,
        description: {
          type: oneOf(d, 'type', 'description.type', ['offer', 'answer'] as const),
          sdp: str(d, 'sdp', 'description.sdp'),
        },
      };
    }
    case 'ice':
      return { type, candidate: candidate(obj) };
    case 'media-state':
      return compact({
        type,
        audioMuted: bool(obj, 'audioMuted', 'audioMuted'),
        videoEnabled: bool(obj, 'videoEnabled', 'videoEnabled'),
        camera: optOneOf(obj, 'camera', 'camera', ['user', 'environment'] as const),
      });
    case 'hangup':
      return compact({
        type,
        reason: oneOf(obj, 'reason', 'reason', HANGUP_REASONS),
        detail: optStr(obj, 'detail', 'detail', MAX_DETAIL_LENGTH),
      });
  }
}

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
  if (!isValidId(own(value, 'id'))) fail('id', 'must be 1-64 characters of [A-Za-z0-9_-]');
  if (!isValidId(own(value, 'callId'))) fail('callId', 'must be 1-64 characters of [A-Za-z0-9_-]');
  const from = oneOf(value, 'from', 'from', ['agent', 'consumer'] as const);
  const sender = SENDER_OF.get(messageType);
  if (sender !== 'either' && sender !== from) fail('from', `must be "${sender}" for ${type}`);

  return {
    ...body(messageType, value),
    v: PROTOCOL_VERSION,
    id: value.id as string,
    callId: value.callId as string,
    from: from,
  };
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
