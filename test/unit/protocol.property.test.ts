/**
 * Property tests of parseMessage: it never throws on any input, every valid
 * message round-trips through JSON unchanged, and unknown fields never matter.
 */
import fc from 'fast-check';
import {
  FEATURES,
  HANGUP_REASONS,
  MAX_AGENT_NAME_LENGTH,
  MAX_DETAIL_LENGTH,
  MAX_TTL_MS,
  MIN_TTL_MS,
  REJECT_REASONS,
  parseMessage,
} from '../../src/protocol';
import type { InvalidCode, Message, MessageBody, ParseResult, Role } from '../../src/protocol';

// ---------------------------------------------------------------------------
// Arbitraries for valid messages of all 12 types

const text = fc.string({ unit: 'binary', maxLength: 40 });
const nonEmptyText = fc.string({ unit: 'binary', minLength: 1, maxLength: 40 });
/** At most `max` UTF-16 units (the unit the limits are counted in), any code points. */
const textUpTo = (max: number): fc.Arbitrary<string> =>
  fc.string({ unit: 'binary', maxLength: max }).filter((s) => s.length <= max);
const id = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const media = fc.constantFrom('voice' as const, 'video' as const);
/** fc.record also makes null-prototype objects; JSON.parse and parseMessage make plain ones. */
const plain = { noNullPrototype: true };
const nullable = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(arb, { nil: null });

const invite: fc.Arbitrary<MessageBody> = fc.record(
  {
    type: fc.constant('invite' as const),
    media,
    agent: fc.record(
      {
        name: textUpTo(MAX_AGENT_NAME_LENGTH),
        avatarUrl: fc.webUrl({
          validSchemes: ['https'],
          withQueryParameters: true,
          withFragments: true,
        }),
      },
      { requiredKeys: [], noNullPrototype: true },
    ),
    ttlMs: fc.integer({ min: MIN_TTL_MS, max: MAX_TTL_MS }),
    iceServers: fc.array(
      fc.record(
        {
          urls: fc.oneof(nonEmptyText, fc.array(nonEmptyText, { minLength: 1, maxLength: 3 })),
          username: text,
          credential: text,
        },
        { requiredKeys: ['urls'], noNullPrototype: true },
      ),
      { maxLength: 3 },
    ),
    policy: fc.record(
      { forceRelay: fc.boolean(), consumerVideoOff: fc.boolean(), agentVideoOff: fc.boolean() },
      { requiredKeys: [], noNullPrototype: true },
    ),
    features: fc.uniqueArray(fc.constantFrom(...FEATURES), { maxLength: 3 }),
  },
  { requiredKeys: ['type', 'media'], noNullPrototype: true },
);

/** 32 bytes in canonical base64url (a resume secret or commitment). */
const secret = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((bytes) => Buffer.from(bytes).toString('base64url'));

const cancel: fc.Arbitrary<MessageBody> = fc.record(
  { type: fc.constant('cancel' as const), reason: text },
  { requiredKeys: ['type'], noNullPrototype: true },
);

const accept: fc.Arbitrary<MessageBody> = fc.record(
  {
    type: fc.constant('accept' as const),
    media,
    client: fc.record(
      { sdk: text, browser: text, browserVersion: text, os: text, mobile: fc.boolean() },
      { requiredKeys: ['sdk'], noNullPrototype: true },
    ),
    resume: fc.record({ commit: secret }, plain),
  },
  { requiredKeys: ['type', 'media', 'client'], noNullPrototype: true },
);

const suspend: fc.Arbitrary<MessageBody> = fc.record(
  { type: fc.constant('suspend' as const) },
  plain,
);

const shareRequest: fc.Arbitrary<MessageBody> = fc.record(
  { type: fc.constant('share-request' as const), reason: textUpTo(200) },
  { requiredKeys: ['type'], noNullPrototype: true },
);

const shareReply: fc.Arbitrary<MessageBody> = fc.record(
  {
    type: fc.constant('share-reply' as const),
    accepted: fc.boolean(),
    reason: fc.constantFrom(
      'declined' as const,
      'unsupported' as const,
      'permission-denied' as const,
    ),
  },
  { requiredKeys: ['type', 'accepted'], noNullPrototype: true },
);

const resume: fc.Arbitrary<MessageBody> = fc.record(
  {
    type: fc.constant('resume' as const),
    secret,
    commit: secret,
    media,
    client: fc.record(
      { sdk: text, mobile: fc.boolean() },
      { requiredKeys: ['sdk'], noNullPrototype: true },
    ),
  },
  plain,
);

const reject: fc.Arbitrary<MessageBody> = fc.record(
  {
    type: fc.constant('reject' as const),
    reason: fc.constantFrom(...REJECT_REASONS),
    detail: textUpTo(MAX_DETAIL_LENGTH),
  },
  { requiredKeys: ['type', 'reason'], noNullPrototype: true },
);

const sdp: fc.Arbitrary<MessageBody> = fc.record(
  {
    type: fc.constant('sdp' as const),
    description: fc.record(
      {
        type: fc.constantFrom('offer' as const, 'answer' as const),
        sdp: fc.string({ unit: 'binary', maxLength: 400 }),
      },
      plain,
    ),
  },
  plain,
);

const ice: fc.Arbitrary<MessageBody> = fc.record(
  {
    type: fc.constant('ice' as const),
    candidate: nullable(
      fc.record(
        {
          candidate: text,
          sdpMid: nullable(text),
          sdpMLineIndex: nullable(fc.nat({ max: 65_535 })),
          usernameFragment: nullable(text),
        },
        { requiredKeys: ['candidate'], noNullPrototype: true },
      ),
    ),
  },
  plain,
);

const mediaState: fc.Arbitrary<MessageBody> = fc.record(
  {
    type: fc.constant('media-state' as const),
    audioMuted: fc.boolean(),
    videoEnabled: fc.boolean(),
    camera: fc.constantFrom('user' as const, 'environment' as const),
    screen: fc.boolean(),
  },
  { requiredKeys: ['type', 'audioMuted', 'videoEnabled'], noNullPrototype: true },
);

const hangup: fc.Arbitrary<MessageBody> = fc.record(
  {
    type: fc.constant('hangup' as const),
    reason: fc.constantFrom(...HANGUP_REASONS),
    detail: textUpTo(MAX_DETAIL_LENGTH),
  },
  { requiredKeys: ['type', 'reason'], noNullPrototype: true },
);

function sentBy(roles: Role[], body: fc.Arbitrary<MessageBody>): fc.Arbitrary<Message> {
  return fc.tuple(body, id, id, fc.constantFrom(...roles), fc.option(id, { nil: undefined })).map(
    ([b, msgId, callId, from, address]) =>
      ({
        ...b,
        // 1.1: the consumer's instance, or the instance an agent message is for.
        ...(address ? (from === 'consumer' ? { instance: address } : { to: address }) : {}),
        v: 1,
        id: msgId,
        callId,
        from,
      }) as Message,
  );
}

const agentOnly: Role[] = ['agent'];
const consumerOnly: Role[] = ['consumer'];
const either: Role[] = ['agent', 'consumer'];

/** Any valid message: each of the 12 types, from a role allowed to send it. */
const validMessage: fc.Arbitrary<Message> = fc.oneof(
  sentBy(agentOnly, invite),
  sentBy(agentOnly, cancel),
  sentBy(consumerOnly, accept),
  sentBy(consumerOnly, reject),
  sentBy(either, sdp),
  sentBy(either, ice),
  sentBy(either, mediaState),
  sentBy(either, hangup),
  sentBy(consumerOnly, suspend),
  sentBy(consumerOnly, resume),
  sentBy(agentOnly, shareRequest),
  sentBy(consumerOnly, shareReply),
);

// ---------------------------------------------------------------------------
// Helpers

type Json = Record<string, unknown>;

/** Every field name the protocol defines, at any level. */
const PROTOCOL_FIELDS = new Set([
  ...['v', 'id', 'callId', 'from', 'type', 'media', 'agent', 'name', 'avatarUrl', 'ttlMs'],
  ...['iceServers', 'urls', 'username', 'credential', 'policy', 'forceRelay'],
  ...['consumerVideoOff', 'agentVideoOff', 'reason', 'client', 'sdk', 'browser'],
  ...['browserVersion', 'os', 'mobile', 'detail', 'description', 'sdp', 'candidate'],
  ...['sdpMid', 'sdpMLineIndex', 'usernameFragment', 'audioMuted', 'videoEnabled', 'camera'],
  ...['instance', 'to', 'features', 'resume', 'commit', 'secret', 'screen', 'accepted'],
]);

const unknownKey = fc.string({ maxLength: 12 }).filter((key) => !PROTOCOL_FIELDS.has(key));

/** The objects inside a message (itself included), each with its path. */
function objectsIn(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((item, i) => objectsIn(item, [...path, i]));
  if (typeof value !== 'object' || value === null) return [];
  return [
    path,
    ...Object.entries(value).flatMap(([key, field]) => objectsIn(field, [...path, key])),
  ];
}

/** The paths of all fields in a message, at any depth (array items included). */
function fieldsIn(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [];
  const entries = Array.isArray(value)
    ? value.map((item, i) => [i, item] as const)
    : Object.entries(value);
  return entries.flatMap(([key, field]) => [[...path, key], ...fieldsIn(field, [...path, key])]);
}

function at(root: unknown, path: (string | number)[]): Json {
  return path.reduce<Json>((node, key) => node[key] as Json, root as Json);
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const DELETE = Symbol('delete');

/** A valid message with one field, at any depth, replaced by an arbitrary value or deleted. */
const mutatedMessage: fc.Arbitrary<unknown> = validMessage.chain((message) => {
  const paths = fieldsIn(message);
  return fc
    .tuple(fc.constantFrom(...paths), fc.oneof(fc.constant(DELETE), fc.anything()))
    .map(([path, value]) => {
      const copy = clone(message) as unknown as Json;
      const parent = at(copy, path.slice(0, -1));
      const key = path[path.length - 1] as string;
      if (value === DELETE) delete parent[key];
      else parent[key] = value;
      return copy;
    });
});

const CODES: InvalidCode[] = [
  'invalid-json',
  'too-large',
  'not-an-object',
  'unsupported-version',
  'unknown-type',
  'invalid-field',
];

/**
 * parseMessage returns without throwing, and its result has exactly one of the
 * two shapes. An accepted message is itself valid and parses to itself.
 */
function expectWellFormedResult(input: unknown): void {
  let result: ParseResult | undefined;
  expect(() => {
    result = parseMessage(input);
  }).not.toThrow();
  if (result === undefined) throw new Error('parseMessage returned nothing');
  if (result.ok) {
    expect(Object.keys(result).sort()).toEqual(['message', 'ok']);
    expect(parseMessage(result.message)).toStrictEqual(result);
  } else {
    expect(Object.keys(result).sort()).toEqual(['code', 'ok', 'reason']);
    expect(CODES).toContain(result.code);
    expect(typeof result.reason).toBe('string');
    expect(result.reason.length).toBeGreaterThan(0);
  }
}

const anythingAtAll = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  withUnicodeString: true,
});

// ---------------------------------------------------------------------------

describe('parseMessage never throws and always returns a well-formed result', () => {
  // 4,000 + 2,000 + 2,000 + 2,000 = 10,000 inputs.
  test('on 4,000 arbitrary JavaScript values', () => {
    fc.assert(fc.property(anythingAtAll, expectWellFormedResult), { numRuns: 4_000 });
  });

  test('on 2,000 arbitrary JSON texts', () => {
    fc.assert(fc.property(fc.json(), expectWellFormedResult), { numRuns: 2_000 });
  });

  test('on 2,000 valid messages with one field replaced or deleted (as objects)', () => {
    fc.assert(fc.property(mutatedMessage, expectWellFormedResult), { numRuns: 2_000 });
  });

  test('on 2,000 valid messages with one field replaced or deleted (as JSON text)', () => {
    const asText = mutatedMessage
      .map((m) => {
        try {
          return JSON.stringify(m);
        } catch {
          return undefined; // a BigInt or the like: not representable as text
        }
      })
      .filter((t): t is string => t !== undefined);
    fc.assert(fc.property(asText, expectWellFormedResult), { numRuns: 2_000 });
  });
});

describe('valid messages', () => {
  test('1,000 valid messages of all 12 types round-trip through JSON text unchanged', () => {
    fc.assert(
      fc.property(validMessage, (message) => {
        expect(parseMessage(JSON.stringify(message))).toStrictEqual({ ok: true, message });
      }),
      { numRuns: 1_000 },
    );
  });

  test('1,000 valid messages of all 12 types parse unchanged as already-parsed objects', () => {
    fc.assert(
      fc.property(validMessage, (message) => {
        expect(parseMessage(message)).toStrictEqual({ ok: true, message });
      }),
      { numRuns: 1_000 },
    );
  });

  test('1,000 times: an unknown field added at any level does not change the parsed message', () => {
    const withExtraField = validMessage.chain((message) =>
      fc.record({
        message: fc.constant(message),
        where: fc.constantFrom(...objectsIn(message)),
        key: unknownKey,
        value: fc.jsonValue(),
      }),
    );
    fc.assert(
      fc.property(withExtraField, ({ message, where, key, value }) => {
        const noisy = clone(message) as unknown as Json;
        // defineProperty, not assignment, so that a key "__proto__" becomes an own field.
        Object.defineProperty(at(noisy, where), key, { value, enumerable: true, writable: true });
        const expected = parseMessage(JSON.stringify(message));
        expect(expected.ok).toBe(true);
        expect(parseMessage(JSON.stringify(noisy))).toStrictEqual(expected);
        expect(parseMessage(noisy)).toStrictEqual(expected);
      }),
      { numRuns: 1_000 },
    );
  });
});
