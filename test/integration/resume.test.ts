/**
 * Protocol 1.1 resume, on real calls (wrtc, synthetic devices): a call that
 * goes on from the next page of the same tab.
 *
 * A "page" is a CallClient with its own transport into one messaging
 * conversation (test/support/channels.ts), its own window (an EventTarget
 * the SDK listens to for `pagehide` / `pageshow`) and the tab's session
 * storage (an in-memory Storage). Node's webcrypto gives the commitments.
 * Following a link is played as a browser plays it: `pagehide` on the old
 * page's window, then the old page is gone: its transport is severed (what
 * it sent until then went out; nothing more leaves or arrives) and the
 * tab's session storage, as the old page left it, is what the next page
 * finds (a copy: the dead page's code can write nothing more into it). The
 * next page is a new CallClient on that storage and a new window.
 *
 * Asserted: the next page is `resuming` in its constructor with the stored
 * call as `callInfo`, sends `resume` (the stored secret, a fresh commitment)
 * and a new offer, and connects with media both ways, the same callId, its
 * mute and camera state restored, `resumed` on both sides, the agent never
 * ended and holding the new instance; `durationMs` counts from the first
 * connection. Also: a page that vanished without `suspend`; a record too old
 * (deleted unused); a tampered secret (refused, the call goes on in the
 * other tab); a call ended by the agent between pages; two tabs racing with
 * copies of one record; `resume: false`; a storage key of its own; the
 * back/forward cache (`pageshow` with `persisted`); an invitation still
 * ringing when the page was left.
 *
 * Every wait is bounded and settles on an event (see test/support/wait.ts).
 */
import { createHash, webcrypto } from 'node:crypto';
import wrtc from 'wrtc';
import { CallClient } from '../../src/call/CallClient';
import type { CallClientOptions } from '../../src/call/CallClient';
import { AgentCall } from '../../src/agent/AgentCall';
import type { AgentCallOptions, AgentEndedEvent } from '../../src/agent/AgentCall';
import type { CallState } from '../../src/call/states';
import type { EndedEvent } from '../../src/call/events';
import type { Message } from '../../src/protocol/messages';
import type { Transport, TransportListener } from '../../src/transport/types';
import type { Platform } from '../../src/env/platform';
import { createNodePlatform } from '../../src/testing';
import type { NodePlatform } from '../../src/testing';
import { conversationBus } from '../support/channels';
import { TapTransport } from '../support/tap';
import { bytesReceived } from '../support/harness';
import { nextEvent, reachState, until } from '../support/wait';
import { stopFrameWatches, watchFrames } from '../support/media';

jest.setTimeout(45_000);

/** The SDK's default session-storage key. */
const KEY = 'messaging-calls';
/** A record at least this old is not used (protocol: under 25 s). */
const TOO_OLD_MS = 26_000;
const BASE64URL_43 = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

// ---- the tab: session storage, window, transport --------------------------------

/** A tab's session storage, in memory. */
class MemoryStorage {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, String(value));
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
  /** The storage as a page that is gone left it: what the next page of the tab finds. */
  copy(): MemoryStorage {
    const next = new MemoryStorage();
    for (const [k, v] of this.items) next.items.set(k, v);
    return next;
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The parsed record under `key`, or null. */
function recordOf(storage: MemoryStorage, key = KEY): Json | null {
  const text = storage.getItem(key);
  return text === null ? null : (JSON.parse(text) as Json);
}

/** Every value of a field named `name`, at any depth. */
function fieldsNamed(value: Json | null, name: string, out: Json[] = []): Json[] {
  if (Array.isArray(value)) for (const v of value) fieldsNamed(v, name, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === name) out.push(v);
      fieldsNamed(v, name, out);
    }
  }
  return out;
}

/** Rewrites, in place, every field of the record for which `change` returns a value. */
function rewriteRecord(
  storage: MemoryStorage,
  change: (field: string, value: Json) => Json | undefined,
  key = KEY,
): number {
  const record = recordOf(storage, key);
  let changed = 0;
  const walk = (value: Json): Json => {
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === 'object') {
      const out: { [key: string]: Json } = {};
      for (const [k, v] of Object.entries(value)) {
        const next = change(k, v);
        if (next !== undefined) changed++;
        out[k] = next !== undefined ? next : walk(v);
      }
      return out;
    }
    return value;
  };
  storage.setItem(key, JSON.stringify(walk(record)));
  return changed;
}

/** The secret kept in the record (its field `secret`). */
function storedSecret(storage: MemoryStorage, key = KEY): string {
  const secrets = fieldsNamed(recordOf(storage, key), 'secret');
  expect(secrets.length).toBeGreaterThan(0);
  expect(secrets[0]).toMatch(BASE64URL_43);
  return secrets[0] as string;
}

/** commit = base64url(SHA-256(the 32 bytes of the secret)). */
function commitOf(secret: string): string {
  const bytes = Buffer.from(secret, 'base64url');
  expect(bytes).toHaveLength(32);
  return createHash('sha256').update(bytes).digest('base64url');
}

/** A page's window for the SDK: an EventTarget the test dispatches pagehide/pageshow on. */
function pageWindow(): EventTarget {
  return new EventTarget();
}

function pageEvent(type: 'pagehide' | 'pageshow', persisted: boolean): Event {
  return Object.assign(new Event(type), { persisted });
}

/**
 * A page's connection into the conversation, which dies with the page:
 * after `kill()` nothing it sends leaves and nothing reaches it.
 */
class PageTransport implements Transport {
  readonly sent: Message[] = [];
  /** What the page tried to send once it was gone. */
  readonly dropped: Message[] = [];
  private killed = false;

  constructor(private readonly inner: Transport) {}

  send(message: Message): void {
    if (this.killed) {
      this.dropped.push(message);
      return;
    }
    this.sent.push(message);
    this.inner.send(message);
  }

  listen(listener: TransportListener): () => void {
    return this.inner.listen({
      message: (data) => {
        if (!this.killed) listener.message(data);
      },
      close: (reason) => {
        if (!this.killed) listener.close(reason);
      },
      warning: (message) => {
        if (!this.killed) listener.warning?.(message);
      },
    });
  }

  close(): void {
    this.inner.close();
  }

  kill(): void {
    this.killed = true;
  }

  types(): string[] {
    return this.sent.map((m) => m.type);
  }
}

type Sent = Message & {
  instance?: string;
  to?: string;
  resume?: { commit: string };
  secret?: string;
  commit?: string;
  media?: string;
  reason?: string;
  detail?: string;
};

const sentOf = (list: readonly Message[]) => list as readonly Sent[];

// ---- pages and the agent ----------------------------------------------------------

interface Page {
  name: string;
  client: CallClient;
  /** The instance id this client had when created (a bfcache restore draws another). */
  firstInstance: string;
  platform: NodePlatform;
  storage: MemoryStorage;
  window: EventTarget;
  transport: PageTransport;
  /** State and callInfo read right after the constructor returned. */
  initialState: CallState;
  initialCallId: string | null;
  states: CallState[];
  ended: EndedEvent | null;
  invitations: number;
  resumed: { callId: string; gapMs: number }[];
  resumedAt: number;
  peers: RTCPeerConnection[];
  remoteStreams: MediaStream[];
  /** At the first getUserMedia call: whether no accept had been sent yet (null: no call yet). */
  gumWithoutAccept: boolean | null;
}

interface World {
  agent: AgentCall;
  agentTap: TapTransport;
  agentPlatform: NodePlatform;
  agentStates: string[];
  agentEnded: AgentEndedEvent | null;
  agentResumed: { instance: string }[];
  pages: Page[];
  open(name: string, storage: MemoryStorage, options?: Partial<CallClientOptions>): Page;
  /** A fresh conversation-level transport (for a page opened by hand). */
  bus: ReturnType<typeof conversationBus>;
}

let world: World | undefined;

afterEach(() => {
  stopFrameWatches();
  if (!world) return;
  for (const page of world.pages) {
    page.transport.kill(); // a page's hangup at destroy reaches no one
    page.client.destroy();
    page.transport.close();
    page.platform.mediaDevices.stopAll();
  }
  world.agent.destroy();
  world.agentTap.close();
  world.agentPlatform.mediaDevices.stopAll();
  world = undefined;
});

function makeWorld(agentOptions: Partial<AgentCallOptions> = {}): World {
  const bus = conversationBus();
  const agentPlatform = createNodePlatform(wrtc);
  const agentTap = new TapTransport(bus.transport());
  const agent = new AgentCall({
    transport: agentTap,
    platform: agentPlatform,
    media: 'video',
    ...agentOptions,
  });
  const w: World = {
    agent,
    agentTap,
    agentPlatform,
    agentStates: [agent.state],
    agentEnded: null,
    agentResumed: [],
    pages: [],
    bus,
    open(name, storage, options = {}) {
      const peers: RTCPeerConnection[] = [];
      class RecordedPeerConnection extends wrtc.RTCPeerConnection {
        constructor(configuration?: RTCConfiguration) {
          super(configuration);
          peers.push(this as unknown as RTCPeerConnection);
        }
      }
      const platform: NodePlatform = {
        ...createNodePlatform(wrtc),
        RTCPeerConnection: RecordedPeerConnection as unknown as typeof RTCPeerConnection,
      };
      const win = pageWindow();
      const transport = new PageTransport(bus.transport());
      // Notes whether the accept had left when the page first asked for a camera or microphone.
      let gumWithoutAccept: boolean | null = null;
      const devices = platform.mediaDevices;
      const getUserMedia = devices.getUserMedia.bind(devices);
      devices.getUserMedia = (constraints) => {
        gumWithoutAccept ??= !transport.sent.some((m) => m.type === 'accept');
        return getUserMedia(constraints);
      };
      const client = new CallClient({
        transport,
        platform: {
          ...platform,
          sessionStorage: storage,
          crypto: webcrypto as unknown as NonNullable<Platform['crypto']>,
          window: win as unknown as NonNullable<Platform['window']>,
        },
        ...options,
      });
      const info = client.callInfo;
      const page: Page = {
        name,
        client,
        firstInstance: client.instanceId,
        platform,
        storage,
        window: win,
        transport,
        initialState: client.state,
        initialCallId: info ? info.callId : null,
        states: [client.state],
        ended: null,
        invitations: 0,
        resumed: [],
        resumedAt: 0,
        peers,
        remoteStreams: [],
        get gumWithoutAccept() {
          return gumWithoutAccept;
        },
      };
      client.on('statechange', ({ state }) => page.states.push(state));
      client.on('invitation', () => page.invitations++);
      client.on('remotestream', (stream) => page.remoteStreams.push(stream));
      client.on('resumed', (event) => {
        page.resumed.push(event);
        page.resumedAt = Date.now();
      });
      client.on('ended', (event) => {
        page.ended = event;
      });
      w.pages.push(page);
      return page;
    },
  };
  agent.on('statechange', ({ state }) => w.agentStates.push(state));
  agent.on('ended', (event) => {
    w.agentEnded = event;
  });
  agent.on('resumed', (event) => w.agentResumed.push(event));
  world = w;
  return w;
}

/** The agent invites, `page` accepts, both connect. Returns when (Date.now()) they did. */
async function connectFirst(w: World, page: Page): Promise<number> {
  page.client.once('invitation', () => void page.client.accept());
  w.agent.invite();
  await Promise.all([reachState(page.client, 'connected'), reachState(w.agent, 'connected')]);
  return Date.now();
}

/** Resolves after every pending microtask chain has run (no timers). */
async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/**
 * The consumer follows a link on `page`: `pagehide` on its window, then
 * the page is gone. Returns the tab's session storage as the next page finds it.
 */
async function leave(page: Page, persisted = false): Promise<MemoryStorage> {
  page.window.dispatchEvent(pageEvent('pagehide', persisted));
  // What the page's pagehide handler did (synchronously or in its microtasks) is all it does.
  await flushMicrotasks();
  const next = page.storage.copy();
  page.transport.kill();
  return next;
}

/** The page died with no pagehide at all (a crash, a killed process): nothing more goes out. */
function vanish(page: Page): MemoryStorage {
  const next = page.storage.copy();
  page.transport.kill();
  page.client.destroy();
  return next;
}

function endedOf(page: Page, ms = 15_000): Promise<EndedEvent> {
  return until(() => page.ended, `${page.name} ended (state ${page.client.state})`, ms).then(
    () => page.ended as EndedEvent,
  );
}

/** What the agent sent addressed to `instance`. */
function agentSentTo(w: World, instance: string): readonly Sent[] {
  return sentOf(w.agentTap.sent).filter((m) => m.to === instance);
}

/** Waits until the agent's view of the consumer's media matches `expected`. */
function agentSees(w: World, expected: { audioMuted?: boolean; videoEnabled?: boolean }) {
  return until(
    () => {
      const state = w.agent.remoteMediaState;
      if (!state) return false;
      if (expected.audioMuted !== undefined && state.audioMuted !== expected.audioMuted)
        return false;
      if (expected.videoEnabled !== undefined && state.videoEnabled !== expected.videoEnabled)
        return false;
      return true;
    },
    `the agent to see ${JSON.stringify(expected)} (it sees ${JSON.stringify(w.agent.remoteMediaState)})`,
  );
}

/**
 * Media flows on `page`'s current connection: the agent's audio and video
 * reach the page (bytes growing, frames decoded) and the page's audio (and
 * video, when `videoToAgent`) reaches the agent.
 */
async function expectFlowing(w: World, page: Page, videoToAgent: boolean): Promise<void> {
  const stream = (await until(
    () => page.remoteStreams.at(-1),
    `a remote stream at ${page.name}`,
  )) as MediaStream;
  const track = (await until(
    () => stream.getVideoTracks()[0],
    `a video track at ${page.name}`,
  )) as MediaStreamTrack;
  const frames = watchFrames(track);
  const [pageStart, agentStart] = await Promise.all([
    bytesReceived(page.client),
    bytesReceived(w.agent),
  ]);
  await until(
    async () => {
      const [p, a] = await Promise.all([bytesReceived(page.client), bytesReceived(w.agent)]);
      return (
        p.audio > pageStart.audio + 500 &&
        p.video > pageStart.video + 2_000 &&
        a.audio > agentStart.audio + 500 &&
        (!videoToAgent || a.video > agentStart.video + 2_000)
      );
    },
    `media growing between ${page.name} and the agent (video to the agent: ${videoToAgent})`,
    15_000,
  );
  await until(() => frames.count > 5, `decoded frames at ${page.name}`);
  frames.stop();
}

/** Nothing of the page's is left open: tracks stopped, peer connections closed. */
async function expectReleased(page: Page): Promise<void> {
  await until(
    () => page.platform.mediaDevices.liveTracks().length === 0,
    `${page.name}'s tracks stopped`,
  );
  expect(page.client.liveTrackCount).toBe(0);
  await until(
    () => page.peers.every((pc) => pc.signalingState === 'closed'),
    `${page.name}'s peer connections closed`,
  );
}

// ---------------------------------------------------------------------------------

describe('resume after a page navigation', () => {
  test('accept commits to a secret kept in session storage (record from accept)', async () => {
    const w = makeWorld();
    const a = w.open('A', new MemoryStorage());
    const invited = nextEvent<unknown>(a.client, 'invitation');
    w.agent.invite();
    await invited;
    expect(sentOf(w.agentTap.sent)[0]).toMatchObject({
      type: 'invite',
      features: expect.arrayContaining(['instances', 'resume']),
    });
    void a.client.accept();
    // The commitment is computed (SHA-256) first, but the accept still leaves before any prompt.
    const accept = await until(
      () => sentOf(a.transport.sent).find((m) => m.type === 'accept'),
      'the accept',
      2_000,
    );
    expect(accept).toMatchObject({ type: 'accept', instance: a.client.instanceId });
    await until(() => a.gumWithoutAccept !== null, 'a getUserMedia call');
    expect(a.gumWithoutAccept).toBe(false);
    expect(accept?.resume?.commit).toMatch(BASE64URL_43);
    // The record exists from accept on, for this call, and the commitment is to its secret.
    const record = recordOf(a.storage);
    expect(fieldsNamed(record, 'callId')).toContain(w.agent.callId);
    expect(commitOf(storedSecret(a.storage))).toBe(accept?.resume?.commit);
    await Promise.all([reachState(a.client, 'connected'), reachState(w.agent, 'connected')]);
    // The call ends: the record goes.
    const agentEnded = nextEvent<AgentEndedEvent>(w.agent, 'ended');
    a.client.hangup();
    await agentEnded;
    expect(a.storage.getItem(KEY)).toBeNull();
  });

  test('a link followed mid-call: the next page resumes at once, media both ways, state restored', async () => {
    const w = makeWorld();
    const a = w.open('A', new MemoryStorage());
    const firstConnectedAt = await connectFirst(w, a);
    const callId = w.agent.callId;
    await expectFlowing(w, a, true);
    a.client.setAudioMuted(true);
    await a.client.setVideoEnabled(false);
    await agentSees(w, { audioMuted: true, videoEnabled: false });
    const firstSecret = storedSecret(a.storage);
    const firstCommit = sentOf(a.transport.sent).find((m) => m.type === 'accept')?.resume?.commit;
    expect(firstCommit).toBe(commitOf(firstSecret));

    // ---- the link: pagehide, the page is gone
    const leftAt = Date.now();
    const storage = await leave(a);
    expect(a.transport.types()).toContain('suspend');
    expect(sentOf(a.transport.sent).find((m) => m.type === 'suspend')?.instance).toBe(
      a.client.instanceId,
    );
    // savedAt was stamped at pagehide.
    const savedAt = fieldsNamed(recordOf(storage), 'savedAt');
    expect(savedAt).toHaveLength(1);
    expect(savedAt[0] as number).toBeGreaterThanOrEqual(leftAt - 5);
    await reachState(w.agent, 'suspended');
    // The old page released its camera, microphone and connection, silently.
    await expectReleased(a);
    expect(a.ended).toBeNull();

    // ---- the next page
    const b = w.open('B', storage);
    expect(b.initialState).toBe('resuming');
    expect(b.initialCallId).toBe(callId);
    expect(b.client.instanceId).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(b.client.instanceId).not.toBe(a.client.instanceId);
    const agentResumed = nextEvent<{ instance: string }>(w.agent, 'resumed', 15_000);
    await Promise.all([
      reachState(b.client, 'connected', 15_000),
      reachState(w.agent, 'connected'),
    ]);
    expect(await agentResumed).toEqual({ instance: b.client.instanceId });
    await until(() => b.resumed.length > 0, "B's resumed event");
    expect(b.resumed).toHaveLength(1);
    expect(b.resumed[0]?.callId).toBe(callId);
    // gapMs: from the old page's last save (its pagehide) to connected again.
    const gap = b.resumedAt - leftAt;
    expect(b.resumed[0]?.gapMs).toBeGreaterThanOrEqual(gap - 250);
    expect(b.resumed[0]?.gapMs).toBeLessThanOrEqual(gap + 250);

    // What B sent: resume first (the stored secret, a fresh commitment), then a new offer.
    const sent = sentOf(b.transport.sent);
    expect(sent[0]).toMatchObject({
      type: 'resume',
      callId,
      instance: b.client.instanceId,
      secret: firstSecret,
      media: 'video',
    });
    expect(sent[0]?.commit).toMatch(BASE64URL_43);
    expect(sent[0]?.commit).not.toBe(firstCommit);
    expect(sent.find((m) => m.type === 'sdp')).toMatchObject({
      description: { type: 'offer' },
    });
    for (const m of sent) expect(m.instance).toBe(b.client.instanceId);
    // The record now holds the secret of B's commitment.
    expect(commitOf(storedSecret(b.storage))).toBe(sent[0]?.commit);

    // The same call: no invitation, same callId, the agent never ended, B holds it.
    expect(b.invitations).toBe(0);
    expect(b.client.callInfo?.callId).toBe(callId);
    expect(w.agentEnded).toBeNull();
    expect(w.agentStates).toContain('suspended');
    expect(w.agentStates).not.toContain('ended');
    expect(w.agent.holder).toBe(b.client.instanceId);
    expect(agentSentTo(w, b.client.instanceId).length).toBeGreaterThan(0);
    expect(sentOf(w.agentTap.sent).filter((m) => m.type === 'invite')).toHaveLength(1);

    // Local media state restored: still muted, camera still off (never asked for).
    expect(b.client.localMediaState).toMatchObject({ audioMuted: true, videoEnabled: false });
    expect(b.client.callInfo?.local).toMatchObject({ audioMuted: true, videoEnabled: false });
    expect(b.client.localStream?.getAudioTracks()[0]?.enabled).toBe(false);
    expect(b.platform.mediaDevices.getUserMediaCalls.some((c) => Boolean(c.video))).toBe(false);
    await agentSees(w, { audioMuted: true, videoEnabled: false });
    await expectFlowing(w, b, false);

    // The camera comes on over the new connection, without a new offer.
    const offers = b.transport.sent.filter((m) => m.type === 'sdp').length;
    await b.client.setVideoEnabled(true);
    await agentSees(w, { videoEnabled: true });
    await expectFlowing(w, b, true);
    expect(b.transport.sent.filter((m) => m.type === 'sdp').length).toBe(offers);

    // The end: durationMs counts from the first connection, on the first page.
    const ended = nextEvent<EndedEvent>(b.client, 'ended');
    const agentEnded = nextEvent<AgentEndedEvent>(w.agent, 'ended');
    b.client.hangup();
    const [consumer, agentSide] = await Promise.all([ended, agentEnded]);
    const sinceFirst = Date.now() - firstConnectedAt;
    expect(consumer).toMatchObject({ callId, reason: 'normal', by: 'local' });
    expect(consumer.durationMs).toBeGreaterThanOrEqual(sinceFirst - 300);
    expect(consumer.durationMs).toBeLessThanOrEqual(sinceFirst + 500);
    expect(agentSide).toMatchObject({ callId, reason: 'normal', by: 'remote' });
    expect(b.storage.getItem(KEY)).toBeNull();
    await expectReleased(b);
    // The first page never said anything after its suspend, and never ended.
    expect(a.ended).toBeNull();
  });

  test('a page that vanished without suspend is resumed within the agent reconnect window', async () => {
    const w = makeWorld();
    const a = w.open('A', new MemoryStorage());
    await connectFirst(w, a);
    await expectFlowing(w, a, true);
    const storage = vanish(a);
    expect(a.transport.types()).not.toContain('suspend');

    const b = w.open('B', storage);
    expect(b.initialState).toBe('resuming');
    expect(b.initialCallId).toBe(w.agent.callId);
    await Promise.all([
      reachState(b.client, 'connected', 15_000),
      reachState(w.agent, 'connected'),
    ]);
    // The camera was on: the next page opened it again and sends it.
    expect(b.client.localMediaState).toMatchObject({ audioMuted: false, videoEnabled: true });
    expect(b.platform.mediaDevices.getUserMediaCalls.some((c) => Boolean(c.video))).toBe(true);
    await expectFlowing(w, b, true);
    expect(w.agent.holder).toBe(b.client.instanceId);
    expect(w.agentEnded).toBeNull();
    expect(w.agentStates).not.toContain('ended');
    expect(w.agentStates).not.toContain('suspended');
    expect(b.invitations).toBe(0);
    expect(w.agentResumed).toEqual([{ instance: b.client.instanceId }]);
  });

  test('a record older than 25 s is deleted unused: the next page stays idle', async () => {
    const w = makeWorld({ timeouts: { resume: 2_000 } });
    const a = w.open('A', new MemoryStorage());
    await connectFirst(w, a);
    const storage = await leave(a);
    await reachState(w.agent, 'suspended');
    const changed = rewriteRecord(storage, (field, value) =>
      field === 'savedAt' && typeof value === 'number' ? value - TOO_OLD_MS : undefined,
    );
    expect(changed).toBe(1);

    const b = w.open('B', storage);
    expect(b.initialState).toBe('idle');
    expect(b.initialCallId).toBeNull();
    await until(() => storage.getItem(KEY) === null, 'the old record deleted');
    // The agent gives up on its own (settles the question): B never tried.
    const ended = await until(() => w.agentEnded, 'the agent ended', 10_000);
    expect(ended).toMatchObject({ reason: 'timeout' });
    expect(b.client.state).toBe('idle');
    expect(b.transport.sent).toEqual([]);
    expect(b.platform.mediaDevices.getUserMediaCalls).toHaveLength(0);
    expect(b.peers).toHaveLength(0);
    expect(w.agentResumed).toEqual([]);
  });

  test('a tampered secret is refused: that page ends (error, resume refused), the call goes on in the other tab', async () => {
    const w = makeWorld();
    const a = w.open('A', new MemoryStorage());
    await connectFirst(w, a);
    // A duplicated tab whose copied record has another secret.
    const copy = a.storage.copy();
    const forged = Buffer.alloc(32, 7).toString('base64url');
    expect(forged).not.toBe(storedSecret(a.storage));
    expect(
      rewriteRecord(copy, (field, value) =>
        /secret/i.test(field) && typeof value === 'string' ? forged : undefined,
      ),
    ).toBeGreaterThan(0);

    const b = w.open('B', copy);
    expect(b.initialState).toBe('resuming');
    const ended = await endedOf(b);
    expect(ended).toMatchObject({
      callId: w.agent.callId,
      reason: 'error',
      detail: 'resume refused',
      by: 'remote',
    });
    expect(sentOf(b.transport.sent)[0]).toMatchObject({ type: 'resume', secret: forged });
    // The refusal went to B alone.
    expect(agentSentTo(w, b.client.instanceId)).toEqual([
      expect.objectContaining({ type: 'hangup', reason: 'error', detail: 'resume refused' }),
    ]);
    expect(copy.getItem(KEY)).toBeNull();
    await expectReleased(b);
    expect(b.states).not.toContain('connected');

    // The call itself was not touched: A holds it and its media flows.
    expect(w.agent.holder).toBe(a.client.instanceId);
    expect(w.agent.state).toBe('connected');
    expect(w.agentEnded).toBeNull();
    expect(w.agentResumed).toEqual([]);
    await expectFlowing(w, a, true);
    expect(a.client.state).toBe('connected');
    expect(a.ended).toBeNull();
    expect(a.storage.getItem(KEY)).not.toBeNull();
  });

  test('a call the agent ended between pages: the next page ends with the agent reason', async () => {
    const w = makeWorld();
    const a = w.open('A', new MemoryStorage());
    await connectFirst(w, a);
    const storage = await leave(a);
    await reachState(w.agent, 'suspended');
    w.agent.hangup();
    expect(w.agentEnded).toMatchObject({ reason: 'normal', by: 'local' });

    const b = w.open('B', storage);
    expect(b.initialState).toBe('resuming');
    const ended = await endedOf(b);
    expect(ended).toMatchObject({ callId: w.agent.callId, reason: 'normal', by: 'remote' });
    expect(agentSentTo(w, b.client.instanceId)).toEqual([
      expect.objectContaining({ type: 'hangup', reason: 'normal' }),
    ]);
    expect(storage.getItem(KEY)).toBeNull();
    await expectReleased(b);
    expect(b.states).not.toContain('connected');
  });

  test('two tabs with copies of one record: exactly one resumes, the other ends', async () => {
    const w = makeWorld();
    const a = w.open('A', new MemoryStorage());
    await connectFirst(w, a);
    const storage = await leave(a);
    await reachState(w.agent, 'suspended');
    const b = w.open('B', storage);
    const c = w.open('C', storage.copy());
    expect(b.initialState).toBe('resuming');
    expect(c.initialState).toBe('resuming');

    await until(
      () =>
        w.agent.state === 'connected' &&
        [b, c].some((p) => p.client.state === 'connected') &&
        [b, c].some((p) => p.ended !== null),
      'one tab connected and the other ended',
      20_000,
    );
    const winner = b.client.state === 'connected' ? b : c;
    const loser = winner === b ? c : b;
    expect(w.agent.holder).toBe(winner.client.instanceId);
    expect(loser.ended?.by).toBe('remote');
    expect(['error', 'answered-elsewhere']).toContain(loser.ended?.reason);
    expect(loser.states).not.toContain('connected');
    await expectReleased(loser);
    expect(loser.storage.getItem(KEY)).toBeNull();
    await expectFlowing(w, winner, true);
    expect(winner.ended).toBeNull();
    expect(w.agentEnded).toBeNull();
    expect(w.agentResumed).toEqual([{ instance: winner.client.instanceId }]);
  });

  test('resume: false: no commitment in accept, nothing stored', async () => {
    const w = makeWorld();
    const a = w.open('A', new MemoryStorage(), { resume: false });
    await connectFirst(w, a);
    const accept = sentOf(a.transport.sent).find((m) => m.type === 'accept');
    expect(accept).toBeDefined();
    expect(accept?.resume).toBeUndefined();
    expect(accept?.instance).toBe(a.client.instanceId);
    expect([...a.storage.items.keys()]).toEqual([]);
  });

  test('a storage key of its own: another SDK setup on the site neither sees nor deletes the record', async () => {
    const w = makeWorld();
    const a = w.open('A', new MemoryStorage(), { resume: { storageKey: 'brand-b' } });
    await connectFirst(w, a);
    expect(a.storage.getItem('brand-b')).not.toBeNull();
    expect(a.storage.getItem(KEY)).toBeNull();
    const storage = await leave(a);
    await reachState(w.agent, 'suspended');

    // The site's other setup, on the default key, finds nothing to resume and leaves the record.
    const other = w.open('other', storage);
    expect(other.initialState).toBe('idle');
    expect(storage.getItem('brand-b')).not.toBeNull();

    const b = w.open('B', storage, { resume: { storageKey: 'brand-b' } });
    expect(b.initialState).toBe('resuming');
    await Promise.all([
      reachState(b.client, 'connected', 15_000),
      reachState(w.agent, 'connected'),
    ]);
    expect(w.agent.holder).toBe(b.client.instanceId);
    expect(other.client.state).toBe('idle');
    expect(other.transport.sent).toEqual([]);
  });

  test('a page restored from the back/forward cache resumes with a new instance', async () => {
    const w = makeWorld();
    const a = w.open('A', new MemoryStorage());
    await connectFirst(w, a);
    const before = a.client.instanceId;
    a.window.dispatchEvent(pageEvent('pagehide', true));
    await reachState(w.agent, 'suspended');
    await expectReleased(a);
    const agentResumed = nextEvent<{ instance: string }>(w.agent, 'resumed', 15_000);
    a.window.dispatchEvent(pageEvent('pageshow', true));
    await until(() => a.states.includes('resuming'), 'A resuming after pageshow');
    await Promise.all([
      reachState(a.client, 'connected', 15_000),
      reachState(w.agent, 'connected'),
    ]);
    expect(a.client.instanceId).not.toBe(before);
    expect(await agentResumed).toEqual({ instance: a.client.instanceId });
    expect(w.agent.holder).toBe(a.client.instanceId);
    await until(() => a.resumed.length > 0, "A's resumed event");
    expect(a.ended).toBeNull();
    expect(w.agentEnded).toBeNull();
    expect(a.remoteStreams.length).toBeGreaterThan(0);
    await expectFlowing(w, a, true);
  });

  test('an invitation still ringing when the page is left rings again on the next page', async () => {
    const w = makeWorld();
    const a = w.open('A', new MemoryStorage());
    const invited = nextEvent<{ expiresAt: number }>(a.client, 'invitation');
    w.agent.invite();
    const invitation = await invited;
    const storage = await leave(a);
    const b = w.open('B', storage);
    await until(() => b.client.state === 'invited', `B invited (now ${b.client.state})`);
    expect(b.client.callInfo?.callId).toBe(w.agent.callId);
    // The rest of its ttl, not a new one.
    expect(Math.abs((b.client.callInfo?.expiresAt ?? 0) - invitation.expiresAt)).toBeLessThan(
      1_000,
    );
    void b.client.accept();
    await Promise.all([
      reachState(b.client, 'connected', 15_000),
      reachState(w.agent, 'connected'),
    ]);
    expect(w.agent.holder).toBe(b.client.instanceId);
  });
});
