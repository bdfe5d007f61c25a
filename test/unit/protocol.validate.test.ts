/**
 * parseMessage against the signaling contract (PROTOCOL.md, "Envelope" and
 * "Message types"): one named test or table row per rule.
 */
import { TextEncoder as NodeTextEncoder } from 'node:util';
import {
  HANGUP_REASONS,
  MAX_MESSAGE_BYTES,
  REJECT_REASONS,
  parseMessage,
} from '../../src/protocol';
import type { InvalidCode, MessageOf, MessageType, ParseResult } from '../../src/protocol';

// ---------------------------------------------------------------------------
// Fixtures

const fromAgent = { v: 1, id: 'msg_agent-1', callId: 'call-42', from: 'agent' } as const;
const fromConsumer = { v: 1, id: 'msg_consumer-1', callId: 'call-42', from: 'consumer' } as const;

const SDP_OFFER = 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';
// The protocol's test vector: the bytes 0x00 to 0x1f and their commitment.
const SECRET = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8';
const COMMIT = 'Yw3NKWbEM2aRElRIu7JbT_QSpJxzLbLIq8G4WBvXEN0';
const CANDIDATE = 'candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx';

/** The smallest valid message of each type: required fields only. */
const minimal: { [T in MessageType]: MessageOf<T> } = {
  invite: { ...fromAgent, type: 'invite', media: 'video' },
  cancel: { ...fromAgent, type: 'cancel' },
  accept: {
    ...fromConsumer,
    type: 'accept',
    media: 'voice',
    client: { sdk: 'messaging-calls/0.1.0' },
  },
  reject: { ...fromConsumer, type: 'reject', reason: 'declined' },
  sdp: { ...fromConsumer, type: 'sdp', description: { type: 'offer', sdp: SDP_OFFER } },
  ice: { ...fromConsumer, type: 'ice', candidate: { candidate: CANDIDATE } },
  'media-state': { ...fromConsumer, type: 'media-state', audioMuted: false, videoEnabled: true },
  hangup: { ...fromAgent, type: 'hangup', reason: 'normal' },
  suspend: { ...fromConsumer, type: 'suspend' },
  'share-request': { ...fromAgent, type: 'share-request' },
  'share-reply': { ...fromConsumer, type: 'share-reply', accepted: true },
  resume: {
    ...fromConsumer,
    type: 'resume',
    secret: SECRET,
    commit: COMMIT,
    media: 'video',
    client: { sdk: 'messaging-calls/0.1.0' },
  },
};

/** A valid message of each type with every optional field present. */
const full: { [T in MessageType]: MessageOf<T> } = {
  invite: {
    ...fromAgent,
    type: 'invite',
    media: 'video',
    agent: { name: 'Ana (Support)', avatarUrl: 'https://cdn.example.com/avatars/ana.png' },
    ttlMs: 45_000,
    iceServers: [
      { urls: 'stun:stun.example.com:3478' },
      {
        urls: ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:443'],
        username: '1700000000:call-42',
        credential: 'c2VjcmV0',
      },
    ],
    policy: { forceRelay: true, consumerVideoOff: false, agentVideoOff: true },
  },
  cancel: { ...fromAgent, type: 'cancel', reason: 'customer left the conversation' },
  accept: {
    ...fromConsumer,
    type: 'accept',
    media: 'voice',
    client: {
      sdk: 'messaging-calls/0.1.0',
      browser: 'Firefox',
      browserVersion: '128.0',
      os: 'Android',
      mobile: true,
    },
  },
  reject: {
    ...fromConsumer,
    type: 'reject',
    reason: 'unsupported',
    detail: 'no RTCPeerConnection',
  },
  sdp: { ...fromAgent, type: 'sdp', description: { type: 'answer', sdp: SDP_OFFER } },
  ice: {
    ...fromAgent,
    type: 'ice',
    candidate: { candidate: CANDIDATE, sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'f9Xa' },
  },
  'media-state': {
    ...fromConsumer,
    type: 'media-state',
    audioMuted: true,
    videoEnabled: false,
    camera: 'environment',
  },
  hangup: { ...fromConsumer, type: 'hangup', reason: 'no-device', detail: 'no microphone found' },
  suspend: { ...fromConsumer, type: 'suspend', instance: 'tab-1' },
  'share-request': { ...fromAgent, type: 'share-request', reason: 'to see the error', to: 'tab-1' },
  'share-reply': { ...fromConsumer, type: 'share-reply', accepted: false, reason: 'declined' },
  resume: {
    ...fromConsumer,
    type: 'resume',
    instance: 'tab-2',
    secret: SECRET,
    commit: COMMIT,
    media: 'voice',
    client: { sdk: 'messaging-calls/0.1.0', browser: 'Chrome', mobile: false },
  },
};

const TYPES = Object.keys(minimal) as MessageType[];

// ---------------------------------------------------------------------------
// Helpers

type Json = Record<string, unknown>;

const DELETE = Symbol('delete');

/** A deep copy of `message` with the field at a dotted `path` replaced, or deleted with DELETE. */
function withField(message: object, path: string, value: unknown): Json {
  const copy = JSON.parse(JSON.stringify(message)) as Json;
  const keys = path.split('.');
  const last = keys.pop() as string;
  let node: Json = copy;
  for (const key of keys) node = node[key] as Json;
  if (value === DELETE) delete node[last];
  else node[last] = value;
  return copy;
}

/** Parses a message as it arrives on the wire: as JSON text. */
function parseText(message: object): ParseResult {
  return parseMessage(JSON.stringify(message));
}

function expectInvalid(result: ParseResult, code: InvalidCode, mention?: string): void {
  expect(result).toEqual({
    ok: false,
    code,
    reason: mention === undefined ? expect.any(String) : expect.stringContaining(mention),
  });
}

function expectParsed(result: ParseResult, message: object): void {
  expect(result).toStrictEqual({ ok: true, message });
}

/** For huge messages: on failure, shows the small rejection rather than a 64 KB diff. */
function expectAccepted(result: ParseResult): void {
  expect(result.ok ? 'accepted' : result).toBe('accepted');
}

/** Adds an unknown field to the message and to every object nested in it. */
function withUnknownFieldsEverywhere(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withUnknownFieldsEverywhere);
  if (typeof value !== 'object' || value === null) return value;
  const copy: Json = { futureField: { nested: [1, 'two'] }, 'x-vendor': 'ignored' };
  for (const [key, field] of Object.entries(value)) copy[key] = withUnknownFieldsEverywhere(field);
  return copy;
}

const utf8Bytes = (text: string): number => new NodeTextEncoder().encode(text).length;

/** A valid cancel message as JSON text of exactly `bytes` UTF-8 bytes, padded with `char`. */
function cancelTextOfBytes(bytes: number, char: string): string {
  const room = bytes - utf8Bytes(JSON.stringify({ ...minimal.cancel, reason: '' }));
  const charBytes = utf8Bytes(char);
  const reason = char.repeat(Math.floor(room / charBytes)) + 'a'.repeat(room % charBytes);
  const text = JSON.stringify({ ...minimal.cancel, reason });
  expect(utf8Bytes(text)).toBe(bytes);
  return text;
}

const s = (n: number, char = 'x'): string => char.repeat(n);

// ---------------------------------------------------------------------------

describe('valid messages', () => {
  test.each(TYPES)('a minimal %s (JSON text) parses to exactly its fields', (type) => {
    expectParsed(parseText(minimal[type]), minimal[type]);
  });

  test.each(TYPES)('a minimal %s (already-parsed object) parses to exactly its fields', (type) => {
    expectParsed(parseMessage(minimal[type]), minimal[type]);
  });

  test.each(TYPES)('a %s with every optional field (JSON text) keeps them all', (type) => {
    expectParsed(parseText(full[type]), full[type]);
  });

  test.each(TYPES)(
    'a %s with every optional field (already-parsed object) keeps them all',
    (type) => {
      expectParsed(parseMessage(full[type]), full[type]);
    },
  );

  test.each(TYPES)('a %s drops unknown fields at every level', (type) => {
    const noisy = withUnknownFieldsEverywhere(full[type]) as object;
    expectParsed(parseText(noisy), full[type]);
    expectParsed(parseMessage(noisy), full[type]);
  });

  test.each(TYPES)('a minimal %s does not gain optional fields', (type) => {
    const result = parseText(minimal[type]);
    if (!result.ok) throw new Error(result.reason);
    expect(Object.keys(result.message).sort()).toEqual(Object.keys(minimal[type]).sort());
  });

  test('optional nested objects stay empty when all their fields are absent', () => {
    const invite = { ...minimal.invite, agent: {}, policy: {} };
    expectParsed(parseText(invite), invite);
  });

  test('the parsed message is a fresh object, not the input', () => {
    const input = full.invite;
    const result = parseMessage(input);
    if (!result.ok) throw new Error(result.reason);
    expect(result.message).not.toBe(input);
    expect(result.message.type === 'invite' && result.message.agent).not.toBe(input.agent);
  });

  test.each(['sdp', 'ice', 'media-state', 'hangup'] as const)(
    'a %s may be sent by either role',
    (type) => {
      for (const from of ['agent', 'consumer'] as const) {
        const message = { ...minimal[type], from };
        expectParsed(parseText(message), message);
      }
    },
  );
});

describe('input that is not a message', () => {
  test.each([
    ['an empty string', ''],
    ['truncated JSON', '{"v":1,"type":"cancel"'],
    ['plain text', 'hello'],
    ['single-quoted keys', "{'v':1}"],
    ['a trailing comma', '{"v":1,}'],
    ['the word undefined', 'undefined'],
    ['NaN', 'NaN'],
  ])('%s is invalid-json', (_name, text) => {
    expectInvalid(parseMessage(text), 'invalid-json');
  });

  test('an object that cannot be serialized (a BigInt) is invalid-json', () => {
    expectInvalid(parseMessage({ ...minimal.cancel, reason: BigInt(1) }), 'invalid-json');
  });

  test('an object with a cycle is invalid-json', () => {
    const cyclic: Json = { ...minimal.cancel };
    cyclic.self = cyclic;
    expectInvalid(parseMessage(cyclic), 'invalid-json');
  });

  test.each([
    ['a JSON array', '[]'],
    ['a JSON array holding a valid message', JSON.stringify([minimal.cancel])],
    ['JSON null', 'null'],
    ['a JSON number', '42'],
    ['a JSON string', '"hangup"'],
    ['a JSON boolean', 'true'],
  ])('%s is not-an-object', (_name, text) => {
    expectInvalid(parseMessage(text), 'not-an-object');
  });

  test.each([
    ['an array', [minimal.cancel]],
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['a boolean', false],
    ['a function', () => minimal.cancel],
  ])('an already-parsed %s is not-an-object', (_name, value) => {
    expectInvalid(parseMessage(value), 'not-an-object');
  });
});

describe('size limit: 65,536 UTF-8 bytes', () => {
  // 'é' is 2 bytes and '€' 3 bytes in UTF-8 but one UTF-16 unit each; '😀' is 4 bytes, 2 units.
  test.each([
    ['ASCII', 'a'],
    ['2-byte', 'é'],
    ['3-byte', '€'],
    ['4-byte', '😀'],
  ])('a message of exactly 65,536 bytes of %s characters is accepted', (_name, char) => {
    const text = cancelTextOfBytes(MAX_MESSAGE_BYTES, char);
    expectAccepted(parseMessage(text));
  });

  test.each([
    ['ASCII', 'a'],
    ['2-byte', 'é'],
    ['3-byte', '€'],
    ['4-byte', '😀'],
  ])('a message of 65,537 bytes of %s characters is too-large', (_name, char) => {
    expectInvalid(parseMessage(cancelTextOfBytes(MAX_MESSAGE_BYTES + 1, char)), 'too-large');
  });

  test('the limit counts UTF-8 bytes, not UTF-16 units', () => {
    const text = cancelTextOfBytes(MAX_MESSAGE_BYTES + 1, '€');
    expect(text.length).toBeLessThan(MAX_MESSAGE_BYTES / 2);
    expectInvalid(parseMessage(text), 'too-large');
  });

  test('an already-parsed object is measured as its JSON serialization', () => {
    const atLimit = JSON.parse(cancelTextOfBytes(MAX_MESSAGE_BYTES, '€')) as Json;
    const overLimit = JSON.parse(cancelTextOfBytes(MAX_MESSAGE_BYTES + 1, '€')) as Json;
    expectAccepted(parseMessage(atLimit));
    expectInvalid(parseMessage(overLimit), 'too-large');
  });

  test('an oversized text is too-large even when it is not JSON', () => {
    expectInvalid(parseMessage('{'.repeat(MAX_MESSAGE_BYTES + 1)), 'too-large');
  });
});

describe('envelope: v', () => {
  test('a missing v is invalid-field', () => {
    expectInvalid(parseText(withField(minimal.cancel, 'v', DELETE)), 'invalid-field', 'v');
  });

  test.each([
    ['2', 2],
    ['0', 0],
    ['1.5', 1.5],
    ['"1" (a string)', '1'],
    ['null', null],
  ])('v of %s is unsupported-version', (_name, v) => {
    expectInvalid(parseText(withField(minimal.cancel, 'v', v)), 'unsupported-version');
  });
});

describe('envelope: id and callId', () => {
  const validIds = [
    ['1 character', 'a'],
    ['64 characters', s(64)],
    ['every allowed character', 'ABCXYZabcxyz0189_-'],
    ['a nanoid', 'V1StGXR8_Z5jdHi6B-myT'],
    ['__proto__', '__proto__'],
    ['constructor', 'constructor'],
    ['prototype', 'prototype'],
    ['hasOwnProperty', 'hasOwnProperty'],
  ];
  const invalidIds: [string, unknown][] = [
    ['empty', ''],
    ['65 characters', s(65)],
    ['a space', 'a b'],
    ['a dot', 'a.b'],
    ['a slash', 'a/b'],
    ['a plus', 'a+b'],
    ['an equals sign', 'ab='],
    ['a non-ASCII letter', 'café'],
    ['a trailing newline', 'abc\n'],
    ['a number', 42],
    ['null', null],
    ['an array', ['abc']],
  ];

  describe.each(['id', 'callId'])('%s', (field) => {
    test.each(validIds)(`${field} of %s is valid`, (_name, id) => {
      const message = { ...minimal.cancel, [field]: id };
      expectParsed(parseText(message), message);
    });

    test.each(invalidIds)(`${field} with %s is invalid-field`, (_name, id) => {
      expectInvalid(parseText(withField(minimal.cancel, field, id)), 'invalid-field', field);
    });

    test(`a missing ${field} is invalid-field`, () => {
      expectInvalid(parseText(withField(minimal.cancel, field, DELETE)), 'invalid-field', field);
    });
  });
});

describe('envelope: from', () => {
  test.each([
    ['missing', DELETE],
    ['"system"', 'system'],
    ['"Agent" (wrong case)', 'Agent'],
    ['a number', 1],
    ['null', null],
  ])('from %s is invalid-field', (_name, from) => {
    expectInvalid(parseText(withField(minimal.hangup, 'from', from)), 'invalid-field', 'from');
  });

  test.each([
    ['invite', 'consumer'],
    ['cancel', 'consumer'],
    ['accept', 'agent'],
    ['reject', 'agent'],
  ] as const)('%s sent by the %s is invalid-field', (type, from) => {
    expectInvalid(parseText({ ...minimal[type], from }), 'invalid-field', 'from');
  });
});

describe('envelope: type', () => {
  test.each([
    ['missing', DELETE],
    ['a number', 3],
    ['null', null],
    ['an array', ['invite']],
  ])('type %s is invalid-field', (_name, type) => {
    expectInvalid(parseText(withField(minimal.cancel, 'type', type)), 'invalid-field', 'type');
  });

  test.each([
    ['an unknown name', 'call'],
    ['wrong case', 'INVITE'],
    ['empty', ''],
    ['__proto__', '__proto__'],
    ['toString', 'toString'],
  ])('type %s is unknown-type', (_name, type) => {
    expectInvalid(parseText(withField(minimal.cancel, 'type', type)), 'unknown-type');
  });
});

// ---------------------------------------------------------------------------
// Message fields. Each row starts from a valid message and changes one field.

type Change = [rule: string, type: MessageType, path: string, value: unknown];

function rejectsEach(rows: Change[]): void {
  test.each(rows)('%s', (_rule, type, path, value) => {
    const field = path.replace(/\.(\d+)/g, '[$1]'); // iceServers.1.urls -> iceServers[1].urls
    expectInvalid(parseText(withField(full[type], path, value)), 'invalid-field', field);
  });
}

function acceptsEach(rows: Change[]): void {
  test.each(rows)('%s', (_rule, type, path, value) => {
    const message = withField(full[type], path, value);
    expectParsed(parseText(message), message);
  });
}

describe('invite', () => {
  acceptsEach([
    ['media "voice" is valid', 'invite', 'media', 'voice'],
    ['media "video" is valid', 'invite', 'media', 'video'],
    ['agent.name of 100 characters is valid', 'invite', 'agent.name', s(100)],
    ['agent.name may be empty', 'invite', 'agent.name', ''],
    [
      'agent.avatarUrl with an upper-case HTTPS scheme is valid',
      'invite',
      'agent.avatarUrl',
      'HTTPS://cdn.example.com/a.png',
    ],
    ['ttlMs of 1,000 (the minimum) is valid', 'invite', 'ttlMs', 1_000],
    ['ttlMs of 600,000 (the maximum) is valid', 'invite', 'ttlMs', 600_000],
    ['an empty iceServers array is valid', 'invite', 'iceServers', []],
    [
      'iceServers entry with only urls is valid',
      'invite',
      'iceServers',
      [{ urls: 'turn:t.example.com' }],
    ],
    ['policy.forceRelay false is valid', 'invite', 'policy.forceRelay', false],
    ['policy.consumerVideoOff true is valid', 'invite', 'policy.consumerVideoOff', true],
    ['policy.agentVideoOff false is valid', 'invite', 'policy.agentVideoOff', false],
  ]);

  rejectsEach([
    ['a missing media is invalid', 'invite', 'media', DELETE],
    ['media "audio" is invalid', 'invite', 'media', 'audio'],
    ['media "Video" (wrong case) is invalid', 'invite', 'media', 'Video'],
    ['media null is invalid', 'invite', 'media', null],
    ['agent as a string is invalid', 'invite', 'agent', 'Ana'],
    ['agent null is invalid', 'invite', 'agent', null],
    ['agent as an array is invalid', 'invite', 'agent', []],
    ['agent.name of 101 characters is invalid', 'invite', 'agent.name', s(101)],
    ['agent.name as a number is invalid', 'invite', 'agent.name', 7],
    [
      'agent.avatarUrl over http is invalid',
      'invite',
      'agent.avatarUrl',
      'http://cdn.example.com/a.png',
    ],
    ['agent.avatarUrl that is not a URL is invalid', 'invite', 'agent.avatarUrl', 'ana.png'],
    [
      'agent.avatarUrl that is scheme-relative is invalid',
      'invite',
      'agent.avatarUrl',
      '//cdn.example.com/a.png',
    ],
    ['agent.avatarUrl with no host is invalid', 'invite', 'agent.avatarUrl', 'https://'],
    [
      'agent.avatarUrl as javascript: is invalid',
      'invite',
      'agent.avatarUrl',
      'javascript:alert(1)',
    ],
    [
      'agent.avatarUrl as a data: URL is invalid',
      'invite',
      'agent.avatarUrl',
      'data:image/png;base64,AAAA',
    ],
    ['agent.avatarUrl as a number is invalid', 'invite', 'agent.avatarUrl', 1],
    ['ttlMs of 999 is invalid', 'invite', 'ttlMs', 999],
    ['ttlMs of 600,001 is invalid', 'invite', 'ttlMs', 600_001],
    ['ttlMs of 0 is invalid', 'invite', 'ttlMs', 0],
    ['ttlMs of -60,000 is invalid', 'invite', 'ttlMs', -60_000],
    ['ttlMs of 1,000.5 (not an integer) is invalid', 'invite', 'ttlMs', 1_000.5],
    ['ttlMs as a string is invalid', 'invite', 'ttlMs', '60000'],
    ['ttlMs null is invalid', 'invite', 'ttlMs', null],
    ['iceServers as an object is invalid', 'invite', 'iceServers', { urls: 'stun:s.example.com' }],
    ['iceServers as a string is invalid', 'invite', 'iceServers', 'stun:s.example.com'],
    [
      'an iceServers entry that is a string is invalid',
      'invite',
      'iceServers',
      ['stun:s.example.com'],
    ],
    ['an iceServers entry that is null is invalid', 'invite', 'iceServers', [null]],
    ['an iceServers entry without urls is invalid', 'invite', 'iceServers.1.urls', DELETE],
    ['iceServers urls as an empty string is invalid', 'invite', 'iceServers.0.urls', ''],
    ['iceServers urls as an empty array is invalid', 'invite', 'iceServers.1.urls', []],
    ['iceServers urls holding a number is invalid', 'invite', 'iceServers.1.urls', ['turn:t', 5]],
    ['iceServers urls holding an empty string is invalid', 'invite', 'iceServers.1.urls', ['']],
    ['iceServers urls as a number is invalid', 'invite', 'iceServers.0.urls', 3478],
    ['iceServers username as a number is invalid', 'invite', 'iceServers.1.username', 1],
    ['iceServers credential as an object is invalid', 'invite', 'iceServers.1.credential', {}],
    ['policy as a boolean is invalid', 'invite', 'policy', true],
    ['policy.forceRelay as a string is invalid', 'invite', 'policy.forceRelay', 'true'],
    ['policy.consumerVideoOff as a number is invalid', 'invite', 'policy.consumerVideoOff', 1],
    ['policy.agentVideoOff null is invalid', 'invite', 'policy.agentVideoOff', null],
  ]);
});

describe('cancel', () => {
  acceptsEach([['reason may be any string', 'cancel', 'reason', '']]);
  rejectsEach([
    ['reason as a number is invalid', 'cancel', 'reason', 1],
    ['reason null is invalid', 'cancel', 'reason', null],
  ]);
});

describe('accept', () => {
  acceptsEach([
    ['media "video" is valid', 'accept', 'media', 'video'],
    ['client.mobile false is valid', 'accept', 'client.mobile', false],
  ]);
  rejectsEach([
    ['a missing media is invalid', 'accept', 'media', DELETE],
    ['media "screen" is invalid', 'accept', 'media', 'screen'],
    ['a missing client is invalid', 'accept', 'client', DELETE],
    ['client as a string is invalid', 'accept', 'client', 'messaging-calls/0.1.0'],
    ['a missing client.sdk is invalid', 'accept', 'client.sdk', DELETE],
    ['client.sdk as a number is invalid', 'accept', 'client.sdk', 1],
    ['client.browser as a number is invalid', 'accept', 'client.browser', 128],
    ['client.browserVersion as a number is invalid', 'accept', 'client.browserVersion', 128],
    ['client.os null is invalid', 'accept', 'client.os', null],
    ['client.mobile as a string is invalid', 'accept', 'client.mobile', 'true'],
    ['client.mobile as a number is invalid', 'accept', 'client.mobile', 1],
  ]);
});

describe('reject', () => {
  acceptsEach(REJECT_REASONS.map((r): Change => [`reason "${r}" is valid`, 'reject', 'reason', r]));
  acceptsEach([['detail of 500 characters is valid', 'reject', 'detail', s(500)]]);
  rejectsEach([
    ['a missing reason is invalid', 'reject', 'reason', DELETE],
    ['reason "normal" (a hangup reason) is invalid', 'reject', 'reason', 'normal'],
    ['reason "Declined" (wrong case) is invalid', 'reject', 'reason', 'Declined'],
    ['reason as a number is invalid', 'reject', 'reason', 0],
    ['detail of 501 characters is invalid', 'reject', 'detail', s(501)],
    ['detail as a number is invalid', 'reject', 'detail', 404],
  ]);
});

describe('sdp', () => {
  acceptsEach([
    ['description.type "offer" is valid', 'sdp', 'description.type', 'offer'],
    ['description.type "answer" is valid', 'sdp', 'description.type', 'answer'],
  ]);
  rejectsEach([
    ['a missing description is invalid', 'sdp', 'description', DELETE],
    ['description as a string is invalid', 'sdp', 'description', SDP_OFFER],
    ['description null is invalid', 'sdp', 'description', null],
    ['a missing description.type is invalid', 'sdp', 'description.type', DELETE],
    ['description.type "pranswer" is invalid', 'sdp', 'description.type', 'pranswer'],
    ['description.type "rollback" is invalid', 'sdp', 'description.type', 'rollback'],
    ['a missing description.sdp is invalid', 'sdp', 'description.sdp', DELETE],
    ['description.sdp as a number is invalid', 'sdp', 'description.sdp', 0],
  ]);
});

describe('ice', () => {
  acceptsEach([
    ['candidate null (end of candidates) is valid', 'ice', 'candidate', null],
    ['candidate.sdpMid null is valid', 'ice', 'candidate.sdpMid', null],
    ['candidate.sdpMLineIndex null is valid', 'ice', 'candidate.sdpMLineIndex', null],
    ['candidate.sdpMLineIndex of 3 is valid', 'ice', 'candidate.sdpMLineIndex', 3],
    ['candidate.usernameFragment null is valid', 'ice', 'candidate.usernameFragment', null],
    ['an empty candidate.candidate is valid', 'ice', 'candidate.candidate', ''],
  ]);
  rejectsEach([
    ['a missing candidate is invalid', 'ice', 'candidate', DELETE],
    ['candidate as a string is invalid', 'ice', 'candidate', CANDIDATE],
    ['candidate as an array is invalid', 'ice', 'candidate', []],
    ['a missing candidate.candidate is invalid', 'ice', 'candidate.candidate', DELETE],
    ['candidate.candidate as a number is invalid', 'ice', 'candidate.candidate', 1],
    ['candidate.sdpMid as a number is invalid', 'ice', 'candidate.sdpMid', 0],
    ['candidate.sdpMLineIndex of -1 is invalid', 'ice', 'candidate.sdpMLineIndex', -1],
    ['candidate.sdpMLineIndex of 0.5 is invalid', 'ice', 'candidate.sdpMLineIndex', 0.5],
    ['candidate.sdpMLineIndex as a string is invalid', 'ice', 'candidate.sdpMLineIndex', '0'],
    ['candidate.usernameFragment as a number is invalid', 'ice', 'candidate.usernameFragment', 1],
  ]);

  test('candidate null parses to null, not to an absent field', () => {
    const result = parseText({ ...minimal.ice, candidate: null });
    expect(result.ok && result.message).toHaveProperty('candidate', null);
  });
});

describe('media-state', () => {
  acceptsEach([
    ['camera "user" is valid', 'media-state', 'camera', 'user'],
    ['camera "environment" is valid', 'media-state', 'camera', 'environment'],
  ]);
  rejectsEach([
    ['a missing audioMuted is invalid', 'media-state', 'audioMuted', DELETE],
    ['audioMuted as a string is invalid', 'media-state', 'audioMuted', 'false'],
    ['audioMuted null is invalid', 'media-state', 'audioMuted', null],
    ['a missing videoEnabled is invalid', 'media-state', 'videoEnabled', DELETE],
    ['videoEnabled as a number is invalid', 'media-state', 'videoEnabled', 0],
    ['camera "front" is invalid', 'media-state', 'camera', 'front'],
    ['camera "User" (wrong case) is invalid', 'media-state', 'camera', 'User'],
    ['camera null is invalid', 'media-state', 'camera', null],
  ]);
});

describe('hangup', () => {
  acceptsEach(HANGUP_REASONS.map((r): Change => [`reason "${r}" is valid`, 'hangup', 'reason', r]));
  acceptsEach([['detail of 500 characters is valid', 'hangup', 'detail', s(500)]]);
  rejectsEach([
    ['a missing reason is invalid', 'hangup', 'reason', DELETE],
    ['reason "declined" (a reject reason) is invalid', 'hangup', 'reason', 'declined'],
    ['reason "ended" is invalid', 'hangup', 'reason', 'ended'],
    ['detail of 501 characters is invalid', 'hangup', 'detail', s(501)],
    ['detail as an object is invalid', 'hangup', 'detail', { text: 'x' }],
  ]);
});

// ---------------------------------------------------------------------------

describe('already-parsed objects with values JSON cannot carry', () => {
  test('an optional field set to undefined counts as absent', () => {
    expectParsed(parseMessage({ ...minimal.hangup, detail: undefined }), minimal.hangup);
  });

  test('a required field set to undefined counts as missing', () => {
    const result = parseMessage({ ...minimal.hangup, reason: undefined });
    expectInvalid(result, 'invalid-field', 'reason');
  });

  test('an ice candidate set to undefined is invalid (only null ends candidates)', () => {
    expectInvalid(
      parseMessage({ ...minimal.ice, candidate: undefined }),
      'invalid-field',
      'candidate',
    );
  });

  test.each([
    ['NaN', NaN],
    ['Infinity', Infinity],
  ])('ttlMs of %s is invalid', (_name, ttlMs) => {
    expectInvalid(parseMessage({ ...minimal.invite, ttlMs }), 'invalid-field', 'ttlMs');
  });

  // A structured clone (postMessage) keeps the holes of sparse arrays; JSON cannot carry them.
  test('an iceServers array with a hole is invalid', () => {
    const iceServers: unknown[] = [];
    iceServers[1] = { urls: 'stun:s.example.com' };
    const result = parseMessage({ ...minimal.invite, iceServers });
    expectInvalid(result, 'invalid-field', 'iceServers[0]');
  });

  test('iceServers urls with a hole is invalid', () => {
    const urls: unknown[] = [];
    urls[1] = 'stun:s.example.com';
    const result = parseMessage({ ...minimal.invite, iceServers: [{ urls }] });
    expectInvalid(result, 'invalid-field', 'iceServers[0].urls');
  });

  test('fields inherited through the prototype chain are not read', () => {
    const inherited = Object.create(minimal.cancel) as object;
    expectInvalid(parseMessage(inherited), 'invalid-field', 'v');
  });

  test('an object whose getter throws is reported, not thrown', () => {
    const hostile = {
      ...minimal.cancel,
      get reason(): string {
        throw new Error('boom');
      },
    };
    expect(() => parseMessage(hostile)).not.toThrow();
    expect(parseMessage(hostile).ok).toBe(false);
  });
});

describe('prototype pollution', () => {
  const text = (message: object, extra: string): string =>
    JSON.stringify(message).slice(0, -1) + ',' + extra + '}';

  afterEach(() => {
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(Object.prototype).not.toHaveProperty('reason');
  });

  test('a __proto__ key in JSON text does not pollute Object.prototype nor become a field', () => {
    const result = parseMessage(text(minimal.cancel, '"__proto__":{"polluted":true,"reason":"x"}'));
    expectParsed(result, minimal.cancel);
    expect(({} as Json).polluted).toBeUndefined();
    expect(result.ok && Object.getPrototypeOf(result.message)).toBe(Object.prototype);
  });

  test('a required field given only under __proto__ is missing', () => {
    const withoutReason = withField(minimal.hangup, 'reason', DELETE);
    const result = parseMessage(text(withoutReason, '"__proto__":{"reason":"normal"}'));
    expectInvalid(result, 'invalid-field', 'reason');
  });

  test('a whole envelope given only under __proto__ is not read', () => {
    const result = parseMessage(`{"__proto__":${JSON.stringify(minimal.cancel)}}`);
    expectInvalid(result, 'invalid-field', 'v');
  });

  test('a __proto__ key inside a nested object is not picked up as a field', () => {
    const invite = { ...minimal.invite, agent: { name: 'Ana' } };
    const json = JSON.stringify(invite).replace(
      '"name":"Ana"',
      '"name":"Ana","__proto__":{"avatarUrl":"http://evil.example"}',
    );
    expectParsed(parseMessage(json), invite);
  });

  test('a constructor key in JSON text is ignored like any unknown field', () => {
    const result = parseMessage(
      text(minimal.cancel, '"constructor":{"prototype":{"polluted":true}}'),
    );
    expectParsed(result, minimal.cancel);
  });
});

describe('a page that polluted the built-in prototypes', () => {
  afterEach(() => {
    delete (Object.prototype as Json).polluted;
    delete (Object.prototype as Json).evil;
    delete (Array.prototype as unknown as Json)[0];
  });

  test('an enumerable key on Object.prototype neither breaks parsing nor becomes a field', () => {
    (Object.prototype as Json).polluted = 'x';
    (Object.prototype as Json).evil = () => 'injected';
    const invite = { ...minimal.invite, policy: { forceRelay: true } };
    const result = parseMessage(invite);
    expectParsed(result, invite);
    expect(result.ok && Object.keys(result.message)).not.toContain('evil');
    expect(
      result.ok &&
        Object.keys(result.message.type === 'invite' ? (result.message.policy ?? {}) : {}),
    ).toEqual(['forceRelay']);
    expectParsed(parseMessage(minimal.cancel), minimal.cancel);
  });

  test('a hole in iceServers is not filled from Array.prototype', () => {
    (Array.prototype as unknown as Json)[0] = {
      urls: 'turn:attacker.example',
      username: 'u',
      credential: 'c',
    };
    const iceServers: unknown[] = [];
    iceServers[1] = { urls: 'stun:s.example.com' };
    const result = parseMessage({ ...minimal.invite, iceServers });
    expectInvalid(result, 'invalid-field', 'iceServers[0]');
  });
});

test('an id read through a getter is read once: the value checked is the value kept', () => {
  let reads = 0;
  const hostile = {
    ...minimal.cancel,
    get id(): string {
      reads++;
      // Read once by the size check, once by the validator; a third read would differ.
      return reads <= 2 ? 'good-id' : '<script>';
    },
  };
  const result = parseMessage(hostile);
  expect(result.ok && result.message.id).toBe('good-id');
  expect(reads).toBe(2);
});

test('the error messages name the field and the rule', () => {
  const candidate = { candidate: 'candidate:1 1 udp 1 1.2.3.4 5 typ host', sdpMid: 5 };
  expect(parseMessage({ ...minimal.ice, candidate })).toMatchObject({
    ok: false,
    reason: 'candidate.sdpMid must be a string or null',
  });
  expect(parseMessage({ ...minimal.invite, iceServers: [{ urls: ['stun:a', ''] }] })).toMatchObject(
    {
      ok: false,
      reason: 'iceServers[0].urls must be a URL string or a non-empty array of them',
    },
  );
});

test('a value whose toJSON hides its size is measured by what was kept', () => {
  const hostile = {
    ...minimal.hangup,
    detail: 'x'.repeat(400),
    toJSON: () => ({ ...minimal.hangup }),
  };
  // Within limits: toJSON does not matter.
  expectParsed(parseMessage(hostile), { ...minimal.hangup, detail: 'x'.repeat(400) });
  const sdp = 'v=0\r\n' + 'a=x\r\n'.repeat(20_000);
  const big = {
    ...fromAgent,
    type: 'sdp',
    description: { type: 'offer', sdp },
    toJSON: () => ({}),
  };
  expectInvalid(parseMessage(big), 'too-large');
});
