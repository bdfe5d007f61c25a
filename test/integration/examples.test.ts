/**
 * The examples of examples/ that run in Node, run for real: the agent bot
 * (examples/node-bot) against a consumer, a call through a messaging
 * conversation (examples/messaging-window), and a relay-only call through
 * coturn configured from examples/coturn/turnserver.conf with credentials
 * minted by examples/coturn/credentials.mjs.
 *
 * The examples are plain ES modules that import the package by its name, as
 * an integrator's code does. Scripts run in `node`; the modules a test calls
 * into are bundled with esbuild to CommonJS first (jest runs tests as
 * CommonJS), which resolves `messaging-calls/...` to the built dist/ files.
 * `npm run build` must have run.
 */
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';
import wrtc from 'wrtc';
import { WebSocket } from 'ws';
import { CallClient } from '../../src/call/CallClient';
import { AgentCall } from '../../src/agent/AgentCall';
import type { AgentEndedEvent } from '../../src/agent/AgentCall';
import type { EndedEvent } from '../../src/call/events';
import { preflight } from '../../src/diagnostics/preflight';
import type { IceCandidate } from '../../src/protocol/messages';
import { createNodePlatform } from '../../src/testing';
import type { Transport } from '../../src/transport/types';
import { WebSocketTransport } from '../../src/transport/websocket';
import type { WebSocketConstructor } from '../../src/transport/websocket';
import { bytesReceived, setupCall } from '../support/harness';
import type { CallSetup } from '../support/harness';
import { startRelay } from '../support/relay';
import { requireTurnserver } from '../support/turn';
import { nextEvent, reachState, until } from '../support/wait';

jest.setTimeout(60_000);

const root = path.join(__dirname, '..', '..');
const examples = path.join(root, 'examples');
const bundles = fs.mkdtempSync(path.join(os.tmpdir(), 'messaging-calls-examples-'));
afterAll(() => fs.rmSync(bundles, { recursive: true, force: true }));

/** An example module, bundled to CommonJS (native and Node-only packages stay outside). */
function loadExample<T>(file: string): T {
  const outfile = path.join(bundles, `${file.replace(/[/.]/g, '_')}.cjs`);
  buildSync({
    entryPoints: [path.join(examples, file)],
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['wrtc', 'ws', 'esbuild'],
    outfile,
    logLevel: 'error',
  });
  return createRequire(__filename)(outfile) as T;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node <example> ...args` to its end (bounded). */
function runNode(file: string, args: string[] = [], ms = 45_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(examples, file), ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} did not finish within ${ms} ms:\n${stdout}\n${stderr}`));
    }, ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Audio and video bytes received by `side` grow by more than `bytes` each from now on. */
async function mediaGrows(
  side: { getStats(): Promise<RTCStatsReport | null> },
  what: string,
  bytes = 1000,
): Promise<void> {
  const start = await bytesReceived(side);
  await until(
    async () => {
      const now = await bytesReceived(side);
      return now.audio - start.audio > bytes && now.video - start.video > bytes;
    },
    `${what}: audio and video bytes growing`,
    15_000,
  );
}

// ---- examples/node-bot --------------------------------------------------------

interface BotReport {
  passed: boolean;
  connected: boolean;
  media: string;
  received: { audio: number; video: number };
  ended: { reason: string; by: string } | null;
  problem?: string;
}

describe('examples/node-bot: the agent bot against a consumer in Node', () => {
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let client: CallClient;
  let transport: WebSocketTransport;
  const platform = createNodePlatform(wrtc);

  beforeEach(async () => {
    relay = await startRelay();
    transport = new WebSocketTransport(relay.url, {
      WebSocket: WebSocket as unknown as WebSocketConstructor,
    });
    client = new CallClient({ transport, platform });
    await until(() => relay.clients() >= 1, 'the consumer at the relay');
  });

  afterEach(async () => {
    client.destroy();
    transport.close();
    platform.mediaDevices.stopAll();
    await relay.close();
  });

  /** The bot's last stdout line, its JSON report. */
  function reportOf(run: Run): BotReport {
    const last = run.stdout.trim().split('\n').pop() ?? '';
    try {
      return JSON.parse(last) as BotReport;
    } catch {
      throw new Error(`no report from the bot (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
    }
  }

  test('a consumer who accepts: the bot connects, receives audio and video, hangs up and exits 0', async () => {
    const states: string[] = [];
    client.on('statechange', ({ state }) => states.push(state));
    client.on('invitation', () => void client.accept());
    const ended = nextEvent<EndedEvent>(client, 'ended', 40_000);

    const bot = runNode('node-bot/bot.mjs', ['--signaling', relay.url, '--talk', '2500']);
    // While the bot talks, the consumer receives the bot's synthetic audio and video.
    await reachState(client, 'connected', 20_000);
    await mediaGrows(client, 'the consumer');
    const run = await bot;
    const consumer = await ended;

    const report = reportOf(run);
    expect(run.code).toBe(0);
    expect(report).toMatchObject({ passed: true, connected: true, media: 'video' });
    expect(report.received.audio).toBeGreaterThan(1000);
    expect(report.received.video).toBeGreaterThan(1000);
    expect(report.ended).toMatchObject({ reason: 'normal', by: 'local' });
    expect(run.stdout).toMatch(/agent connected/);
    // The consumer went the whole way and was hung up on by the bot.
    expect(states).toEqual(
      expect.arrayContaining([
        'invited',
        'accepted',
        'media-permission',
        'connecting',
        'connected',
      ]),
    );
    expect(consumer).toMatchObject({ reason: 'normal', by: 'remote' });
    expect(client.liveTrackCount).toBe(0);
  });

  test('a consumer who declines: the bot reports why and exits 1', async () => {
    client.on('invitation', () => client.reject());
    const run = await runNode('node-bot/bot.mjs', ['--signaling', relay.url, '--talk', '500']);
    const report = reportOf(run);
    expect(run.code).toBe(1);
    expect(report).toMatchObject({ passed: false, connected: false });
    expect(report.ended).toMatchObject({ reason: 'declined', by: 'remote' });
    expect(report.problem).toMatch(/declined/);
  });
});

// ---- examples/messaging-window --------------------------------------------------

interface ConversationEvent {
  from: string;
  type: 'text' | 'typing' | 'structured' | 'system';
  text?: string;
  contentType?: string;
  content?: string;
}
interface MessagingWindow {
  transcript: string[];
  sendText(text: string): void;
  sendTyping(): void;
  close(): void;
}
interface MessagingModule {
  Conversation: new () => {
    events: ConversationEvent[];
    join(participant: string): MessagingWindow;
  };
}
interface CallsModule {
  callTransport(window: MessagingWindow): Transport;
  showCallsInTranscript(
    client: CallClient,
    window: MessagingWindow,
    options?: { locale?: string },
  ): () => void;
  CALL_CONTENT_TYPE: string;
}

describe('examples/messaging-window: a call through the messaging conversation', () => {
  test('a video call connects over the conversation, with chat going on and the transcript written', async () => {
    const { Conversation } = loadExample<MessagingModule>('messaging-window/messaging.mjs');
    const { callTransport, showCallsInTranscript, CALL_CONTENT_TYPE } = loadExample<CallsModule>(
      'messaging-window/calls.mjs',
    );
    const conversation = new Conversation();
    const consumerWindow = conversation.join('Consumer');
    const agentDesktop = conversation.join('Alex');
    const consumerPlatform = createNodePlatform(wrtc);
    const agentPlatform = createNodePlatform(wrtc);
    const client = new CallClient({
      transport: callTransport(consumerWindow),
      platform: consumerPlatform,
    });
    const stopTranscript = showCallsInTranscript(client, consumerWindow, { locale: 'en' });
    const agent = new AgentCall({
      transport: callTransport(agentDesktop),
      platform: agentPlatform,
      media: 'video',
      agent: { name: 'Alex' },
    });
    const warnings: unknown[] = [];
    client.on('warning', (w) => warnings.push(w));
    try {
      agentDesktop.sendText('May I show you on a video call?');
      consumerWindow.sendTyping();
      client.once('invitation', () => void client.accept());
      agent.invite();
      await Promise.all([
        reachState(client, 'connected', 20_000),
        reachState(agent, 'connected', 20_000),
      ]);
      // Chat goes on during the call, and media flows both ways.
      agentDesktop.sendText('Can you see me?');
      agentDesktop.sendTyping();
      await mediaGrows(client, 'the consumer');
      await mediaGrows(agent, 'the agent');

      const ended = Promise.all([
        nextEvent<EndedEvent>(client, 'ended'),
        nextEvent<AgentEndedEvent>(agent, 'ended'),
      ]);
      client.hangup();
      const [consumerEnd, agentEnd] = await ended;
      expect(consumerEnd).toMatchObject({ reason: 'normal', by: 'local' });
      expect(agentEnd).toMatchObject({ reason: 'normal', by: 'remote' });
      await until(
        () => consumerWindow.transcript.some((line) => /ended/.test(line)),
        'the end of the call in the transcript',
      );

      // Signaling travelled as the conversation's structured content, from both sides.
      const signals = conversation.events.filter((e) => e.type === 'structured');
      expect(signals.every((e) => e.contentType === CALL_CONTENT_TYPE)).toBe(true);
      const types = signals.map((e) => (JSON.parse(e.content ?? '{}') as { type: string }).type);
      expect(types).toEqual(expect.arrayContaining(['invite', 'accept', 'sdp', 'ice', 'hangup']));
      expect(new Set(signals.map((e) => e.from))).toEqual(new Set(['Consumer', 'Alex']));
      // The window shows chat and the call's system messages, never signaling.
      expect(consumerWindow.transcript).toEqual([
        'Alex: May I show you on a video call?',
        '— Video call invitation sent',
        '— Video call started',
        'Alex: Can you see me?',
        expect.stringMatching(/^— Video call ended after 0:0\d$/),
      ]);
      // Chat text and typing events are not signaling: nothing was refused.
      expect(warnings).toEqual([]);
      expect(client.liveTrackCount).toBe(0);
      expect(agent.liveTrackCount).toBe(0);
    } finally {
      stopTranscript();
      client.destroy();
      agent.destroy();
      consumerWindow.close();
      agentDesktop.close();
      consumerPlatform.mediaDevices.stopAll();
      agentPlatform.mediaDevices.stopAll();
    }
  });

  test('run.mjs makes the call and prints the transcript', async () => {
    const run = await runNode('messaging-window/run.mjs');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/— Video call started\nAlex: Can you see me\?\n— Video call ended/);
    const received = Number(/consumer received (\d+) bytes/.exec(run.stdout)?.[1]);
    expect(received).toBeGreaterThan(1000);
  });
});

// ---- examples/coturn ----------------------------------------------------------

interface CredentialsExample {
  turnCredentials(options: {
    secret: string;
    urls: string | string[];
    user?: string;
    ttlSeconds?: number;
    now?: number;
  }): { urls: string | string[]; username: string; credential: string };
  DEFAULT_TTL_SECONDS: number;
}

/** turnserver.conf as [key, value] pairs, comments and blank lines left out. */
function parseConf(text: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    pairs.push(eq < 0 ? [line, ''] : [line.slice(0, eq), line.slice(eq + 1)]);
  }
  return pairs;
}

/** A STUN Binding request without credentials: the response's class (0x0101 success, 0x0111 error) and error code. */
function stunBinding(port: number, ms = 300): Promise<{ type: number; error?: number } | null> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const transaction = randomBytes(12);
    const request = Buffer.alloc(20);
    request.writeUInt16BE(0x0001, 0);
    request.writeUInt32BE(0x2112a442, 4);
    transaction.copy(request, 8);
    const timer = setTimeout(() => finish(null), ms);
    function finish(value: { type: number; error?: number } | null) {
      clearTimeout(timer);
      socket.close();
      resolve(value);
    }
    socket.on('error', () => finish(null));
    socket.on('message', (msg) => {
      if (msg.length < 20 || !msg.subarray(8, 20).equals(transaction)) return;
      const type = msg.readUInt16BE(0);
      // ERROR-CODE (0x0009): class in byte 6, number in byte 7 of the value.
      for (let at = 20; at + 4 <= msg.length;) {
        const attr = msg.readUInt16BE(at);
        const length = msg.readUInt16BE(at + 2);
        if (attr === 0x0009) {
          return finish({ type, error: (msg[at + 6] ?? 0) * 100 + (msg[at + 7] ?? 0) });
        }
        at += 4 + Math.ceil(length / 4) * 4;
      }
      finish({ type });
    });
    socket.send(request, port, '127.0.0.1');
  });
}

/** A free UDP port on 127.0.0.1 (bound, then released). */
function freeUdpPort(port = 0): Promise<number | null> {
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

async function freeRelayRange(count: number): Promise<[number, number]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * (10000 - count));
    let free = true;
    for (let p = base; p < base + count && free; p++) free = (await freeUdpPort(p)) === p;
    if (free) return [base, base + count - 1];
  }
  throw new Error(`no run of ${count} free UDP ports`);
}

/**
 * The example's configuration, made runnable on this machine: loopback
 * addresses, test ports, no TLS certificate, files in `dir`, the test's
 * secret, and loopback peers allowed (both ends of a test call are on
 * 127.0.0.1). Everything else — the REST API authentication, realm, quotas,
 * secure STUN, the other denied peer ranges — stays as in production.
 */
function testConf(
  production: [string, string][],
  o: { port: number; minPort: number; maxPort: number; secret: string; dir: string },
): string {
  const replaced: Record<string, string | null> = {
    'listening-port': String(o.port),
    'listening-ip': '127.0.0.1',
    'relay-ip': '127.0.0.1',
    'min-port': String(o.minPort),
    'max-port': String(o.maxPort),
    'static-auth-secret': o.secret,
    pidfile: path.join(o.dir, 'turnserver.pid'),
    'tls-listening-port': null,
    'external-ip': null,
    cert: null,
    pkey: null,
    'cipher-list': null,
    syslog: null,
    'proc-user': null,
    'proc-group': null,
  };
  const lines: string[] = [];
  for (const [key, value] of production) {
    if (key === 'denied-peer-ip' && value === '127.0.0.0-127.255.255.255') continue;
    if (key in replaced) {
      const next = replaced[key];
      if (next !== null && next !== undefined) lines.push(`${key}=${next}`);
      continue;
    }
    lines.push(value ? `${key}=${value}` : key);
  }
  lines.push(
    'no-tls',
    'no-dtls',
    'allow-loopback-peers',
    'no-stdout-log',
    `log-file=${path.join(o.dir, 'turnserver.log')}`,
    // Without a database of its own coturn opens /var/lib/turn/turndb.
    `userdb=${path.join(o.dir, 'turndb')}`,
  );
  return lines.join('\n') + '\n';
}

describe('examples/coturn: the production config and REST credentials', () => {
  const conf = parseConf(fs.readFileSync(path.join(examples, 'coturn/turnserver.conf'), 'utf8'));
  const secret = randomBytes(24).toString('hex');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'messaging-calls-coturn-'));
  const platform = createNodePlatform(wrtc);
  let pid: number | undefined;
  let port = 0;
  let url = '';
  let example: CredentialsExample;
  let setup: CallSetup | undefined;
  const log = () => {
    try {
      return fs.readFileSync(path.join(dir, 'turnserver.log'), 'utf8');
    } catch {
      return '';
    }
  };

  beforeAll(async () => {
    example = loadExample<CredentialsExample>('coturn/credentials.mjs');
    const bin = requireTurnserver();
    port = (await freeUdpPort()) ?? 0;
    const [minPort, maxPort] = await freeRelayRange(20);
    const file = path.join(dir, 'turnserver.conf');
    fs.writeFileSync(file, testConf(conf, { port, minPort, maxPort, secret, dir }));
    const child = spawn(bin, ['-c', file], { stdio: 'ignore' });
    pid = child.pid;
    let exited = '';
    child.once('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
    url = `turn:127.0.0.1:${port}?transport=udp`;
    await until(
      async () => {
        if (exited) throw new Error(`turnserver ${exited}:\n${log().slice(-2000)}`);
        return stunBinding(port);
      },
      `coturn answering on ${port}`,
      10_000,
    );
  });

  afterEach(async () => {
    await setup?.cleanup();
    setup = undefined;
  });

  afterAll(async () => {
    platform.mediaDevices.stopAll();
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const stopped = pid;
      await until(
        () => {
          try {
            process.kill(stopped, 0);
            return false;
          } catch {
            return true;
          }
        },
        'coturn to stop',
        5000,
      ).catch(() => process.kill(stopped, 'SIGKILL'));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('turnserver.conf has what production needs', () => {
    const values = (key: string) => conf.filter(([k]) => k === key).map(([, v]) => v);
    const one = (key: string) => values(key)[0];
    expect(values('use-auth-secret')).toEqual(['']);
    expect(one('static-auth-secret')).toBeTruthy();
    expect(one('realm')).toBeTruthy();
    expect(one('listening-port')).toBe('3478');
    expect(one('tls-listening-port')).toBe('5349');
    expect([one('min-port'), one('max-port')]).toEqual(['10000', '60000']);
    for (const flag of ['no-cli', 'fingerprint', 'no-multicast-peers', 'secure-stun']) {
      expect(values(flag)).toEqual(['']);
    }
    expect(one('cert')).toBeTruthy();
    expect(one('pkey')).toBeTruthy();
    // The relay never reaches private, loopback or link-local networks.
    expect(values('denied-peer-ip')).toEqual(
      expect.arrayContaining([
        '10.0.0.0-10.255.255.255',
        '172.16.0.0-172.31.255.255',
        '192.168.0.0-192.168.255.255',
        '127.0.0.0-127.255.255.255',
        '169.254.0.0-169.254.255.255',
        'fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
        'fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      ]),
    );
    // No long-term static users: only minted credentials get in.
    expect(values('user')).toEqual([]);
    expect(values('lt-cred-mech')).toEqual([]);
  });

  test('credentials.mjs mints "<expiry>:<user>" and base64(HMAC-SHA1(secret, username))', () => {
    const now = Date.UTC(2030, 0, 1);
    const minted = example.turnCredentials({
      secret: 'the-secret',
      urls: ['turn:turn.example.com:3478', 'turns:turn.example.com:5349'],
      user: 'conversation-42',
      ttlSeconds: 600,
      now,
    });
    const username = `${now / 1000 + 600}:conversation-42`;
    expect(minted).toEqual({
      urls: ['turn:turn.example.com:3478', 'turns:turn.example.com:5349'],
      username,
      credential: createHmac('sha1', 'the-secret').update(username).digest('base64'),
    });
    expect(minted.credential).toMatch(/^[A-Za-z0-9+/]{27}=$/); // 20 bytes
    const fresh = example.turnCredentials({ secret: 's', urls: url });
    const expiry = Number(fresh.username.split(':')[0]);
    expect(expiry - Date.now() / 1000).toBeGreaterThan(example.DEFAULT_TTL_SECONDS - 5);
    expect(() => example.turnCredentials({ secret: '', urls: url })).toThrow(TypeError);
    expect(() => example.turnCredentials({ secret: 's', urls: url, user: 'a:b' })).toThrow(
      TypeError,
    );
  });

  test('secure STUN: a Binding request without credentials is answered 401', async () => {
    await expect(stunBinding(port)).resolves.toEqual({ type: 0x0111, error: 401 });
  });

  test('minted credentials get a relay; expired ones and a wrong secret are refused', async () => {
    const check = (iceServer: RTCIceServer) =>
      preflight({ platform, iceServers: [iceServer], timeoutMs: 5_000 });
    const valid = await check(example.turnCredentials({ secret, urls: url, user: 'c1' }));
    expect(valid.turn).toMatchObject({ tested: true, reachable: true });

    const expired = example.turnCredentials({
      secret,
      urls: url,
      user: 'c1',
      ttlSeconds: 60,
      now: Date.now() - 3600_000,
    });
    const wrongSecret = example.turnCredentials({ secret: `${secret}x`, urls: url, user: 'c1' });
    for (const refused of [expired, wrongSecret]) {
      const report = await check(refused);
      expect(report.turn).toMatchObject({ tested: true, reachable: false });
      expect(report.turn.detail).toMatch(/^no relay candidate/);
    }
  });

  test('a relay-only video call connects through it with minted credentials, and media flows', async () => {
    const iceServers = [example.turnCredentials({ secret, urls: url, user: 'conversation-1' })];
    // The agent's backend puts the minted credentials and the relay policy in
    // the invitation; the consumer uses them for this call only.
    setup = await setupCall({
      agent: { media: 'video', iceServers, policy: { forceRelay: true } },
    });
    const s = setup;
    s.client.once('invitation', () => void s.client.accept());
    s.agent.invite();
    await Promise.all([
      reachState(s.client, 'connected', 20_000),
      reachState(s.agent, 'connected', 20_000),
    ]);
    await mediaGrows(s.client, 'the consumer');
    await mediaGrows(s.agent, 'the agent');

    // Every candidate either side signalled is a relay candidate of this coturn.
    for (const tap of [s.consumerTap, s.agentTap]) {
      const lines = tap.sent
        .filter((m) => m.type === 'ice' && m.candidate !== null)
        .map((m) => (m as { candidate: IceCandidate }).candidate.candidate);
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(line).toMatch(/ 127\.0\.0\.1 \d+ typ relay( |$)/);
    }
    // The peer connections were made with the invitation's relay policy.
    const configs = s.peerConnections.map((pc) => pc.getConfiguration());
    for (const config of configs) expect(config.iceTransportPolicy).toBe('relay');

    const ended = nextEvent<EndedEvent>(s.client, 'ended');
    s.client.hangup();
    expect(await ended).toMatchObject({ reason: 'normal', by: 'local' });
  });
});
