/**
 * The signaling relay (`messaging-calls/relay`), one instance in-process
 * (`startRelay`), against real WebSocket clients (`ws`), real calls on wrtc
 * and a real coturn:
 *
 * - forwarding: every text frame of one role reaches the other role's sockets
 *   of its conversation, unchanged and in order per sender; never the same
 *   role, never another conversation;
 * - tokens: missing, expired, forged, for another conversation or another
 *   role → 1008, nothing relayed; without a verifier, only loopback;
 * - limits: a frame over 65,536 bytes → 1009; a flood → 1008;
 * - agent permissions: a voice-only agent's video invitation is refused with
 *   `{"relay":"refused","reason":"not-permitted","id":…}` (an AgentCall ends
 *   it `not-permitted`), its voice invitation goes through;
 * - /healthz and /metrics;
 * - TURN: the relay adds minted iceServers to an invitation without any;
 *   coturn with `use-auth-secret` accepts minted credentials (a relay-only
 *   call) and refuses expired or forged ones.
 *
 * "Never reaches the other side" is shown without waiting for nothing: a
 * sentinel frame is sent after the bad one, and the receiver's next frame
 * must be the sentinel.
 */
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import wrtc from 'wrtc';
import { WebSocket } from 'ws';
import type { ClientOptions } from 'ws';
import { mintTurnCredentials, signToken, startRelay } from '../../src/relay';
import type { Relay } from '../../src/relay';
import { AgentCall } from '../../src/agent/AgentCall';
import type { AgentEndedEvent } from '../../src/agent/AgentCall';
import { CallClient } from '../../src/call/CallClient';
import type { EndedEvent, InvitationEvent } from '../../src/call/events';
import { preflight } from '../../src/diagnostics/preflight';
import { envelope } from '../../src/protocol/envelope';
import { newId } from '../../src/protocol/ids';
import type { IceCandidate, Message, MessageBody } from '../../src/protocol/messages';
import { createNodePlatform } from '../../src/testing';
import { WebSocketTransport } from '../../src/transport/websocket';
import type { WebSocketConstructor } from '../../src/transport/websocket';
import { bytesReceived } from '../support/harness';
import { TapTransport } from '../support/tap';
import { requireTurnserver, stunPing } from '../support/turn';
import { nextEvent, reachState, until } from '../support/wait';

jest.setTimeout(60_000);

// ---- raw WebSocket peers ----------------------------------------------------------

type Role = 'agent' | 'consumer';

interface Closed {
  /** The close code, or `http <status>` when the upgrade itself was refused. */
  code: number | string;
  reason: string;
}

/** A raw client of the relay: records every text frame and how it closed. */
class Peer {
  readonly ws: WebSocket;
  readonly frames: string[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<Closed>;
  private read = 0;
  private waiters: (() => void)[] = [];
  /** How it closed, once it has. */
  private closedWith: Closed | null = null;

  constructor(
    readonly url: string,
    readonly label: string,
    options: ClientOptions = {},
  ) {
    this.ws = new WebSocket(url, options);
    let resolveClosed!: (closed: Closed) => void;
    this.closed = new Promise((resolve) => (resolveClosed = resolve));
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      void this.closed.then((c) => reject(new Error(`${label} closed before open: ${c.code}`)));
    });
    // Not every peer is expected to open; an unawaited rejection is no failure.
    this.opened.catch(() => undefined);
    this.ws.on('message', (data, isBinary) => {
      this.frames.push(isBinary ? `<binary ${(data as Buffer).length}>` : data.toString());
      for (const wake of this.waiters.splice(0)) wake();
    });
    void this.closed.then((closed) => {
      this.closedWith = closed;
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.ws.on('close', (code, reason) => resolveClosed({ code, reason: reason.toString() }));
    this.ws.on('unexpected-response', (_req, res) => {
      resolveClosed({ code: `http ${res.statusCode}`, reason: res.statusMessage ?? '' });
      this.ws.terminate();
    });
    this.ws.on('error', () => undefined);
  }

  send(text: string): void {
    this.ws.send(text);
  }

  /** Sends and resolves once `ws` has written the frame. */
  sendFlushed(text: string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.ws.send(text, (error) => (error ? reject(error) : resolve())),
    );
  }

  /** The next frame not yet taken by `next`, within `ms`. */
  async next(ms = 5000): Promise<string> {
    const deadline = Date.now() + ms;
    while (this.read >= this.frames.length) {
      if (this.closedWith) {
        const { code, reason } = this.closedWith;
        throw new Error(`${this.label}: closed (${code} ${reason}) before the frame awaited`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.label}: no frame within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.frames[this.read++] as string;
  }

  /** The next `next()` returns the frame at `index` (0-based, in arrival order). */
  readFrom(index: number): void {
    this.read = index;
  }

  /** Waits until `count` frames have arrived in all (bounded). */
  async received(count: number, ms = 10_000): Promise<string[]> {
    await until(() => this.frames.length >= count, `${this.label}: ${count} frames`, ms);
    return this.frames.slice(0, count);
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.terminate();
    }
  }
}

/** The relay's socket address for one conversation and role. */
function socketUrl(relay: Pick<Relay, 'url'>, conversation: string, role: Role, token?: string) {
  const url = new URL(relay.url);
  url.pathname = '/';
  url.search = '';
  url.searchParams.set('conversation', conversation);
  url.searchParams.set('role', role);
  if (token !== undefined) url.searchParams.set('token', token);
  return url.toString();
}

/** An http:// URL on the relay's port (for /healthz and /metrics). */
function httpUrl(relay: Pick<Relay, 'url'>, pathname: string): string {
  const url = new URL(relay.url);
  url.protocol = 'http:';
  url.pathname = pathname;
  url.search = '';
  return url.toString();
}

const peers: Peer[] = [];
/** Opens a peer and waits until it is connected. */
async function open(url: string, label: string, options?: ClientOptions): Promise<Peer> {
  const peer = new Peer(url, label, options);
  peers.push(peer);
  await peer.opened;
  return peer;
}
/** A peer that may be refused: not awaited. */
function attempt(url: string, label: string, options?: ClientOptions): Peer {
  const peer = new Peer(url, label, options);
  peers.push(peer);
  return peer;
}
afterEach(() => {
  for (const peer of peers.splice(0)) peer.close();
});

const conversationId = () => `conv-${newId()}`;

/** A protocol message as text, as the SDK sends it. */
function frame(
  body: MessageBody,
  from: Role,
  callId = newId(),
): { text: string; message: Message } {
  const message = envelope(body, callId, from);
  return { text: JSON.stringify(message), message };
}

// ---- tokens ---------------------------------------------------------------------

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** Decodes a JWT's payload (no verification). */
function jwtPayload(token: string): Record<string, unknown> {
  const part = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** A HS256 JWT with this payload, signed with `secret`. */
function hs256(payload: Record<string, unknown>, secret: string): string {
  const head = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(payload))}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

// ---- metrics --------------------------------------------------------------------

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text exposition → samples (comments skipped). */
function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] as string] = pair[2] as string;
    }
    samples.push({ name: m[1] as string, labels, value: Number(m[4]) });
  }
  return samples;
}

async function scrape(relay: Pick<Relay, 'url'>): Promise<{ text: string; samples: Sample[] }> {
  const res = await fetch(httpUrl(relay, '/metrics'));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type') ?? '').toMatch(/^text\/plain/);
  const text = await res.text();
  return { text, samples: parsePrometheus(text) };
}

/** A metric's value (summed over the samples whose labels include `labels`). */
function metric(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const matching = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (matching.length === 0) throw new Error(`no metric ${name} ${JSON.stringify(labels)}`);
  return matching.reduce((sum, s) => sum + s.value, 0);
}

// ---- a WebSocket constructor that counts opened sockets --------------------------

/** `ws`, counting the sockets a WebSocketTransport opened (to know it is connected). */
function countingWebSocket(): { Ctor: WebSocketConstructor; opens: () => number } {
  let opens = 0;
  class Counting extends WebSocket {
    constructor(url: string) {
      super(url);
      this.once('open', () => opens++);
    }
  }
  return { Ctor: Counting as unknown as WebSocketConstructor, opens: () => opens };
}

// ==================================================================================

describe('forwarding (no verifier, loopback)', () => {
  let relay: Relay;
  beforeAll(async () => {
    // Limits high enough for the many frames of the order test (the default burst is 100).
    relay = await startRelay({
      port: 0,
      host: '127.0.0.1',
      limits: { messagesPerSecond: 5_000, burst: 5_000 },
    });
  });
  afterAll(async () => {
    await relay?.close();
  });

  test('the relay reports its address', () => {
    expect(relay.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+/);
    expect(relay.port).toBeGreaterThan(0);
    expect(new URL(relay.url).port).toBe(String(relay.port));
  });

  test('every frame of one role reaches each socket of the other role, unchanged and in order', async () => {
    const conv = conversationId();
    const other = conversationId();
    const a1 = await open(socketUrl(relay, conv, 'agent'), 'a1');
    const a2 = await open(socketUrl(relay, conv, 'agent'), 'a2');
    const c1 = await open(socketUrl(relay, conv, 'consumer'), 'c1');
    const c2 = await open(socketUrl(relay, conv, 'consumer'), 'c2');
    const otherAgent = await open(socketUrl(relay, other, 'agent'), 'other agent');
    const otherConsumer = await open(socketUrl(relay, other, 'consumer'), 'other consumer');

    // Frames whose bytes a re-serializing relay would change: spacing, key
    // order, escapes, non-ASCII text, a large number.
    const odd = (sender: string, i: number) =>
      `{ "z":${i},"sender" : "${sender}", "text":"caf\u00e9 \\u00e9 \u{1F4DE} ${'x'.repeat(i % 50)}", "n":12345678901234567890 }`;
    const fromA1: string[] = [];
    const fromA2: string[] = [];
    // Two agents interleaved: each sender's frames keep their order.
    for (let i = 0; i < 500; i++) {
      const t1 = i % 3 === 0 ? frame({ type: 'ice', candidate: null }, 'agent').text : odd('a1', i);
      a1.send(t1);
      fromA1.push(t1);
      const t2 = odd('a2', i);
      a2.send(t2);
      fromA2.push(t2);
    }
    for (const consumer of [c1, c2]) {
      const got = await consumer.received(1000);
      expect(got.filter((t) => fromA1.includes(t))).toEqual(fromA1);
      expect(got.filter((t) => fromA2.includes(t))).toEqual(fromA2);
      expect(got.length).toBe(1000);
    }

    // The other direction: the consumer's frames reach both agents, in order.
    const fromC1: string[] = [];
    for (let i = 0; i < 100; i++) {
      const t = frame(
        { type: 'media-state', audioMuted: i % 2 === 0, videoEnabled: true },
        'consumer',
      ).text;
      c1.send(t);
      fromC1.push(t);
    }
    expect(await a1.received(100)).toEqual(fromC1);
    expect(await a2.received(100)).toEqual(fromC1);

    // Never to the same role: after c1's 100 frames, c2's next frame is a
    // sentinel from an agent (nothing of c1's came before it).
    c2.readFrom(1000); // after what c2 got from the agents above
    a1.send('sentinel: agent to consumers');
    expect(await c2.next()).toBe('sentinel: agent to consumers');
    // ... and a1 got nothing of a2's: its next frame is the consumer's sentinel.
    c1.send('sentinel: consumer to agents');
    a1.readFrom(100);
    expect(await a1.next()).toBe('sentinel: consumer to agents');

    // Never to another conversation: the other conversation's sockets received
    // nothing of all this; their first frames are their own sentinels.
    otherAgent.send('sentinel: other conversation, agent');
    otherConsumer.send('sentinel: other conversation, consumer');
    expect(await otherConsumer.next()).toBe('sentinel: other conversation, agent');
    expect(await otherAgent.next()).toBe('sentinel: other conversation, consumer');
  });

  test('a role and a conversation are required', async () => {
    const url = new URL(relay.url);
    url.pathname = '/';
    const conv = conversationId();
    for (const search of [
      `?role=agent`,
      `?conversation=${conv}`,
      `?conversation=${conv}&role=supervisor`,
      `?conversation=&role=agent`,
    ]) {
      const bad = attempt(`${url.origin.replace('http', 'ws')}/${search}`, `query ${search}`);
      const closed = await bad.closed;
      // Refused at the upgrade: no socket is made.
      expect(closed.code).toBe('http 400');
    }
  });

  test('a frame over 65,536 bytes closes the socket with 1009 and is not relayed', async () => {
    const conv = conversationId();
    const agent = await open(socketUrl(relay, conv, 'agent'), 'agent');
    const other = await open(socketUrl(relay, conv, 'agent'), 'second agent');
    const consumer = await open(socketUrl(relay, conv, 'consumer'), 'consumer');
    const padded = (bytes: number) => {
      const head = '{"type":"pad","pad":"';
      return head + 'p'.repeat(bytes - head.length - 2) + '"}';
    };
    // Exactly the limit: relayed.
    const atLimit = padded(65_536);
    expect(Buffer.byteLength(atLimit)).toBe(65_536);
    agent.send(atLimit);
    expect(await consumer.next()).toBe(atLimit);
    // One byte more: the sender is closed with 1009 ("message too big").
    agent.send(padded(65_537));
    expect((await agent.closed).code).toBe(1009);
    other.send('sentinel after the oversized frame');
    expect(await consumer.next()).toBe('sentinel after the oversized frame');
    // Multi-byte characters count as bytes, not as characters.
    const agent3 = await open(socketUrl(relay, conv, 'agent'), 'third agent');
    agent3.send(`"${'é'.repeat(33_000)}"`); // 66,002 bytes, 33,002 characters
    expect((await agent3.closed).code).toBe(1009);
    other.send('sentinel after the multi-byte frame');
    expect(await consumer.next()).toBe('sentinel after the multi-byte frame');
  });

  test('/healthz answers 200 with JSON that tells the Redis state (off here)', async () => {
    const res = await fetch(httpUrl(relay, '/healthz'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type') ?? '').toMatch(/^application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ ok: true, instance: relay.instance, redis: 'off' });
  });

  test('/metrics counts sockets, conversations, frames relayed and dropped by reason', async () => {
    const P = 'messaging_calls_relay_';
    // Other tests of this relay may have left sockets closing: wait for a quiet relay.
    await until(
      async () => metric((await scrape(relay)).samples, `${P}sockets`) === 0,
      'no sockets',
    );
    const before = (await scrape(relay)).samples;
    const conv = conversationId();
    const agent = await open(socketUrl(relay, conv, 'agent'), 'agent');
    const consumer = await open(socketUrl(relay, conv, 'consumer'), 'consumer');
    const consumer2 = await open(socketUrl(relay, conv, 'consumer'), 'consumer 2');
    for (let i = 0; i < 10; i++) agent.send(`{"i":${i}}`);
    await consumer.received(10);
    await consumer2.received(10);

    const { text, samples } = await scrape(relay);
    expect(text).toMatch(new RegExp(`^# TYPE ${P}sockets gauge$`, 'm'));
    expect(text).toMatch(new RegExp(`^# TYPE ${P}frames_dropped_total counter$`, 'm'));
    // Every sample names the instance.
    expect(samples.every((s) => s.labels.instance_id === relay.instance)).toBe(true);
    expect(metric(samples, `${P}sockets`)).toBe(3);
    expect(metric(samples, `${P}conversations`)).toBe(1);
    // 10 frames, each to two sockets.
    expect(
      metric(samples, `${P}frames_relayed_total`) - metric(before, `${P}frames_relayed_total`),
    ).toBe(20);
    expect(
      metric(samples, `${P}frames_received_total`) - metric(before, `${P}frames_received_total`),
    ).toBe(10);
    // The same figures from relay.metrics().
    expect(relay.metrics()).toMatchObject({ sockets: 3, conversations: 1 });
    // Without Redis: not enabled, not up, no round trip yet (NaN), nothing published.
    expect(metric(samples, `${P}redis_enabled`)).toBe(0);
    expect(metric(samples, `${P}redis_up`)).toBe(0);
    expect(metric(samples, `${P}redis_round_trip_seconds`)).toBeNaN();
    expect(metric(samples, `${P}redis_published_total`)).toBe(0);

    // An oversized frame and a binary one are dropped, each counted with its reason.
    const drops = (s: Sample[], reason: string) =>
      metric(s, `${P}frames_dropped_total`, { reason });
    const big = await open(socketUrl(relay, conv, 'agent'), 'oversized');
    big.send('x'.repeat(70_000));
    expect((await big.closed).code).toBe(1009);
    const binary = await open(socketUrl(relay, conv, 'agent'), 'binary');
    binary.ws.send(Buffer.from([1, 2, 3]));
    expect((await binary.closed).code).toBe(1003);
    const after = (await scrape(relay)).samples;
    expect(drops(after, 'too-large') - drops(before, 'too-large')).toBe(1);
    expect(drops(after, 'binary') - drops(before, 'binary')).toBe(1);
    expect(drops(after, 'rate-limit')).toBe(drops(before, 'rate-limit'));
    expect(relay.metrics().framesDroppedTooLarge).toBe(drops(after, 'too-large'));

    agent.close();
    consumer.close();
    consumer2.close();
    await until(async () => {
      const s = (await scrape(relay)).samples;
      return metric(s, `${P}sockets`) === 0 && metric(s, `${P}conversations`) === 0;
    }, 'the closed sockets and their conversation to leave /metrics');
  });
});

describe('rate limit', () => {
  let relay: Relay;
  beforeAll(async () => {
    relay = await startRelay({ port: 0, limits: { messagesPerSecond: 10, burst: 10 } });
  });
  afterAll(async () => {
    await relay?.close();
  });

  test('a flood closes the sender with 1008; what got through is an in-order prefix', async () => {
    const conv = conversationId();
    const flooder = await open(socketUrl(relay, conv, 'agent'), 'flooder');
    const calm = await open(socketUrl(relay, conv, 'agent'), 'calm agent');
    const consumer = await open(socketUrl(relay, conv, 'consumer'), 'consumer');
    const sent: string[] = [];
    for (let i = 0; i < 200; i++) {
      const t = `{"flood":${i}}`;
      sent.push(t);
      flooder.send(t);
    }
    expect((await flooder.closed).code).toBe(1008);
    // Another agent of the conversation, within the limit, still gets through.
    calm.send('sentinel after the flood');
    await until(
      () => consumer.frames.includes('sentinel after the flood'),
      'the sentinel after the flood',
    );
    const got = consumer.frames.slice(0, consumer.frames.indexOf('sentinel after the flood'));
    expect(got).toEqual(sent.slice(0, got.length));
    expect(got.length).toBeLessThan(200);
    expect(got.length).toBeLessThanOrEqual(10 + 5); // the burst, give or take refill
  });
});

describe('tokens (authSecret)', () => {
  const secret = randomBytes(32).toString('hex');
  let relay: Relay;
  beforeAll(async () => {
    relay = await startRelay({ port: 0, authSecret: secret });
  });
  afterAll(async () => {
    await relay?.close();
  });

  /** The agent and consumer of one conversation, with valid tokens. */
  async function conversation() {
    const conv = conversationId();
    const agentToken = signToken({ secret, conversation: conv, role: 'agent' });
    const consumerToken = signToken({ secret, conversation: conv, role: 'consumer' });
    const agent = await open(socketUrl(relay, conv, 'agent', agentToken), 'agent');
    const consumer = await open(socketUrl(relay, conv, 'consumer', consumerToken), 'consumer');
    return { conv, agent, consumer, agentToken, consumerToken };
  }

  test('signToken makes an HS256 JWT that the relay accepts', async () => {
    const { agent, consumer, agentToken } = await conversation();
    const header = JSON.parse(
      Buffer.from(agentToken.split('.')[0] ?? '', 'base64url').toString(),
    ) as Record<string, unknown>;
    expect(header.alg).toBe('HS256');
    agent.send('hello consumer');
    expect(await consumer.next()).toBe('hello consumer');
    consumer.send('hello agent');
    expect(await agent.next()).toBe('hello agent');
  });

  test('missing, expired, forged, other-conversation and other-role tokens: 1008, nothing relayed', async () => {
    const { conv, agent, consumer, agentToken } = await conversation();
    const otherConv = conversationId();
    const withExp = signToken({ secret, conversation: conv, role: 'agent', expiresIn: 600 });
    const payload = jwtPayload(withExp);
    expect(typeof payload.exp).toBe('number');
    const nowSeconds = Math.floor(Date.now() / 1000);
    const cases: [string, Role, string | undefined][] = [
      ['missing', 'agent', undefined],
      ['empty', 'agent', ''],
      ['garbage', 'agent', 'not.a.jwt'],
      ['expired', 'agent', hs256({ ...payload, exp: nowSeconds - 60 }, secret)],
      [
        'forged (another secret)',
        'agent',
        signToken({ secret: `${secret}-forged`, conversation: conv, role: 'agent' }),
      ],
      ['forged (no signature)', 'agent', `${agentToken.split('.').slice(0, 2).join('.')}.`],
      [
        'forged (alg none)',
        'agent',
        `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${agentToken.split('.')[1] ?? ''}.`,
      ],
      [
        'another conversation',
        'agent',
        signToken({ secret, conversation: otherConv, role: 'agent' }),
      ],
      [
        'another role (consumer token as agent)',
        'agent',
        signToken({ secret, conversation: conv, role: 'consumer' }),
      ],
      ['another role (agent token as consumer)', 'consumer', agentToken],
      [
        'expired consumer',
        'consumer',
        hs256({ ...payload, role: 'consumer', exp: nowSeconds - 60 }, secret),
      ],
    ];
    for (const [what, role, token] of cases) {
      const bad = attempt(socketUrl(relay, conv, role, token), what);
      // It sends at once, as an attacker would, whether or not the upgrade completed.
      bad.ws.once('open', () => {
        try {
          bad.send(`bad frame: ${what}`);
        } catch {
          // closed already
        }
      });
      const closed = await bad.closed;
      expect({ what, code: closed.code }).toEqual({ what, code: 1008 });
      // The other side's next frame is the sentinel sent after: the bad frame never came.
      const [sender, receiver] = role === 'agent' ? [agent, consumer] : [consumer, agent];
      sender.send(`sentinel after ${what}`);
      expect(await receiver.next()).toBe(`sentinel after ${what}`);
    }
  });
});

describe('loopback only without a verifier', () => {
  const external = Object.values(os.networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  // Needs an address of this machine that is not loopback, to connect from it;
  // a machine with loopback only cannot make a non-loopback connection.
  const maybe = external ? test : test.skip;

  maybe(
    `a connection from a non-loopback address (${external ?? 'none here'}) gets 1008`,
    async () => {
      const host = external as string;
      const relay = await startRelay({ port: 0, host: '0.0.0.0' });
      try {
        const conv = conversationId();
        const at = (hostname: string, role: Role) => {
          const url = new URL(socketUrl(relay, conv, role));
          url.hostname = hostname;
          return url.toString();
        };
        const consumer = await open(at('127.0.0.1', 'consumer'), 'loopback consumer');
        const agent = await open(at('127.0.0.1', 'agent'), 'loopback agent');
        const remote = attempt(at(host, 'agent'), 'non-loopback agent', { localAddress: host });
        remote.ws.once('open', () => remote.send('bad frame from a non-loopback address'));
        expect((await remote.closed).code).toBe(1008);
        agent.send('sentinel from loopback');
        expect(await consumer.next()).toBe('sentinel from loopback');
      } finally {
        await relay.close();
      }
    },
  );
});

describe('agent permissions (calls in the token)', () => {
  const secret = randomBytes(32).toString('hex');
  let relay: Relay;
  beforeAll(async () => {
    relay = await startRelay({ port: 0, authSecret: secret });
  });
  afterAll(async () => {
    await relay?.close();
  });

  test('a voice-only agent: its video invite is refused with the exact frame; its voice invite goes through', async () => {
    const conv = conversationId();
    const agent = await open(
      socketUrl(
        relay,
        conv,
        'agent',
        signToken({ secret, conversation: conv, role: 'agent', calls: ['voice'] }),
      ),
      'voice-only agent',
    );
    const consumer = await open(
      socketUrl(
        relay,
        conv,
        'consumer',
        signToken({ secret, conversation: conv, role: 'consumer' }),
      ),
      'consumer',
    );
    const video = frame({ type: 'invite', media: 'video' }, 'agent');
    agent.send(video.text);
    const refusal = await agent.next();
    expect(JSON.parse(refusal)).toEqual({
      relay: 'refused',
      reason: 'not-permitted',
      id: video.message.id,
    });
    expect(refusal).toBe(
      JSON.stringify({ relay: 'refused', reason: 'not-permitted', id: video.message.id }),
    );
    // The socket stays open, and the voice invitation goes through, unchanged.
    const voice = frame({ type: 'invite', media: 'voice' }, 'agent');
    agent.send(voice.text);
    expect(await consumer.next()).toBe(voice.text);
    // Other messages of the agent are not invitations: relayed.
    const cancel = frame({ type: 'cancel' }, 'agent', voice.message.callId);
    agent.send(cancel.text);
    expect(await consumer.next()).toBe(cancel.text);
  });

  test('an agent allowed voice and video invites video', async () => {
    const conv = conversationId();
    const agent = await open(
      socketUrl(
        relay,
        conv,
        'agent',
        signToken({ secret, conversation: conv, role: 'agent', calls: ['voice', 'video'] }),
      ),
      'agent',
    );
    const consumer = await open(
      socketUrl(
        relay,
        conv,
        'consumer',
        signToken({ secret, conversation: conv, role: 'consumer' }),
      ),
      'consumer',
    );
    const video = frame({ type: 'invite', media: 'video' }, 'agent');
    agent.send(video.text);
    expect(await consumer.next()).toBe(video.text);
  });

  test('an AgentCall whose video invitation the relay refuses ends not-permitted; its voice call connects', async () => {
    const conv = conversationId();
    const agentToken = signToken({
      secret,
      conversation: conv,
      role: 'agent',
      calls: ['voice'],
    });
    const consumerToken = signToken({ secret, conversation: conv, role: 'consumer' });
    const agentWs = countingWebSocket();
    const consumerWs = countingWebSocket();
    const agentTransport = new WebSocketTransport(socketUrl(relay, conv, 'agent', agentToken), {
      WebSocket: agentWs.Ctor,
    });
    const consumerTransport = new WebSocketTransport(
      socketUrl(relay, conv, 'consumer', consumerToken),
      { WebSocket: consumerWs.Ctor },
    );
    const agentPlatform = createNodePlatform(wrtc);
    const consumerPlatform = createNodePlatform(wrtc);
    const client = new CallClient({ transport: consumerTransport, platform: consumerPlatform });
    const invitations: InvitationEvent[] = [];
    client.on('invitation', (i) => invitations.push(i));
    const videoCall = new AgentCall({
      transport: agentTransport,
      platform: agentPlatform,
      media: 'video',
    });
    let voiceCall: AgentCall | undefined;
    try {
      await until(() => agentWs.opens() === 1 && consumerWs.opens() === 1, 'both sockets open');
      const ended = nextEvent<AgentEndedEvent>(videoCall, 'ended');
      videoCall.invite();
      expect(await ended).toMatchObject({ reason: 'not-permitted', by: 'system' });
      expect(videoCall.state).toBe('ended');
      videoCall.destroy();

      voiceCall = new AgentCall({
        transport: agentTransport,
        platform: agentPlatform,
        media: 'voice',
      });
      const invited = nextEvent<InvitationEvent>(client, 'invitation');
      voiceCall.invite();
      const invitation = await invited;
      // The first invitation the consumer ever saw is the voice one.
      expect(invitations).toEqual([invitation]);
      expect(invitation).toMatchObject({ callId: voiceCall.callId, media: 'voice' });
      void client.accept();
      await Promise.all([
        reachState(client, 'connected', 20_000),
        reachState(voiceCall, 'connected', 20_000),
      ]);
      const hung = nextEvent<EndedEvent>(client, 'ended');
      voiceCall.hangup();
      expect(await hung).toMatchObject({ reason: 'normal', by: 'remote' });
    } finally {
      client.destroy();
      videoCall.destroy();
      voiceCall?.destroy();
      agentTransport.close();
      consumerTransport.close();
      agentPlatform.mediaDevices.stopAll();
      consumerPlatform.mediaDevices.stopAll();
    }
  });
});

// ---- TURN -----------------------------------------------------------------------

/** A free UDP port on 127.0.0.1 whose successor is free too (coturn's alternate port). */
function probeUdp(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(null);
    });
    socket.bind(port, '127.0.0.1', () => {
      const bound = socket.address().port;
      socket.close(() => resolve(bound));
    });
  });
}
async function freeUdpPort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await probeUdp(0);
    if (port && port < 65535 && (await probeUdp(port + 1))) return port;
  }
  throw new Error('no free UDP port');
}
async function freeRelayRange(count: number): Promise<[number, number]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * (10000 - count));
    let free = true;
    for (let p = base; p < base + count && free; p++) free = (await probeUdp(p)) === p;
    if (free) return [base, base + count - 1];
  }
  throw new Error(`no run of ${count} free UDP ports`);
}

/** coturn with the TURN REST API (`use-auth-secret`) on loopback; no root needed. */
async function startAuthSecretTurn(secret: string) {
  const bin = requireTurnserver();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'messaging-calls-relay-turn-'));
  const port = await freeUdpPort();
  const [minPort, maxPort] = await freeRelayRange(20);
  const logFile = path.join(dir, 'turnserver.log');
  const child = spawn(
    bin,
    [
      '-n',
      '--listening-ip=127.0.0.1',
      '--relay-ip=127.0.0.1',
      `--listening-port=${port}`,
      `--min-port=${minPort}`,
      `--max-port=${maxPort}`,
      '--use-auth-secret',
      `--static-auth-secret=${secret}`,
      '--realm=relay.test',
      '--no-tls',
      '--no-dtls',
      '--no-tcp',
      '--allow-loopback-peers',
      '--no-cli',
      '--simple-log',
      '--no-stdout-log',
      `--pidfile=${path.join(dir, 'turnserver.pid')}`,
      `--log-file=${logFile}`,
      `--userdb=${path.join(dir, 'turndb')}`,
    ],
    { stdio: 'ignore' },
  );
  let exited = '';
  child.once('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
  const log = () => {
    try {
      return fs.readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until(
      async () => {
        if (exited) throw new Error(`turnserver ${exited}:\n${log().slice(-2000)}`);
        return stunPing('127.0.0.1', port);
      },
      `coturn answering on ${port}`,
      10_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `turn:127.0.0.1:${port}?transport=udp`, port, log, stop };
}

describe('TURN: minted credentials', () => {
  const turnSecret = randomBytes(24).toString('hex');
  let turn: Awaited<ReturnType<typeof startAuthSecretTurn>>;
  let relay: Relay;
  const platform = createNodePlatform(wrtc);

  beforeAll(async () => {
    turn = await startAuthSecretTurn(turnSecret);
    relay = await startRelay({
      port: 0,
      turn: { secret: turnSecret, urls: [turn.url], ttlSeconds: 600 },
    });
  });
  afterAll(async () => {
    platform.mediaDevices.stopAll();
    await relay?.close();
    await turn?.stop();
  });

  test('mintTurnCredentials: "<expiry>:<user>" and base64(HMAC-SHA1(secret, username))', () => {
    const now = Date.UTC(2030, 0, 1);
    const minted = mintTurnCredentials({
      secret: 'the-secret',
      urls: ['turn:turn.example.com:3478'],
      user: 'conversation-42',
      ttlSeconds: 600,
      now,
    });
    const username = `${now / 1000 + 600}:conversation-42`;
    expect(minted).toEqual({
      urls: ['turn:turn.example.com:3478'],
      username,
      credential: createHmac('sha1', 'the-secret').update(username).digest('base64'),
    });
  });

  test('an invite without iceServers gets minted ones; an invite with its own keeps them', async () => {
    const conv = conversationId();
    const agent = await open(socketUrl(relay, conv, 'agent'), 'agent');
    const consumer = await open(socketUrl(relay, conv, 'consumer'), 'consumer');
    const bare = frame({ type: 'invite', media: 'video', agent: { name: 'Alex' } }, 'agent');
    agent.send(bare.text);
    const received = JSON.parse(await consumer.next()) as Message & {
      iceServers?: { urls: string | string[]; username: string; credential: string }[];
    };
    const { iceServers, ...rest } = received;
    expect(rest).toEqual(bare.message);
    expect(iceServers).toHaveLength(1);
    const server = iceServers?.[0];
    expect([server?.urls].flat()).toEqual([turn.url]);
    const [expiry] = (server?.username ?? '').split(':');
    expect(Number(expiry) - Date.now() / 1000).toBeGreaterThan(600 - 30);
    expect(Number(expiry) - Date.now() / 1000).toBeLessThan(600 + 30);
    expect(server?.credential).toBe(
      createHmac('sha1', turnSecret)
        .update(server?.username ?? '')
        .digest('base64'),
    );

    const own = frame(
      {
        type: 'invite',
        media: 'voice',
        iceServers: [{ urls: 'turn:own.example:3478', username: 'u', credential: 'p' }],
      },
      'agent',
    );
    agent.send(own.text);
    expect(await consumer.next()).toBe(own.text);
    // Only invitations are touched.
    const other = frame({ type: 'cancel' }, 'agent', own.message.callId);
    agent.send(other.text);
    expect(await consumer.next()).toBe(other.text);
  });

  test('coturn (use-auth-secret) allocates with minted credentials, refuses expired and forged ones', async () => {
    const check = (iceServer: RTCIceServer) =>
      preflight({ platform, iceServers: [iceServer], timeoutMs: 5_000 });
    const valid = await check(
      mintTurnCredentials({ secret: turnSecret, urls: turn.url, user: 'c1' }),
    );
    expect(valid.turn).toMatchObject({ tested: true, reachable: true });
    const expired = mintTurnCredentials({
      secret: turnSecret,
      urls: turn.url,
      user: 'c1',
      ttlSeconds: 60,
      now: Date.now() - 3600_000,
    });
    const forged = mintTurnCredentials({ secret: `${turnSecret}x`, urls: turn.url, user: 'c1' });
    for (const refused of [expired, forged]) {
      const report = await check(refused);
      expect(report.turn).toMatchObject({ tested: true, reachable: false });
    }
  });

  test('a relay-only call through the relay and coturn, on minted credentials, connects with media both ways', async () => {
    const conv = conversationId();
    const iceServers = [mintTurnCredentials({ secret: turnSecret, urls: turn.url, user: conv })];
    const agentWs = countingWebSocket();
    const consumerWs = countingWebSocket();
    const agentTap = new TapTransport(
      new WebSocketTransport(socketUrl(relay, conv, 'agent'), { WebSocket: agentWs.Ctor }),
    );
    const consumerTap = new TapTransport(
      new WebSocketTransport(socketUrl(relay, conv, 'consumer'), { WebSocket: consumerWs.Ctor }),
    );
    const agentPlatform = createNodePlatform(wrtc);
    const consumerPlatform = createNodePlatform(wrtc);
    const client = new CallClient({ transport: consumerTap, platform: consumerPlatform });
    const agent = new AgentCall({
      transport: agentTap,
      platform: agentPlatform,
      media: 'video',
      iceServers,
      policy: { forceRelay: true },
    });
    try {
      await until(() => agentWs.opens() === 1 && consumerWs.opens() === 1, 'both sockets open');
      client.once('invitation', () => void client.accept());
      agent.invite();
      await Promise.all([
        reachState(client, 'connected', 20_000),
        reachState(agent, 'connected', 20_000),
      ]);
      for (const side of [client, agent]) {
        const start = await bytesReceived(side);
        await until(
          async () => {
            const now = await bytesReceived(side);
            return now.audio - start.audio > 1000 && now.video - start.video > 1000;
          },
          'audio and video bytes growing',
          15_000,
        );
      }
      // Every candidate either side signalled is a relay candidate of this coturn.
      for (const tap of [consumerTap, agentTap]) {
        const lines = tap.sent
          .filter((m) => m.type === 'ice' && m.candidate !== null)
          .map((m) => (m as { candidate: IceCandidate }).candidate.candidate);
        expect(lines.length).toBeGreaterThan(0);
        for (const line of lines) expect(line).toMatch(/ 127\.0\.0\.1 \d+ typ relay( |$)/);
      }
      const ended = nextEvent<EndedEvent>(client, 'ended');
      client.hangup();
      expect(await ended).toMatchObject({ reason: 'normal', by: 'local' });
    } finally {
      client.destroy();
      agent.destroy();
      agentTap.close();
      consumerTap.close();
      agentPlatform.mediaDevices.stopAll();
      consumerPlatform.mediaDevices.stopAll();
    }
  });
});

describe('shutdown', () => {
  test('close() closes open sockets with 1001', async () => {
    const relay = await startRelay({ port: 0 });
    const conv = conversationId();
    const agent = await open(socketUrl(relay, conv, 'agent'), 'agent');
    const consumer = await open(socketUrl(relay, conv, 'consumer'), 'consumer');
    await relay.close();
    expect((await agent.closed).code).toBe(1001);
    expect((await consumer.closed).code).toBe(1001);
    // And it no longer accepts connections.
    const late = attempt(socketUrl(relay, conv, 'agent'), 'late');
    const closed = await late.closed;
    expect(closed.code).not.toBe(1000);
  });
});

describe('a request line that is not a URL', () => {
  let relay: Relay;
  beforeAll(async () => {
    relay = await startRelay({ port: 0 });
  });
  afterAll(() => relay.close());

  const raw = (request: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = net.connect(relay.port, '127.0.0.1', () => socket.write(request));
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
      socket.on('end', () => resolve(answer));
      socket.on('close', () => resolve(answer));
      socket.on('error', reject);
    });

  test.each([
    ['a plain request', 'GET http://[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
    [
      'an upgrade',
      'GET http://[ HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    ],
  ])('%s is answered 404, and the relay goes on', async (_name, request) => {
    expect(await raw(request)).toMatch(/^HTTP\/1\.1 404/);
    const health = await fetch(`http://127.0.0.1:${relay.port}/healthz`);
    expect(health.status).toBe(200);
  });
});
