// A call through a messaging conversation, both sides in this Node process
// (WebRTC from wrtc, synthetic camera and microphone): the agent chats, then
// invites from the conversation; the consumer's window accepts; they talk for
// two seconds; the consumer hangs up. Prints the consumer's transcript.
//
//   npm run build && node examples/messaging-window/run.mjs
import wrtc from 'wrtc';
import { CallClient } from 'messaging-calls';
import { AgentCall } from 'messaging-calls/agent';
import { createNodePlatform } from 'messaging-calls/testing';
import { Conversation } from './messaging.mjs';
import { callTransport, showCallsInTranscript } from './calls.mjs';

const conversation = new Conversation();
const consumerWindow = conversation.join('Consumer');
const agentDesktop = conversation.join('Alex');

// The consumer's side: the SDK on the messaging window's conversation.
const consumerPlatform = createNodePlatform(wrtc); // in a browser: leave platform out
const client = new CallClient({
  transport: callTransport(consumerWindow),
  platform: consumerPlatform,
});
showCallsInTranscript(client, consumerWindow, { locale: 'en' });
client.on('invitation', () => void client.accept()); // a real window asks the consumer

// The agent's side, on the same conversation.
const agentPlatform = createNodePlatform(wrtc);
const agent = new AgentCall({
  transport: callTransport(agentDesktop),
  platform: agentPlatform,
  media: 'video',
  agent: { name: 'Alex' },
});

const connected = new Promise((resolve) =>
  client.on(
    'statechange',
    ({ state }) => (state === 'connected' || state === 'ended') && resolve(state),
  ),
);
agentDesktop.sendText('Hello! May I show you the settings on a video call?');
consumerWindow.sendText('Sure.');
agent.invite();
const state = await connected;

let received = 0;
if (state === 'connected') {
  agentDesktop.sendText('Can you see me?'); // chat goes on during the call
  await new Promise((resolve) => setTimeout(resolve, 2000));
  (await client.getStats())?.forEach((s) => {
    if (s.type === 'inbound-rtp') received += s.bytesReceived ?? 0;
  });
  const ended = new Promise((resolve) => client.once('ended', resolve));
  client.hangup();
  await ended;
}
await new Promise((resolve) => setTimeout(resolve, 50)); // the last events arrive

console.log(consumerWindow.transcript.join('\n'));
console.log(`\ncall ${state}; consumer received ${received} bytes of media`);
client.destroy();
agent.destroy();
consumerPlatform.mediaDevices.stopAll();
agentPlatform.mediaDevices.stopAll();
// wrtc keeps native threads alive; every track is stopped, so leave now.
setTimeout(() => process.exit(state === 'connected' && received > 0 ? 0 : 1), 50);
