/**
 * Protocol 1.1 on the consumer's side, against the fake platform: the
 * commitment scheme (the protocol's test vector), instances and addressing,
 * the resume record, suspend at pagehide, the next page taking the call
 * back, and an invitation shown again on the next page.
 */
import { webcrypto } from 'node:crypto';
import { commitOf, fromBase64Url, newSecret, toBase64Url } from '../../src/protocol/commit';
import type { CryptoLike } from '../../src/protocol/commit';
import { parseMessage } from '../../src/protocol/validate';
import type { MessageOf } from '../../src/protocol/messages';
import {
  answer,
  fromAgent,
  MemoryStorage,
  nodeCrypto,
  pageHide,
  pageShow,
  settle,
  setup,
} from '../support/fakePlatform';
import type { Setup } from '../support/fakePlatform';

jest.useFakeTimers();
beforeEach(() => jest.clearAllTimers());

const VECTOR_SECRET = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8';
const VECTOR_COMMIT = 'Yw3NKWbEM2aRElRIu7JbT_QSpJxzLbLIq8G4WBvXEN0';
const KEY = 'messaging-calls';

describe('the commitment scheme', () => {
  const bytes = Uint8Array.from({ length: 32 }, (_, i) => i);

  test('the bytes 0x00 to 0x1f are the test vector secret, canonical base64url', () => {
    expect(toBase64Url(bytes)).toBe(VECTOR_SECRET);
    expect([...fromBase64Url(VECTOR_SECRET)]).toEqual([...bytes]);
  });

  test.each([
    ['the SDK', nodeCrypto],
    ["Node's WebCrypto", webcrypto as unknown as CryptoLike],
  ])('the commitment of the vector secret is the protocol one (%s)', async (_name, crypto) => {
    await expect(commitOf(crypto, VECTOR_SECRET)).resolves.toBe(VECTOR_COMMIT);
  });

  test('a fresh secret is 43 canonical characters and its commitment hashes its bytes', async () => {
    const { secret, commit } = await newSecret(nodeCrypto);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/);
    expect(commit).toBe(await commitOf(nodeCrypto, secret));
    expect(commit).not.toBe(await commitOf(nodeCrypto, (await newSecret(nodeCrypto)).secret));
  });
});

describe('the 1.1 fields in the validator', () => {
  const resume = {
    v: 1,
    id: 'm1',
    callId: 'c1',
    from: 'consumer',
    type: 'resume',
    instance: 'tab-2',
    secret: VECTOR_SECRET,
    commit: VECTOR_COMMIT,
    media: 'video',
    client: { sdk: 'x' },
  };

  test('a resume with canonical secrets and an instance is kept whole', () => {
    expect(parseMessage(resume)).toEqual({ ok: true, message: resume });
  });

  test.each([
    ['a secret of 42 characters', { secret: VECTOR_SECRET.slice(1) }],
    ['a non-canonical last character', { secret: `${VECTOR_SECRET.slice(0, 42)}h` }],
    ['a commit with padding', { commit: `${VECTOR_COMMIT}=` }],
    ['an instance with a space', { instance: 'tab 2' }],
    ['no media', { media: undefined }],
  ])('%s is dropped as invalid-field', (_name, change) => {
    const result = parseMessage({ ...resume, ...change });
    expect(result).toMatchObject({ ok: false, code: 'invalid-field' });
  });

  test("an invite's unknown features are ignored, a non-array is invalid", () => {
    const invite = { v: 1, id: 'm', callId: 'c', from: 'agent', type: 'invite', media: 'voice' };
    const parsed = parseMessage({ ...invite, features: ['resume', 'teleport', 7, 'resume'] });
    expect(parsed).toMatchObject({ ok: true, message: { features: ['resume'] } });
    expect(parseMessage({ ...invite, features: 'resume' })).toMatchObject({ ok: false });
    expect(parseMessage({ ...invite, to: 'x'.repeat(65) })).toMatchObject({ ok: false });
  });
});

// ---- the consumer ---------------------------------------------------------------

const FEATURES = ['instances', 'resume'] as const;

function invite(s: Setup, media: 'voice' | 'video' = 'video', features = [...FEATURES]): void {
  s.agent({ type: 'invite', media, features });
}

async function connect(s: Setup, media: 'voice' | 'video' = 'video'): Promise<void> {
  invite(s, media);
  await s.client.accept();
  await answer(s);
  s.pc().setConnectionState('connected');
  expect(s.client.state).toBe('connected');
}

function record(s: Setup): Record<string, unknown> {
  return JSON.parse(s.storage.getItem(KEY) ?? 'null') as Record<string, unknown>;
}

/** The next page of the same tab: a new client on the same storage and the same call. */
function nextPage(s: Setup, options = {}): Setup {
  const next = setup(options, { sessionStorage: s.storage });
  next.callId = s.callId;
  return next;
}

describe('instances', () => {
  test('every message the consumer sends carries its instance', async () => {
    const s = setup();
    await connect(s);
    s.client.hangup();
    expect(s.transport.sent.length).toBeGreaterThan(3);
    for (const m of s.transport.sent) expect(m.instance).toBe(s.client.instanceId);
    expect(setup().client.instanceId).not.toBe(s.client.instanceId);
  });

  test('an invitation answered in another tab ends here as answered-elsewhere, nothing sent', () => {
    const s = setup();
    invite(s);
    s.transport.deliver(
      fromAgent(s.callId, { type: 'media-state', audioMuted: false, videoEnabled: true }, 'tab-b'),
    );
    expect(s.ended).toEqual([
      expect.objectContaining({ reason: 'answered-elsewhere', by: 'remote' }),
    ]);
    expect(s.transport.sent).toEqual([]);
    expect(s.peers).toEqual([]);
  });

  test("a cancel answering another tab's accept leaves this invitation ringing", () => {
    const s = setup();
    invite(s);
    s.transport.deliver(fromAgent(s.callId, { type: 'cancel', reason: 'answered-elsewhere' }, 'b'));
    expect(s.client.state).toBe('invited');
    expect(s.warnings).toEqual([]);
  });

  test('a cancel answered-elsewhere to this tab ends it with that reason', () => {
    const s = setup();
    invite(s);
    void s.client.accept();
    s.transport.deliver(
      fromAgent(s.callId, { type: 'cancel', reason: 'answered-elsewhere' }, s.client.instanceId),
    );
    expect(s.ended[0]).toMatchObject({ reason: 'answered-elsewhere', by: 'remote' });
  });

  test("a refusal of another tab's resume leaves the call held here alone", async () => {
    const s = setup();
    await connect(s);
    const refusal = { type: 'hangup', reason: 'error', detail: 'resume refused' } as const;
    s.transport.deliver(fromAgent(s.callId, refusal, 'a-duplicated-tab'));
    expect(s.client.state).toBe('connected');
  });

  test('the call held here, taken over by another tab, ends as answered-elsewhere', async () => {
    const s = setup();
    await connect(s);
    s.transport.deliver(
      fromAgent(s.callId, { type: 'ice', candidate: null }, 'the-tab-that-resumed'),
    );
    expect(s.ended[0]).toMatchObject({ reason: 'answered-elsewhere', by: 'remote' });
    expect(s.client.liveTrackCount).toBe(0);
  });
});

describe('the resume record', () => {
  test('accept commits to a secret kept in session storage, with the call', async () => {
    const s = setup();
    invite(s);
    await s.client.accept();
    const accept = s.transport.sentOf('accept')[0] as MessageOf<'accept'>;
    const kept = record(s);
    expect(accept.resume?.commit).toBe(await commitOf(nodeCrypto, kept.secret as string));
    expect(kept).toMatchObject({
      info: { callId: s.callId, acceptedMedia: 'video' },
      instance: s.client.instanceId,
    });
  });

  test('without "resume" in the invitation, or with resume: false, nothing is kept', async () => {
    const a = setup();
    invite(a, 'video', ['instances']);
    await a.client.accept();
    const b = setup({ resume: false });
    invite(b);
    await b.client.accept();
    for (const s of [a, b]) {
      expect(s.transport.sentOf('accept')[0]).not.toHaveProperty('resume');
      expect(s.storage.items.size).toBe(0);
    }
  });

  test('the storage key is the one configured', async () => {
    const s = setup({ resume: { storageKey: 'shop-calls' } });
    invite(s);
    await s.client.accept();
    expect([...s.storage.items.keys()]).toEqual(['shop-calls']);
  });

  test('savedAt is rewritten every 5 s, and the record goes at the end of the call', async () => {
    const s = setup();
    await connect(s);
    const first = record(s).savedAt as number;
    jest.advanceTimersByTime(5_000);
    expect(record(s).savedAt).toBe(first + 5_000);
    s.client.hangup();
    expect(s.storage.items.size).toBe(0);
  });
});

describe('a page left during the call', () => {
  test('pagehide sends suspend and releases the media, without an end', async () => {
    const s = setup();
    await connect(s);
    pageHide(s.page);
    expect(s.transport.sent.at(-1)?.type).toBe('suspend');
    expect(s.devices.liveTracks()).toEqual([]);
    expect(s.pc().closed).toBe(true);
    expect(s.ended).toEqual([]);
    expect(record(s)).toMatchObject({ info: { callId: s.callId } });
  });

  test('the next page is resuming at once, sends resume with the secret, and connects anew', async () => {
    const s = setup();
    await connect(s);
    s.client.setAudioMuted(true);
    await s.client.setVideoEnabled(false);
    const secret = record(s).secret as string;
    pageHide(s.page);
    jest.advanceTimersByTime(800);

    const next = nextPage(s);
    expect(next.client.state).toBe('resuming');
    expect(next.client.callInfo).toMatchObject({ callId: s.callId, media: 'video' });
    const resumed: unknown[] = [];
    next.client.on('resumed', (event) => resumed.push(event));
    await settle();
    const [resume] = next.transport.sentOf('resume');
    expect(resume).toMatchObject({ secret, media: 'video', instance: next.client.instanceId });
    expect(record(next)).toMatchObject({ previous: secret, instance: next.client.instanceId });
    expect(await commitOf(nodeCrypto, record(next).secret as string)).toBe(resume?.commit);
    expect(next.transport.sentOf('sdp')[0]?.description.type).toBe('offer');
    // The same media state as before: muted, camera off (no camera opened).
    expect(next.client.localMediaState).toEqual({ audioMuted: true, videoEnabled: false });
    expect(next.devices.liveTracks().map((t) => t.kind)).toEqual(['audio']);

    next.transport.deliver(
      fromAgent(
        s.callId,
        { type: 'sdp', description: { type: 'answer', sdp: 'v=0 a' } },
        next.client.instanceId,
      ),
    );
    await settle();
    expect(record(next)).not.toHaveProperty('previous'); // the agent has rotated
    next.pc().setConnectionState('connected');
    expect(next.client.state).toBe('connected');
    expect(resumed).toEqual([{ callId: s.callId, gapMs: 800 }]);
    expect(next.transport.sentOf('invite' as never)).toEqual([]);
  });

  test('a record older than 25 s is removed unused', async () => {
    const s = setup();
    await connect(s);
    pageHide(s.page);
    jest.advanceTimersByTime(25_000);
    const next = nextPage(s);
    expect(next.client.state).toBe('idle');
    expect(next.storage.items.size).toBe(0);
  });

  test('a refused resume is tried once more with the secret the page before revealed', async () => {
    const s = setup();
    await connect(s);
    pageHide(s.page);
    const second = nextPage(s);
    await settle();
    const revealed = second.transport.sentOf('resume')[0]?.secret;
    pageHide(second.page); // left before the agent answered
    const third = nextPage(second);
    await settle();
    const refusal = { type: 'hangup', reason: 'error', detail: 'resume refused' } as const;
    third.transport.deliver(fromAgent(s.callId, refusal, third.client.instanceId));
    const resumes = third.transport.sentOf('resume');
    expect(resumes).toHaveLength(2);
    expect(resumes[0]?.secret).not.toBe(revealed);
    expect(resumes[1]?.secret).toBe(revealed);
    expect(resumes[1]?.commit).toBe(resumes[0]?.commit);
    expect(third.client.state).toBe('resuming');
    third.transport.deliver(fromAgent(s.callId, refusal, third.client.instanceId));
    expect(third.ended[0]).toMatchObject({ reason: 'error', detail: 'resume refused' });
    expect(third.storage.items.size).toBe(0);
  });

  test("the agent's end while between pages ends the next page with its reason", async () => {
    const s = setup();
    await connect(s);
    pageHide(s.page);
    const next = nextPage(s);
    await settle();
    next.transport.deliver(
      fromAgent(s.callId, { type: 'hangup', reason: 'normal' }, next.client.instanceId),
    );
    expect(next.ended[0]).toMatchObject({ reason: 'normal', by: 'remote' });
    expect(next.devices.liveTracks()).toEqual([]);
  });

  test('messages still addressed to the page before are ignored, not taken as another tab', async () => {
    const s = setup();
    await connect(s);
    const old = s.client.instanceId;
    pageHide(s.page);
    const next = nextPage(s);
    await settle();
    next.transport.deliver(fromAgent(s.callId, { type: 'ice', candidate: null }, old));
    next.transport.deliver(
      fromAgent(
        s.callId,
        { type: 'sdp', description: { type: 'answer', sdp: 'v=0 a' } },
        next.client.instanceId,
      ),
    );
    await settle();
    next.pc().setConnectionState('connected');
    next.transport.deliver(fromAgent(s.callId, { type: 'ice', candidate: null }, old));
    expect(next.client.state).toBe('connected');
  });
});

describe('an invitation showing when the page is left', () => {
  test('is shown again on the next page for the rest of its time', async () => {
    const s = setup();
    s.agent({ type: 'invite', media: 'voice', ttlMs: 30_000, features: [...FEATURES] });
    jest.advanceTimersByTime(10_000);
    pageHide(s.page);
    const next = nextPage(s);
    const invitations: unknown[] = [];
    next.client.on('invitation', (event) => invitations.push(event));
    await settle();
    expect(next.client.state).toBe('invited');
    expect(invitations).toHaveLength(1);
    expect(next.storage.items.size).toBe(0);
    // A replay of the same invite by the conversation is not a second invitation.
    next.agent({ type: 'invite', media: 'voice', features: [...FEATURES] });
    expect(next.warnings).toEqual([]);
    jest.advanceTimersByTime(19_999);
    expect(next.client.state).toBe('invited');
    jest.advanceTimersByTime(1);
    expect(next.ended[0]).toMatchObject({ reason: 'expired' });
  });
});

test('a stored record that is not one of ours is removed, and nothing starts', () => {
  const storage = new MemoryStorage();
  storage.setItem(KEY, '{not json');
  const s = setup({}, { sessionStorage: storage });
  expect(s.client.state).toBe('idle');
  expect(storage.items.size).toBe(0);
  storage.setItem(KEY, JSON.stringify({ info: { callId: 'a b' }, savedAt: Date.now() }));
  pageShow(s.page);
  expect(s.client.state).toBe('idle');
  expect(storage.items.size).toBe(0);
});

describe('what goes wrong around a page change', () => {
  test('a page back from the cache too late to resume ends its call as network, once', async () => {
    const s = setup();
    await connect(s);
    pageHide(s.page, true);
    jest.advanceTimersByTime(26_000);
    pageShow(s.page, true);
    expect(s.client.state).toBe('ended');
    expect(s.ended).toEqual([
      expect.objectContaining({ reason: 'network', by: 'system', callId: s.callId }),
    ]);
    // The next invitation is a call like any other.
    s.transport.deliver(fromAgent('the-next-call', { type: 'invite', media: 'voice' }));
    expect(s.client.state).toBe('invited');
  });

  test('a record that cannot be written: the page hangs up instead of suspending', async () => {
    const s = setup();
    await connect(s);
    s.storage.setItem = () => {
      throw new DOMException('full', 'QuotaExceededError');
    };
    pageHide(s.page);
    expect(s.transport.sent.at(-1)).toMatchObject({ type: 'hangup', reason: 'normal' });
    expect(s.transport.sentOf('suspend')).toEqual([]);
    expect(s.devices.liveTracks()).toEqual([]);
  });

  test('a record of an accepted call without a valid secret is not resumed', async () => {
    const s = setup();
    await connect(s);
    pageHide(s.page);
    const kept = record(s);
    s.storage.setItem(KEY, JSON.stringify({ ...kept, secret: 'not-a-secret' }));
    const next = nextPage(s);
    expect(next.client.state).toBe('idle');
    expect(next.storage.items.size).toBe(0);
  });

  test('a share request before the call is connected is a warning, not a question', async () => {
    const s = setup();
    invite(s);
    await s.client.accept();
    const asked: unknown[] = [];
    s.client.on('share-request', (r) => asked.push(r));
    s.agent({ type: 'share-request' });
    expect(asked).toEqual([]);
    expect(s.warnings.map((w) => w.code)).toContain('unexpected-message');
  });
});
