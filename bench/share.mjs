// Screen share in Chromium: the time from the consumer's call to
// startScreenShare() (the page calls it as soon as the agent's share-request
// arrives; the picker is answered at once by --use-fake-ui-for-media-stream)
// to the first frame of the screen that the agent (AgentCall on wrtc, over a
// WebSocket relay on 127.0.0.1) decodes. Chromium's fake screen is 1280x720
// (16:9) and draws the fake camera's picture, so the page narrows its camera
// to 640x480 (4:3): the first 16:9 frame at an RTCVideoSink on the agent's
// remote video track is the screen's. A video call: the screen replaces the
// camera on the existing sender (no new offer; checked on every run).
//
// The start is stamped in the page and the end in Node, both as
// performance.timeOrigin + performance.now(); the page's clock offset is
// measured on every run by a round trip (its half-width is reported) and
// subtracted. Every run gets a fresh browser context, page, relay and agent;
// the first run is a warm-up and thrown away.
//
//   node bench/share.mjs [--runs 7] [--json FILE]
import { WebSocket } from 'ws';
import { WebSocketTransport } from '../dist/transports.mjs';
import { launchChromium, startRelay, startStaticServer, until } from './lib/browser.mjs';
import {
  AgentCall,
  countingPeerConnection,
  createNodePlatform,
  exitCleanly,
  wrtc,
} from './lib/node.mjs';
import { ms, report, sleep, summarize, table } from './lib/stats.mjs';

const argRuns = process.argv.indexOf('--runs');
const RUNS = argRuns > 0 ? Number(process.argv[argRuns + 1]) : 7;
const WARMUP = 1;

const counter = countingPeerConnection();
const agentPlatform = { ...createNodePlatform(wrtc), RTCPeerConnection: counter.RTCPeerConnection };

const PAGE_HTML = `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>bench: screen share</title></head>
  <body>
    <script src="/dist/messaging-calls.umd.min.js"></script>
    <script src="/share-bench.js"></script>
  </body>
</html>
`;

// The page: a CallClient that accepts the invitation and shares on the
// agent's request. Stamps, in ms since the epoch (timeOrigin + now): the
// call to startScreenShare(), getDisplayMedia's start and end, the promise.
const PAGE_JS = `(function () {
  'use strict';
  var M = window.MessagingCalls;
  var now = function () { return performance.timeOrigin + performance.now(); };
  var devices = navigator.mediaDevices;
  var getUserMedia = devices.getUserMedia;
  devices.getUserMedia = function (c) {
    var asked = c;
    if (c && c.video) {
      var v = typeof c.video === 'object' ? Object.assign({}, c.video) : {};
      v.width = { exact: 640 };
      v.height = { exact: 480 };
      asked = { audio: c.audio, video: v };
    }
    return getUserMedia.call(devices, asked);
  };
  var share = { called: null, gdmStart: null, gdmEnd: null, resolved: null, error: null };
  var getDisplayMedia = devices.getDisplayMedia;
  devices.getDisplayMedia = function (c) {
    share.gdmStart = now();
    return getDisplayMedia.call(devices, c).then(function (stream) {
      share.gdmEnd = now();
      return stream;
    });
  };
  var url = new URLSearchParams(document.location.search).get('ws');
  var client = new M.CallClient({ transport: new M.WebSocketTransport(url), browsers: 'any' });
  window.benchShare = share;
  window.benchClient = client;
  window.benchNow = now;
  client.on('invitation', function () { client.accept(); });
  client.on('share-request', function () {
    share.called = now();
    client.startScreenShare().then(
      function () { share.resolved = now(); },
      function (e) { share.error = String(e && e.message); },
    );
  });
  client.on('ended', function (e) {
    if (!share.resolved) share.error = share.error || 'ended: ' + e.reason + ' ' + (e.detail || '');
  });
})();
`;

const nodeNow = () => performance.timeOrigin + performance.now();

/** The page clock minus Node's, by the tightest of a few round trips; and that trip's half-width. */
async function clockOffset(page) {
  let best = null;
  for (let i = 0; i < 5; i++) {
    const sent = nodeNow();
    const pageTime = await page.evaluate('window.benchNow()');
    const back = nodeNow();
    const half = (back - sent) / 2;
    if (!best || half < best.half) best = { offset: pageTime - (sent + half), half };
  }
  return best;
}

async function run(browser, server) {
  const relay = await startRelay();
  const context = await browser.newContext();
  let agent = null;
  let transport = null;
  let sink = null;
  try {
    const page = await context.newPage();
    const said = [];
    page.on('pageerror', (e) => said.push(`pageerror: ${e.message}`));
    await page.goto(server.url(`/share-bench.html?ws=${encodeURIComponent(relay.url)}`));
    await until(() => relay.clients() >= 1, 'the page at the relay');
    transport = new WebSocketTransport(relay.url, { WebSocket });
    await until(() => relay.clients() >= 2, 'both at the relay');
    agent = new AgentCall({ transport, platform: agentPlatform, media: 'video' });
    const sdp = [];
    let remote = null;
    agent.on('message', (m) => m.type === 'sdp' && sdp.push(m.description.type));
    agent.on('remotestream', (stream) => (remote = stream));
    let replyAt = null;
    agent.on('share-reply', (r) => (replyAt = r.accepted ? nodeNow() : NaN));
    agent.invite();
    await until(() => agent.state === 'connected', `the agent connected (now ${agent.state})`);
    const track = await until(() => remote?.getVideoTracks()[0], 'video at the agent');

    // Camera frames first (4:3), so the first 16:9 frame is the screen's.
    let cameraFrames = 0;
    let screenAt = null;
    let screenSize = null;
    sink = new wrtc.nonstandard.RTCVideoSink(track);
    sink.onframe = ({ frame }) => {
      const aspect = frame.width / frame.height;
      if (aspect < 1.45) cameraFrames++;
      else if (aspect > 1.6 && screenAt === null) {
        screenAt = nodeNow();
        screenSize = `${frame.width}x${frame.height}`;
      }
    };
    await until(() => cameraFrames >= 10, 'camera frames at the agent');
    const clock = await clockOffset(page);

    agent.requestScreenShare('bench');
    await until(() => screenAt !== null, 'the first screen frame at the agent').catch((error) => {
      error.message += ` (page said: ${said.slice(-3).join(' | ')})`;
      throw error;
    });
    const share = await page.evaluate('window.benchShare');
    if (share.error) throw new Error(`startScreenShare: ${share.error}`);
    await until(() => replyAt !== null, 'the share-reply at the agent');
    // Page stamps on Node's clock.
    const called = share.called - clock.offset;
    return {
      toFirstScreenFrame: screenAt - called,
      getDisplayMedia: share.gdmEnd - share.gdmStart,
      startResolved: share.resolved - share.called,
      toShareReply: replyAt - called,
      clockHalfWidth: clock.half,
      offers: sdp.filter((type) => type === 'offer').length,
      screenSize,
    };
  } finally {
    if (sink && !sink.stopped) sink.stop();
    agent?.destroy();
    transport?.close();
    await context.close();
    await relay.close();
  }
}

const browser = await launchChromium();
const server = await startStaticServer({
  '/share-bench.html': () => ({ type: 'text/html; charset=utf-8', body: PAGE_HTML }),
  '/share-bench.js': () => ({ type: 'text/javascript; charset=utf-8', body: PAGE_JS }),
});
const samples = [];
const failures = [];
const leaks = [];
const startedAt = performance.now();
try {
  for (let round = 0; round < WARMUP + RUNS; round++) {
    try {
      const result = await run(browser, server);
      if (process.env.BENCH_DEBUG) console.log(round, JSON.stringify(result));
      if (round >= WARMUP) samples.push(result);
    } catch (error) {
      failures.push(`round ${round}: ${error.message ?? error}`);
    }
    await sleep(50);
    const tracks = agentPlatform.mediaDevices.liveTracks().length;
    const pcs = counter.open();
    if (tracks || pcs) leaks.push({ round, liveTracks: tracks, openPeerConnections: pcs });
  }
} finally {
  await browser.close();
  await server.close();
}
const seconds = (performance.now() - startedAt) / 1000;

const pick = (key) => summarize(samples.map((s) => s[key]));
const stats = {
  toFirstScreenFrame: pick('toFirstScreenFrame'),
  getDisplayMedia: pick('getDisplayMedia'),
  startResolved: pick('startResolved'),
  toShareReply: pick('toShareReply'),
  clockHalfWidth: pick('clockHalfWidth'),
};
const noNewOffer = samples.filter((s) => s.offers === 1).length;

console.log(
  `Screen share in Chromium, startScreenShare() → first screen frame at the Node agent (${samples.length} runs after ${WARMUP} warm-up, ${seconds.toFixed(0)} s)\n`,
);
console.log(
  table([
    ['measure', 'median', 'p90', 'min', 'max'],
    ...[
      ['startScreenShare() → first screen frame at the agent', 'toFirstScreenFrame'],
      ['  getDisplayMedia (picker auto-accepted)', 'getDisplayMedia'],
      ['  startScreenShare() promise resolved', 'startResolved'],
      ['  share-reply at the agent', 'toShareReply'],
      ['clock offset uncertainty (half round trip)', 'clockHalfWidth'],
    ].map(([label, key]) => [
      label,
      ms(stats[key].median),
      ms(stats[key].p90),
      ms(stats[key].min),
      ms(stats[key].max),
    ]),
  ]),
);
console.log(
  `\nno new offer (replaceTrack): ${noNewOffer}/${samples.length} runs; screen sizes at the agent: ${[
    ...new Set(samples.map((s) => s.screenSize)),
  ].join(', ')}`,
);
console.log(
  leaks.length
    ? `Node side cleanup: ${leaks.length} runs left tracks or peer connections`
    : 'Node side cleanup: after every run, 0 live tracks and 0 open peer connections.',
);
for (const line of failures.slice(0, 3)) console.log(`failure: ${line}`);

report({
  share: {
    runs: samples.length,
    warmup: WARMUP,
    seconds: Math.round(seconds),
    ...stats,
    noNewOffer,
    screenSizes: [...new Set(samples.map((s) => s.screenSize))],
    failures,
    leaks,
  },
});
exitCleanly([agentPlatform], failures.length && !samples.length ? 1 : 0);
