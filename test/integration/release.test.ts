/**
 * A call's session data is released when it ends, while the CallClient lives
 * on for the next call: the local and remote MediaStreams, the
 * RTCPeerConnection and the TURN credentials of the invitation can be
 * garbage-collected once the application drops its own references. The
 * AgentCall of the call is kept alive too, and releases its own.
 *
 * Method: WeakRefs taken during a real call (wrtc, synthetic devices); after
 * `ended` the test drops everything it held, lets a few macrotasks run (a
 * WeakRef target is kept until the end of the job that created the WeakRef)
 * and runs the collector several times. A control experiment without the SDK
 * shows that wrtc itself lets a closed peer connection and its streams go, so
 * whatever stays alive is the SDK's doing.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import wrtc from 'wrtc';
import { CallClient } from '../../src/call/CallClient';
import type { EndedEvent } from '../../src/call/events';
import { AgentCall } from '../../src/agent/AgentCall';
import type { AgentEndedEvent } from '../../src/agent/AgentCall';
import { createMemoryTransportPair } from '../../src/transport/memory';
import { createNodePlatform } from '../../src/testing';
import type { NodePlatform } from '../../src/testing';
import { startTurn } from '../support/turn';
import type { TurnServer } from '../support/turn';
import { nextEvent, reachState, until } from '../support/wait';

jest.setTimeout(40_000);

v8.setFlagsFromString('--expose_gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Lets pending jobs and timers run, then collects, several times over. */
async function collect(): Promise<void> {
  for (let i = 0; i < 6; i++) {
    for (let j = 0; j < 3; j++) await new Promise((r) => setTimeout(r, 10));
    gc();
  }
}

/** The names of the WeakRefs whose target is still alive. */
function alive(refs: Map<string, WeakRef<object>>): string[] {
  const names: string[] = [];
  for (const [name, ref] of refs) if (ref.deref() !== undefined) names.push(name);
  return names;
}

let turn: TurnServer;
const platforms: NodePlatform[] = [];

beforeAll(async () => {
  turn = await startTurn();
});
afterEach(() => {
  for (const platform of platforms.splice(0)) platform.mediaDevices.stopAll();
});
afterAll(async () => {
  await turn?.stop();
});

test('control: without the SDK, wrtc lets a closed, connected peer connection and its streams be collected', async () => {
  const refs = new Map<string, WeakRef<object>>();
  const kept = { marker: {} };
  refs.set('a kept object (must stay)', new WeakRef(kept.marker));
  await (async () => {
    const a = new wrtc.RTCPeerConnection({});
    const b = new wrtc.RTCPeerConnection({});
    refs.set('RTCPeerConnection a', new WeakRef(a));
    refs.set('RTCPeerConnection b', new WeakRef(b));
    a.onicecandidate = (e) => void (e.candidate && b.addIceCandidate(e.candidate).catch(() => 0));
    b.onicecandidate = (e) => void (e.candidate && a.addIceCandidate(e.candidate).catch(() => 0));
    const remote = new wrtc.MediaStream();
    refs.set('remote MediaStream', new WeakRef(remote));
    b.ontrack = (e) => remote.addTrack(e.track);
    // Tracks straight from wrtc's sources: nothing of the package is involved.
    const local = new wrtc.MediaStream([
      new wrtc.nonstandard.RTCAudioSource().createTrack(),
      new wrtc.nonstandard.RTCVideoSource().createTrack(),
    ]);
    refs.set('local MediaStream', new WeakRef(local));
    for (const track of local.getTracks()) a.addTrack(track, local);
    const offer = await a.createOffer();
    await a.setLocalDescription(offer);
    await b.setRemoteDescription(offer);
    const answer = await b.createAnswer();
    await b.setLocalDescription(answer);
    await a.setRemoteDescription(answer);
    await until(() => a.connectionState === 'connected', 'the control pair connected');
    await until(() => remote.getTracks().length === 2, 'both tracks at b');
    for (const track of local.getTracks()) track.stop();
    a.close();
    b.close();
  })();
  await collect();
  expect(alive(refs)).toEqual(['a kept object (must stay)']);
  expect(kept.marker).toBeDefined();
});

test.each([
  ['the consumer', 'local'],
  ['the agent', 'remote'],
] as const)(
  "after %s hangs up, the call's streams, peer connection and the invitation's TURN credentials are collectable while the client lives on",
  async (_who, by) => {
    const refs = new Map<string, WeakRef<object>>();
    const [consumerEnd, agentEnd] = createMemoryTransportPair();
    const consumerPlatform = createNodePlatform(wrtc);
    const agentPlatform = createNodePlatform(wrtc);
    platforms.push(consumerPlatform, agentPlatform);
    let pcCount = 0;
    // The platform's own RTCPeerConnection, wrapped to see the ones the SDK creates.
    const observed = (side: string) =>
      class Observed extends wrtc.RTCPeerConnection {
        constructor(configuration?: RTCConfiguration) {
          super(configuration);
          pcCount++;
          refs.set(`${side} RTCPeerConnection`, new WeakRef(this));
        }
      } as unknown as typeof RTCPeerConnection;
    const client = new CallClient({
      transport: consumerEnd,
      platform: { ...consumerPlatform, RTCPeerConnection: observed('consumer') },
    });
    // The agent lives on as well: AgentCall releases its call's objects too.
    const agent = new AgentCall({
      transport: agentEnd,
      platform: { ...agentPlatform, RTCPeerConnection: observed('agent') },
      media: 'video',
      iceServers: turn.iceServers(),
    });
    agent.on('localstream', (stream) => refs.set('agent local MediaStream', new WeakRef(stream)));
    agent.on('remotestream', (stream) => refs.set('agent remote MediaStream', new WeakRef(stream)));
    let localStreams = 0;
    let remoteStreams = 0;
    const seen = new WeakSet<MediaStream>();
    client.on('localstream', (stream) => {
      if (seen.has(stream)) return;
      seen.add(stream);
      refs.set(`consumer local MediaStream #${++localStreams}`, new WeakRef(stream));
    });
    client.on('remotestream', (stream) => {
      if (seen.has(stream)) return;
      seen.add(stream);
      refs.set(`consumer remote MediaStream #${++remoteStreams}`, new WeakRef(stream));
    });
    let keptCredential: unknown;
    client.on('invitation', () => {
      // The parsed iceServers the client keeps for the call (a private field:
      // nothing public exposes the credentials, by design).
      const kept = (client as unknown as { core: { call: { iceServers?: RTCIceServer[] } | null } })
        .core.call?.iceServers;
      keptCredential = kept?.[0]?.credential;
      if (kept?.[0]) {
        refs.set("the invitation's iceServers array", new WeakRef(kept));
        refs.set("the invitation's credential holder", new WeakRef(kept[0]));
      }
      void client.accept();
    });

    const agentEnded = await (async () => {
      agent.invite();
      await Promise.all([reachState(client, 'connected'), reachState(agent, 'connected')]);
      // A camera toggle: the local stream gets a new video track.
      await client.setVideoEnabled(false);
      await client.setVideoEnabled(true);
      const ended = nextEvent<EndedEvent>(client, 'ended');
      const atAgent = nextEvent<AgentEndedEvent>(agent, 'ended');
      if (by === 'local') client.hangup();
      else agent.hangup();
      expect(await ended).toMatchObject({ reason: 'normal', by });
      return atAgent;
    })();
    expect(agentEnded.reason).toBe('normal');
    expect(keptCredential).toBe(turn.credential);
    expect([...refs.keys()].sort()).toEqual([
      'agent RTCPeerConnection',
      'agent local MediaStream',
      'agent remote MediaStream',
      'consumer RTCPeerConnection',
      'consumer local MediaStream #1',
      'consumer remote MediaStream #1',
      "the invitation's credential holder",
      "the invitation's iceServers array",
    ]);
    expect([localStreams, remoteStreams, pcCount]).toEqual([1, 1, 2]);
    consumerPlatform.mediaDevices.stopAll();
    agentPlatform.mediaDevices.stopAll();

    await collect();
    expect(alive(refs)).toEqual([]);
    // The client itself is alive and usable for the next call.
    expect(client.state).toBe('ended');
    expect(client.callInfo?.callId).toEqual(expect.any(String));
    expect(agent.state).toBe('ended');
    client.destroy();
    agent.destroy();
  },
);
