// Soak: 500 consecutive SDK voice calls in one process (wrtc, synthetic
// devices, in-memory signaling). One CallClient takes every call, as one page
// would; each call has its own AgentCall. Each call connects, talks briefly,
// and is hung up (by the consumer on even calls, the agent on odd ones).
//
// After every call (both sides 'ended', then 30 ms for the in-memory
// transport's pending deliveries): live synthetic tracks and feeders, peer
// connections not closed, and timers alive (process.getActiveResourcesInfo()
// 'Timeout'), compared with the count before the first call. RSS and heap
// (after a forced GC) after 20 warm-up calls, then at 100, 250 and 500 calls.
//
// `--bare` runs the same loop with bare RTCPeerConnection pairs instead of the
// SDK (same synthetic audio, same in-process signaling): the control that
// tells wrtc's own memory use from the SDK's.
//
//   node bench/soak.mjs [--calls 500] [--bare] [--json FILE]
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  AgentCall,
  CallClient,
  activeTimers,
  countingPeerConnection,
  connectBarePair,
  createMemoryTransportPair,
  createNodePlatform,
  exitCleanly,
  reachState,
  waitFor,
  wrtc,
} from './lib/node.mjs';
import { report, sleep, summarize, table } from './lib/stats.mjs';

const argCalls = process.argv.indexOf('--calls');
const CALLS = argCalls > 0 ? Number(process.argv[argCalls + 1]) : 500;
const WARMUP = 20;
const TALK_MS = 50;
const BARE = process.argv.includes('--bare');
const CHECKPOINTS = [WARMUP, 100, 250, 500].filter((n) => n <= CALLS);
for (let n = 750; n < CALLS; n += 250) CHECKPOINTS.push(n);
if (!CHECKPOINTS.includes(CALLS)) CHECKPOINTS.push(CALLS);

setFlagsFromString('--expose-gc');
const gc = globalThis.gc ?? runInNewContext('gc');

const counter = countingPeerConnection();
const consumerPlatform = {
  ...createNodePlatform(wrtc),
  RTCPeerConnection: counter.RTCPeerConnection,
};
const agentPlatform = { ...createNodePlatform(wrtc), RTCPeerConnection: counter.RTCPeerConnection };
const [consumerSide, agentSide] = createMemoryTransportPair();
const client = BARE
  ? null
  : new CallClient({ transport: consumerSide, platform: consumerPlatform });
client?.on('invitation', () => void client.accept());

async function memory() {
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(20);
  }
  const { rss, heapUsed, external } = process.memoryUsage();
  return { rss, heapUsed, external };
}

/** The control: a bare pair with the same audio, connected, kept for the talk time, closed. */
async function oneBareCall() {
  try {
    const pair = await connectBarePair({
      RTCPeerConnection: counter.RTCPeerConnection,
      offerDevices: consumerPlatform.mediaDevices,
      answerDevices: agentPlatform.mediaDevices,
      media: { audio: true },
    });
    timersDuringCall.push(activeTimers());
    await sleep(TALK_MS);
    pair.close();
    return { ok: true, connectMs: pair.connectedAt - pair.startedAt, detail: '' };
  } catch (error) {
    return { ok: false, connectMs: NaN, detail: String(error.message ?? error) };
  }
}

async function oneCall(index) {
  const agent = new AgentCall({ transport: agentSide, platform: agentPlatform, media: 'voice' });
  const started = performance.now();
  try {
    const connected = Promise.all([
      reachState(client, 'connected'),
      reachState(agent, 'connected'),
    ]);
    agent.invite();
    await connected;
    const connectMs = performance.now() - started;
    timersDuringCall.push(activeTimers());
    await sleep(TALK_MS);
    const ended = Promise.all([waitFor(client, 'ended'), waitFor(agent, 'ended')]);
    if (index % 2 === 0) client.hangup();
    else agent.hangup();
    const [clientEnded, agentEnded] = await ended;
    const ok = clientEnded.reason === 'normal' && agentEnded.reason === 'normal';
    return { ok, connectMs, detail: ok ? '' : `${clientEnded.reason}/${agentEnded.reason}` };
  } catch (error) {
    if (client.state !== 'ended' && client.state !== 'idle') {
      try {
        client.hangup();
      } catch {
        // not in a call
      }
    }
    return { ok: false, connectMs: NaN, detail: String(error.message ?? error) };
  } finally {
    agent.destroy();
  }
}

const timersDuringCall = [];
const timersBefore = activeTimers();
const checkpoints = [];
const perCall = [];
const problems = [];
const connectTimes = [];
const startedAt = performance.now();
for (let i = 1; i <= CALLS; i++) {
  const result = BARE ? await oneBareCall() : await oneCall(i);
  await sleep(30);
  const liveTracks =
    consumerPlatform.mediaDevices.liveTracks().length +
    agentPlatform.mediaDevices.liveTracks().length;
  const feeders =
    consumerPlatform.mediaDevices.activeFeeders() + agentPlatform.mediaDevices.activeFeeders();
  const openPcs = counter.open();
  const timers = activeTimers();
  perCall.push(timers);
  if (result.ok) connectTimes.push(result.connectMs);
  if (!result.ok || liveTracks || feeders || openPcs || timers > timersBefore) {
    problems.push({
      call: i,
      ok: result.ok,
      detail: result.detail,
      liveTracks,
      feeders,
      openPcs,
      timers,
    });
  }
  if (CHECKPOINTS.includes(i)) {
    checkpoints.push({
      calls: i,
      seconds: Math.round((performance.now() - startedAt) / 1000),
      ...(await memory()),
      timers,
    });
  }
}
const seconds = (performance.now() - startedAt) / 1000;
// Are the closed peer connections garbage? Anything still reachable is held by someone.
await memory();
await memory();
const pcs = { made: counter.made(), collected: counter.collected() };

const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const base = checkpoints[0];
const last = checkpoints[checkpoints.length - 1];
const growth = {
  rssBytes: last.rss - base.rss,
  heapBytes: last.heapUsed - base.heapUsed,
  heapBytesPerCall: Math.round(
    (last.heapUsed - base.heapUsed) / Math.max(1, last.calls - base.calls),
  ),
  rssBytesPerCall: Math.round((last.rss - base.rss) / Math.max(1, last.calls - base.calls)),
};
const timersAfter = {
  min: Math.min(...perCall),
  max: Math.max(...perCall),
  last: perCall[perCall.length - 1],
};
const failed = problems.filter((p) => !p.ok).length;
const leakedTracks = problems.filter((p) => p.liveTracks || p.feeders).length;
const leakedPcs = problems.filter((p) => p.openPcs).length;
const timerGrowth = problems.filter((p) => p.timers > timersBefore).length;
const connect = summarize(connectTimes);

const what = BARE ? 'bare RTCPeerConnection pairs (control, audio only)' : 'SDK voice calls';
console.log(
  `Soak: ${CALLS} consecutive ${what} in one process (${seconds.toFixed(0)} s, talk ${TALK_MS} ms each)\n`,
);
console.log(
  table([
    ['after calls', 'RSS', 'heap used', 'external', 'timers alive'],
    ...checkpoints.map((c) => [
      `${c.calls}${c.calls === WARMUP ? ' (warm-up)' : ''}`,
      mb(c.rss),
      mb(c.heapUsed),
      mb(c.external),
      c.timers,
    ]),
  ]),
);
console.log(
  `\ngrowth ${base.calls} → ${last.calls} calls: RSS ${mb(growth.rssBytes)} (${growth.rssBytesPerCall} B/call), heap ${mb(growth.heapBytes)} (${growth.heapBytesPerCall} B/call)`,
);
console.log(
  `timers alive: ${timersBefore} before the first call, ${summarize(timersDuringCall).median} during a call (median), after each call min ${timersAfter.min}, max ${timersAfter.max}` +
    (timerGrowth ? `  ← GROWTH after ${timerGrowth} calls` : ' (no growth)'),
);
console.log(
  `after every call: calls not ended 'normal' ${failed}, calls leaving live tracks/feeders ${leakedTracks}, leaving open peer connections ${leakedPcs}`,
);
console.log(
  `connect (${BARE ? 'start' : 'invite'} → both connected): median ${connect.median} ms, p90 ${connect.p90} ms, p90/median ${connect.noise}`,
);
console.log(
  `peer connections reclaimed by GC at the end: ${pcs.collected} of ${pcs.made} made (the last call's may still be referenced)`,
);
for (const p of problems.slice(0, 5)) console.log(`problem: ${JSON.stringify(p)}`);

report({
  [BARE ? 'soakBare' : 'soak']: {
    variant: BARE ? 'bare' : 'sdk',
    calls: CALLS,
    warmup: WARMUP,
    talkMs: TALK_MS,
    seconds: Math.round(seconds),
    checkpoints,
    growth,
    timers: {
      before: timersBefore,
      duringCallMedian: summarize(timersDuringCall).median,
      ...timersAfter,
      callsWithGrowth: timerGrowth,
    },
    failed,
    leakedTracks,
    leakedPeerConnections: leakedPcs,
    peerConnections: pcs,
    connect,
    problems: problems.slice(0, 20),
  },
});
client?.destroy();
exitCleanly([consumerPlatform, agentPlatform]);
