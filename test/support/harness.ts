import wrtc from 'wrtc';
import { WebSocket } from 'ws';
import { CallClient } from '../../src/call/CallClient';
import type { CallClientOptions } from '../../src/call/CallClient';
import { qualityMonitor } from '../../src/monitor/qualityMonitor';
import { AgentCall } from '../../src/agent/AgentCall';
import type { AgentCallOptions } from '../../src/agent/AgentCall';
import { createMemoryTransportPair } from '../../src/transport/memory';
import { WebSocketTransport } from '../../src/transport/websocket';
import type { WebSocketConstructor } from '../../src/transport/websocket';
import type { Transport } from '../../src/transport/types';
import { createNodePlatform } from '../../src/testing';
import { startRelay } from './relay';
import { TapTransport } from './tap';
import { conversationBus, framePair } from './channels';

export type TransportKind = 'memory' | 'websocket' | 'messaging' | 'postmessage';

export interface CallSetup {
  client: CallClient;
  agent: AgentCall;
  /** What the consumer sent, and a hook to shape it. */
  consumerTap: TapTransport;
  /** What the agent sent, and a hook to shape it. */
  agentTap: TapTransport;
  /** Every RTCPeerConnection either side created. */
  peerConnections: RTCPeerConnection[];
  consumerPlatform: ReturnType<typeof createNodePlatform>;
  agentPlatform: ReturnType<typeof createNodePlatform>;
  /** Destroys both sides, closes transports and stops every synthetic track. */
  cleanup(): Promise<void>;
}

export interface SetupOptions {
  transport?: TransportKind;
  client?: Partial<CallClientOptions>;
  agent?: Partial<AgentCallOptions> & { media?: 'voice' | 'video' };
  consumerDevices?: Parameters<typeof createNodePlatform>[1];
}

async function transports(
  kind: TransportKind,
): Promise<[Transport, Transport, () => Promise<void>]> {
  if (kind === 'memory') {
    const [a, b] = createMemoryTransportPair();
    return [a, b, async () => undefined];
  }
  if (kind === 'messaging') {
    const bus = conversationBus();
    return [bus.transport(), bus.transport(), async () => undefined];
  }
  if (kind === 'postmessage') {
    const [top, frame] = framePair();
    return [top, frame, async () => undefined];
  }
  const relay = await startRelay();
  const options = { WebSocket: WebSocket as unknown as WebSocketConstructor };
  const a = new WebSocketTransport(relay.url, options);
  const b = new WebSocketTransport(relay.url, options);
  // Both ends must be connected before the first message, or the relay has no one to forward to.
  const deadline = Date.now() + 5000;
  while (relay.clients() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return [a, b, () => relay.close()];
}

/** A consumer CallClient and an AgentCall, linked by the chosen transport, on wrtc. */
export async function setupCall(options: SetupOptions = {}): Promise<CallSetup> {
  const [consumerEnd, agentEnd, closeRelay] = await transports(options.transport ?? 'memory');
  const consumerTap = new TapTransport(consumerEnd);
  const agentTap = new TapTransport(agentEnd);
  const peerConnections: RTCPeerConnection[] = [];
  // Records every peer connection, so a test can check that each was closed.
  class RecordedPeerConnection extends wrtc.RTCPeerConnection {
    constructor(configuration?: RTCConfiguration) {
      super(configuration);
      peerConnections.push(this as unknown as RTCPeerConnection);
    }
  }
  const consumerPlatform = {
    ...createNodePlatform(wrtc, options.consumerDevices),
    RTCPeerConnection: RecordedPeerConnection as unknown as typeof RTCPeerConnection,
  };
  const agentPlatform = {
    ...createNodePlatform(wrtc),
    RTCPeerConnection: RecordedPeerConnection as unknown as typeof RTCPeerConnection,
  };
  const client = new CallClient({
    transport: consumerTap,
    platform: consumerPlatform,
    // Quality samples every second, as an application with the monitor has them.
    extensions: [qualityMonitor()],
    ...options.client,
  });
  const agent = new AgentCall({
    transport: agentTap,
    platform: agentPlatform,
    media: 'video',
    ...options.agent,
  });
  return {
    client,
    agent,
    consumerTap,
    agentTap,
    peerConnections,
    consumerPlatform,
    agentPlatform,
    async cleanup() {
      client.destroy();
      agent.destroy();
      consumerTap.close();
      agentTap.close();
      consumerPlatform.mediaDevices.stopAll();
      agentPlatform.mediaDevices.stopAll();
      await closeRelay();
    },
  };
}

/** Bytes received per kind ('audio'/'video') from inbound-rtp stats. */
export async function bytesReceived(side: { getStats(): Promise<RTCStatsReport | null> }) {
  const totals = { audio: 0, video: 0 };
  const report = await side.getStats();
  report?.forEach((s: { type: string; kind?: string; bytesReceived?: number }) => {
    if (s.type === 'inbound-rtp' && (s.kind === 'audio' || s.kind === 'video')) {
      totals[s.kind] += s.bytesReceived ?? 0;
    }
  });
  return totals;
}
