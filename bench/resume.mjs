// Resume after a link click in Chromium (protocol 1.1): how long a call is
// gone when the consumer follows a link on the brand's site mid-call.
//
// Two pages (served from here, generated below: /pages/resume-a.html and
// /pages/resume-b.html, each linking to the other, keeping the query) load
// the UMD bundle; with a call, each creates a CallClient over a
// WebSocketTransport to a relay on 127.0.0.1 as its script runs and accepts
// every invitation. The Node side is AgentCall (wrtc, synthetic audio +
// video). Each call run: page A connects a video call, media flows, then a
// trusted click on the link; on page B the SDK finds the call and resumes it.
// Measured, every time on the browser's own clocks (performance.timeOrigin +
// performance.now(), the click stamped into session storage by page A):
//
//   a  page B's script start (performance.now() at its first line) → 'connected' again
//   b  the link click → media flowing again (page B's inbound video framesDecoded > 0)
//   c  bare navigation: the same click → page B's script start, on the same pages
//      without a call (the SDK loaded, no client created)
//
// plus, in call runs, click → page B's script start (compare with c: what the
// call costs the navigation itself) and click → 'connected'. Call and bare
// runs alternate (order rotating), after one warm-up round that is thrown away.
//
//   node bench/resume.mjs [--runs 7] [--json FILE]
import { WebSocket, WebSocketServer } from 'ws';
import { WebSocketTransport } from '../dist/transports.mjs';
import { launchChromium, startStaticServer, until } from './lib/browser.mjs';
import {
  AgentCall,
  countingPeerConnection,
  createNodePlatform,
  exitCleanly,
  wrtc,
} from './lib/node.mjs';
import { ms, report, rotation, sleep, summarize, table } from './lib/stats.mjs';

const argRuns = process.argv.indexOf('--runs');
const RUNS = argRuns > 0 ? Number(process.argv[argRuns + 1]) : 7;
const WARMUP = 1;

const counter = countingPeerConnection();
const agentPlatform = { ...createNodePlatform(wrtc), RTCPeerConnection: counter.RTCPeerConnection };

// ---- the pages ---------------------------------------------------------------------

const page = (name, next) => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>bench: resume, page ${name}</title>
  </head>
  <body>
    <p><a id="next" href="/pages/resume-${next}.html">the other page</a></p>
    <video id="agent" muted playsinline autoplay></video>
    <script src="/dist/messaging-calls.umd.min.js"></script>
    <script src="/pages/resume-bench.js"></script>
  </body>
</html>
`;

// Runs on both pages. Results in window.bench; times in the page's performance.now().
const script = `(function () {
  'use strict';
  var start = performance.now();
  var params = new URLSearchParams(location.search);
  var link = document.getElementById('next');
  link.href = link.getAttribute('href') + location.search;
  link.addEventListener('click', function () {
    sessionStorage.setItem('bench-click', String(performance.timeOrigin + performance.now()));
  });
  var bench = (window.bench = {
    path: location.pathname,
    origin: performance.timeOrigin,
    start: start,
    click: Number(sessionStorage.getItem('bench-click')) || null,
    initialState: null,
    connectedAt: null,
    flowingAt: null,
    resumed: null,
    error: null,
  });
  if (params.get('nocall') === '1') return;
  var M = window.MessagingCalls;
  var client;
  try {
    client = new M.CallClient({ transport: new M.WebSocketTransport(params.get('relay')), browsers: 'any' });
  } catch (error) {
    bench.error = 'CallClient: ' + error.message;
    return;
  }
  bench.initialState = client.state;
  window.benchClient = client;
  client.attachRemoteMedia(document.getElementById('agent'));
  client.on('invitation', function () {
    client.accept();
  });
  client.on('resumed', function (e) {
    bench.resumed = e;
  });
  client.on('statechange', function (e) {
    if (e.state === 'connected' && bench.connectedAt === null) bench.connectedAt = performance.now();
  });
  client.on('ended', function (e) {
    bench.error = 'ended: ' + e.reason + ' ' + (e.detail || '');
  });
  // Media flowing: the first decoded video frame of this page's connection.
  var timer = setInterval(function () {
    client.getStats().then(function (report) {
      if (!report || bench.flowingAt !== null) return;
      var frames = 0;
      report.forEach(function (s) {
        if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded || 0;
      });
      if (frames > 0) {
        bench.flowingAt = performance.now();
        clearInterval(timer);
      }
    });
  }, 10);
})();
`;

const routes = {
  '/pages/resume-a.html': () => ({ type: 'text/html; charset=utf-8', body: page('a', 'b') }),
  '/pages/resume-b.html': () => ({ type: 'text/html; charset=utf-8', body: page('b', 'a') }),
  '/pages/resume-bench.js': () => ({ type: 'text/javascript; charset=utf-8', body: script }),
};

// ---- a relay that keeps what is sent while nobody else is there ------------------

/**
 * Every text frame goes to every other connection; with nobody else there
 * (between two pages) it waits for the next connection, as a signaling
 * server keeps a call's messages for a peer that comes back
 * (test/support/relay.ts does the same).
 */
async function startRelay() {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  const sockets = new Set();
  let waiting = [];
  server.on('connection', (socket) => {
    sockets.add(socket);
    for (const frame of waiting.splice(0)) socket.send(frame);
    socket.on('message', (data, isBinary) => {
      const frame = isBinary ? data : data.toString();
      let delivered = false;
      for (const other of sockets) {
        if (other !== socket && other.readyState === other.OPEN) {
          other.send(frame);
          delivered = true;
        }
      }
      if (!delivered) waiting.push(frame);
    });
    socket.on('close', () => sockets.delete(socket));
  });
  return {
    url: `ws://127.0.0.1:${server.address().port}`,
    clients: () => sockets.size,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.terminate();
        server.close(() => resolve());
      }),
  };
}

// ---- one run -----------------------------------------------------------------------

const benchOf = (p) => p.evaluate('window.bench');

async function waitBench(p, what, ready) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    let b = null;
    try {
      b = await benchOf(p);
    } catch {
      // navigating
    }
    if (b?.error) throw new Error(`${what}: ${b.error}`);
    if (b && ready(b)) return b;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(b)}`);
    await sleep(10);
  }
}

async function callRun(browser, server) {
  const relay = await startRelay();
  const context = await browser.newContext();
  let agent = null;
  let transport = null;
  try {
    const p = await context.newPage();
    await p.goto(server.url(`/pages/resume-a.html?relay=${encodeURIComponent(relay.url)}`));
    await until(() => relay.clients() >= 1, 'page A at the relay');
    transport = new WebSocketTransport(relay.url, { WebSocket });
    await until(() => relay.clients() >= 2, 'the agent at the relay');
    agent = new AgentCall({ transport, platform: agentPlatform, media: 'video' });
    let agentEnded = null;
    agent.on('ended', (e) => (agentEnded = e));
    agent.invite();
    await waitBench(p, 'page A connected, media flowing', (b) => b.flowingAt !== null);
    await until(() => agent.state === 'connected', 'the agent connected');
    await Promise.all([p.waitForURL(/resume-b\.html/, { timeout: 20_000 }), p.click('#next')]);
    const b = await waitBench(
      p,
      'page B connected again, media flowing',
      (x) => x.path === '/pages/resume-b.html' && x.flowingAt !== null && x.connectedAt !== null,
    );
    if (b.initialState !== 'resuming') throw new Error(`page B started ${b.initialState}`);
    if (agentEnded) throw new Error(`the agent ended: ${JSON.stringify(agentEnded)}`);
    await until(() => agent.state === 'connected', 'the agent connected again');
    return {
      sdkStartToConnected: b.connectedAt - b.start,
      clickToFlowing: b.origin + b.flowingAt - b.click,
      clickToConnected: b.origin + b.connectedAt - b.click,
      clickToScriptStart: b.origin + b.start - b.click,
      gapMs: b.resumed?.gapMs ?? NaN,
    };
  } finally {
    agent?.destroy();
    transport?.close();
    await context.close();
    await relay.close();
  }
}

async function bareRun(browser, server) {
  const context = await browser.newContext();
  try {
    const p = await context.newPage();
    await p.goto(server.url('/pages/resume-a.html?nocall=1'));
    await waitBench(p, 'page A', (b) => b.path === '/pages/resume-a.html');
    await Promise.all([p.waitForURL(/resume-b\.html/, { timeout: 20_000 }), p.click('#next')]);
    const b = await waitBench(p, 'page B', (x) => x.path === '/pages/resume-b.html');
    return { clickToScriptStart: b.origin + b.start - b.click };
  } finally {
    await context.close();
  }
}

// ---- the runs ------------------------------------------------------------------------

const browser = await launchChromium();
const server = await startStaticServer(routes);
const samples = { call: [], bare: [] };
const failures = { call: [], bare: [] };
const leaks = [];
const startedAt = performance.now();
try {
  for (let round = 0; round < WARMUP + RUNS; round++) {
    for (const variant of rotation(['call', 'bare'], round)) {
      try {
        const result =
          variant === 'call' ? await callRun(browser, server) : await bareRun(browser, server);
        if (process.env.BENCH_DEBUG) console.log(variant, JSON.stringify(result));
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

const of = (variant, key) => summarize(samples[variant].map((s) => s[key]));
const stats = {
  sdkStartToConnected: of('call', 'sdkStartToConnected'),
  clickToFlowing: of('call', 'clickToFlowing'),
  clickToConnected: of('call', 'clickToConnected'),
  clickToScriptStartWithCall: of('call', 'clickToScriptStart'),
  bareNavigation: of('bare', 'clickToScriptStart'),
  gapMs: of('call', 'gapMs'),
};

console.log(
  `Resume after a link click in Chromium (${RUNS} runs each after ${WARMUP} warm-up round, ${seconds.toFixed(0)} s)\n`,
);
const row = (label, s) => [label, ms(s.median), ms(s.p90), `${s.noise.toFixed(2)}×`, s.n];
console.log(
  table([
    ['measure', 'median', 'p90', 'p90/median', 'n'],
    row("a  page B's SDK start → connected again", stats.sdkStartToConnected),
    row('b  link click → media flowing again', stats.clickToFlowing),
    row('   link click → connected again', stats.clickToConnected),
    row("   link click → page B's script start (call)", stats.clickToScriptStartWithCall),
    row("c  link click → page B's script start (no call)", stats.bareNavigation),
    row("   gapMs of the 'resumed' event", stats.gapMs),
  ]),
);
console.log(
  `\nb − c = ${ms(stats.clickToFlowing.median - stats.bareNavigation.median)}: what the call adds to the navigation until media flows again`,
);
console.log(
  leaks.length
    ? `Node side cleanup: ${leaks.length} runs left tracks or peer connections`
    : 'Node side cleanup: after every run, 0 live tracks and 0 open peer connections.',
);
for (const [key, list] of Object.entries(failures))
  for (const line of list.slice(0, 3)) console.log(`failure ${key}: ${line}`);

const result = {
  resume: {
    runs: RUNS,
    warmup: WARMUP,
    seconds: Math.round(seconds),
    ...stats,
    failures,
    leaks,
  },
};
console.log(`\n${JSON.stringify(result, null, 2)}`);
report(result);
exitCleanly([agentPlatform]);
