/* global document, location, URLSearchParams */
// Your own call UI on the headless CallClient: the SDK runs the call (the
// invitation, the camera and microphone, WebRTC), the page draws everything.
//
// Bundle it with your bundler; with esbuild:
//   npx esbuild examples/npm-own-ui/app.js --bundle --format=esm --outfile=app.bundle.js
import { CallClient } from 'messaging-calls';
import { WebSocketTransport } from 'messaging-calls/transports';

const $ = (id) => document.getElementById(id);

// Where signaling travels: your signaling service (wss:// in production).
const signaling =
  new URLSearchParams(location.search).get('signaling') ?? 'wss://signaling.example.com/calls';
const client = new CallClient({ transport: new WebSocketTransport(signaling) });

// The state drives which part of the page shows:
// idle → invited → accepted → media-permission → connecting → connected ⇄ reconnecting → ended
client.on('statechange', ({ state }) => {
  $('state').textContent = state;
  $('invitation').hidden = state !== 'invited';
  $('call').hidden = !['connecting', 'connected', 'reconnecting'].includes(state);
  $('ended').hidden = state !== 'ended';
});

// An agent invites: show who and what, then let the consumer choose.
client.on('invitation', ({ media, agent }) => {
  $('invitation-text').textContent = `${agent.name ?? 'An agent'} invites you to a ${media} call.`;
  $('camera').hidden = media !== 'video';
});
$('accept').addEventListener('click', () => {
  // The browser asks for the camera and microphone now. Whatever goes wrong
  // ends the call with a reason (see 'ended'); accept() itself only throws
  // when called in a state that does not allow it.
  client.accept().catch((error) => console.error(error));
});
$('reject').addEventListener('click', () => client.reject());

// Media: the consumer's own picture, and the agent's audio and video.
client.on('localstream', (stream) => {
  $('self').srcObject = stream;
});
client.attachRemoteMedia($('agent'));
client.on('remotemediastate', ({ audioMuted, videoEnabled }) => {
  const parts = [audioMuted ? 'muted' : 'speaking', videoEnabled ? 'camera on' : 'camera off'];
  $('agent-state').textContent = `The agent is ${parts.join(', ')}.`;
});

// Controls during the call; the buttons show the consumer's own state.
$('mute').addEventListener('click', () => {
  client.setAudioMuted(!client.localMediaState?.audioMuted);
});
$('camera').addEventListener('click', () => {
  client.setVideoEnabled(!client.localMediaState?.videoEnabled).catch((e) => console.error(e));
});
client.on('localmediastate', ({ audioMuted, videoEnabled }) => {
  $('mute').setAttribute('aria-pressed', String(audioMuted));
  $('mute').textContent = audioMuted ? 'Unmute' : 'Mute';
  $('camera').setAttribute('aria-pressed', String(!videoEnabled));
  $('camera').textContent = videoEnabled ? 'Stop video' : 'Start video';
});
$('hangup').addEventListener('click', () => client.hangup());

// How the call ended: normal, declined, cancelled, expired, permission-denied,
// no-device, network, timeout, unsupported, disabled, error.
client.on('ended', ({ reason, by }) => {
  $('ended').textContent =
    reason === 'normal'
      ? `The call has ended (${by === 'local' ? 'you' : 'the agent'} hung up).`
      : `The call has ended: ${reason}.`;
});
