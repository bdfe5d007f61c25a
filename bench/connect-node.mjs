// Connect time in Node: a bare RTCPeerConnection pair vs simple-peer vs the
// SDK, in one process with wrtc, the same synthetic tracks (audio + video on
// both sides) and in-process signaling (JSON text, one setTimeout 0 per
// message, like the SDK's memory transport). Rounds alternate the variants
// (the order rotates every round); 5 warm-up rounds are thrown away.
//
//   node bench/connect-node.mjs [--runs 50] [--json FILE]
//
// Every variant's clock starts before both sides' getUserMedia (the SDK's
// accept() opens the media too) and stops when both sides are connected:
//   a  bare    getUserMedia ×2, two RTCPeerConnections, addTrack, offer/answer,
//              trickle ICE → both connectionState 'connected'
//   b  simple-peer  getUserMedia ×2, new Peer() ×2 → both 'connect' (data channel open)
//   c  SDK     client.accept() (invitation already received) → client and agent 'connected'
import SimplePeer from 'simple-peer';
import {
  AgentCall,
  CallClient,
  RTC_CONFIGURATION,
  SafeDescriptionPeerConnection,
  connectBarePair,
  countingPeerConnection,
  createMemoryTransportPair,
  createNodePlatform,
  exitCleanly,
  reachState,
  waitFor,
  wrtc,
} from './lib/node.mjs';
import { ms, report, rotation, sleep, summarize, table } from './lib/stats.mjs';

const argRuns = process.argv.indexOf('--runs');
const RUNS = argRuns > 0 ? Number(process.argv[argRuns + 1]) : 50;
const WARMUP = 5;
const BUDGET = 1.25;
const RUN_TIMEOUT = 15_000;

const counter = countingPeerConnection();
const safeCounter = countingPeerConnection(SafeDescriptionPeerConnection);
const consumerPlatform = {
  ...createNodePlatform(wrtc),
  RTCPeerConnection: counter.RTCPeerConnection,
};
const agentPlatform = { ...createNodePlatform(wrtc), RTCPeerConnection: counter.RTCPeerConnection };
const platforms = [consumerPlatform, agentPlatform];
const MEDIA = { audio: true, video: true };

/** In-process signaling: JSON text, delivered on a later macrotask. */
function channel(deliver) {
  return (message) => {
    const text = JSON.stringify(message);
    setTimeout(() => deliver(JSON.parse(text)), 0);
  };
}

function deadline(what) {
  let timer;
  const promise = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: not connected in ${RUN_TIMEOUT} ms`)),
      RUN_TIMEOUT,
    );
  });
  return { promise, clear: () => clearTimeout(timer) };
}

function stopStreams(...streams) {
  for (const stream of streams) for (const track of stream?.getTracks() ?? []) track.stop();
}

// ---- a: bare RTCPeerConnection pair ------------------------------------------------

async function bare() {
  const pair = await connectBarePair({
    RTCPeerConnection: counter.RTCPeerConnection,
    offerDevices: consumerPlatform.mediaDevices,
    answerDevices: agentPlatform.mediaDevices,
    media: MEDIA,
    timeoutMs: RUN_TIMEOUT,
  });
  pair.close();
  return { total: pair.connectedAt - pair.startedAt, afterMedia: pair.connectedAt - pair.mediaAt };
}

// ---- b: simple-peer ------------------------------------------------------------------

const simplePeerWrtc = {
  RTCPeerConnection: safeCounter.RTCPeerConnection,
  RTCSessionDescription: wrtc.RTCSessionDescription,
  RTCIceCandidate: wrtc.RTCIceCandidate,
};

async function simplePeer() {
  const t0 = performance.now();
  const [s1, s2] = await Promise.all([
    consumerPlatform.mediaDevices.getUserMedia(MEDIA),
    agentPlatform.mediaDevices.getUserMedia(MEDIA),
  ]);
  const t1 = performance.now();
  const options = { wrtc: simplePeerWrtc, config: RTC_CONFIGURATION };
  const p1 = new SimplePeer({ ...options, initiator: true, stream: s1 });
  const p2 = new SimplePeer({ ...options, stream: s2 });
  const errors = [];
  p1.on('error', (e) => errors.push(e));
  p2.on('error', (e) => errors.push(e));
  const timeout = deadline('simple-peer');
  try {
    const to2 = channel((d) => !p2.destroyed && p2.signal(d));
    const to1 = channel((d) => !p1.destroyed && p1.signal(d));
    p1.on('signal', to2);
    p2.on('signal', to1);
    const connect = (p) =>
      new Promise((resolve) => p.once('connect', () => resolve(performance.now())));
    const times = await Promise.race([Promise.all([connect(p1), connect(p2)]), timeout.promise]);
    const end = Math.max(...times);
    return { total: end - t0, afterMedia: end - t1 };
  } catch (error) {
    throw errors.length ? errors[0] : error;
  } finally {
    timeout.clear();
    p1.destroy();
    p2.destroy();
    stopStreams(s1, s2);
  }
}

// ---- c: the SDK ------------------------------------------------------------------------

async function sdk() {
  const [consumerSide, agentSide] = createMemoryTransportPair();
  const client = new CallClient({ transport: consumerSide, platform: consumerPlatform });
  const agent = new AgentCall({ transport: agentSide, platform: agentPlatform, media: 'video' });
  try {
    const invited = waitFor(client, 'invitation');
    agent.invite();
    await invited;
    let tConnecting = 0;
    client.on('statechange', ({ state }) => {
      if (state === 'connecting') tConnecting = performance.now();
    });
    const clientConnected = reachState(client, 'connected', RUN_TIMEOUT).then(() =>
      performance.now(),
    );
    const agentConnected = reachState(agent, 'connected', RUN_TIMEOUT).then(() =>
      performance.now(),
    );
    const ended = waitFor(client, 'ended', () => true, RUN_TIMEOUT).then((e) => {
      throw new Error(`SDK call ended before connecting: ${e.reason} ${e.detail ?? ''}`);
    });
    ended.catch(() => undefined);
    const t0 = performance.now();
    void client.accept();
    const [tClient, tAgent] = await Promise.race([
      Promise.all([clientConnected, agentConnected]),
      ended,
    ]);
    const end = Math.max(tClient, tAgent);
    return { total: end - t0, afterMedia: end - tConnecting, clientOnly: tClient - t0 };
  } finally {
    const clientEnded =
      client.state === 'ended' ? null : waitFor(client, 'ended', () => true, 5_000);
    const agentEnded = agent.state === 'ended' ? null : waitFor(agent, 'ended', () => true, 5_000);
    if (clientEnded) {
      try {
        client.hangup();
      } catch {
        // not accepted yet: destroy() below declines the invitation
      }
    }
    await Promise.all([clientEnded, agentEnded]).catch(() => undefined);
    client.destroy();
    agent.destroy();
    consumerSide.close();
  }
}

// ---- the run ------------------------------------------------------------------------------

const VARIANTS = {
  a: { label: 'a  bare RTCPeerConnection pair', run: bare },
  b: { label: 'b  simple-peer', run: simplePeer },
  c: { label: 'c  SDK accept() → connected', run: sdk },
};

const samples = { a: [], b: [], c: [] };
const failures = { a: [], b: [], c: [] };
const leaks = [];

function checkClean(round, key) {
  const tracks =
    consumerPlatform.mediaDevices.liveTracks().length +
    agentPlatform.mediaDevices.liveTracks().length;
  const pcs = counter.open() + safeCounter.open();
  if (tracks || pcs)
    leaks.push({ round, variant: key, liveTracks: tracks, openPeerConnections: pcs });
}

const startedAt = performance.now();
for (let round = 0; round < WARMUP + RUNS; round++) {
  for (const key of rotation(['a', 'b', 'c'], round)) {
    try {
      const result = await VARIANTS[key].run();
      if (round >= WARMUP) samples[key].push(result);
    } catch (error) {
      failures[key].push(`round ${round}: ${error.message ?? error}`);
    }
    await sleep(30); // let closes settle before the next variant
    checkClean(round, key);
  }
}
const seconds = (performance.now() - startedAt) / 1000;

const stats = {};
for (const key of Object.keys(VARIANTS)) {
  stats[key] = {
    total: summarize(samples[key].map((s) => s.total)),
    afterMedia: summarize(samples[key].map((s) => s.afterMedia)),
  };
}
stats.c.clientOnly = summarize(samples.c.map((s) => s.clientOnly));
const ratio = (x, y) => Math.round((stats[x].total.median / stats[y].total.median) * 100) / 100;
const ratios = { 'c/a': ratio('c', 'a'), 'b/a': ratio('b', 'a') };
const verdict = ratios['c/a'] <= BUDGET ? 'PASS' : 'FAIL';

console.log(
  `Connect time in Node (wrtc, one process, ${RUNS} runs per variant after ${WARMUP} warm-up rounds, ${seconds.toFixed(0)} s)\n`,
);
console.log(
  table([
    ['variant', 'median', 'p90', 'p90/median', 'after media: median', 'failures'],
    ...Object.entries(VARIANTS).map(([key, { label }]) => [
      label,
      ms(stats[key].total.median),
      ms(stats[key].total.p90),
      `${stats[key].total.noise.toFixed(2)}×`,
      ms(stats[key].afterMedia.median),
      failures[key].length,
    ]),
  ]),
);
console.log(
  `\nc/a = ${ratios['c/a'].toFixed(2)}  (budget ≤ ${BUDGET}: ${verdict})   b/a = ${ratios['b/a'].toFixed(2)}`,
);
console.log(`SDK accept() → consumer connected alone: median ${ms(stats.c.clientOnly.median)}`);
console.log(
  leaks.length
    ? `Cleanup: ${leaks.length} runs left tracks or peer connections: ${JSON.stringify(leaks.slice(0, 5))}`
    : 'Cleanup: after every run, 0 live tracks and 0 open peer connections.',
);
for (const [key, list] of Object.entries(failures)) {
  for (const line of list.slice(0, 3)) console.log(`failure ${key}: ${line}`);
}

report({
  connectNode: {
    runs: RUNS,
    warmup: WARMUP,
    seconds: Math.round(seconds),
    variants: Object.fromEntries(
      Object.entries(VARIANTS).map(([key, { label }]) => [
        key,
        { label, ...stats[key], failures: failures[key] },
      ]),
    ),
    ratios,
    budget: { 'c/a': BUDGET, verdict },
    leaks,
  },
});
exitCleanly(platforms);
