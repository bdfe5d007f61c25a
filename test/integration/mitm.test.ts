/**
 * The verification code exposes a man in the middle of the signaling path.
 *
 * The relay below sits between the consumer's and the agent's transports and
 * runs two DTLS sessions of its own: it answers the consumer's offer from one
 * RTCPeerConnection (pcA) and makes its own offer to the agent from another
 * (pcB), forwards the media between them (what pcA receives is sent on pcB,
 * and the reverse), and replaces every `sdp` and `ice` message in both
 * directions; everything else passes through untouched. Both sides connect
 * and media flows, yet each side's code is derived from a different pair of
 * fingerprints, so the codes differ. Without the relay they are equal.
 *
 * A relay that also writes each side's real fingerprint at session level into
 * what the other side receives cannot make them equal either: the code is
 * derived from the certificates DTLS actually used (getStats), not from SDP.
 */
import wrtc from 'wrtc';
import { CallClient } from '../../src/call/CallClient';
import { AgentCall } from '../../src/agent/AgentCall';
import { envelope } from '../../src/protocol/envelope';
import type { IceCandidate, Message, MessageBody, Role } from '../../src/protocol/messages';
import { parseMessage } from '../../src/protocol/validate';
import { codeOf, verificationCode } from '../../src/peer/verification';
import { fingerprintOf } from '../support/sdp';
import { candidateToJSON } from '../../src/peer/ice';
import { SerialQueue } from '../../src/foundation/queue';
import { createMemoryTransportPair } from '../../src/transport/memory';
import type { Transport } from '../../src/transport/types';
import { createNodePlatform } from '../../src/testing';
import type { NodePlatform } from '../../src/testing';
import { bytesReceived, setupCall } from '../support/harness';
import type { CallSetup } from '../support/harness';
import { TapTransport } from '../support/tap';
import { nextEvent, reachState, until } from '../support/wait';

jest.setTimeout(30_000);

/** One side of the man in the middle: a peer connection and the transport to the victim. */
interface Leg {
  pc: RTCPeerConnection;
  transport: Transport;
  /** The role the relay pretends to be towards this victim. */
  as: Role;
  queue: SerialQueue;
  /** Descriptions this leg made, and the ones it received from its victim. */
  local: string[];
  remote: string[];
}

/**
 * A signaling relay that terminates DTLS on both sides. `toConsumer` is the
 * end the consumer's transport talks to; `toAgent` the agent's.
 */
class ManInTheMiddle {
  readonly a: Leg;
  readonly b: Leg;
  /** What crossed untouched, by type. */
  readonly passed: string[] = [];
  private callId = '';
  private instance: string | undefined;
  private offeredToAgent = false;
  /** Resolves with the agent's answer once pcB has applied it. */
  private readonly agentAnswer: Promise<string>;
  private answeredByAgent: (sdp: string) => void = () => undefined;

  /**
   * `spoof`: also write each victim's own fingerprint into what the other
   * victim receives, as a session-level `a=fingerprint` line ahead of the
   * relay's real (media-level) one, which is what DTLS uses.
   */
  constructor(
    toConsumer: Transport,
    toAgent: Transport,
    private readonly spoof = false,
  ) {
    this.agentAnswer = new Promise((resolve) => {
      this.answeredByAgent = resolve;
    });
    this.a = this.leg(toConsumer, 'agent');
    this.b = this.leg(toAgent, 'consumer');
    // What the consumer sends us (pcA) goes to the agent on pcB, and the reverse.
    this.b.pc.ontrack = (event) => {
      const transceiver = this.a.pc
        .getTransceivers()
        .find((t) => t.receiver.track?.kind === event.track.kind);
      void transceiver?.sender.replaceTrack(event.track);
    };
    toConsumer.listen({
      message: (data) => this.fromConsumer(data),
      close: () => undefined,
    });
    toAgent.listen({
      message: (data) => this.fromAgent(data),
      close: () => undefined,
    });
  }

  close(): void {
    this.a.pc.close();
    this.b.pc.close();
  }

  private leg(transport: Transport, as: Role): Leg {
    const leg: Leg = {
      pc: new wrtc.RTCPeerConnection({}),
      transport,
      as,
      queue: new SerialQueue(),
      local: [],
      remote: [],
    };
    leg.pc.onicecandidate = (event) => {
      const candidate = event.candidate?.candidate ? candidateToJSON(event.candidate) : null;
      this.send(leg, { type: 'ice', candidate });
    };
    return leg;
  }

  private send(leg: Leg, body: MessageBody): void {
    // Towards the agent, the relay speaks as the consumer's instance (protocol 1.1).
    const address =
      leg.as === 'consumer' && this.instance ? { instance: this.instance } : undefined;
    leg.transport.send(envelope(body, this.callId, leg.as, address));
  }

  private parse(data: unknown): Message | null {
    const parsed = parseMessage(data);
    if (!parsed.ok) return null;
    this.callId = parsed.message.callId;
    return parsed.message;
  }

  private fromConsumer(data: unknown): void {
    const m = this.parse(data);
    if (!m) return;
    this.instance = m.instance;
    if (m.type === 'sdp') {
      if (m.description.type !== 'offer' || this.a.remote.length > 0) return;
      const { a } = this;
      const offer = m.description.sdp;
      a.remote.push(offer);
      void a.queue.run(async () => {
        await a.pc.setRemoteDescription(m.description);
        for (const transceiver of a.pc.getTransceivers()) transceiver.direction = 'sendrecv';
        // The agent first: the consumer's answer is made once the agent's is known.
        await this.offerToAgent(offer);
        const agentAnswer = await this.agentAnswer;
        const answer = await a.pc.createAnswer();
        await a.pc.setLocalDescription(answer);
        const sdp = this.spoof
          ? withSessionFingerprint(answer.sdp ?? '', agentAnswer)
          : (answer.sdp ?? '');
        a.local.push(sdp);
        this.send(a, { type: 'sdp', description: { type: 'answer', sdp } });
      });
    } else if (m.type === 'ice') {
      this.addCandidate(this.a, m.candidate);
    } else {
      this.passed.push(m.type);
      this.b.transport.send(m);
    }
  }

  private fromAgent(data: unknown): void {
    const m = this.parse(data);
    if (!m) return;
    if (m.type === 'sdp') {
      if (m.description.type !== 'answer') return;
      const { b } = this;
      const answer = m.description.sdp;
      b.remote.push(answer);
      void b.queue.run(async () => {
        await b.pc.setRemoteDescription(m.description);
        this.answeredByAgent(answer);
      });
    } else if (m.type === 'ice') {
      this.addCandidate(this.b, m.candidate);
    } else {
      this.passed.push(m.type);
      this.a.transport.send(m);
    }
  }

  /** The agent gets our own offer, carrying the consumer's tracks as received on pcA. */
  private async offerToAgent(consumerOffer: string): Promise<void> {
    if (this.offeredToAgent) return;
    this.offeredToAgent = true;
    const { a, b } = this;
    await b.queue.run(async () => {
      for (const transceiver of a.pc.getTransceivers()) {
        const track = transceiver.receiver.track;
        if (track) b.pc.addTrack(track, new wrtc.MediaStream([track]));
      }
      const offer = await b.pc.createOffer();
      await b.pc.setLocalDescription(offer);
      const sdp = this.spoof
        ? withSessionFingerprint(offer.sdp ?? '', consumerOffer)
        : (offer.sdp ?? '');
      b.local.push(sdp);
      this.send(b, { type: 'sdp', description: { type: 'offer', sdp } });
    });
  }

  private addCandidate(leg: Leg, candidate: IceCandidate | null): void {
    if (!candidate) return;
    void leg.queue.run(() => leg.pc.addIceCandidate(candidate).catch(() => undefined));
  }
}

/**
 * `sdp` with the `a=fingerprint` line of `from` added at session level,
 * before the first m= section. SDP allows it; media-level fingerprints win
 * for DTLS (libwebrtc, so wrtc and Chromium 156, connect with it).
 */
function withSessionFingerprint(sdp: string, from: string): string {
  const line = /^a=fingerprint:[^\r\n]*/m.exec(from)?.[0];
  const media = sdp.indexOf('\r\nm=');
  if (!line || media < 0) throw new Error('no fingerprint or no m= section');
  return `${sdp.slice(0, media)}\r\n${line}${sdp.slice(media)}`;
}

interface MitmSetup {
  client: CallClient;
  agent: AgentCall;
  consumerTap: TapTransport;
  agentTap: TapTransport;
  mitm: ManInTheMiddle;
  cleanup(): void;
}

function setupWithMitm(spoof = false): MitmSetup {
  const [consumerEnd, mitmConsumerEnd] = createMemoryTransportPair();
  const [mitmAgentEnd, agentEnd] = createMemoryTransportPair();
  const mitm = new ManInTheMiddle(mitmConsumerEnd, mitmAgentEnd, spoof);
  const consumerTap = new TapTransport(consumerEnd);
  const agentTap = new TapTransport(agentEnd);
  const platforms: NodePlatform[] = [createNodePlatform(wrtc), createNodePlatform(wrtc)];
  const client = new CallClient({ transport: consumerTap, platform: platforms[0] });
  const agent = new AgentCall({ transport: agentTap, platform: platforms[1], media: 'video' });
  return {
    client,
    agent,
    consumerTap,
    agentTap,
    mitm,
    cleanup() {
      client.destroy();
      agent.destroy();
      mitm.close();
      for (const platform of platforms) platform.mediaDevices.stopAll();
    },
  };
}

const sdpsOf = (tap: TapTransport): string[] =>
  tap.sent.flatMap((m) => (m.type === 'sdp' ? [m.description.sdp] : []));

/** The code of two descriptions, as each side derives it. */
async function sdpCode(sdpOne: string, sdpTwo: string): Promise<string> {
  const one = fingerprintOf(sdpOne);
  const two = fingerprintOf(sdpTwo);
  if (!one || !two) throw new Error('a description without a fingerprint');
  return codeOf(one, two);
}

let cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups) await cleanup();
  cleanups = [];
});

test('with a man in the middle running two DTLS sessions, the call connects but the codes differ', async () => {
  const s = setupWithMitm();
  cleanups.push(() => s.cleanup());
  s.client.once('invitation', () => void s.client.accept());
  s.agent.invite();
  await Promise.all([reachState(s.client, 'connected'), reachState(s.agent, 'connected')]);

  // Media really crosses the relay, both ways.
  await until(async () => {
    const [atAgent, atConsumer] = await Promise.all([
      bytesReceived(s.agent),
      bytesReceived(s.client),
    ]);
    return atAgent.audio > 0 && atAgent.video > 0 && atConsumer.audio > 0 && atConsumer.video > 0;
  }, 'audio and video through the relay in both directions');

  // No description of one side reached the other: each got the relay's own.
  const consumerSdps = sdpsOf(s.consumerTap);
  const agentSdps = sdpsOf(s.agentTap);
  expect(s.mitm.a.remote).toEqual(consumerSdps);
  expect(s.mitm.b.remote).toEqual(agentSdps);
  for (const sdp of [...s.mitm.a.local, ...s.mitm.b.local]) {
    expect([...consumerSdps, ...agentSdps]).not.toContain(sdp);
  }
  const fingerprints = [...consumerSdps, ...agentSdps, ...s.mitm.a.local, ...s.mitm.b.local].map(
    fingerprintOf,
  );
  expect(new Set(fingerprints).size).toBe(4);
  // Everything but sdp and ice passed through untouched.
  expect(s.mitm.passed).toEqual(expect.arrayContaining(['invite', 'accept', 'media-state']));

  const [consumerCode, agentCode] = await Promise.all([
    verificationCode(s.client),
    s.agent.verificationCode(),
  ]);
  expect(consumerCode).toMatch(/^\d{3} \d{3}$/);
  expect(agentCode).toMatch(/^\d{3} \d{3}$/);
  expect(consumerCode).not.toBe(agentCode);
  // Each side's code is that of its own DTLS session with the relay.
  expect(consumerCode).toBe(await sdpCode(consumerSdps[0] ?? '', s.mitm.a.local[0] ?? ''));
  expect(agentCode).toBe(await sdpCode(s.mitm.b.local[0] ?? '', agentSdps[0] ?? ''));

  const ended = nextEvent(s.agent, 'ended');
  s.client.hangup();
  expect(await ended).toMatchObject({ reason: 'normal', by: 'remote' });
});

/**
 * A relay that writes each victim's real fingerprint at session level, ahead
 * of its own media-level one (which DTLS checks), would fool a code read from
 * the SDP. The code comes from the certificates DTLS used (getStats), so the
 * two sides still see different codes.
 */
test("a man in the middle cannot make the codes equal by writing the other side's fingerprint at session level", async () => {
  const s = setupWithMitm(true);
  cleanups.push(() => s.cleanup());
  s.client.once('invitation', () => void s.client.accept());
  s.agent.invite();
  await Promise.all([reachState(s.client, 'connected'), reachState(s.agent, 'connected')]);
  await until(async () => {
    const [atAgent, atConsumer] = await Promise.all([
      bytesReceived(s.agent),
      bytesReceived(s.client),
    ]);
    return atAgent.video > 0 && atConsumer.video > 0;
  }, 'video through the relay in both directions');
  // Two DTLS sessions: the media-level fingerprints are the relay's own.
  const mediaLevel = (sdp: string) =>
    sdp.slice(sdp.indexOf('\r\nm=')).match(/a=fingerprint:\S+ \S+/)?.[0];
  const consumerOffer = sdpsOf(s.consumerTap)[0] ?? '';
  const agentAnswer = sdpsOf(s.agentTap)[0] ?? '';
  expect(mediaLevel(s.mitm.a.local[0] ?? '')).not.toBe(mediaLevel(agentAnswer));
  expect(mediaLevel(s.mitm.b.local[0] ?? '')).not.toBe(mediaLevel(consumerOffer));

  const [consumerCode, agentCode] = await Promise.all([
    verificationCode(s.client),
    s.agent.verificationCode(),
  ]);
  expect(consumerCode).toMatch(/^\d{3} \d{3}$/);
  expect(consumerCode).not.toBe(agentCode);
});

test('without it (direct), the call connects and both codes are equal', async () => {
  const s: CallSetup = await setupCall({ agent: { media: 'video' } });
  cleanups.push(() => s.cleanup());
  s.client.once('invitation', () => void s.client.accept());
  s.agent.invite();
  await Promise.all([reachState(s.client, 'connected'), reachState(s.agent, 'connected')]);

  const [consumerCode, agentCode] = await Promise.all([
    verificationCode(s.client),
    s.agent.verificationCode(),
  ]);
  expect(consumerCode).toMatch(/^\d{3} \d{3}$/);
  expect(agentCode).toBe(consumerCode);
  const [offer, answer] = [sdpsOf(s.consumerTap)[0] ?? '', sdpsOf(s.agentTap)[0] ?? ''];
  expect(consumerCode).toBe(await sdpCode(offer, answer));
});
