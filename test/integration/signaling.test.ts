import wrtc from 'wrtc';
import { WebSocket } from 'ws';
import { CallClient } from '../../src/call/CallClient';
import { AgentCall } from '../../src/agent/AgentCall';
import { WebSocketTransport } from '../../src/transport/websocket';
import type {
  WebSocketConstructor,
  WebSocketTransportOptions,
} from '../../src/transport/websocket';
import type { EndedEvent } from '../../src/call/events';
import { createNodePlatform } from '../../src/testing';
import { startRelay } from '../support/relay';
import { nextEvent, reachState, until } from '../support/wait';

jest.setTimeout(30_000);

/** A call over WebSockets through a relay the test can stop and start again. */
async function liveCall(reconnect: WebSocketTransportOptions['reconnect']) {
  let relay = await startRelay();
  const port = relay.port;
  const options = { WebSocket: WebSocket as unknown as WebSocketConstructor, reconnect };
  const consumerTransport = new WebSocketTransport(relay.url, options);
  const agentTransport = new WebSocketTransport(relay.url, options);
  await until(() => relay.clients() === 2, 'both ends connected to the relay');
  const consumerPlatform = createNodePlatform(wrtc);
  const agentPlatform = createNodePlatform(wrtc);
  const client = new CallClient({ transport: consumerTransport, platform: consumerPlatform });
  const agent = new AgentCall({
    transport: agentTransport,
    platform: agentPlatform,
    media: 'voice',
  });
  client.once('invitation', () => void client.accept());
  agent.invite();
  await Promise.all([reachState(client, 'connected'), reachState(agent, 'connected')]);
  return {
    client,
    agent,
    states: [] as string[],
    stopRelay: () => relay.close(),
    restartRelay: async () => {
      relay = await startRelay(port);
      return relay;
    },
    async cleanup() {
      client.destroy();
      agent.destroy();
      consumerTransport.close();
      agentTransport.close();
      consumerPlatform.mediaDevices.stopAll();
      agentPlatform.mediaDevices.stopAll();
      await relay.close();
    },
  };
}

test('a signaling server that drops and comes back loses no message of a live call', async () => {
  const call = await liveCall({ minDelayMs: 100, maxDelayMs: 400 });
  try {
    const states: string[] = [];
    call.client.on('statechange', ({ state }) => states.push(state));
    const warnings: string[] = [];
    call.client.on('warning', (w) => warnings.push(w.code));
    await call.stopRelay();
    await until(() => warnings.includes('transport'), 'the client to notice the drop');
    // Sent while the signaling server is down: queued, not lost.
    call.client.setAudioMuted(true);
    const relay = await call.restartRelay();
    await until(() => relay.clients() === 2, 'both ends reconnected');
    await until(() => call.agent.remoteMediaState?.audioMuted === true, 'the mute to arrive');
    // Media is peer to peer: the call itself never noticed.
    expect(states).toEqual([]);
    expect(call.client.state).toBe('connected');
    const ended = nextEvent<EndedEvent>(call.client, 'ended');
    call.agent.hangup();
    expect(await ended).toMatchObject({ reason: 'normal', by: 'remote' });
  } finally {
    await call.cleanup();
  }
});

test('a signaling server that stays away ends the call as network after the give-up time', async () => {
  const call = await liveCall({ minDelayMs: 100, maxDelayMs: 200, giveUpAfterMs: 1_500 });
  try {
    const ended = nextEvent<EndedEvent>(call.client, 'ended');
    const started = Date.now();
    await call.stopRelay();
    const event = await ended;
    expect(event).toMatchObject({ reason: 'network', by: 'system' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    expect(call.client.liveTrackCount).toBe(0);
  } finally {
    await call.cleanup();
  }
});
