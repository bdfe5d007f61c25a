// Connect time in Chromium: a bare RTCPeerConnection page vs the SDK page
// (the UMD bundle by script tag), each against a Node side over a WebSocket
// relay on 127.0.0.1: a bare wrtc answerer for the bare page, AgentCall for
// the SDK page (both with synthetic audio + video). Every run gets a fresh
// browser context, page and relay; runs alternate (order rotating), after
// warm-up runs that are thrown away. Times are measured inside the page:
//   bare  from "go" (before getUserMedia) to connectionState 'connected'
//   SDK   from accept() (on the invitation) to the client's 'connected'
//
//   node bench/connect-browser.mjs [--runs 30] [--json FILE]
import { WebSocket } from 'ws';
import { WebSocketTransport } from '../dist/transports.mjs';
import { launchChromium, startRelay, startStaticServer, until } from './lib/browser.mjs';
import {
  AgentCall,
  RTC_CONFIGURATION,
  countingPeerConnection,
  createNodePlatform,
  exitCleanly,
  wrtc,
} from './lib/node.mjs';
import { ms, report, rotation, sleep, summarize, table } from './lib/stats.mjs';

const argRuns = process.argv.indexOf('--runs');
const RUNS = argRuns > 0 ? Number(process.argv[argRuns + 1]) : 30;
const WARMUP = 3;

const counter = countingPeerConnection();
const agentPlatform = { ...createNodePlatform(wrtc), RTCPeerConnection: counter.RTCPeerConnection };

/** The Node side of the bare page: answers its offer with synthetic audio + video. */
async function bareAnswerer(relayUrl) {
  const socket = new WebSocket(relayUrl);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const send = (message) => socket.send(JSON.stringify(message));
  let pc = null;
  let stream = null;
  let hasRemote = false;
  const pending = [];
  const addCandidate = (c) =>
    (c ? pc.addIceCandidate(c) : pc.addIceCandidate()).catch(() => undefined);
  socket.on('message', async (data) => {
    const message = JSON.parse(String(data));
    if ('candidate' in message) {
      if (hasRemote) await addCandidate(message.candidate);
      else pending.push(message.candidate);
      return;
    }
    if (message.description?.type !== 'offer') return;
    stream = await agentPlatform.mediaDevices.getUserMedia({ audio: true, video: true });
    pc = new counter.RTCPeerConnection(RTC_CONFIGURATION);
    pc.onicecandidate = (e) => {
      const c = e.candidate;
      send({
        candidate:
          c && c.candidate
            ? { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex }
            : null,
      });
    };
    await pc.setRemoteDescription(message.description);
    hasRemote = true;
    for (const c of pending.splice(0)) await addCandidate(c);
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    send({ description: { type: 'answer', sdp: answer.sdp } });
  });
  return {
    go: () => send({ go: true }),
    close() {
      socket.close();
      if (pc) {
        pc.onicecandidate = null;
        pc.close();
      }
      for (const track of stream?.getTracks() ?? []) track.stop();
    },
  };
}

async function run(browser, server, variant) {
  const relay = await startRelay();
  const context = await browser.newContext();
  let nodeSide = null;
  try {
    const page = await context.newPage();
    const messages = [];
    page.on('console', (m) => messages.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => messages.push(`pageerror: ${e.message}`));
    const explain = (error) => {
      error.message += messages.length ? ` (page said: ${messages.slice(-3).join(' | ')})` : '';
      throw error;
    };
    await page.goto(server.url(`/pages/${variant}.html?ws=${encodeURIComponent(relay.url)}`));
    await until(() => relay.clients() >= 1, 'the page at the relay').catch(explain);
    if (variant === 'bare') {
      nodeSide = await bareAnswerer(relay.url);
      await until(() => relay.clients() >= 2, 'both at the relay');
      nodeSide.go();
    } else {
      const transport = new WebSocketTransport(relay.url, { WebSocket });
      await until(() => relay.clients() >= 2, 'both at the relay');
      const agent = new AgentCall({ transport, platform: agentPlatform, media: 'video' });
      nodeSide = {
        close() {
          agent.destroy();
          transport.close();
        },
      };
      agent.invite();
    }
    const handle = await page.waitForFunction(
      'window.benchResult || window.benchError',
      undefined,
      {
        timeout: 20_000,
        polling: 10,
      },
    );
    const value = await handle.jsonValue();
    if (process.env.BENCH_DEBUG) console.log(variant, JSON.stringify(value));
    if (typeof value === 'string') throw new Error(`${variant}: ${value}`);
    return value;
  } finally {
    nodeSide?.close();
    await context.close();
    await relay.close();
  }
}

const browser = await launchChromium();
const server = await startStaticServer();
const samples = { bare: [], sdk: [] };
const failures = { bare: [], sdk: [] };
const leaks = [];
const startedAt = performance.now();
try {
  for (let round = 0; round < WARMUP + RUNS; round++) {
    for (const variant of rotation(['bare', 'sdk'], round)) {
      try {
        const result = await run(browser, server, variant);
        if (round >= WARMUP) samples[variant].push(result);
      } catch (error) {
        failures[variant].push(`round ${round}: ${error.message ?? error}`);
      }
      await sleep(50);
      const tracks = agentPlatform.mediaDevices.liveTracks().length;
      const pcs = counter.open();
      if (tracks || pcs)
        leaks.push({ round, variant, liveTracks: tracks, openPeerConnections: pcs });
    }
  }
} finally {
  await browser.close();
  await server.close();
}
const seconds = (performance.now() - startedAt) / 1000;

const stats = {};
for (const variant of ['bare', 'sdk']) {
  stats[variant] = {
    total: summarize(samples[variant].map((s) => s.total)),
    afterMedia: summarize(samples[variant].map((s) => s.afterMedia)),
  };
}
const ratio = Math.round((stats.sdk.total.median / stats.bare.total.median) * 100) / 100;
const ratioAfterMedia =
  Math.round((stats.sdk.afterMedia.median / stats.bare.afterMedia.median) * 100) / 100;

console.log(
  `Connect time in Chromium against a Node peer (${RUNS} runs each after ${WARMUP} warm-up rounds, ${seconds.toFixed(0)} s)\n`,
);
console.log(
  table([
    ['page', 'median', 'p90', 'p90/median', 'after media: median', 'failures'],
    ...[
      ['bare RTCPeerConnection → connected', 'bare'],
      ['SDK (UMD) accept() → connected', 'sdk'],
    ].map(([label, key]) => [
      label,
      ms(stats[key].total.median),
      ms(stats[key].total.p90),
      `${stats[key].total.noise.toFixed(2)}×`,
      ms(stats[key].afterMedia.median),
      failures[key].length,
    ]),
  ]),
);
console.log(`\nSDK/bare = ${ratio.toFixed(2)} (after getUserMedia: ${ratioAfterMedia.toFixed(2)})`);
console.log(
  leaks.length
    ? `Node side cleanup: ${leaks.length} runs left tracks or peer connections`
    : 'Node side cleanup: after every run, 0 live tracks and 0 open peer connections.',
);
for (const [key, list] of Object.entries(failures))
  for (const line of list.slice(0, 3)) console.log(`failure ${key}: ${line}`);

report({
  connectBrowser: {
    runs: RUNS,
    warmup: WARMUP,
    seconds: Math.round(seconds),
    bare: { ...stats.bare, failures: failures.bare },
    sdk: { ...stats.sdk, failures: failures.sdk },
    ratio,
    ratioAfterMedia,
    leaks,
  },
});
exitCleanly([agentPlatform]);
