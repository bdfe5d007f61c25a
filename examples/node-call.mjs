// A headless call between the SDK (the consumer) and the reference agent, in
// one Node process with wrtc and synthetic camera/microphone. Prints every
// state change with its time and a short summary of the call.
//
//   npm start             a video call
//   npm start -- voice    a voice call
import wrtc from 'wrtc';
import { CallClient } from 'messaging-calls';
import { createMemoryTransportPair } from 'messaging-calls/transports';
import { AgentCall } from 'messaging-calls/agent';
import { createNodePlatform } from 'messaging-calls/testing';

const media = process.argv[2] === 'voice' ? 'voice' : 'video';
const talkMs = 2000;
const t0 = performance.now();
const ms = () => `${(performance.now() - t0).toFixed(0).padStart(5)} ms`;

const [consumerTransport, agentTransport] = createMemoryTransportPair();
const consumerPlatform = createNodePlatform(wrtc);
const agentPlatform = createNodePlatform(wrtc);
const client = new CallClient({ transport: consumerTransport, platform: consumerPlatform });
const agent = new AgentCall({
  transport: agentTransport,
  platform: agentPlatform,
  media,
  agent: { name: 'Alex from support' },
});

const at = {};
client.on('statechange', ({ state }) => {
  at[state] = performance.now();
  console.log(`${ms()}  consumer  ${state}`);
});
agent.on('statechange', ({ state }) => console.log(`${ms()}  agent     ${state}`));
client.on('warning', ({ code, message }) =>
  console.log(`${ms()}  consumer  warning ${code}: ${message}`),
);
client.on('invitation', ({ media: invited, agent: who }) => {
  console.log(
    `${ms()}  consumer  ${who.name ?? 'an agent'} invites to a ${invited} call: accepting`,
  );
  void client.accept();
});
const consumerEnded = new Promise((resolve) => client.once('ended', resolve));
const agentEnded = new Promise((resolve) => agent.once('ended', resolve));
const settled = new Promise((resolve) => {
  client.on(
    'statechange',
    ({ state }) => (state === 'connected' || state === 'ended') && resolve(),
  );
});

agent.invite();
await settled;
const connectMs = (at.connected ?? 0) - (at.accepted ?? 0);

if (client.state === 'connected') {
  await new Promise((r) => setTimeout(r, talkMs));
  const bytes = await inbound(client);
  const agentBytes = await inbound(agent);
  client.hangup();
  const [ended, agentSide] = await Promise.all([consumerEnded, agentEnded]);
  console.log('\nSummary');
  console.log(`  media            ${media}`);
  console.log(`  accept → connected ${connectMs.toFixed(0)} ms`);
  console.log(
    `  consumer ended   ${ended.reason} (by ${ended.by}) after ${ended.durationMs} ms connected`,
  );
  console.log(`  agent ended      ${agentSide.reason} (by ${agentSide.by})`);
  console.log(`  consumer received audio ${bytes.audio} B, video ${bytes.video} B`);
  console.log(`  agent received    audio ${agentBytes.audio} B, video ${agentBytes.video} B`);
  console.log(
    `  live local tracks after the call: consumer ${client.liveTrackCount}, agent ${agent.liveTrackCount}`,
  );
} else {
  const ended = await consumerEnded;
  console.log(`\nThe call did not connect: ${ended.reason} ${ended.detail ?? ''}`);
  process.exitCode = 1;
}

client.destroy();
agent.destroy();
consumerPlatform.mediaDevices.stopAll();
agentPlatform.mediaDevices.stopAll();
// wrtc keeps native threads alive; every track is stopped, so leave now.
setTimeout(() => process.exit(), 50);

async function inbound(side) {
  const totals = { audio: 0, video: 0 };
  (await side.getStats())?.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind in totals) totals[s.kind] += s.bytesReceived ?? 0;
  });
  return totals;
}
