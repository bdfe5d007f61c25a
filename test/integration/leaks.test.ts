/**
 * Nothing the SDK hands to the application leaks the call's secrets or its
 * network: every event (with every listener of CallClient) and every log line
 * (a logger at level debug) of a forced-relay video call through coturn, of a
 * call that fails on a refused TURN credential, and of a flood of malformed
 * signaling is serialized, and none of it may contain the TURN username or
 * credential, an SDP line or description, an ICE candidate or an IP address.
 * Candidate types (`relay`, `host`) are allowed.
 */
import { randomBytes } from 'node:crypto';
import wrtc from 'wrtc';
import { CallClient } from '../../src/call/CallClient';
import type { CallClientOptions } from '../../src/call/CallClient';
import type { CallEvents, CallWarning, EndedEvent } from '../../src/call/events';
import type { LogLevel } from '../../src/foundation/log';
import { AgentCall } from '../../src/agent/AgentCall';
import type { AgentCallOptions } from '../../src/agent/AgentCall';
import { newId } from '../../src/protocol/ids';
import { qualityMonitor } from '../../src/monitor/qualityMonitor';
import type { Message } from '../../src/protocol/messages';
import { createMemoryTransportPair } from '../../src/transport/memory';
import type { Transport, TransportListener } from '../../src/transport/types';
import { createNodePlatform } from '../../src/testing';
import { TapTransport } from '../support/tap';
import { startTurn } from '../support/turn';
import type { TurnServer } from '../support/turn';
import { nextEvent, reachState, until } from '../support/wait';

jest.setTimeout(40_000);

/** One thing the SDK told the application: an event or a log line. */
interface Emitted {
  kind: 'event' | 'log';
  name: string;
  data: unknown;
}

/**
 * The consumer's end of the signaling pair, plus `inject`: hands anything
 * (text, broken JSON, objects) to the client as if it had arrived.
 */
class InjectableTransport implements Transport {
  private listener: TransportListener | null = null;

  constructor(private readonly inner: Transport) {}

  send(message: Message): void {
    this.inner.send(message);
  }

  listen(listener: TransportListener): () => void {
    this.listener = listener;
    const stop = this.inner.listen(listener);
    return () => {
      this.listener = null;
      stop();
    };
  }

  close(): void {
    this.inner.close();
  }

  inject(data: unknown): void {
    this.listener?.message(data);
  }
}

interface Leg {
  client: CallClient;
  agent: AgentCall;
  consumerTap: TapTransport;
  agentTap: TapTransport;
  injector: InjectableTransport;
  /** Everything the consumer's application saw, in order. */
  emitted: Emitted[];
  /** Which events fired at least once. */
  fired: Set<string>;
  cleanup(): void;
}

const EVENTS: readonly (keyof CallEvents)[] = [
  'statechange',
  'invitation',
  'localstream',
  'remotestream',
  'localmediastate',
  'remotemediastate',
  'devicechange',
  'quality',
  'bandwidth',
  'ended',
  'warning',
];

/**
 * Errors serialize as `{}`: keep what a logger or an analytics pipeline would
 * print. Recognized by shape: wrtc's errors come from another realm than the
 * test's, and DOMException is no Error in Node.
 */
function describeValue(value: unknown): unknown {
  const error = value as { name?: unknown; message?: unknown } | null;
  if (typeof error === 'object' && error !== null && typeof error.message === 'string') {
    if (typeof error.name === 'string' || value instanceof Error) {
      return { ...error, string: String(value), name: error.name, message: error.message };
    }
  }
  return value;
}

function serialize(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => describeValue(v)) ?? String(value);
}

const legs: Leg[] = [];
let turn: TurnServer;

beforeAll(async () => {
  turn = await startTurn();
});
afterEach(() => {
  for (const leg of legs.splice(0)) leg.cleanup();
});
afterAll(async () => {
  await turn?.stop();
});

/** A consumer and an agent on wrtc over an in-memory pair, every event and log line recorded. */
function startLeg(
  client: Partial<CallClientOptions>,
  agent: Partial<AgentCallOptions>,
  consumerPlatform = createNodePlatform(wrtc),
): Leg {
  const [consumerEnd, agentEnd] = createMemoryTransportPair();
  const injector = new InjectableTransport(consumerEnd);
  const consumerTap = new TapTransport(injector);
  const agentTap = new TapTransport(agentEnd);
  const agentPlatform = createNodePlatform(wrtc);
  const emitted: Emitted[] = [];
  const fired = new Set<string>();
  const logger = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    emitted.push({ kind: 'log', name: level, data: { message, fields } });
  };
  const c = new CallClient({
    transport: consumerTap,
    platform: consumerPlatform,
    logger,
    ...client,
  });
  const a = new AgentCall({
    transport: agentTap,
    platform: agentPlatform,
    media: 'video',
    ...agent,
  });
  for (const name of EVENTS) {
    c.on(name, (...args: unknown[]) => {
      fired.add(name);
      let data: unknown = args[0];
      if (name === 'localstream' || name === 'remotestream') data = 'fired';
      if (name === 'warning') {
        const w = args[0] as CallWarning;
        const cause = w.cause as { message?: unknown } | undefined;
        data = {
          code: w.code,
          message: w.message,
          cause: String(w.cause),
          causeMessage: cause?.message,
          causeObject: w.cause,
        };
      }
      emitted.push({ kind: 'event', name, data });
    });
  }
  const leg: Leg = {
    client: c,
    agent: a,
    consumerTap,
    agentTap,
    injector,
    emitted,
    fired,
    cleanup() {
      c.destroy();
      a.destroy();
      consumerTap.close();
      agentTap.close();
      consumerPlatform.mediaDevices.stopAll();
      agentPlatform.mediaDevices.stopAll();
    },
  };
  legs.push(leg);
  return leg;
}

async function connect(leg: Leg): Promise<void> {
  leg.client.once('invitation', () => void leg.client.accept());
  leg.agent.invite();
  await Promise.all([reachState(leg.client, 'connected'), reachState(leg.agent, 'connected')]);
}

/** Both sides' sdp and ice messages, as sent. */
function exchanged(leg: Leg): { sdps: string[]; candidates: string[] } {
  const sdps: string[] = [];
  const candidates: string[] = [];
  for (const m of [...leg.consumerTap.sent, ...leg.agentTap.sent]) {
    if (m.type === 'sdp') sdps.push(m.description.sdp);
    if (m.type === 'ice' && m.candidate) candidates.push(m.candidate.candidate);
  }
  return { sdps, candidates };
}

const IPV4 = /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])/;
const IPV6 =
  /(?<![0-9a-f:])(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:){0,6}[0-9a-f]{0,4}::(?:[0-9a-f]{1,4}:){0,6}[0-9a-f]{0,4})(?![0-9a-f:])/i;
/** An SDP line: version, origin, connection, media, or an attribute. */
const SDP_LINE =
  /\bv=0\b|\bo=\S* \d+ \d+ IN\b|\bc=IN IP[46]\b|\bm=(?:audio|video|application) \d|\ba=[a-z][a-z0-9-]*[:\s"\\]|\ba=(?:sendrecv|sendonly|recvonly|inactive|rtcp-mux|rtcp-rsize)\b/;
/** A candidate line (`candidate:FOUNDATION COMPONENT PROTOCOL ...`). */
const CANDIDATE = /candidate:[A-Za-z0-9+/]+ \d+ (?:udp|tcp) /i;

/** Every secret or network detail found in `text`; empty when clean. */
function leaksIn(text: string, secrets: string[], sdps: string[], candidates: string[]): string[] {
  const found: string[] = [];
  for (const secret of secrets) if (text.includes(secret)) found.push(`secret ${secret}`);
  for (const [name, re] of [
    ['IPv4 address', IPV4],
    ['IPv6 address', IPV6],
    ['SDP line', SDP_LINE],
    ['candidate', CANDIDATE],
  ] as const) {
    const match = re.exec(text);
    if (match) found.push(`${name}: ${match[0]}`);
  }
  for (const sdp of sdps) {
    if (text.includes(sdp) || text.includes(JSON.stringify(sdp).slice(1, -1))) {
      found.push('a whole description');
    }
    for (const line of sdp.split(/\r?\n/)) {
      if (line.length >= 12 && text.includes(line)) found.push(`description line ${line}`);
    }
    // The keys of the session: ICE password and DTLS fingerprint.
    const pwd = /a=ice-pwd:(\S+)/.exec(sdp)?.[1];
    if (pwd && text.includes(pwd)) found.push('ice-pwd');
    const fingerprint = /a=fingerprint:\S+ (\S+)/.exec(sdp)?.[1];
    if (
      fingerprint &&
      (text.includes(fingerprint) || text.includes(fingerprint.replace(/:/g, '')))
    ) {
      found.push('fingerprint');
    }
  }
  for (const candidate of candidates)
    if (text.includes(candidate)) found.push(`candidate ${candidate}`);
  return found;
}

/** Checks each emitted item on its own, so a failure names the event or log line. */
function expectNoLeaks(leg: Leg, secrets: string[]): void {
  const { sdps, candidates } = exchanged(leg);
  // The check itself must be able to see what it looks for.
  expect(sdps.length).toBeGreaterThanOrEqual(2);
  const leaks: string[] = [];
  for (const item of leg.emitted) {
    const text = serialize(item);
    for (const leak of leaksIn(text, secrets, sdps, candidates)) {
      leaks.push(`${item.kind} ${item.name}: ${leak} in ${text.slice(0, 300)}`);
    }
  }
  expect(leaks).toEqual([]);
}

test('the self-check finds what it looks for', () => {
  const sdp = 'v=0\r\no=- 123 2 IN IP4 127.0.0.1\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n';
  const cases = [
    'turn user u1234',
    sdp,
    JSON.stringify({ sdp }),
    'a=fingerprint:sha-256 AB:CD',
    'candidate:842163049 1 udp 1677729535 10.0.0.1 5000 typ srflx',
    'relayed by 127.0.0.1',
    'host fe80::1ff:fe23:4567:890a',
    '::ffff:7f00:1',
  ];
  for (const text of cases) expect(leaksIn(text, ['u1234'], [sdp], [])).not.toEqual([]);
  expect(
    leaksIn(
      JSON.stringify({ candidateType: 'relay', sdk: 'messaging-calls/0.1.0' }),
      [],
      [sdp],
      [],
    ),
  ).toEqual([]);
});

test('a forced-relay video call through coturn: no secret, SDP, candidate or address reaches events or logs', async () => {
  const iceServers = turn.iceServers();
  const leg = startLeg(
    { forceRelay: true, iceServers, extensions: [qualityMonitor({ intervalMs: 250 })] },
    { policy: { forceRelay: true }, iceServers },
  );
  await connect(leg);

  // The media really goes through the relay.
  await until(
    () =>
      leg.emitted.some(
        (e) =>
          e.name === 'quality' &&
          (e.data as { candidateType?: string; receiveKbps?: number }).candidateType === 'relay',
      ),
    'a quality sample over the relay',
  );
  const { candidates } = exchanged(leg);
  expect(candidates.length).toBeGreaterThan(0);
  for (const candidate of candidates) expect(candidate).toMatch(/ typ relay /);

  leg.client.setAudioMuted(true);
  await until(() => leg.agent.remoteMediaState?.audioMuted === true, 'muted at the agent');
  leg.agent.setAudioMuted(true);
  await until(() => leg.client.remoteMediaState?.audioMuted === true, "the agent's mute");
  await leg.client.setVideoEnabled(false);
  await leg.client.setVideoEnabled(true);
  await until(() => leg.agent.remoteMediaState?.videoEnabled === true, 'camera back on');
  await leg.client.switchCamera();
  const ended = nextEvent<EndedEvent>(leg.client, 'ended');
  leg.client.hangup();
  expect(await ended).toMatchObject({ reason: 'normal', by: 'local' });

  for (const name of EVENTS) {
    // A healthy call on loopback has no bandwidth tier change and no warning.
    if (name === 'bandwidth' || name === 'warning') continue;
    expect([name, leg.fired.has(name)]).toEqual([name, true]);
  }
  expect(leg.emitted.filter((e) => e.kind === 'log' && e.name === 'debug').length).toBeGreaterThan(
    5,
  );
  expectNoLeaks(leg, [turn.username, turn.credential]);
});

test('a call whose TURN credential is refused ends with network and a detail, and tells no secret', async () => {
  const wrong = `p${randomBytes(12).toString('hex')}`;
  const iceServers = turn.iceServers({ credential: wrong });
  const leg = startLeg(
    { forceRelay: true, iceServers },
    { policy: { forceRelay: true }, iceServers },
  );
  const ended = nextEvent<EndedEvent>(leg.client, 'ended', 20_000);
  leg.client.once('invitation', () => void leg.client.accept());
  leg.agent.invite();
  const event = await ended;
  expect(event).toMatchObject({ reason: 'network', by: 'system' });
  expect(event.detail).toMatch(/^no relay candidate from the TURN server/);
  await until(() => leg.agent.state === 'ended', 'the agent ended');

  expectNoLeaks(leg, [turn.username, turn.credential, wrong]);
});

test('a flood of malformed and unexpected signaling gives warnings that quote nothing of the call', async () => {
  const iceServers = turn.iceServers();
  const leg = startLeg(
    { forceRelay: true, iceServers },
    { policy: { forceRelay: true }, iceServers },
  );
  await connect(leg);
  const callId = leg.agent.callId;
  const agentSdp = leg.agentTap.sent.find((m) => m.type === 'sdp');
  const agentIce = leg.agentTap.sent.find((m) => m.type === 'ice' && m.candidate);
  const consumerSdp = leg.consumerTap.sent.find((m) => m.type === 'sdp');
  if (agentSdp?.type !== 'sdp' || agentIce?.type !== 'ice' || !agentIce.candidate || !consumerSdp) {
    throw new Error('the call exchanged no description or candidate');
  }
  const sdp = agentSdp.description.sdp;
  const candidate = agentIce.candidate;
  const env = () => ({ v: 1, id: newId(), callId, from: 'agent' });
  const secretServers = [{ urls: turn.url, username: turn.username, credential: turn.credential }];

  const malformed: unknown[] = [
    // Broken JSON text cut in the middle of the description.
    JSON.stringify({ ...env(), type: 'sdp', description: { type: 'answer', sdp } }).slice(0, 200),
    // Over 64 KB, made of the description.
    JSON.stringify({ ...env(), type: 'sdp', description: { type: 'answer', sdp: sdp.repeat(40) } }),
    // Not an object: the description or a candidate as a bare JSON string.
    JSON.stringify(sdp),
    JSON.stringify(candidate.candidate),
    // Wrong version, unknown type, wrong field types, wrong role.
    { ...env(), v: 2, type: 'sdp', description: { type: 'answer', sdp } },
    { ...env(), type: 'offer', sdp },
    { ...env(), type: 'sdp', description: { type: 'pranswer', sdp } },
    { ...env(), type: 'sdp', description: { type: 'answer', sdp: sdp.split('\r\n') } },
    { ...env(), type: 'ice', candidate: { ...candidate, sdpMLineIndex: -1 } },
    { ...env(), type: 'ice', candidate: { ...candidate, sdpMid: 7 } },
    { ...env(), type: 'ice', candidate: candidate.candidate },
    {
      ...env(),
      type: 'invite',
      media: 'video',
      iceServers: [{ ...secretServers[0], credential: 7 }],
    },
    { ...env(), type: 'invite', media: 'screen', iceServers: secretServers },
    { ...env(), type: 'media-state', audioMuted: sdp, videoEnabled: true },
    { ...env(), type: 'hangup', reason: 'normal', detail: sdp },
    { ...env(), type: 'hangup', reason: candidate.candidate },
    { ...env(), type: 'reject', reason: 'declined', detail: turn.credential },
    { ...env(), id: candidate.candidate, type: 'ice', candidate },
    { ...env(), callId: turn.credential.repeat(4), type: 'ice', candidate },
    { ...env(), from: turn.username, type: 'ice', candidate },
  ];
  const unexpected: unknown[] = [
    // Valid messages that make no sense now.
    { ...env(), type: 'sdp', description: { type: 'answer', sdp } },
    { ...env(), type: 'invite', media: 'video', iceServers: secretServers },
    { ...env(), callId: newId(), type: 'invite', media: 'video', iceServers: secretServers },
    { ...consumerSdp, id: newId() },
    // Candidates that cannot be applied: an unknown m-line, an unparsable line.
    { ...env(), type: 'ice', candidate: { ...candidate, sdpMid: '7', sdpMLineIndex: 7 } },
    {
      ...env(),
      type: 'ice',
      candidate: { ...candidate, candidate: candidate.candidate.replace(/ \d+ typ/, ' x typ') },
    },
  ];
  const before = leg.emitted.filter((e) => e.name === 'warning').length;
  for (let round = 0; round < 10; round++) {
    for (const m of [...malformed, ...unexpected]) {
      // Fresh ids, so that nothing is dropped as a duplicate.
      const copy =
        typeof m === 'object' && m !== null && (m as { id?: string }).id !== candidate.candidate
          ? { ...m, id: newId() }
          : m;
      leg.injector.inject(copy);
    }
  }
  // One warning per message, the candidates that cannot be applied included
  // (those come once wrtc has refused them).
  await until(
    () =>
      leg.emitted.filter((e) => e.name === 'warning').length - before >=
      10 * (malformed.length + unexpected.length),
    'a warning for each malformed and unexpected message',
  );
  expect(leg.client.state).toBe('connected');
  const codes = new Set(
    leg.emitted.filter((e) => e.name === 'warning').map((e) => (e.data as { code: string }).code),
  );
  expect([...codes].sort()).toEqual(
    expect.arrayContaining(['busy', 'ice-candidate', 'invalid-message', 'unexpected-message']),
  );
  const ended = nextEvent<EndedEvent>(leg.client, 'ended');
  leg.client.hangup();
  await ended;

  expectNoLeaks(leg, [turn.username, turn.credential]);
});

/**
 * A description the engine refuses is logged by the error's name only:
 * Chromium's message quotes the SDP line it could not parse (a fingerprint,
 * a candidate with its address). wrtc words the error without the line, so
 * this platform words it as Chromium 156 does.
 */
test("a description the engine refuses: Chromium's error, which quotes the SDP line, does not reach the log", async () => {
  class ChromiumWorded extends wrtc.RTCPeerConnection {
    override async setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
      try {
        await super.setRemoteDescription(description);
      } catch (error) {
        const sdp = description.sdp ?? '';
        const line = /a=fingerprint:[^\r\n]*/.exec(sdp)?.[0] ?? sdp.split(/\r?\n/)[0];
        throw new DOMException(
          "Failed to execute 'setRemoteDescription' on 'RTCPeerConnection': " +
            `Failed to parse SessionDescription. ${line} ${(error as Error).message}`,
          'OperationError',
        );
      }
    }
  }
  const consumerPlatform = {
    ...createNodePlatform(wrtc),
    RTCPeerConnection: ChromiumWorded as unknown as typeof RTCPeerConnection,
  };
  const leg = startLeg({}, {}, consumerPlatform);
  await connect(leg);
  const agentSdp = leg.agentTap.sent.find((m) => m.type === 'sdp');
  if (agentSdp?.type !== 'sdp') throw new Error('no description from the agent');
  // A renegotiation offer from the agent whose fingerprint line is corrupt.
  const corrupt = agentSdp.description.sdp.replace(
    /a=fingerprint:(\S+) (\S+)/,
    'a=fingerprint:$1 ZZ:$2',
  );
  const warning = nextEvent<CallWarning>(leg.client, 'warning');
  leg.injector.inject({
    v: 1,
    id: newId(),
    callId: leg.agent.callId,
    from: 'agent',
    type: 'sdp',
    description: { type: 'offer', sdp: corrupt },
  });
  // The connected call keeps its connection and goes on (the error is named, never quoted).
  expect(await warning).toMatchObject({ code: 'negotiation', cause: { name: 'OperationError' } });
  expect(leg.client.state).toBe('connected');
  const ended = nextEvent<EndedEvent>(leg.client, 'ended');
  leg.client.hangup();
  expect(await ended).toMatchObject({ reason: 'normal', by: 'local' });
  expectNoLeaks(leg, []);
});

/**
 * An answer that arrives when no offer is pending is an unexpected message
 * (PROTOCOL.md: ignored with a warning), not a candidate problem.
 */
test('an answer with no offer pending is warned as unexpected-message', async () => {
  const leg = startLeg({}, {});
  await connect(leg);
  const agentSdp = leg.agentTap.sent.find((m) => m.type === 'sdp');
  if (agentSdp?.type !== 'sdp') throw new Error('no description from the agent');
  const warning = nextEvent<CallWarning>(leg.client, 'warning');
  leg.injector.inject({ ...agentSdp, id: newId() });
  expect(await warning).toMatchObject({
    code: 'unexpected-message',
    message: 'answer without a pending offer ignored',
  });
});
