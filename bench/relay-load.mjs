// Relay load: 1,000 conversations at once, each playing the 40 messages of a
// call's signaling (20 each way, 200 B to 3 KB), through the relay
// (messaging-calls/relay) in two set-ups, one after the other:
//
//   single   one instance, no Redis: both sockets of a conversation on it;
//   redis    two instances and one Redis: every conversation's agent on the
//            first, its consumer on the second (every frame crosses Redis).
//
// Each relay instance runs in a process of its own (this script with
// --serve); the clients run here, so every latency is one clock's
// difference: send → receive, relay and Redis included. Counted: frames lost
// (never received within the deadline) and reordered (received before an
// earlier one of the same sender); latency p50/p99; and the relay's memory
// per idle socket: its heap and RSS after a forced GC, before and after
// opening the 2,000 sockets of the 1,000 conversations, divided by 2,000.
//
// Needs `npm run build` (dist/relay.mjs) and redis-server on the PATH (or
// REDIS_SERVER=/path/to/redis-server); it starts its own Redis on a free port
// without persistence and stops it at the end.
//
//   node bench/relay-load.mjs [--conversations 1000] [--json FILE]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { quantile, report, round, sleep, table } from './lib/stats.mjs';

const here = fileURLToPath(import.meta.url);
const argConversations = process.argv.indexOf('--conversations');
const CONVERSATIONS = argConversations > 0 ? Number(process.argv[argConversations + 1]) : 1000;
const CONNECT_CONCURRENCY = 100;
const DEADLINE_MS = 60_000;

// ---- the relay process -----------------------------------------------------------

if (process.argv.includes('--serve')) {
  const { startRelay } = await import('../dist/relay.mjs');
  const redisArg = process.argv.indexOf('--redis');
  const relay = await startRelay({
    port: 0,
    ...(redisArg > 0 ? { redis: process.argv[redisArg + 1] } : {}),
    limits: { maxSockets: 100_000 },
  });
  const memory = () => {
    globalThis.gc?.();
    globalThis.gc?.();
    const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
    return { rss, heapUsed, external, arrayBuffers };
  };
  process.on('message', async (message) => {
    if (message.type === 'memory') process.send({ type: 'memory', memory: memory() });
    if (message.type === 'metrics') process.send({ type: 'metrics', metrics: relay.metrics() });
    if (message.type === 'close') {
      await relay.close();
      process.exit(0);
    }
  });
  process.send({ type: 'ready', url: relay.url });
} else {
  await main();
}

// ---- the script of a call ------------------------------------------------------

/** Pads a message to about `size` bytes of JSON. */
function body(size) {
  return 'x'.repeat(Math.max(0, size - 150));
}

/** The 40 messages of one call's signaling, in order: [role, type, bytes]. */
function callScript() {
  const steps = [
    ['agent', 'invite', 600],
    ['consumer', 'accept', 350],
    ['agent', 'media-state', 200],
    ['consumer', 'sdp', 3000], // the offer
    ['agent', 'sdp', 2600], // the answer
  ];
  // Candidates both ways, interleaved as they are gathered.
  for (let i = 0; i < 14; i++) {
    steps.push(['consumer', 'ice', 250 + ((i * 37) % 80)]);
    steps.push(['agent', 'ice', 250 + ((i * 53) % 80)]);
  }
  steps.push(['consumer', 'ice', 200], ['agent', 'ice', 200]); // end of candidates
  steps.push(['consumer', 'media-state', 220], ['agent', 'media-state', 220]);
  steps.push(['consumer', 'media-state', 220], ['agent', 'media-state', 220]);
  steps.push(['consumer', 'hangup', 260]);
  return steps; // 20 each way
}

// ---- helpers ---------------------------------------------------------------------

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startRedis() {
  const port = await freePort();
  const binary = process.env.REDIS_SERVER || 'redis-server';
  const child = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  const deadline = Date.now() + 10_000;
  while (!/Ready to accept connections/.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`redis-server did not start: ${out.slice(-500)}`);
    }
    await sleep(50);
  }
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM'), child };
}

/** A relay instance in a process of its own. */
async function startInstance(redis) {
  const child = spawn(
    process.execPath,
    ['--expose-gc', here, '--serve', ...(redis ? ['--redis', redis] : [])],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const waiting = new Map();
  child.on('message', (message) => {
    const resolve = waiting.get(message.type);
    waiting.delete(message.type);
    resolve?.(message);
  });
  const ask = (type) =>
    new Promise((resolve) => {
      waiting.set(type, resolve);
      child.send({ type });
    });
  const ready = await new Promise((resolve, reject) => {
    waiting.set('ready', resolve);
    child.once('exit', (code) => reject(new Error(`relay process exited (${code})`)));
  });
  return {
    url: ready.url,
    memory: async () => (await ask('memory')).memory,
    metrics: async () => (await ask('metrics')).metrics,
    close: async () => {
      const exited = once(child, 'exit');
      child.send({ type: 'close' });
      await exited;
    },
  };
}

function connect(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Runs `tasks` with at most `limit` at once. */
async function pool(tasks, limit) {
  const results = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]();
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

// ---- one set-up ------------------------------------------------------------------

/**
 * Opens every conversation's two sockets (agent on `agentRelay`, consumer on
 * `consumerRelay`), measures the relays' memory per idle socket, then plays
 * the call script in every conversation at once.
 */
async function run(name, agentRelay, consumerRelay) {
  const relays = agentRelay === consumerRelay ? [agentRelay] : [agentRelay, consumerRelay];
  await sleep(300);
  const before = await Promise.all(relays.map((r) => r.memory()));

  const conversations = [];
  const tasks = [];
  for (let c = 0; c < CONVERSATIONS; c++) {
    const id = `bench-${name}-${c}`;
    const conversation = { id, sockets: {}, next: 0, received: { agent: [], consumer: [] } };
    conversations.push(conversation);
    for (const [role, relay] of [
      ['agent', agentRelay],
      ['consumer', consumerRelay],
    ]) {
      tasks.push(async () => {
        conversation.sockets[role] = await connect(`${relay.url}/?conversation=${id}&role=${role}`);
      });
    }
  }
  const connectStarted = performance.now();
  await pool(tasks, CONNECT_CONCURRENCY);
  const connectMs = performance.now() - connectStarted;
  await sleep(500);
  const after = await Promise.all(relays.map((r) => r.memory()));
  const sockets = CONVERSATIONS * 2;
  const sum = (list, key) => list.reduce((total, m) => total + m[key], 0);
  const memory = {
    sockets,
    heapPerSocketKB: round((sum(after, 'heapUsed') - sum(before, 'heapUsed')) / sockets / 1024, 1),
    rssPerSocketKB: round((sum(after, 'rss') - sum(before, 'rss')) / sockets / 1024, 1),
    externalPerSocketKB: round(
      (sum(after, 'external') - sum(before, 'external')) / sockets / 1024,
      1,
    ),
  };

  // ---- the calls
  const script = callScript();
  const latencies = [];
  let reordered = 0;
  let receivedTotal = 0;
  let bytesSent = 0;
  const expected = CONVERSATIONS * script.length;
  let resolveDone;
  const done = new Promise((resolve) => (resolveDone = resolve));

  const send = (conversation) => {
    // Consecutive messages of one side go at once; the other side's next
    // message waits for the one before it (a call's request and answer).
    while (conversation.next < script.length) {
      const index = conversation.next;
      const [role, type, size] = script[index];
      if (index > 0) {
        const [previousRole] = script[index - 1];
        const other = previousRole === 'agent' ? 'consumer' : 'agent';
        if (previousRole !== role && !conversation.received[other].includes(index - 1)) return;
      }
      const text = JSON.stringify({
        v: 1,
        id: `${conversation.id}-${index}`,
        callId: conversation.id,
        from: role,
        type,
        seq: index,
        t: performance.now(),
        pad: body(size),
      });
      bytesSent += text.length;
      conversation.sockets[role].send(text);
      conversation.next++;
    }
  };

  for (const conversation of conversations) {
    for (const role of ['agent', 'consumer']) {
      conversation.sockets[role].on('message', (data) => {
        const now = performance.now();
        const message = JSON.parse(data.toString());
        latencies.push(now - message.t);
        const list = conversation.received[role];
        const last = list.length ? list[list.length - 1] : -1;
        if (message.seq < last) reordered++;
        list.push(message.seq);
        receivedTotal++;
        if (receivedTotal === expected) resolveDone();
        send(conversation);
      });
    }
  }
  const started = performance.now();
  for (const conversation of conversations) send(conversation);
  const timer = setTimeout(resolveDone, DEADLINE_MS);
  await done;
  clearTimeout(timer);
  const elapsedMs = performance.now() - started;

  let lost = 0;
  for (const conversation of conversations) {
    for (const role of ['agent', 'consumer']) {
      const wanted = script.filter(([from]) => from !== role).length;
      lost += wanted - conversation.received[role].length;
    }
  }
  const metrics = await Promise.all(relays.map((r) => r.metrics()));
  for (const conversation of conversations) {
    for (const socket of Object.values(conversation.sockets)) socket.terminate();
  }
  const quiet = await unloaded(agentRelay, consumerRelay, name);
  return {
    setup: name,
    instances: relays.length,
    conversations: CONVERSATIONS,
    messages: expected,
    bytes: bytesSent,
    lost,
    reordered,
    outOfOrderAtRedis: metrics.reduce((n, m) => n + (m.redisOutOfOrder ?? 0), 0),
    dropped: metrics.reduce((n, m) => n + (m.framesDropped ?? 0), 0),
    latencyMs: {
      p50: round(quantile(latencies, 0.5)),
      p90: round(quantile(latencies, 0.9)),
      p99: round(quantile(latencies, 0.99)),
      max: round(Math.max(...latencies)),
    },
    unloadedLatencyMs: quiet,
    elapsedMs: round(elapsedMs),
    framesPerSecond: Math.round(expected / (elapsedMs / 1000)),
    connectMs: round(connectMs),
    memory,
  };
}

/** Latency without load: one conversation, one frame at a time, 500 times. */
async function unloaded(agentRelay, consumerRelay, name) {
  const id = `bench-${name}-quiet`;
  const agent = await connect(`${agentRelay.url}/?conversation=${id}&role=agent`);
  const consumer = await connect(`${consumerRelay.url}/?conversation=${id}&role=consumer`);
  const text = JSON.stringify({ v: 1, type: 'ice', pad: body(300) });
  const samples = [];
  for (let i = 0; i < 500; i++) {
    const started = performance.now();
    const arrived = once(consumer, 'message');
    agent.send(text);
    await arrived;
    samples.push(performance.now() - started);
    // Well under the rate limit (50/s on average, 100 at once).
    if (i % 40 === 39) await sleep(1000);
  }
  agent.terminate();
  consumer.terminate();
  return { p50: round(quantile(samples, 0.5), 3), p99: round(quantile(samples, 0.99), 3) };
}

async function main() {
  const results = {};
  {
    const relay = await startInstance(null);
    try {
      results.single = await run('single', relay, relay);
    } finally {
      await relay.close();
    }
  }
  {
    const redis = await startRedis();
    let a;
    let b;
    try {
      a = await startInstance(redis.url);
      b = await startInstance(redis.url);
      results.redis = await run('redis', a, b);
    } finally {
      await Promise.allSettled([a?.close(), b?.close()]);
      redis.stop();
    }
  }
  const rows = [['', 'single (no Redis)', 'two instances + Redis']];
  const both = (read) => [read(results.single), read(results.redis)];
  rows.push(['conversations', ...both((r) => r.conversations)]);
  rows.push(['messages', ...both((r) => r.messages)]);
  rows.push(['lost', ...both((r) => r.lost)]);
  rows.push(['reordered', ...both((r) => r.reordered)]);
  rows.push(['dropped by a limit', ...both((r) => r.dropped)]);
  rows.push(['latency p50', ...both((r) => `${r.latencyMs.p50} ms`)]);
  rows.push(['latency p99', ...both((r) => `${r.latencyMs.p99} ms`)]);
  rows.push(['unloaded latency p50', ...both((r) => `${r.unloadedLatencyMs.p50} ms`)]);
  rows.push(['unloaded latency p99', ...both((r) => `${r.unloadedLatencyMs.p99} ms`)]);
  rows.push(['all calls played in', ...both((r) => `${r.elapsedMs} ms`)]);
  rows.push(['frames/s', ...both((r) => r.framesPerSecond)]);
  rows.push(['heap per idle socket', ...both((r) => `${r.memory.heapPerSocketKB} KB`)]);
  rows.push(['RSS per idle socket', ...both((r) => `${r.memory.rssPerSocketKB} KB`)]);
  console.log(table(rows));
  report({ relay: results });
  const bad =
    results.single.lost + results.single.reordered + results.redis.lost + results.redis.reordered;
  if (bad) {
    console.error(`${bad} frames lost or reordered`);
    process.exitCode = 1;
  }
}
