// A Node bot that plays the agent: it invites a consumer to a call, waits
// until the call is connected, checks that audio (and video) arrive from the
// consumer, and hangs up. Use it to test your integration end to end (your
// page with the SDK, your signaling service) without a person at the agent's
// desk: its exit code says whether the call worked.
//
//   node examples/node-bot/bot.mjs --signaling ws://127.0.0.1:8090/signaling \
//     [--media video|voice] [--talk 3000] [--timeout 60000]
//
// It prints what happens, then one line of JSON: the report. Exit code 0 when
// the call connected and media arrived, 1 otherwise. Needs the dev
// dependencies wrtc (WebRTC for Node) and ws (a WebSocket client).
import wrtc from 'wrtc';
import { WebSocket } from 'ws';
import { pathToFileURL } from 'node:url';
import { AgentCall } from 'messaging-calls/agent';
import { WebSocketTransport } from 'messaging-calls/transports';
import { createNodePlatform } from 'messaging-calls/testing';

/**
 * Makes one call to whoever listens on `transport` and reports how it went.
 *
 * @param {object} options
 * @param {import('messaging-calls').Transport} options.transport signaling to the consumer
 * @param {'video' | 'voice'} [options.media] the call's media (default video)
 * @param {number} [options.talkMs] how long to stay in the call once connected (default 3000)
 * @param {number} [options.timeoutMs] how long the consumer has to answer and connect (default 60000)
 * @param {(line: string) => void} [options.log] where progress goes (default console.log)
 * @returns {Promise<{ passed: boolean, connected: boolean, media: string,
 *   received: { audio: number, video: number }, ended: object | null, problem?: string }>}
 */
export async function runBot({
  transport,
  media = 'video',
  talkMs = 3000,
  timeoutMs = 60_000,
  log = console.log,
}) {
  // Synthetic camera and microphone: the consumer sees and hears the bot.
  const platform = createNodePlatform(wrtc);
  const agent = new AgentCall({
    transport,
    platform,
    media,
    agent: { name: 'Test bot' },
    // How long the invitation rings (the protocol allows 1 s to 10 min).
    ttlMs: Math.min(Math.max(timeoutMs, 1000), 600_000),
  });
  const report = {
    passed: false,
    connected: false,
    media,
    received: { audio: 0, video: 0 },
    ended: null,
  };
  agent.on('statechange', ({ state }) => log(`agent ${state}`));
  const ended = new Promise((resolve) => agent.once('ended', resolve));

  try {
    // 1. Invite, then wait for connected (or for the call to end without it).
    const connected = new Promise((resolve) => {
      agent.on('statechange', ({ state }) => state === 'connected' && resolve(true));
      void ended.then(() => resolve(false));
    });
    agent.invite();
    report.connected = await withTimeout(connected, timeoutMs, false);
    if (!report.connected) {
      report.problem = 'the call did not connect';
      return report;
    }

    // 2. Stay in the call, then read what arrived from the consumer.
    const before = await received(agent);
    await sleep(talkMs);
    const after = await received(agent);
    report.received = after;
    const grew = (kind) => after[kind] > before[kind];
    const kinds = media === 'video' ? ['audio', 'video'] : ['audio'];
    const silent = kinds.filter((kind) => !grew(kind));
    if (agent.state !== 'connected') report.problem = `the call left connected (${agent.state})`;
    else if (silent.length > 0) report.problem = `no ${silent.join(' or ')} from the consumer`;
    else report.passed = true;

    return report;
  } finally {
    // 3. Hang up (or withdraw an invitation nobody answered).
    if (['connected', 'reconnecting'].includes(agent.state)) agent.hangup();
    else if (['inviting', 'accepted', 'connecting'].includes(agent.state)) agent.cancel('timeout');
    report.ended = await withTimeout(ended, 5000, null);
    if (report.ended) log(`agent ended: ${report.ended.reason} (by ${report.ended.by})`);
    if (!report.passed && !report.problem) report.problem = 'the call ended early';
    if (report.ended && report.ended.reason !== 'normal' && !report.connected) {
      report.problem = `the call did not connect: ${report.ended.reason}`;
    }
    agent.destroy();
    platform.mediaDevices.stopAll();
  }
}

/** Bytes received from the consumer so far, per kind. */
async function received(agent) {
  const totals = { audio: 0, video: 0 };
  (await agent.getStats())?.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind in totals) totals[s.kind] += s.bytesReceived ?? 0;
  });
  return totals;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function withTimeout(promise, ms, fallback) {
  let timer;
  const late = new Promise((resolve) => (timer = setTimeout(() => resolve(fallback), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

// Run from the command line.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const url = option('signaling');
  if (!url) {
    console.error(
      'usage: node examples/node-bot/bot.mjs --signaling wss://… [--media video|voice]',
    );
    process.exit(2);
  }
  const transport = new WebSocketTransport(url, { WebSocket });
  const report = await runBot({
    transport,
    media: option('media', 'video') === 'voice' ? 'voice' : 'video',
    talkMs: Number(option('talk', 3000)),
    timeoutMs: Number(option('timeout', 60_000)),
  });
  transport.close();
  console.log(JSON.stringify(report));
  // wrtc keeps native threads alive; every track is stopped, so leave now.
  setTimeout(() => process.exit(report.passed ? 0 : 1), 50);
}
