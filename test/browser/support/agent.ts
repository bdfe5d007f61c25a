import wrtc from 'wrtc';
import { WebSocket } from 'ws';
import { AgentCall } from '../../../src/agent/AgentCall';
import type { AgentCallOptions, AgentEndedEvent } from '../../../src/agent/AgentCall';
import type { Message, MessageType } from '../../../src/protocol/messages';
import { WebSocketTransport } from '../../../src/transport/websocket';
import type { WebSocketConstructor } from '../../../src/transport/websocket';
import { createNodePlatform } from '../../../src/testing';
import type { NodePlatform } from '../../../src/testing';
import { startRelay } from '../../support/relay';
import { until } from '../../support/wait';

export type Relay = Awaited<ReturnType<typeof startRelay>>;
export { startRelay };

/** Resolves once the relay has at least `count` connections. */
export function relayClients(relay: Relay, count: number, ms = 5_000): Promise<unknown> {
  return until(() => relay.clients() >= count, `${count} connections at the relay`, ms);
}

/** Totals of one side's inbound-rtp stats per kind. */
export interface Inbound {
  audio: { bytes: number; packets: number };
  video: { bytes: number; packets: number; frames: number };
}

export interface AgentSide {
  agent: AgentCall;
  platform: NodePlatform;
  transport: WebSocketTransport;
  /** The agent's `ended` event, once it happened. */
  ended: AgentEndedEvent | null;
  /** Every valid message the agent received from the consumer (its `message` event), in order. */
  received: Message[];
  /** How many of `received` are of `type`. */
  count(type: MessageType): number;
  /** Waits for the agent's `ended` event. */
  waitEnded(ms?: number): Promise<AgentEndedEvent>;
  inbound(): Promise<Inbound>;
  /** Destroys the agent, closes its transport and stops every synthetic track. */
  cleanup(): void;
}

/**
 * The reference agent in Node (AgentCall on wrtc with synthetic devices),
 * connected to the relay. Resolves once its socket is connected, so an
 * `invite()` reaches everyone already there.
 */
export async function startAgent(
  relay: Relay,
  options: Partial<AgentCallOptions> = {},
): Promise<AgentSide> {
  const before = relay.clients();
  const platform = createNodePlatform(wrtc);
  const transport = new WebSocketTransport(relay.url, {
    WebSocket: WebSocket as unknown as WebSocketConstructor,
  });
  await relayClients(relay, before + 1);
  const agent = new AgentCall({ transport, platform, media: 'video', ...options });
  const side: AgentSide = {
    agent,
    platform,
    transport,
    ended: null,
    received: [],
    count: (type) => side.received.filter((m) => m.type === type).length,
    waitEnded: async (ms = 15_000) =>
      (await until(
        () => side.ended,
        `the agent's ended event (state ${agent.state})`,
        ms,
      )) as AgentEndedEvent,
    inbound: () => inbound(agent),
    cleanup() {
      agent.destroy();
      transport.close();
      platform.mediaDevices.stopAll();
    },
  };
  agent.on('ended', (event) => {
    side.ended = event;
  });
  agent.on('message', (message) => {
    side.received.push(message);
  });
  return side;
}

async function inbound(side: { getStats(): Promise<RTCStatsReport | null> }): Promise<Inbound> {
  const totals: Inbound = {
    audio: { bytes: 0, packets: 0 },
    video: { bytes: 0, packets: 0, frames: 0 },
  };
  const report = await side.getStats();
  report?.forEach(
    (s: {
      type: string;
      kind?: string;
      bytesReceived?: number;
      packetsReceived?: number;
      framesDecoded?: number;
    }) => {
      if (s.type !== 'inbound-rtp') return;
      if (s.kind === 'audio') {
        totals.audio.bytes += s.bytesReceived ?? 0;
        totals.audio.packets += s.packetsReceived ?? 0;
      } else if (s.kind === 'video') {
        totals.video.bytes += s.bytesReceived ?? 0;
        totals.video.packets += s.packetsReceived ?? 0;
        totals.video.frames += s.framesDecoded ?? 0;
      }
    },
  );
  return totals;
}
