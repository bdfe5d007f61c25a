/**
 * The signaling relay as a fleet: two instances of the built bin
 * (`messaging-calls-relay`, so `npm run build` first) as child processes,
 * sharing a real redis-server (test/support/redis.ts). A wrtc call
 * (CallClient ↔ AgentCall, synthetic devices) runs with the agent on
 * instance A and the consumer on instance B, and stays up while:
 *
 * - the consumer's instance is killed (SIGKILL): its WebSocketTransport
 *   reconnects, through a small TCP proxy that the test points at A (the
 *   transport reconnects to its one URL, as a load balancer's address would
 *   be), and signaling goes on;
 * - Redis restarts: the instances subscribe again and signaling goes on.
 *
 * And SIGTERM: every socket closed with 1001, exit code 0.
 *
 * `MESSAGING_CALLS_RELAY_BIN` overrides the path of the bin (default: the
 * package's `bin` entry).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import wrtc from 'wrtc';
import { WebSocket } from 'ws';
import { AgentCall } from '../../src/agent/AgentCall';
import type { AgentEndedEvent } from '../../src/agent/AgentCall';
import { CallClient } from '../../src/call/CallClient';
import type { EndedEvent } from '../../src/call/events';
import { newId } from '../../src/protocol/ids';
import { signToken } from '../../src/relay';
import { createNodePlatform } from '../../src/testing';
import { WebSocketTransport } from '../../src/transport/websocket';
import type { WebSocketConstructor } from '../../src/transport/websocket';
import { bytesReceived } from '../support/harness';
import { startRedis } from '../support/redis';
import type { RedisServer } from '../support/redis';
import { nextEvent, reachState, until } from '../support/wait';

jest.setTimeout(90_000);

const root = path.join(__dirname, '..', '..');

/** The bin's file: MESSAGING_CALLS_RELAY_BIN, else package.json's `bin`. */
function relayBin(): string {
  const override = process.env.MESSAGING_CALLS_RELAY_BIN;
  if (override) return override;
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    bin?: string | Record<string, string>;
  };
  const entry = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.['messaging-calls-relay'];
  if (!entry) throw new Error('package.json has no bin "messaging-calls-relay"');
  const file = path.join(root, entry);
  if (!fs.existsSync(file)) throw new Error(`${entry} does not exist: run \`npm run build\``);
  return file;
}

// ---- relay processes --------------------------------------------------------------

interface RelayProcess {
  name: string;
  child: ChildProcess;
  url: string;
  port: number;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

const processes: RelayProcess[] = [];

/** This process's environment without the relay's own variables: the flags say it all. */
function relayEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['PORT', 'HOST', 'REDIS_URL', 'RELAY_AUTH_SECRET']) delete env[name];
  return env;
}

/** Starts the bin; resolves once it printed its `ws://host:port` line. */
async function spawnRelay(name: string, redisUrl: string | null, extra: string[] = [], env = {}) {
  const flags = redisUrl ? ['--port', '0', '--host', '127.0.0.1', '--redis', redisUrl] : [];
  const child = spawn(process.execPath, [relayBin(), ...flags, ...extra], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...relayEnv(), ...env },
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const address = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name}: no address printed within 15 s:\n${output}`)),
      15_000,
    );
    const seen = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /ws:\/\/[^\s/]+/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    };
    child.stdout?.on('data', seen);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${signal ?? code}) before listening:\n${output}`));
    });
  });
  const url = await address;
  const relay: RelayProcess = {
    name,
    child,
    url,
    port: Number(new URL(url).port),
    exited,
    output: () => output,
  };
  processes.push(relay);
  return relay;
}

async function stopProcess(relay: RelayProcess): Promise<void> {
  const { child } = relay;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await relay.exited;
  clearTimeout(timer);
}

const http = (port: number, pathname: string) => `http://127.0.0.1:${port}${pathname}`;

async function health(port: number): Promise<{ ok: boolean; redis: string; instance: string }> {
  const res = await fetch(http(port, '/healthz'));
  expect(res.status).toBe(200);
  return (await res.json()) as { ok: boolean; redis: string; instance: string };
}

/** One metric of an instance's /metrics (summed over its samples). */
async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(http(port, '/metrics'))).text();
  const values = text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)));
  if (!values.length) throw new Error(`no ${name} in /metrics`);
  return values.reduce((a, b) => a + b, 0);
}

const P = 'messaging_calls_relay_';

// ---- a TCP proxy the test points at one instance or another -------------------------

/** A loopback TCP proxy: new connections go to `target`; `cut()` drops the current ones. */
async function tcpProxy(initialTarget: number) {
  let target = initialTarget;
  const pairs = new Set<[net.Socket, net.Socket]>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: target });
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of pair) {
      socket.on('error', end);
      socket.on('close', end);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    setTarget(next: number) {
      target = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const [a, b] of pairs) {
          a.destroy();
          b.destroy();
        }
        server.close(() => resolve());
      }),
  };
}

// ---- sockets and calls -------------------------------------------------------------

const socketUrl = (port: number, conversation: string, role: 'agent' | 'consumer') =>
  `ws://127.0.0.1:${port}/?conversation=${conversation}&role=${role}`;

/** A raw client recording text frames and its close code (`http <status>`: refused upgrade). */
function rawSocket(url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url, { headers });
  const frames: string[] = [];
  ws.on('message', (data) => frames.push(data.toString()));
  ws.on('error', () => undefined);
  let closedWith!: (code: number | string) => void;
  const closed = new Promise<number | string>((resolve) => (closedWith = resolve));
  ws.on('close', (code) => closedWith(code));
  ws.on('unexpected-response', (_request, response) => {
    closedWith(`http ${response.statusCode}`);
    ws.terminate();
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    void closed.then((code) => reject(new Error(`closed (${code}) before open: ${url}`)));
  });
  opened.catch(() => undefined);
  return { ws, frames, opened, closed };
}

/** `ws`, counting the sockets a WebSocketTransport has opened. */
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

/** Audio and video bytes `side` receives grow by more than 1000 each from now on. */
async function mediaGrows(side: { getStats(): Promise<RTCStatsReport | null> }, what: string) {
  const start = await bytesReceived(side);
  await until(
    async () => {
      const now = await bytesReceived(side);
      return now.audio - start.audio > 1000 && now.video - start.video > 1000;
    },
    `${what}: audio and video bytes growing`,
    15_000,
  );
}

/** A video call: the agent's socket to `agentPort`, the consumer's to `consumerPort`. */
async function liveCall(agentPort: number, consumerPort: number) {
  const conversation = `conv-${newId()}`;
  const reconnect = { minDelayMs: 100, maxDelayMs: 500, giveUpAfterMs: 20_000 };
  const agentWs = countingWebSocket();
  const consumerWs = countingWebSocket();
  const agentTransport = new WebSocketTransport(socketUrl(agentPort, conversation, 'agent'), {
    WebSocket: agentWs.Ctor,
    reconnect,
  });
  const consumerTransport = new WebSocketTransport(
    socketUrl(consumerPort, conversation, 'consumer'),
    { WebSocket: consumerWs.Ctor, reconnect },
  );
  const agentPlatform = createNodePlatform(wrtc);
  const consumerPlatform = createNodePlatform(wrtc);
  const client = new CallClient({ transport: consumerTransport, platform: consumerPlatform });
  const agent = new AgentCall({
    transport: agentTransport,
    platform: agentPlatform,
    media: 'video',
  });
  const states: string[] = [];
  const ended: string[] = [];
  const cleanup = () => {
    client.destroy();
    agent.destroy();
    agentTransport.close();
    consumerTransport.close();
    agentPlatform.mediaDevices.stopAll();
    consumerPlatform.mediaDevices.stopAll();
  };
  try {
    // The relay subscribes a conversation before it completes the handshake:
    // once both sockets are open, the invitation reaches the other instance.
    await until(() => agentWs.opens() === 1 && consumerWs.opens() === 1, 'both sockets open');
    client.once('invitation', () => void client.accept());
    agent.invite();
    await Promise.all([
      reachState(client, 'connected', 20_000),
      reachState(agent, 'connected', 20_000),
    ]);
    client.on('statechange', ({ state }) => states.push(`consumer ${state}`));
    agent.on('statechange', ({ state }) => states.push(`agent ${state}`));
    client.on('ended', (e: EndedEvent) => ended.push(`consumer ${e.reason}`));
    agent.on('ended', (e: AgentEndedEvent) => ended.push(`agent ${e.reason}`));
  } catch (error) {
    cleanup();
    throw error;
  }
  return {
    conversation,
    client,
    agent,
    consumerOpens: consumerWs.opens,
    agentOpens: agentWs.opens,
    /** State changes and ends since the call connected. */
    states,
    ended,
    /** The consumer mutes and the agent learns it, and the other way round. */
    async signalingWorks(what: string, muted: boolean) {
      client.setAudioMuted(muted);
      await until(
        () => agent.remoteMediaState?.audioMuted === muted,
        `${what}: the consumer's mute (${muted}) at the agent`,
      );
      agent.setAudioMuted(muted);
      await until(
        () => client.remoteMediaState?.audioMuted === muted,
        `${what}: the agent's mute (${muted}) at the consumer`,
      );
    },
    async hangup() {
      const done = nextEvent<EndedEvent>(client, 'ended');
      agent.hangup();
      expect(await done).toMatchObject({ reason: 'normal', by: 'remote' });
    },
    cleanup,
  };
}

// ==================================================================================

let redis: RedisServer;
let a: RelayProcess;
let b: RelayProcess;
/** The consumers' way to instance B (or to A once B is gone). */
let proxy: Awaited<ReturnType<typeof tcpProxy>>;

beforeAll(async () => {
  redis = await startRedis();
  [a, b] = await Promise.all([spawnRelay('A', redis.url), spawnRelay('B', redis.url)]);
  proxy = await tcpProxy(b.port);
});

afterAll(async () => {
  await proxy?.close();
  await Promise.all(processes.map(stopProcess));
  await redis?.close();
});

test('the bin prints its address; /healthz says Redis is connected', async () => {
  for (const relay of [a, b]) {
    expect(relay.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(await health(relay.port)).toMatchObject({ ok: true, redis: 'connected' });
    expect(await metric(relay.port, `${P}redis_up`)).toBe(1);
  }
  const [ha, hb] = await Promise.all([health(a.port), health(b.port)]);
  expect(ha.instance).not.toBe(hb.instance);
});

test('frames cross instances through Redis, unchanged and in order, to the other role only', async () => {
  const conv = `conv-${newId()}`;
  const agent = rawSocket(socketUrl(a.port, conv, 'agent'));
  const consumerB = rawSocket(socketUrl(b.port, conv, 'consumer'));
  const consumerA = rawSocket(socketUrl(a.port, conv, 'consumer'));
  const agentB = rawSocket(socketUrl(b.port, conv, 'agent'));
  const all = [agent, consumerB, consumerA, agentB];
  try {
    await Promise.all(all.map((s) => s.opened));
    const receivedBefore = await metric(b.port, `${P}redis_received_total`);
    // Under the default burst (100): 90 frames at once.
    const sent: string[] = [];
    for (let i = 0; i < 90; i++) {
      const text = `{ "seq" : ${i}, "text":"caf\u00e9 \\u00e9 ${'y'.repeat(i)}" }`;
      sent.push(text);
      agent.ws.send(text);
    }
    await until(
      () => consumerB.frames.length >= 90 && consumerA.frames.length >= 90,
      'the 90 frames at both consumers',
    );
    expect(consumerB.frames).toEqual(sent); // the other instance
    expect(consumerA.frames).toEqual(sent); // the same instance
    // The agent on B got none of them: its first frame is the consumer's sentinel.
    consumerB.ws.send('sentinel from the consumer on B');
    await until(() => agent.frames.length >= 1, 'the sentinel at the agent on A');
    expect(agent.frames).toEqual(['sentinel from the consumer on B']);
    await until(() => agentB.frames.length >= 1, 'the sentinel at the agent on B');
    expect(agentB.frames).toEqual(['sentinel from the consumer on B']);
    expect(await metric(b.port, `${P}redis_received_total`)).toBeGreaterThanOrEqual(
      receivedBefore + 90,
    );
    expect(await metric(b.port, `${P}redis_out_of_order_total`)).toBe(0);
    // The Redis round trip is measured.
    const rtt = await metric(a.port, `${P}redis_round_trip_seconds`);
    expect(rtt).toBeGreaterThanOrEqual(0);
    expect(rtt).toBeLessThan(1);
  } finally {
    for (const s of all) s.ws.terminate();
  }
});

test('a wrtc call with the agent on A and the consumer on B connects, with media both ways', async () => {
  const call = await liveCall(a.port, b.port);
  try {
    await mediaGrows(call.client, 'the consumer');
    await mediaGrows(call.agent, 'the agent');
    await call.signalingWorks('across instances', true);
    expect(call.states).toEqual([]);
    await call.hangup();
  } finally {
    call.cleanup();
  }
});

test("the consumer's instance killed mid-call: it reconnects to the other, signaling goes on, the call stays up", async () => {
  proxy.setTarget(b.port);
  const call = await liveCall(a.port, proxy.port);
  try {
    expect(await metric(b.port, `${P}sockets`)).toBeGreaterThanOrEqual(1);
    await call.signalingWorks('before the kill', true);
    // New connections now go to A, as a load balancer would send them once B is gone.
    proxy.setTarget(a.port);
    b.child.kill('SIGKILL');
    expect(await b.exited).toMatchObject({ signal: 'SIGKILL' });
    await until(() => call.consumerOpens() === 2, "the consumer's transport to reconnect", 15_000);
    // Signaling goes on, now within A.
    await call.signalingWorks('after the kill', false);
    // The call never noticed: no state change, no end, media still flowing.
    await mediaGrows(call.client, 'the consumer after the kill');
    await mediaGrows(call.agent, 'the agent after the kill');
    expect(call.states).toEqual([]);
    expect(call.ended).toEqual([]);
    expect(call.client.state).toBe('connected');
    expect(call.agent.state).toBe('connected');
    expect(call.agentOpens()).toBe(1);
    await call.hangup();
  } finally {
    call.cleanup();
    // A fresh B for the tests after this one.
    b = await spawnRelay('B2', redis.url);
    proxy.setTarget(b.port);
  }
});

test('Redis restarted mid-call: the instances subscribe again and signaling goes on', async () => {
  const call = await liveCall(a.port, b.port);
  try {
    await call.signalingWorks('before the restart', true);
    await redis.stop();
    for (const relay of [a, b]) {
      await until(
        async () => (await health(relay.port)).redis === 'disconnected',
        `${relay.name}: /healthz to report Redis disconnected`,
      );
    }
    expect(await metric(a.port, `${P}redis_up`)).toBe(0);
    await redis.start();
    for (const relay of [a, b]) {
      await until(
        async () => (await health(relay.port)).redis === 'connected',
        `${relay.name}: /healthz to report Redis connected again`,
        20_000,
      );
    }
    // Once /healthz says connected, frames cross instances again, both ways.
    await call.signalingWorks('after the restart', false);
    await call.signalingWorks('after the restart, again', true);
    await mediaGrows(call.client, 'the consumer after the restart');
    expect(call.states).toEqual([]);
    expect(call.ended).toEqual([]);
    await call.hangup();
  } finally {
    call.cleanup();
  }
});

test('SIGTERM: every socket closed with 1001, exit code 0', async () => {
  const c = await spawnRelay('C', redis.url);
  const conv = `conv-${newId()}`;
  const agent = rawSocket(socketUrl(c.port, conv, 'agent'));
  const consumer = rawSocket(socketUrl(c.port, conv, 'consumer'));
  const elsewhere = rawSocket(socketUrl(a.port, conv, 'consumer'));
  try {
    await Promise.all([agent.opened, consumer.opened, elsewhere.opened]);
    c.child.kill('SIGTERM');
    expect(await agent.closed).toBe(1001);
    expect(await consumer.closed).toBe(1001);
    expect(await c.exited).toEqual({ code: 0, signal: null });
    // The other instance is not affected: its socket still relays.
    const agentOnA = rawSocket(socketUrl(a.port, conv, 'agent'));
    await agentOnA.opened;
    agentOnA.ws.send('after C stopped');
    await until(() => elsewhere.frames.length >= 1, 'a frame on A');
    expect(elsewhere.frames).toEqual(['after C stopped']);
    agentOnA.ws.terminate();
  } finally {
    for (const s of [agent, consumer, elsewhere]) s.ws.terminate();
  }
});

test('the bin takes PORT, HOST, REDIS_URL and RELAY_AUTH_SECRET from the environment, and --origin', async () => {
  const secret = 'scale-test-secret';
  const d = await spawnRelay('D', null, ['--origin', 'https://shop.example'], {
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL: redis.url,
    RELAY_AUTH_SECRET: secret,
  });
  const conv = `conv-${newId()}`;
  const token = (role: 'agent' | 'consumer') =>
    encodeURIComponent(signToken({ secret, conversation: conv, role }));
  const sockets: ReturnType<typeof rawSocket>[] = [];
  const open = (url: string, headers?: Record<string, string>) => {
    const socket = rawSocket(url, headers);
    sockets.push(socket);
    return socket;
  };
  try {
    expect(d.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(await health(d.port)).toMatchObject({ ok: true, redis: 'connected' });
    // RELAY_AUTH_SECRET: a socket without a token is refused, with one it relays.
    const anonymous = open(socketUrl(d.port, conv, 'agent'));
    expect(await anonymous.closed).toBe(1008);
    const agent = open(`${socketUrl(d.port, conv, 'agent')}&token=${token('agent')}`);
    // Across instances too: the consumer on A (without a verifier, loopback) hears D's agent.
    const consumer = open(socketUrl(a.port, conv, 'consumer'));
    await Promise.all([agent.opened, consumer.opened]);
    agent.ws.send('from D, signed');
    await until(() => consumer.frames.length >= 1, 'the frame from D at A');
    expect(consumer.frames).toEqual(['from D, signed']);
    // --origin: a page of another origin is refused; the allowed one connects.
    const withToken = `${socketUrl(d.port, conv, 'consumer')}&token=${token('consumer')}`;
    const foreign = open(withToken, { Origin: 'https://evil.example' });
    expect(await foreign.closed).toBe('http 403');
    const page = open(withToken, { Origin: 'https://shop.example' });
    await page.opened;
  } finally {
    for (const s of sockets) s.ws.terminate();
    await stopProcess(d);
  }
});
