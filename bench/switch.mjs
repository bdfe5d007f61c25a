// Camera switch: in a Node video call (wrtc, the default synthetic cameras:
// front luma 64, back 192), the time from client.switchCamera() to the first
// frame at the agent (an RTCVideoSink on the agent's remote video track)
// whose centre luma is the back camera's, and what the consumer sent meanwhile
// (a transport wrapper records every send): the protocol expects exactly one
// media-state and no sdp. Between runs the client switches back to the front
// camera (not timed) and waits for its frames.
//
//   node bench/switch.mjs [--runs 20] [--json FILE]
import {
  AgentCall,
  CallClient,
  createMemoryTransportPair,
  createNodePlatform,
  exitCleanly,
  reachState,
  recordingTransport,
  waitFor,
  wrtc,
} from './lib/node.mjs';
import { ms, report, sleep, summarize, table } from './lib/stats.mjs';

const argRuns = process.argv.indexOf('--runs');
const RUNS = argRuns > 0 ? Number(process.argv[argRuns + 1]) : 20;
const LUMA_SPLIT = 128; // front 64, back 192
const SETTLE_MS = 300; // what is still sent after the first back frame counts too

/** Median luma of the central quarter of an I420 frame (ignores the moving bar). */
function centreLuma({ width, height, data }) {
  const histogram = new Uint32Array(256);
  let n = 0;
  for (let y = height >> 2; y < (3 * height) >> 2; y += 2) {
    for (let x = width >> 2; x < (3 * width) >> 2; x += 2) {
      histogram[data[y * width + x]]++;
      n++;
    }
  }
  let seen = 0;
  for (let v = 0; v < 256; v++) {
    seen += histogram[v];
    if (seen * 2 >= n) return v;
  }
  return 255;
}

const consumerPlatform = createNodePlatform(wrtc);
const agentPlatform = createNodePlatform(wrtc);
const [consumerInner, agentSide] = createMemoryTransportPair();
const consumerSide = recordingTransport(consumerInner);
const client = new CallClient({ transport: consumerSide, platform: consumerPlatform });
const agent = new AgentCall({ transport: agentSide, platform: agentPlatform, media: 'video' });

const frames = { count: 0, lumas: { front: [], back: [] } };
/** Resolvers waiting for a frame of one camera. */
let waiting = null;
const remoteVideo = new Promise((resolve) => {
  agent.on('remotestream', (stream) => {
    const track = stream.getVideoTracks()[0];
    if (track) resolve(track);
  });
});

client.on('invitation', () => void client.accept());
const connected = Promise.all([reachState(client, 'connected'), reachState(agent, 'connected')]);
agent.invite();
await connected;
const track = await remoteVideo;
const sink = new wrtc.nonstandard.RTCVideoSink(track);
sink.onframe = ({ frame }) => {
  const at = performance.now();
  const luma = centreLuma(frame);
  const camera = luma > LUMA_SPLIT ? 'back' : 'front';
  frames.count++;
  frames.lumas[camera].push(luma);
  if (waiting && waiting.camera === camera) {
    const { resolve } = waiting;
    waiting = null;
    resolve(at);
  }
};

// The camera's own first frame: a sink on the consumer's new local video track
// (a synthetic camera delivers its first frame one frame interval after it opens).
let localFirstFrame = null;
let watchedLocal = null;
client.on('localstream', (stream) => {
  const video = stream.getVideoTracks()[0];
  if (!video || video === watchedLocal || !localFirstFrame) return;
  watchedLocal = video;
  const pending = localFirstFrame;
  localFirstFrame = null;
  const localSink = new wrtc.nonstandard.RTCVideoSink(video);
  localSink.onframe = () => {
    localSink.onframe = null;
    localSink.stop();
    pending(performance.now());
  };
});

function nextFrameOf(camera, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiting = null;
      reject(new Error(`no ${camera} frame within ${timeoutMs} ms`));
    }, timeoutMs);
    waiting = {
      camera,
      resolve: (at) => {
        clearTimeout(timer);
        resolve(at);
      },
    };
  });
}

const samples = [];
const resolvedTimes = [];
const cameraTimes = [];
const messageCounts = [];
const failures = [];
await nextFrameOf('front'); // the call's video is flowing
await sleep(200);
const startedAt = performance.now();
for (let run = 0; run < RUNS; run++) {
  try {
    const firstSend = consumerSide.sent.length;
    const backFrame = nextFrameOf('back');
    const cameraFrame = new Promise((resolve) => (localFirstFrame = resolve));
    const t0 = performance.now();
    await client.switchCamera();
    resolvedTimes.push(performance.now() - t0);
    const tFrame = await backFrame;
    samples.push(tFrame - t0);
    const tCamera = await Promise.race([cameraFrame, sleep(1000).then(() => NaN)]);
    cameraTimes.push(tCamera - t0);
    localFirstFrame = null;
    await sleep(SETTLE_MS);
    const sent = consumerSide.sent.slice(firstSend);
    const counts = {};
    for (const { type } of sent) counts[type] = (counts[type] ?? 0) + 1;
    messageCounts.push(counts);
    // Back to the front camera for the next run (not timed, not counted).
    const frontFrame = nextFrameOf('front');
    await client.switchCamera();
    await frontFrame;
    await sleep(SETTLE_MS);
  } catch (error) {
    failures.push(`run ${run}: ${error.message ?? error}`);
    waiting = null;
  }
}
const seconds = (performance.now() - startedAt) / 1000;

const toFrame = summarize(samples);
const toResolve = summarize(resolvedTimes);
const toCamera = summarize(cameraTimes.filter(Number.isFinite));
const asExpected = messageCounts.filter(
  (c) => Object.keys(c).length === 1 && c['media-state'] === 1,
).length;
const totals = {};
for (const c of messageCounts)
  for (const [type, n] of Object.entries(c)) totals[type] = (totals[type] ?? 0) + n;
const lumaMedian = (list) => summarize(list).median;

console.log(
  `Camera switch in a Node video call (${samples.length} runs, ${seconds.toFixed(0)} s)\n`,
);
console.log(
  table([
    ['measure', 'median', 'p90', 'p90/median'],
    [
      'switchCamera() → first back frame at agent',
      ms(toFrame.median),
      ms(toFrame.p90),
      `${toFrame.noise.toFixed(2)}×`,
    ],
    [
      'switchCamera() → promise resolved',
      ms(toResolve.median),
      ms(toResolve.p90),
      `${toResolve.noise.toFixed(2)}×`,
    ],
    [
      "switchCamera() → back camera's first frame (local)",
      ms(toCamera.median),
      ms(toCamera.p90),
      `${toCamera.noise.toFixed(2)}×`,
    ],
  ]),
);
console.log(
  `\nconsumer messages per switch: ${asExpected}/${messageCounts.length} runs sent exactly 1 media-state and nothing else; totals over all runs ${JSON.stringify(totals)}`,
);
console.log(
  `received centre luma: front median ${lumaMedian(frames.lumas.front)} (sent 64), back median ${lumaMedian(frames.lumas.back)} (sent 192); ${frames.count} frames`,
);
for (const line of failures.slice(0, 5)) console.log(`failure: ${line}`);

report({
  switch: {
    runs: samples.length,
    seconds: Math.round(seconds),
    toFirstBackFrame: toFrame,
    toPromiseResolved: toResolve,
    toCameraFirstFrame: toCamera,
    messages: { asExpected, runs: messageCounts.length, totals, perRun: messageCounts },
    lumas: { front: lumaMedian(frames.lumas.front), back: lumaMedian(frames.lumas.back) },
    failures,
  },
});

sink.stop();
const ended = Promise.all([waitFor(client, 'ended'), waitFor(agent, 'ended')]);
client.hangup();
await ended;
client.destroy();
agent.destroy();
exitCleanly([consumerPlatform, agentPlatform]);
