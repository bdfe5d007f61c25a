/**
 * Calls forced through a TURN relay (coturn on 127.0.0.1): every candidate
 * the consumer offers is a relay candidate, media flows, the quality samples
 * say so; refused credentials end the call with a reason; credentials never
 * leak into what the SDK logs or emits.
 *
 * Runs under the network lock (see test/support/netns.ts): never alongside
 * another network suite. Tests in a file run one after the other.
 */
import { LOCK_WAIT_MS, acquireNetworkLock } from '../support/netns';
import { startTurn, stopLeftoverTurnServers } from '../support/turn';
import type { TurnServer } from '../support/turn';
import type { CallSetup } from '../support/harness';
import { nextEvent, until } from '../support/wait';
import type { EndedEvent } from '../../src/call/events';
import type { AgentEndedEvent } from '../../src/agent/AgentCall';
import type { IceCandidate } from '../../src/protocol/messages';
import {
  collectOutput,
  collectingLogger,
  connect,
  expectMediaGrows,
  nextSamples,
  recordQuality,
  relayCall,
  runAll,
} from './helpers';

jest.setTimeout(45_000);

let release: (() => void) | undefined;
let turn: TurnServer | undefined;
let setup: CallSetup | undefined;

beforeAll(async () => {
  // Another network suite may hold the lock for its whole run (about 90 s).
  release = await acquireNetworkLock(LOCK_WAIT_MS);
  await stopLeftoverTurnServers();
  turn = await startTurn();
}, LOCK_WAIT_MS + 30_000);

afterEach(() =>
  runAll([
    () => setup?.cleanup(),
    () => {
      setup = undefined;
    },
  ]),
);

afterAll(() => runAll([() => turn?.stop(), () => release?.()]));

function server(): TurnServer {
  if (!turn) throw new Error('coturn did not start (see beforeAll)');
  return turn;
}

/** The candidate lines the consumer signalled (end-of-candidates left out). */
function consumerCandidates(s: CallSetup): string[] {
  const lines: string[] = [];
  for (const m of s.consumerTap.sent) {
    if (m.type !== 'ice' || m.candidate === null) continue;
    lines.push((m.candidate as IceCandidate).candidate);
  }
  return lines;
}

/** After the call: no local track open, every recorded peer connection closed. */
function expectReleased(s: CallSetup): void {
  expect(s.client.liveTrackCount).toBe(0);
  expect(s.agent.liveTrackCount).toBe(0);
  expect(s.consumerPlatform.mediaDevices.liveTracks()).toHaveLength(0);
  expect(s.agentPlatform.mediaDevices.liveTracks()).toHaveLength(0);
  for (const pc of s.peerConnections) expect(pc.signalingState).toBe('closed');
}

test('a forced-relay video call connects through TURN with relay candidates only, and media flows', async () => {
  const turn = server();
  setup = await relayCall({ iceServers: turn.iceServers() });
  const s = setup;
  const samples = recordQuality(s);
  await connect(s);
  await expectMediaGrows(s.agent, 'agent inbound');
  await expectMediaGrows(s.client, 'consumer inbound');
  const quality = await nextSamples(samples, 2);

  const candidates = consumerCandidates(s);
  expect(candidates.length).toBeGreaterThan(0);
  for (const line of candidates) expect(line).toMatch(/ typ relay( |$)/);
  // The relay addresses are coturn's own.
  for (const line of candidates) expect(line).toContain(` ${turn.host} `);

  const typed = [...samples.map((q) => q.sample), ...quality].filter((q) => q.candidateType);
  expect(typed.length).toBeGreaterThan(0);
  for (const q of typed) expect(q.candidateType).toBe('relay');

  const ended = Promise.all([
    nextEvent<EndedEvent>(s.client, 'ended'),
    nextEvent<AgentEndedEvent>(s.agent, 'ended'),
  ]);
  s.client.hangup();
  const [consumer, agent] = await ended;
  expect(consumer).toMatchObject({ reason: 'normal', by: 'local' });
  expect(agent).toMatchObject({ reason: 'normal', by: 'remote' });
  expectReleased(s);
});

test('wrong TURN credentials with forced relay end the call as network, naming TURN, within 15 s', async () => {
  const turn = server();
  setup = await relayCall({ iceServers: turn.iceServers({ credential: 'not-the-password' }) });
  const s = setup;
  const ended = nextEvent<EndedEvent>(s.client, 'ended', 15_000);
  s.client.once('invitation', () => void s.client.accept());
  s.agent.invite();
  const consumer = await ended;
  expect(consumer.reason).toBe('network');
  expect(consumer.by).toBe('system');
  expect(consumer.detail).toMatch(/TURN/);
  // The agent hears why through the consumer's hangup.
  await until(() => s.agent.state === 'ended', 'the agent side ended', 5000);
  expect(consumerCandidates(s)).toEqual([]);
  expectReleased(s);
});

test('TURN credentials never appear in log lines, warnings, ended events or quality samples', async () => {
  const turn = server();
  const secrets = [turn.credential, turn.username];
  const wrongCredential = `wrong-${turn.credential.split('').reverse().join('')}`;

  // 1. A call that connects, samples quality and hangs up.
  const lines: string[] = [];
  setup = await relayCall({
    iceServers: turn.iceServers(),
    logger: collectingLogger(lines),
    agentLogger: collectingLogger(lines),
  });
  let s = setup;
  const output = collectOutput(s);
  const samples = recordQuality(s);
  await connect(s);
  await nextSamples(samples, 3);
  const ended = nextEvent(s.client, 'ended');
  s.client.hangup();
  await ended;
  await s.cleanup();
  setup = undefined;

  // 2. A call whose TURN server refuses the credentials, until it ends (or,
  // without fail-fast, until gathering has finished and it is hung up).
  setup = await relayCall({
    iceServers: turn.iceServers({ credential: wrongCredential }),
    logger: collectingLogger(lines),
    agentLogger: collectingLogger(lines),
  });
  s = setup;
  output.push(...collectOutput(s));
  const refusedEnded = nextEvent(s.client, 'ended', 20_000);
  s.client.once('invitation', () => void s.client.accept());
  s.agent.invite();
  await until(
    () => s.consumerTap.sent.some((m) => m.type === 'ice' && m.candidate === null),
    'end of candidates from the consumer',
    15_000,
  );
  await Promise.race([refusedEnded, new Promise((r) => setTimeout(r, 2000))]);
  if (s.client.state !== 'ended') s.client.hangup();
  await refusedEnded;

  const everything = [...lines, ...output];
  expect(lines.length).toBeGreaterThan(0);
  expect(output.some((line) => line.startsWith('client quality'))).toBe(true);
  expect(output.some((line) => line.startsWith('client ended'))).toBe(true);
  for (const secret of [...secrets, wrongCredential]) {
    const leaks = everything.filter((line) => line.includes(secret));
    expect(leaks).toEqual([]);
  }
});
