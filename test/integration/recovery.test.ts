/**
 * What a connected call survives, on real calls (wrtc, in-memory transport,
 * synthetic devices), through the public API only:
 *
 * - a description or a candidate that cannot be applied mid-call is a
 *   warning, not the end of a healthy call, on either side;
 * - a microphone or camera change that fails rejects with the documented
 *   CallError, and the agent goes on receiving the consumer's media;
 * - an agent whose call ends while it starts its media (a listener of
 *   `accepted` hangs up) leaves no camera or microphone open.
 *
 * Nothing here waits to prove that something did not happen: each test
 * waits for the event that settles the question (a warning or the end of
 * the call; a media-state that arrives after; new frames at the far side).
 */
import wrtc from 'wrtc';
import type { EventEmitter } from 'eventemitter3';
import { setupCall, bytesReceived } from '../support/harness';
import type { CallSetup, SetupOptions } from '../support/harness';
import { nextEvent, reachState, until } from '../support/wait';
import { isFront, stopFrameWatches, watchFrames } from '../support/media';
import type { FrameWatch } from '../support/media';
import { CallError, PROTOCOL_VERSION } from '../../src';
import type { CallWarning, EndedEvent, MediaState, Message, MessageBody } from '../../src';
import type { AgentEndedEvent } from '../../src/agent';
import { createNodePlatform } from '../../src/testing';
import type { NodePlatform } from '../../src/testing';

jest.setTimeout(30_000);

interface Call extends CallSetup {
  /** What the agent receives from the consumer (all tracks in one stream). */
  atAgent: Promise<MediaStream>;
}

let current: CallSetup | undefined;
/** Platforms made by a test rather than by the harness: their tracks are stopped after it. */
const ownPlatforms: NodePlatform[] = [];

afterEach(async () => {
  stopFrameWatches();
  await current?.cleanup();
  current = undefined;
  for (const platform of ownPlatforms.splice(0)) platform.mediaDevices.stopAll();
});

/** Sets up both sides, has the agent invite and the consumer accept, and waits for `connected`. */
async function connect(options: SetupOptions = {}): Promise<Call> {
  const setup = await setupCall(options);
  current = setup;
  const call: Call = { ...setup, atAgent: nextEvent<MediaStream>(setup.agent, 'remotestream') };
  setup.client.once('invitation', () => void setup.client.accept());
  setup.agent.invite();
  await Promise.all([reachState(setup.client, 'connected'), reachState(setup.agent, 'connected')]);
  return call;
}

/** Hangs up, then checks that nothing is left open on either side. */
async function hangUpAndCheckReleased(call: Call): Promise<void> {
  stopFrameWatches();
  const ended = Promise.all([
    nextEvent<EndedEvent>(call.client, 'ended'),
    nextEvent<AgentEndedEvent>(call.agent, 'ended'),
  ]);
  call.client.hangup();
  const [consumer, agent] = await ended;
  expect(consumer).toMatchObject({ reason: 'normal', by: 'local' });
  expect(agent).toMatchObject({ reason: 'normal', by: 'remote' });
  expect(call.client.liveTrackCount).toBe(0);
  expect(call.agent.liveTrackCount).toBe(0);
  expect(call.consumerPlatform.mediaDevices.liveTracks()).toHaveLength(0);
  expect(call.agentPlatform.mediaDevices.liveTracks()).toHaveLength(0);
}

let injected = 0;

/**
 * Sends a protocol-valid message of this call as `from`, through that side's
 * own transport, as a buggy or compromised peer would: right version, fresh
 * id, the call's callId.
 */
function inject(call: Call, from: 'agent' | 'consumer', body: MessageBody): Message {
  const message = {
    ...body,
    v: PROTOCOL_VERSION,
    id: `injected-${from}-${++injected}`,
    callId: call.agent.callId,
    from,
    // As the side itself would address it (protocol 1.1): the consumer's instance, the holder.
    ...(from === 'consumer'
      ? { instance: call.client.instanceId }
      : call.agent.holder
        ? { to: call.agent.holder }
        : {}),
  } as Message;
  (from === 'agent' ? call.agentTap : call.consumerTap).send(message);
  return message;
}

type Outcome = { warning: CallWarning['code'] } | { ended: string };

type Side = Pick<EventEmitter, 'on' | 'off'>;

/**
 * The first of a warning and the end of the call on `side`. Listens from
 * now: call it before sending what should cause it.
 */
function warningOrEnd(side: Side, ms = 10_000): Promise<Outcome> {
  return new Promise<Outcome>((resolve, reject) => {
    const finish = (outcome: Outcome | Error) => {
      clearTimeout(timer);
      side.off('warning', onWarning as never);
      side.off('ended', onEnded as never);
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const onWarning = (w: CallWarning) => finish({ warning: w.code });
    const onEnded = (e: { reason: string; detail?: string }) =>
      finish({ ended: `${e.reason}: ${e.detail ?? ''}` });
    const timer = setTimeout(
      () => finish(new Error(`neither a warning nor the end of the call within ${ms} ms`)),
      ms,
    );
    side.on('warning', onWarning as never);
    side.on('ended', onEnded as never);
  });
}

/** Waits until the agent's view of the consumer's media matches `expected`. */
function agentSees(call: Call, expected: Partial<MediaState>, what = JSON.stringify(expected)) {
  return until(() => {
    const state = call.agent.remoteMediaState;
    if (!state) return false;
    for (const key of Object.keys(expected) as (keyof MediaState)[]) {
      if (state[key] !== expected[key]) return false;
    }
    return true;
  }, `the agent to see ${what}`);
}

/** Waits until `kind` bytes received by `side` grow by `by` from now. */
async function keepsFlowing(
  side: { getStats(): Promise<RTCStatsReport | null> },
  kind: 'audio' | 'video',
  what: string,
  by = 500,
): Promise<void> {
  const start = (await bytesReceived(side))[kind];
  await until(async () => (await bytesReceived(side))[kind] > start + by, what);
}

/** Frames of the consumer's camera as the agent decodes them. */
async function framesAtAgent(call: Call): Promise<FrameWatch> {
  const received = await call.atAgent;
  const track = await until(() => received.getVideoTracks()[0], 'a video track at the agent');
  if (!track) throw new Error('no video track at the agent');
  return watchFrames(track);
}

/** Waits for `n` more frames at the agent than it has now. */
function newFrames(frames: FrameWatch, n: number, what: string): Promise<unknown> {
  const count = frames.count;
  return until(() => frames.count >= count + n, what);
}

/** The track the consumer's peer connection is sending for `kind` (the consumer's pc is the first). */
function sentTrack(call: Call, kind: 'audio' | 'video'): MediaStreamTrack | null {
  const pc = call.peerConnections[0];
  const transceiver = pc?.getTransceivers().find((t) => t.receiver.track.kind === kind);
  return transceiver?.sender.track ?? null;
}

function localTrack(call: Call, kind: 'audio' | 'video'): MediaStreamTrack | undefined {
  const stream = call.client.localStream;
  return kind === 'audio' ? stream?.getAudioTracks()[0] : stream?.getVideoTracks()[0];
}

/** How a promise failed, as `CallError(code): message`, so that a diff says what was thrown instead. */
async function failureOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (error === null) return 'resolved';
  const e = error as { message?: unknown; code?: unknown };
  const type = error instanceof CallError ? 'CallError' : 'not a CallError';
  return `${type}(${String(e.code)}): ${String(e.message)}`;
}

/** The consumer's mute reaches the agent: signaling and the call are alive. */
async function muteReachesAgent(call: Call): Promise<void> {
  call.client.setAudioMuted(true);
  await agentSees(call, { audioMuted: true });
  call.client.setAudioMuted(false);
  await agentSees(call, { audioMuted: false });
}

// ---------------------------------------------------------------------------

describe('a description or candidate that cannot be applied mid-call', () => {
  test("the agent's unparseable offer: the consumer warns, stays connected, media flows both ways", async () => {
    const call = await connect();
    const frames = await framesAtAgent(call);
    await newFrames(frames, 3, 'frames at the agent before the bad offer');

    const outcome = warningOrEnd(call.client);
    inject(call, 'agent', { type: 'sdp', description: { type: 'offer', sdp: 'garbage' } });
    expect(await outcome).toEqual({ warning: expect.any(String) });

    expect(call.client.state).toBe('connected');
    expect(call.agent.state).toBe('connected');
    await muteReachesAgent(call);
    await newFrames(frames, 10, 'new frames at the agent after the bad offer');
    await keepsFlowing(call.agent, 'audio', 'audio at the agent after the bad offer');
    await keepsFlowing(call.client, 'audio', 'audio at the consumer after the bad offer');
    await hangUpAndCheckReleased(call);
  });

  test('an unparseable answer to an ICE restart offer: the consumer warns, stays connected, media flows', async () => {
    const call = await connect();
    const frames = await framesAtAgent(call);
    await newFrames(frames, 3, 'frames at the agent before the restart');
    const offersBefore = call.consumerTap.count('sdp');

    // A corrupted answer reaches the consumer just before the agent's real one.
    let corrupted = false;
    call.agentTap.shape = (message) => {
      if (!corrupted && message.type === 'sdp' && message.description.type === 'answer') {
        corrupted = true;
        inject(call, 'agent', { type: 'sdp', description: { type: 'answer', sdp: 'garbage' } });
      }
      return {};
    };
    const outcome = warningOrEnd(call.client);
    // The browser restarts ICE (as after a network change): the SDK makes the offer.
    call.peerConnections[0]?.restartIce();
    await until(() => call.consumerTap.count('sdp') > offersBefore, 'the ICE restart offer');
    expect(await outcome).toEqual({ warning: expect.any(String) });
    expect(corrupted).toBe(true);

    expect(call.client.state).toBe('connected');
    expect(call.agent.state).toBe('connected');
    await muteReachesAgent(call);
    await newFrames(frames, 10, 'new frames at the agent after the bad answer');
    await keepsFlowing(call.client, 'audio', 'audio at the consumer after the bad answer');
    await hangUpAndCheckReleased(call);
  });

  test('guard: an unparseable answer with no offer pending is ignored with a warning', async () => {
    const call = await connect();
    const outcome = warningOrEnd(call.client);
    inject(call, 'agent', { type: 'sdp', description: { type: 'answer', sdp: 'garbage' } });
    expect(await outcome).toEqual({ warning: expect.any(String) });
    expect(call.client.state).toBe('connected');
    await muteReachesAgent(call);
    await keepsFlowing(call.agent, 'audio', 'audio at the agent after the bad answer');
    await hangUpAndCheckReleased(call);
  });

  test('guard: a candidate that cannot be applied is a warning, the call goes on', async () => {
    const call = await connect();
    const outcome = warningOrEnd(call.client);
    inject(call, 'agent', {
      type: 'ice',
      candidate: { candidate: 'candidate:garbage', sdpMid: 'no-such-mid', sdpMLineIndex: 7 },
    });
    expect(await outcome).toEqual({ warning: 'ice-candidate' });
    expect(call.client.state).toBe('connected');
    await muteReachesAgent(call);
    await keepsFlowing(call.agent, 'audio', 'audio at the agent after the bad candidate');
    await hangUpAndCheckReleased(call);
  });

  test("the consumer's unparseable offer: the agent warns, stays connected, media flows both ways", async () => {
    const call = await connect();
    const frames = await framesAtAgent(call);
    await newFrames(frames, 3, 'frames at the agent before the bad offer');

    const outcome = warningOrEnd(call.agent);
    inject(call, 'consumer', { type: 'sdp', description: { type: 'offer', sdp: 'garbage' } });
    expect(await outcome).toEqual({ warning: expect.any(String) });

    expect(call.agent.state).toBe('connected');
    expect(call.client.state).toBe('connected');
    await muteReachesAgent(call);
    await newFrames(frames, 10, 'new frames at the agent after the bad offer');
    await keepsFlowing(call.client, 'audio', 'audio at the consumer after the bad offer');
    await hangUpAndCheckReleased(call);
  });
});

describe('a microphone change that fails in a voice call', () => {
  test('an unknown microphone: selectMicrophone rejects no-device, the microphone in use goes on', async () => {
    const call = await connect({ agent: { media: 'voice' } });
    const mic = localTrack(call, 'audio');

    expect(await failureOf(call.client.selectMicrophone('no-such-device'))).toMatch(
      /^CallError\(no-device\)/,
    );
    expect(call.client.state).toBe('connected');
    expect(localTrack(call, 'audio')).toBe(mic);
    expect(sentTrack(call, 'audio')).toBe(mic);
    await keepsFlowing(call.agent, 'audio', 'audio at the agent after the failed select');
    await hangUpAndCheckReleased(call);
  });

  test('permission refused: selectMicrophone rejects permission-denied, the call goes on', async () => {
    const call = await connect({ agent: { media: 'voice' } });
    call.consumerPlatform.mediaDevices.setDenied({ audio: true });

    expect(await failureOf(call.client.selectMicrophone('microphone'))).toMatch(
      /^CallError\(permission-denied\)/,
    );
    expect(call.client.state).toBe('connected');
    await keepsFlowing(call.agent, 'audio', 'audio at the agent after the refused select');
    await hangUpAndCheckReleased(call);
  });
});

describe('a camera change that fails in a video call', () => {
  test('an unknown camera: selectCamera rejects no-device and the agent keeps receiving new frames', async () => {
    const call = await connect();
    const frames = await framesAtAgent(call);
    await until(() => frames.lastAre(3, isFront), 'front camera frames at the agent');

    expect(await failureOf(call.client.selectCamera('no-such-device'))).toMatch(
      /^CallError\(no-device\)/,
    );
    expect(call.client.state).toBe('connected');
    // What the agent receives: the consumer's camera, still moving.
    await newFrames(frames, 10, 'new frames at the agent after the failed selectCamera');
    expect(frames.lastAre(5, isFront)).toBe(true);
    await keepsFlowing(call.agent, 'video', 'video bytes at the agent after the failed select');
    // The sender sends the live camera LocalMedia holds, not the one it released.
    const camera = localTrack(call, 'video');
    expect(camera?.readyState).toBe('live');
    expect(sentTrack(call, 'video')).toBe(camera);
    await hangUpAndCheckReleased(call);
  });
});

describe('the agent hangs up as the consumer accepts', () => {
  /**
   * The agent's platform with getUserMedia held: every request waits until
   * `grant()`, which answers them and waits until the SDK has had them.
   */
  function heldAgentPlatform() {
    const platform = createNodePlatform(wrtc);
    ownPlatforms.push(platform);
    const devices = platform.mediaDevices;
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const requests: Promise<unknown>[] = [];
    const held: NodePlatform = {
      ...platform,
      mediaDevices: {
        ...devices,
        getUserMedia: (constraints: MediaStreamConstraints) => {
          const answer = gate.then(() => devices.getUserMedia(constraints));
          requests.push(answer.catch(() => undefined));
          return answer;
        },
      },
    };
    return {
      platform: held,
      devices,
      requests,
      async grant(): Promise<void> {
        open();
        await Promise.all(requests);
        // The SDK's own continuations of the granted requests run before this turn ends.
        await new Promise((resolve) => setImmediate(resolve));
      },
    };
  }

  test.each([
    ['a listener of accepted', 'accepted'],
    ["a listener of statechange to 'accepted'", 'statechange'],
  ] as const)(
    '%s hangs up: once media requests are answered, the agent has nothing open',
    async (_name, event) => {
      const agentMedia = heldAgentPlatform();
      const setup = await setupCall({ agent: { platform: agentMedia.platform } });
      current = setup;
      const { client, agent } = setup;
      if (event === 'accepted') {
        agent.once('accepted', () => agent.hangup());
      } else {
        agent.on('statechange', ({ state }) => {
          if (state === 'accepted') agent.hangup();
        });
      }
      client.once('invitation', () => void client.accept());
      const ended = Promise.all([
        nextEvent<AgentEndedEvent>(agent, 'ended'),
        nextEvent<EndedEvent>(client, 'ended'),
      ]);
      agent.invite();
      const [agentEnded, consumerEnded] = await ended;
      expect(agentEnded).toMatchObject({ reason: 'normal', by: 'local' });
      expect(consumerEnded).toMatchObject({ reason: 'normal', by: 'remote' });
      expect(agent.state).toBe('ended');

      // Whatever the agent asked for is granted now, after the end of its call.
      await agentMedia.grant();
      expect({
        liveTrackCount: agent.liveTrackCount,
        liveSyntheticTracks: agentMedia.devices.liveTracks().length,
      }).toEqual({ liveTrackCount: 0, liveSyntheticTracks: 0 });
    },
  );
});
