/**
 * Screen share on the agent's request (protocol 1.1) on real calls: CallClient
 * and AgentCall on wrtc over the in-memory pair, the consumer's screen from
 * the synthetic devices' getDisplayMedia. The agent tells the shared screen
 * from the camera by what it decodes: the synthetic screen is 640x360 (16:9)
 * with a bright background (luma 240), the front camera 320x240 (4:3) with a
 * dark one (luma 64); the shape survives an encoder's downscaling.
 *
 * In a video call the screen replaces the camera on the existing video
 * sender: the consumer sends exactly one `sdp` (its first offer) through
 * share and stop. In a voice call sharing adds a video transceiver: exactly
 * one more offer. Every test ends with nothing open: no live track on either
 * side (the screen's included), every peer connection closed.
 */
import wrtc from 'wrtc';
import { setupCall, bytesReceived } from '../support/harness';
import type { CallSetup, SetupOptions } from '../support/harness';
import { nextEvent, reachState, until } from '../support/wait';
import { centreLuma } from '../support/media';
import { CallError } from '../../src/foundation/errors';
import type { EndedEvent, MediaState } from '../../src/call/events';
import type { AgentEndedEvent } from '../../src/agent/AgentCall';
import type { Message } from '../../src/protocol/messages';

jest.setTimeout(30_000);

// ---- frames at the agent ---------------------------------------------------------

interface Frame {
  width: number;
  height: number;
  luma: number;
}

interface ShapeWatch {
  readonly frames: readonly Frame[];
  lastAre(n: number, test: (frame: Frame) => boolean): boolean;
  stop(): void;
}

const sinks = new Set<ShapeWatch>();

/** Records size and centre luma of every frame of a received video track. */
function watchShapes(track: MediaStreamTrack): ShapeWatch {
  const sink = new wrtc.nonstandard.RTCVideoSink(track);
  const frames: Frame[] = [];
  sink.onframe = ({ frame }: { frame: { width: number; height: number; data: Uint8Array } }) => {
    frames.push({ width: frame.width, height: frame.height, luma: centreLuma(frame) });
  };
  const watch: ShapeWatch = {
    frames,
    lastAre(n, test) {
      if (frames.length < n) return false;
      return frames.slice(-n).every(test);
    },
    stop() {
      if (!sink.stopped) sink.stop();
      sinks.delete(watch);
    },
  };
  sinks.add(watch);
  return watch;
}

function stopSinks(): void {
  for (const watch of [...sinks]) watch.stop();
}

/** The synthetic screen: 16:9 and bright. */
const isScreen = (f: Frame): boolean => f.width / f.height > 1.6 && f.luma > 200;
/** The front camera: 4:3 and dark. */
const isCamera = (f: Frame): boolean => f.width / f.height < 1.45 && f.luma < 128;
/** Waits until the last 5 frames at the agent pass `test`; the failure tells what arrived. */
async function framesAre(watch: ShapeWatch, test: (frame: Frame) => boolean, what: string) {
  try {
    await until(() => watch.lastAre(5, test), what);
  } catch (error) {
    const last = watch.frames.slice(-5).map((f) => `${f.width}x${f.height} luma ${f.luma}`);
    throw new Error(
      `${(error as Error).message} (${watch.frames.length} frames, the last ${JSON.stringify(last)})`,
      { cause: error },
    );
  }
}

// ---- calls -----------------------------------------------------------------------

interface Call extends CallSetup {
  /** The consumer's `share-request` events, in order. */
  requests: { reason?: string }[];
  /** The consumer's `screen` events, in order. */
  screens: (MediaStream | null)[];
  /** The agent's `share-reply` events, in order. */
  replies: { accepted: boolean; reason?: string }[];
  /** The agent's `remotemediastate` events, in order. */
  remoteStates: MediaState[];
}

let current: CallSetup | undefined;

afterEach(async () => {
  stopSinks();
  await current?.cleanup();
  current = undefined;
});

async function connect(options: SetupOptions = {}): Promise<Call> {
  const setup = await setupCall(options);
  current = setup;
  const call: Call = { ...setup, requests: [], screens: [], replies: [], remoteStates: [] };
  setup.client.on('share-request', (r) => call.requests.push(r));
  setup.client.on('screen', (s) => call.screens.push(s));
  setup.agent.on('share-reply', (r) => call.replies.push(r));
  setup.agent.on('remotemediastate', (s) => call.remoteStates.push(s));
  setup.client.once('invitation', () => void setup.client.accept());
  setup.agent.invite();
  await Promise.all([reachState(setup.client, 'connected'), reachState(setup.agent, 'connected')]);
  return call;
}

type SdpMessage = Extract<Message, { type: 'sdp' }>;

/** The offers the consumer sent. */
function offers(call: Call): number {
  return call.consumerTap.sent.filter(
    (m): m is SdpMessage => m.type === 'sdp' && m.description.type === 'offer',
  ).length;
}

type MediaStateMessage = Extract<Message, { type: 'media-state' }>;

function lastMediaStateSent(call: Call): MediaStateMessage | undefined {
  return call.consumerTap.sent
    .filter((m): m is MediaStateMessage => m.type === 'media-state')
    .at(-1);
}

/** The consumer's peer connection: the one sending a synthetic track of the consumer. */
function consumerPc(call: Call): RTCPeerConnection {
  const devices = call.consumerPlatform.mediaDevices;
  const pc = call.peerConnections.find((p) =>
    p.getSenders().some((s) => s.track && devices.deviceOf(s.track) !== undefined),
  );
  if (!pc) throw new Error("no peer connection sends the consumer's media");
  return pc;
}

function agentPc(call: Call): RTCPeerConnection {
  const mine = consumerPc(call);
  const pc = call.peerConnections.find((p) => p !== mine);
  if (!pc) throw new Error("no agent's peer connection");
  return pc;
}

function videoTransceivers(pc: RTCPeerConnection): RTCRtpTransceiver[] {
  return pc.getTransceivers().filter((t) => t.receiver.track.kind === 'video');
}

/** The track the consumer sends on its (one) video transceiver. */
function sentVideo(call: Call): MediaStreamTrack | null {
  const [video, ...more] = videoTransceivers(consumerPc(call));
  expect(more).toHaveLength(0);
  return video?.sender.track ?? null;
}

/** The agent's receiving video track (on its one video transceiver), once there is one. */
async function agentVideoTrack(call: Call): Promise<MediaStreamTrack> {
  const track = await until(
    () => videoTransceivers(agentPc(call))[0]?.receiver.track,
    'a video transceiver at the agent',
  );
  if (!track) throw new Error('no video track at the agent');
  return track;
}

function agentSees(call: Call, expected: Partial<MediaState>): Promise<unknown> {
  return until(
    () => {
      const state = call.agent.remoteMediaState;
      if (!state) return false;
      return (Object.keys(expected) as (keyof MediaState)[]).every(
        (key) => state[key] === expected[key],
      );
    },
    `the agent to see ${JSON.stringify(expected)}`,
  );
}

async function keepsFlowing(
  side: { getStats(): Promise<RTCStatsReport | null> },
  kind: 'audio' | 'video',
  what: string,
  by = 500,
): Promise<void> {
  const start = (await bytesReceived(side))[kind];
  await until(async () => (await bytesReceived(side))[kind] > start + by, what);
}

/** The agent asks; resolves with the consumer's `share-request` event. */
async function agentAsks(call: Call, reason?: string): Promise<{ reason?: string }> {
  const request = nextEvent<{ reason?: string }>(call.client, 'share-request');
  call.agent.requestScreenShare(reason);
  return request;
}

async function rejection(promise: Promise<unknown>): Promise<CallError> {
  const error = await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CallError);
  return error as CallError;
}

function syncError(fn: () => unknown): CallError {
  let thrown: unknown = null;
  try {
    const result = fn();
    // A promise-returning method must throw, not reject; swallow a stray rejection.
    if (result instanceof Promise) result.catch(() => undefined);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(CallError);
  return thrown as CallError;
}

/** Hangs up from `by`, then checks that nothing is left open on either side. */
async function hangUpAndCheckReleased(call: Call, by: 'consumer' | 'agent' = 'consumer') {
  stopSinks();
  const ended = Promise.all([
    nextEvent<EndedEvent>(call.client, 'ended'),
    nextEvent<AgentEndedEvent>(call.agent, 'ended'),
  ]);
  if (by === 'consumer') call.client.hangup();
  else call.agent.hangup();
  const [consumer, agent] = await ended;
  expect(consumer).toMatchObject({ reason: 'normal', by: by === 'consumer' ? 'local' : 'remote' });
  expect(agent).toMatchObject({ reason: 'normal', by: by === 'consumer' ? 'remote' : 'local' });
  expect(call.client.liveTrackCount).toBe(0);
  expect(call.agent.liveTrackCount).toBe(0);
  expect(call.consumerPlatform.mediaDevices.liveTracks()).toHaveLength(0);
  expect(call.agentPlatform.mediaDevices.liveTracks()).toHaveLength(0);
  for (const track of call.consumerPlatform.mediaDevices.screenTracks()) {
    expect(track.readyState).toBe('ended');
  }
  expect(call.consumerPlatform.mediaDevices.activeFeeders()).toBe(0);
  for (const pc of call.peerConnections) expect(pc.signalingState).toBe('closed');
}

/** Shares in a video call (on a request) and waits until the agent decodes the screen. */
async function shareInVideoCall(call: Call, frames: ShapeWatch): Promise<MediaStreamTrack> {
  await agentAsks(call, 'Show me the error');
  const reply = nextEvent<{ accepted: boolean }>(call.agent, 'share-reply');
  await call.client.startScreenShare();
  expect(await reply).toEqual({ accepted: true });
  const [screen] = call.consumerPlatform.mediaDevices.screenTracks();
  if (!screen) throw new Error('getDisplayMedia gave no track');
  await agentSees(call, { screen: true });
  await framesAre(frames, isScreen, 'screen frames at the agent');
  return screen;
}

// ---------------------------------------------------------------------------------

describe('a video call', () => {
  test('the agent asks with a reason; the screen replaces the camera on the same sender, no offer; stop brings the camera back', async () => {
    const call = await connect();
    expect(call.client.canShareScreen).toBe(true);
    const devices = call.consumerPlatform.mediaDevices;
    const received = await agentVideoTrack(call);
    const frames = watchShapes(received);
    await until(() => frames.lastAre(3, isCamera), 'front camera frames at the agent');
    const camera = sentVideo(call);
    expect(devices.deviceOf(camera as MediaStreamTrack)).toBe('front');
    const transceiversBefore = consumerPc(call).getTransceivers().length;
    const agentTransceiversBefore = agentPc(call).getTransceivers().length;

    // The request and its reason reach the consumer.
    expect(await agentAsks(call, 'Show me the error')).toEqual({ reason: 'Show me the error' });
    expect(call.requests).toEqual([{ reason: 'Show me the error' }]);

    const reply = nextEvent<{ accepted: boolean }>(call.agent, 'share-reply');
    const screenEvent = nextEvent<MediaStream | null>(call.client, 'screen');
    await call.client.startScreenShare();
    expect(await reply).toEqual({ accepted: true });
    expect(devices.getDisplayMediaCalls).toEqual([{ video: true, audio: false }]);
    const [screen, ...moreScreens] = devices.screenTracks();
    expect(moreScreens).toHaveLength(0);
    expect(screen?.readyState).toBe('live');
    // The `screen` event carries the shared stream.
    const shared = await screenEvent;
    expect(shared?.getVideoTracks().map((t) => t.id)).toEqual([screen?.id]);
    expect(call.client.localMediaState).toMatchObject({ screen: true });
    expect(lastMediaStateSent(call)).toMatchObject({ screen: true });
    await agentSees(call, { screen: true });
    expect(call.remoteStates.some((s) => s.screen === true)).toBe(true);

    // The same sender and transceivers carry it: replaceTrack, no new offer.
    expect(sentVideo(call)).toBe(screen);
    expect(consumerPc(call).getTransceivers()).toHaveLength(transceiversBefore);
    expect(agentPc(call).getTransceivers()).toHaveLength(agentTransceiversBefore);
    await framesAre(frames, isScreen, 'screen frames (16:9, bright) on the same receiving track');
    expect((await agentVideoTrack(call)).id).toBe(received.id);
    expect(offers(call)).toBe(1);
    expect(call.consumerTap.count('sdp')).toBe(1);
    // The microphone still goes out.
    await keepsFlowing(call.agent, 'audio', 'audio at the agent while sharing');

    // Stop: the screen ends, the camera comes back on the same sender.
    const stopped = nextEvent<MediaStream | null>(call.client, 'screen');
    call.client.stopScreenShare();
    expect(await stopped).toBeNull();
    expect(screen?.readyState).toBe('ended');
    await agentSees(call, { screen: false });
    expect(call.client.localMediaState?.screen ?? false).toBe(false);
    expect(lastMediaStateSent(call)).toMatchObject({ screen: false, videoEnabled: true });
    const back = sentVideo(call);
    expect(back?.readyState).toBe('live');
    expect(devices.deviceOf(back as MediaStreamTrack)).toBe('front');
    await framesAre(frames, isCamera, 'camera frames again');
    expect(consumerPc(call).getTransceivers()).toHaveLength(transceiversBefore);
    expect(offers(call)).toBe(1);
    expect(call.replies).toEqual([{ accepted: true }]);
    await hangUpAndCheckReleased(call);
  });

  test('the browser ends the shared track ("Stop sharing"): the camera comes back and screen is false', async () => {
    const call = await connect();
    const frames = watchShapes(await agentVideoTrack(call));
    const screen = await shareInVideoCall(call, frames);

    const stopped = nextEvent<MediaStream | null>(call.client, 'screen');
    expect(call.consumerPlatform.mediaDevices.stopSharing()).toBe(1);
    expect(await stopped).toBeNull();
    expect(screen.readyState).toBe('ended');
    await agentSees(call, { screen: false, videoEnabled: true });
    expect(call.client.localMediaState?.screen ?? false).toBe(false);
    const back = sentVideo(call);
    expect(call.consumerPlatform.mediaDevices.deviceOf(back as MediaStreamTrack)).toBe('front');
    await framesAre(frames, isCamera, 'camera frames again');
    expect(offers(call)).toBe(1);
    await hangUpAndCheckReleased(call);
  });

  test('with the camera off: stop leaves the video sender empty and opens no camera', async () => {
    const call = await connect();
    const devices = call.consumerPlatform.mediaDevices;
    const frames = watchShapes(await agentVideoTrack(call));
    await call.client.setVideoEnabled(false);
    await agentSees(call, { videoEnabled: false });
    const cameraOpens = () => devices.getUserMediaCalls.filter((c) => Boolean(c.video)).length;
    const opened = cameraOpens();

    await shareInVideoCall(call, frames);
    call.client.stopScreenShare();
    await agentSees(call, { screen: false });
    expect(sentVideo(call)).toBeNull();
    expect(cameraOpens()).toBe(opened);
    expect(devices.liveTracks().filter((t) => t.kind === 'video')).toHaveLength(0);
    expect(offers(call)).toBe(1);
    await hangUpAndCheckReleased(call);
  });

  test.each([
    ['the consumer hangs up', 'consumer'],
    ['the agent hangs up', 'agent'],
  ] as const)(
    '%s while sharing: the shared track is stopped, no live track is left',
    async (_name, by) => {
      const call = await connect();
      const frames = watchShapes(await agentVideoTrack(call));
      const screen = await shareInVideoCall(call, frames);
      await hangUpAndCheckReleased(call, by);
      expect(screen.readyState).toBe('ended');
    },
  );
});

describe('sharing without a request', () => {
  test('the consumer shares on its own: the agent sees the screen, no share-reply is sent', async () => {
    const call = await connect();
    const frames = watchShapes(await agentVideoTrack(call));
    await call.client.startScreenShare();
    await agentSees(call, { screen: true });
    await framesAre(frames, isScreen, 'screen frames at the agent');
    expect(call.consumerTap.count('share-reply')).toBe(0);
    expect(call.replies).toEqual([]);
    expect(offers(call)).toBe(1);
    call.client.stopScreenShare();
    await agentSees(call, { screen: false });
    await hangUpAndCheckReleased(call);
  });
});

describe('a voice call', () => {
  test('sharing adds a video transceiver with exactly one new offer; the agent receives the screen, audio keeps flowing', async () => {
    const call = await connect({ agent: { media: 'voice' } });
    const devices = call.consumerPlatform.mediaDevices;
    expect(videoTransceivers(consumerPc(call))).toHaveLength(0);
    expect(offers(call)).toBe(1);
    await keepsFlowing(call.agent, 'audio', 'audio at the agent');

    const request = await agentAsks(call);
    expect(request.reason).toBeUndefined();
    const reply = nextEvent<{ accepted: boolean }>(call.agent, 'share-reply');
    await call.client.startScreenShare();
    expect(await reply).toEqual({ accepted: true });
    await agentSees(call, { screen: true });
    const [screen] = devices.screenTracks();

    // One renegotiation, made by the consumer (the offerer).
    await until(() => videoTransceivers(agentPc(call)).length > 0, 'the new m-line at the agent');
    const frames = watchShapes(await agentVideoTrack(call));
    await framesAre(frames, isScreen, 'screen frames at the agent');
    expect(sentVideo(call)).toBe(screen);
    expect(offers(call)).toBe(2);
    expect(call.agentTap.count('sdp')).toBe(2);
    expect(consumerPc(call).signalingState).toBe('stable');
    await keepsFlowing(call.agent, 'audio', 'audio at the agent while sharing');
    await keepsFlowing(call.agent, 'video', 'video bytes at the agent while sharing');
    // No camera was ever opened.
    expect(devices.getUserMediaCalls.some((c) => Boolean(c.video))).toBe(false);

    call.client.stopScreenShare();
    await agentSees(call, { screen: false });
    expect(screen?.readyState).toBe('ended');
    // The video sender sends nothing (no camera in a voice call).
    expect(sentVideo(call)).toBeNull();
    expect(devices.liveTracks().filter((t) => t.kind === 'video')).toHaveLength(0);
    expect(devices.getUserMediaCalls.some((c) => Boolean(c.video))).toBe(false);
    await keepsFlowing(call.agent, 'audio', 'audio at the agent after sharing');
    await hangUpAndCheckReleased(call);
  });
});

describe('refusals', () => {
  test('declineShare: the agent is told declined, nothing is captured', async () => {
    const call = await connect();
    await agentAsks(call, 'Could you show me?');
    const reply = nextEvent(call.agent, 'share-reply');
    call.client.declineShare();
    expect(await reply).toEqual({ accepted: false, reason: 'declined' });
    expect(call.consumerPlatform.mediaDevices.getDisplayMediaCalls).toHaveLength(0);
    expect(call.screens).toEqual([]);
    expect(call.client.localMediaState?.screen ?? false).toBe(false);
    expect(call.client.state).toBe('connected');
    expect(offers(call)).toBe(1);
    await hangUpAndCheckReleased(call);
  });

  test('no getDisplayMedia (a phone): canShareScreen is false, the SDK answers unsupported at once, no share-request event', async () => {
    const call = await connect({ consumerDevices: { screen: false } });
    expect('getDisplayMedia' in call.consumerPlatform.mediaDevices).toBe(false);
    expect(call.client.canShareScreen).toBe(false);
    const reply = nextEvent(call.agent, 'share-reply');
    const sentBefore = call.consumerTap.sent.length;
    call.agent.requestScreenShare('Show me the error');
    expect(await reply).toEqual({ accepted: false, reason: 'unsupported' });
    // The SDK's answer is the first thing the consumer sent after the request.
    expect(call.consumerTap.sent[sentBefore]).toMatchObject({
      type: 'share-reply',
      accepted: false,
      reason: 'unsupported',
    });
    expect(call.requests).toEqual([]);
    expect(call.client.state).toBe('connected');
    await hangUpAndCheckReleased(call);
  });

  test.each([
    { name: 'the user closes the picker', errorName: 'NotAllowedError', reason: 'declined' },
    {
      name: 'the capture cannot start',
      errorName: 'NotReadableError',
      reason: 'permission-denied',
    },
  ])(
    '$name ($errorName): share-reply $reason, startScreenShare rejects permission-denied, the call goes on with the camera',
    async ({ errorName, reason }) => {
      const call = await connect();
      const devices = call.consumerPlatform.mediaDevices;
      const frames = watchShapes(await agentVideoTrack(call));
      const camera = sentVideo(call);
      devices.setDisplayMediaError(errorName);
      await agentAsks(call);
      const reply = nextEvent(call.agent, 'share-reply');
      const error = await rejection(call.client.startScreenShare());
      expect(error.code).toBe('permission-denied');
      expect(await reply).toEqual({ accepted: false, reason });
      expect(devices.getDisplayMediaCalls).toHaveLength(1);
      expect(devices.screenTracks()).toHaveLength(0);
      expect(call.screens).toEqual([]);
      expect(call.client.state).toBe('connected');
      expect(call.client.localMediaState?.screen ?? false).toBe(false);
      expect(sentVideo(call)).toBe(camera);
      expect(camera?.readyState).toBe('live');
      const count = frames.frames.length;
      await until(
        () => frames.frames.length > count + 5 && frames.lastAre(5, isCamera),
        'camera frames still reach the agent',
      );
      expect(call.agent.remoteMediaState?.screen ?? false).toBe(false);
      expect(offers(call)).toBe(1);
      await hangUpAndCheckReleased(call);
    },
  );
});

describe('states and capabilities', () => {
  test('an invitation without screen-share: requestScreenShare throws invalid-state, nothing is sent', async () => {
    const call = await connect({ agent: { features: ['instances', 'resume'] } });
    const before = call.agentTap.count('share-request');
    expect(syncError(() => call.agent.requestScreenShare('Show me')).code).toBe('invalid-state');
    expect(call.agentTap.count('share-request')).toBe(before);
    expect(call.requests).toEqual([]);
    await hangUpAndCheckReleased(call);
  });

  test('outside a call: startScreenShare throws invalid-state synchronously, requestScreenShare too', async () => {
    const setup = await setupCall();
    current = setup;
    expect(syncError(() => setup.client.startScreenShare()).code).toBe('invalid-state');
    expect(syncError(() => setup.agent.requestScreenShare()).code).toBe('invalid-state');
    // Ringing is not a call yet either.
    const invited = nextEvent(setup.client, 'invitation');
    setup.agent.invite();
    await invited;
    expect(syncError(() => setup.client.startScreenShare()).code).toBe('invalid-state');
    expect(syncError(() => setup.agent.requestScreenShare()).code).toBe('invalid-state');
    expect(setup.consumerPlatform.mediaDevices.getDisplayMediaCalls).toHaveLength(0);
  });
});

describe('the synthetic screen (src/testing)', () => {
  test('getDisplayMedia gives one 16:9 video track that stopSharing ends with an ended event; errors on demand', async () => {
    const setup = await setupCall();
    current = setup;
    const devices = setup.consumerPlatform.mediaDevices;
    if (!devices.getDisplayMedia) throw new Error('no getDisplayMedia');
    const stream = await devices.getDisplayMedia({ video: true, audio: true });
    expect(stream.getAudioTracks()).toHaveLength(0);
    const [track] = stream.getVideoTracks();
    if (!track) throw new Error('no screen track');
    expect(track.label).toBe('screen:0:0');
    expect(track.getSettings()).toMatchObject({
      displaySurface: 'monitor',
      width: 640,
      height: 360,
    });
    expect(devices.deviceOf(track)).toBe('screen:0:0');
    expect(devices.liveTracks()).toContain(track);
    expect(devices.activeFeeders()).toBe(1);
    const ended = new Promise<void>((resolve) =>
      track.addEventListener('ended', () => resolve(), { once: true }),
    );
    expect(devices.stopSharing()).toBe(1);
    expect(track.readyState).toBe('ended');
    await ended;
    expect(devices.liveTracks()).toHaveLength(0);
    expect(devices.activeFeeders()).toBe(0);
    expect(devices.stopSharing()).toBe(0);

    devices.setDisplayMediaError('NotAllowedError');
    await expect(devices.getDisplayMedia({ video: true })).rejects.toMatchObject({
      name: 'NotAllowedError',
    });
    devices.setDisplayMediaError(null);
    await expect(devices.getDisplayMedia({ video: false })).rejects.toBeInstanceOf(TypeError);
    expect(devices.getDisplayMediaCalls).toHaveLength(3);
    expect(devices.screenTracks()).toEqual([track]);
  });
});
