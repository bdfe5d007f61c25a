/**
 * In-call controls on real calls (wrtc, in-memory transport, synthetic
 * devices): mute, camera on/off, camera switch, device selection, failover
 * when a device is unplugged, accepting video as voice, rapid toggling and a
 * camera refused mid-call. Every test checks real media at the far side and
 * ends with nothing open: no live local track on either side, every peer
 * connection closed. Camera and device changes never renegotiate: the
 * consumer sends exactly one `sdp` (its first offer) in every call.
 */
import { setupCall, bytesReceived } from '../support/harness';
import type { CallSetup, SetupOptions } from '../support/harness';
import { nextEvent, reachState, until } from '../support/wait';
import { isBack, isFront, stopFrameWatches, watchFrames } from '../support/media';
import type { FrameWatch } from '../support/media';
import { CallError } from '../../src/foundation/errors';
import type { AcceptOptions } from '../../src/call/CallClient';
import type { CallWarning, EndedEvent, MediaState } from '../../src/call/events';
import type { DeviceList } from '../../src/media/devices';
import type { AgentEndedEvent } from '../../src/agent/AgentCall';
import type { Message } from '../../src/protocol/messages';

jest.setTimeout(30_000);

interface Call extends CallSetup {
  /** Warnings of the consumer, in order. */
  warnings: CallWarning[];
  /** Every devicechange list the consumer emitted, in order. */
  deviceLists: DeviceList[];
  /** What the agent receives from the consumer (all tracks in one stream). */
  atAgent: Promise<MediaStream>;
  /** What the consumer receives from the agent. */
  atConsumer: Promise<MediaStream>;
}

let current: CallSetup | undefined;

afterEach(async () => {
  stopFrameWatches();
  await current?.cleanup();
  current = undefined;
});

interface StartOptions extends SetupOptions {
  accept?: AcceptOptions;
  /** Runs in the invitation listener, right after `accept()` was called. */
  afterAccept?: (call: Call) => void;
}

/** Sets up both sides, has the agent invite and the consumer accept, and waits for `connected`. */
async function connect(options: StartOptions = {}): Promise<Call> {
  const setup = await setupCall(options);
  current = setup;
  return connectExisting(setup, options);
}

/** Has the agent of `setup` invite and its consumer accept, and waits for `connected`. */
async function connectExisting(setup: CallSetup, options: StartOptions = {}): Promise<Call> {
  const call: Call = {
    ...setup,
    warnings: [],
    deviceLists: [],
    atAgent: nextEvent<MediaStream>(setup.agent, 'remotestream'),
    atConsumer: nextEvent<MediaStream>(setup.client, 'remotestream'),
  };
  setup.client.on('warning', (w) => call.warnings.push(w));
  setup.client.on('devicechange', (list) => call.deviceLists.push(list));
  setup.client.once('invitation', () => {
    void setup.client.accept(options.accept);
    options.afterAccept?.(call);
  });
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
  expect(call.peerConnections.length).toBe(2);
  for (const pc of call.peerConnections) expect(pc.signalingState).toBe('closed');
}

/** The consumer made its first offer and nothing else: no renegotiation. */
function expectNoRenegotiation(call: Call): void {
  expect(call.consumerTap.count('sdp')).toBe(1);
}

type MediaStateMessage = Extract<Message, { type: 'media-state' }>;

function mediaStatesSent(call: Call): MediaStateMessage[] {
  return call.consumerTap.sent.filter((m): m is MediaStateMessage => m.type === 'media-state');
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

/** Live synthetic tracks of the consumer, by kind. */
function liveKinds(call: Call): { audio: number; video: number } {
  const kinds = { audio: 0, video: 0 };
  for (const t of call.consumerPlatform.mediaDevices.liveTracks()) {
    if (t.kind === 'audio' || t.kind === 'video') kinds[t.kind]++;
  }
  return kinds;
}

function localTrack(call: Call, kind: 'audio' | 'video'): MediaStreamTrack | undefined {
  const stream = call.client.localStream;
  return kind === 'audio' ? stream?.getAudioTracks()[0] : stream?.getVideoTracks()[0];
}

/** The track the consumer's peer connection is sending for `kind` (the consumer's pc is the first). */
function sentTrack(call: Call, kind: 'audio' | 'video'): MediaStreamTrack | null {
  const pc = call.peerConnections[0];
  const transceiver = pc?.getTransceivers().find((t) => t.receiver.track.kind === kind);
  return transceiver?.sender.track ?? null;
}

function deviceOf(call: Call, track: MediaStreamTrack | null | undefined): string | undefined {
  return track ? call.consumerPlatform.mediaDevices.deviceOf(track) : undefined;
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

/** Frames of the video track of `stream` (a received stream), once it has one. */
async function framesOf(stream: Promise<MediaStream>, what: string): Promise<FrameWatch> {
  const received = await stream;
  const track = await until(() => received.getVideoTracks()[0], what);
  if (!track) throw new Error(`no ${what}`);
  return watchFrames(track);
}

/** Frames of the consumer's camera as the agent decodes them. */
function framesAtAgent(call: Call): Promise<FrameWatch> {
  return framesOf(call.atAgent, 'a video track at the agent');
}

/** Frames of the agent's camera as the consumer decodes them. */
function framesAtConsumer(call: Call): Promise<FrameWatch> {
  return framesOf(call.atConsumer, 'a video track at the consumer');
}

async function rejection(promise: Promise<unknown>): Promise<CallError> {
  const error = await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CallError);
  return error as CallError;
}

function gumAskedForVideo(call: Call): boolean {
  return call.consumerPlatform.mediaDevices.getUserMediaCalls.some((c) => Boolean(c.video));
}

// ---------------------------------------------------------------------------

describe('mute', () => {
  test('mute keeps the microphone open and disabled, tells the agent once, unmute needs no prompt', async () => {
    const call = await connect();
    await agentSees(call, { audioMuted: false });
    const mic = localTrack(call, 'audio');
    expect(mic?.readyState).toBe('live');
    const prompts = call.consumerPlatform.mediaDevices.getUserMediaCalls.length;
    const statesBefore = mediaStatesSent(call).length;

    call.client.setAudioMuted(true);
    call.client.setAudioMuted(true); // no change: nothing more is sent
    expect(mediaStatesSent(call)).toHaveLength(statesBefore + 1);
    expect(mediaStatesSent(call).at(-1)).toMatchObject({ audioMuted: true, videoEnabled: true });
    await agentSees(call, { audioMuted: true });
    expect(call.client.localMediaState).toMatchObject({ audioMuted: true });
    // The same track, still open (the device stays in use), just disabled.
    expect(localTrack(call, 'audio')).toBe(mic);
    expect(mic?.readyState).toBe('live');
    expect(mic?.enabled).toBe(false);
    expect(call.consumerPlatform.mediaDevices.liveTracks()).toContain(mic);
    expect(sentTrack(call, 'audio')).toBe(mic);

    call.client.setAudioMuted(false);
    expect(mediaStatesSent(call)).toHaveLength(statesBefore + 2);
    await agentSees(call, { audioMuted: false });
    expect(mic?.enabled).toBe(true);
    expect(localTrack(call, 'audio')).toBe(mic);
    expect(call.consumerPlatform.mediaDevices.getUserMediaCalls).toHaveLength(prompts);
    await keepsFlowing(call.agent, 'audio', 'audio at the agent after unmuting');
    expectNoRenegotiation(call);
    await hangUpAndCheckReleased(call);
  });
});

describe('camera off and on', () => {
  test('off releases the camera and tells the agent; on opens it again and frames reach the agent', async () => {
    const call = await connect();
    const frames = await framesAtAgent(call);
    await until(() => frames.lastAre(3, isFront), 'front camera frames at the agent');
    await agentSees(call, { videoEnabled: true, camera: 'user' });
    const camera = localTrack(call, 'video');
    expect(deviceOf(call, camera)).toBe('front');

    await call.client.setVideoEnabled(false);
    expect(camera?.readyState).toBe('ended');
    expect(liveKinds(call)).toEqual({ audio: 1, video: 0 });
    expect(call.client.localStream?.getVideoTracks()).toHaveLength(0);
    expect(sentTrack(call, 'video')).toBeNull();
    expect(call.client.localMediaState).toMatchObject({ videoEnabled: false });
    await agentSees(call, { videoEnabled: false });
    const framesWhileOff = frames.count;

    await call.client.setVideoEnabled(true);
    const reopened = localTrack(call, 'video');
    expect(reopened).toBeDefined();
    expect(reopened).not.toBe(camera);
    expect(reopened?.readyState).toBe('live');
    expect(deviceOf(call, reopened)).toBe('front');
    expect(sentTrack(call, 'video')).toBe(reopened);
    expect(liveKinds(call)).toEqual({ audio: 1, video: 1 });
    await agentSees(call, { videoEnabled: true });
    // The old track ended, so these frames come from the reopened camera.
    await until(() => frames.count >= framesWhileOff + 10, 'frames at the agent after camera on');
    expect(frames.lastAre(5, isFront)).toBe(true);
    await keepsFlowing(call.agent, 'video', 'video bytes at the agent after camera on');
    expectNoRenegotiation(call);
    await hangUpAndCheckReleased(call);
  });
});

describe('starting with video off', () => {
  test.each<[string, StartOptions]>([
    ['the consumerVideoOff option', { client: { consumerVideoOff: true } }],
    ['the invitation policy consumerVideoOff', { agent: { policy: { consumerVideoOff: true } } }],
  ])('%s: the camera is not opened until setVideoEnabled(true)', async (_name, options) => {
    const call = await connect(options);
    await agentSees(call, { videoEnabled: false });
    expect(gumAskedForVideo(call)).toBe(false);
    expect(liveKinds(call)).toEqual({ audio: 1, video: 0 });
    expect(call.client.localMediaState).toMatchObject({ videoEnabled: false });
    await keepsFlowing(call.agent, 'audio', 'audio at the agent');
    expect(gumAskedForVideo(call)).toBe(false);

    const frames = await framesAtAgent(call);
    await call.client.setVideoEnabled(true);
    expect(gumAskedForVideo(call)).toBe(true);
    expect(liveKinds(call)).toEqual({ audio: 1, video: 1 });
    await agentSees(call, { videoEnabled: true, camera: 'user' });
    await until(() => frames.lastAre(5, isFront), 'front camera frames at the agent');
    expectNoRenegotiation(call);
    await hangUpAndCheckReleased(call);
  });

  test('agentVideoOff: the consumer expects no agent video, and the agent sends none until it turns its camera on', async () => {
    const before: (MediaState | null)[] = [];
    const call = await connect({
      agent: { policy: { agentVideoOff: true } },
      afterAccept: (c) => before.push(c.client.remoteMediaState),
    });
    // Before the agent's first media-state: from the policy.
    expect(before).toEqual([{ audioMuted: false, videoEnabled: false }]);
    await until(() => call.client.callInfo?.remote, "the agent's first media-state");
    expect(call.client.remoteMediaState).toEqual({ audioMuted: false, videoEnabled: false });
    expect(call.agentPlatform.mediaDevices.getUserMediaCalls.some((c) => Boolean(c.video))).toBe(
      false,
    );
    // Plenty of the agent's audio has arrived, and no video at all.
    await until(
      async () => (await bytesReceived(call.client)).audio > 4000,
      'audio at the consumer',
    );
    expect((await bytesReceived(call.client)).video).toBe(0);

    const remote = nextEvent<MediaState>(call.client, 'remotemediastate');
    await call.agent.setVideoEnabled(true);
    expect(await remote).toMatchObject({ videoEnabled: true });
    expect(call.client.remoteMediaState).toMatchObject({ videoEnabled: true });
    const frames = await framesAtConsumer(call);
    await until(() => frames.lastAre(5, isFront), "the agent's camera frames at the consumer");
    await until(
      async () => (await bytesReceived(call.client)).video > 1000,
      'video bytes at the consumer',
    );
    expectNoRenegotiation(call);
    await hangUpAndCheckReleased(call);
  });
});

describe('switching cameras', () => {
  test('front to back and back: the agent receives the other camera, media-state tells which', async () => {
    const call = await connect();
    await until(() => call.client.canSwitchCamera, 'canSwitchCamera with two cameras');
    const frames = await framesAtAgent(call);
    await until(() => frames.lastAre(3, isFront), 'front camera frames at the agent');
    await agentSees(call, { camera: 'user' });
    const front = localTrack(call, 'video');

    await call.client.switchCamera();
    const back = localTrack(call, 'video');
    expect(deviceOf(call, back)).toBe('back');
    expect(front?.readyState).toBe('ended');
    expect(liveKinds(call)).toEqual({ audio: 1, video: 1 });
    expect(sentTrack(call, 'video')).toBe(back);
    expect(call.client.localMediaState).toMatchObject({
      videoEnabled: true,
      camera: 'environment',
    });
    await agentSees(call, { videoEnabled: true, camera: 'environment' });
    await until(() => frames.lastAre(5, isBack), 'back camera frames (luma ~192) at the agent');

    await call.client.switchCamera();
    expect(deviceOf(call, localTrack(call, 'video'))).toBe('front');
    expect(back?.readyState).toBe('ended');
    await agentSees(call, { camera: 'user' });
    await until(() => frames.lastAre(5, isFront), 'front camera frames (luma ~64) again');
    expectNoRenegotiation(call);
    await hangUpAndCheckReleased(call);
  });

  test('with one camera: canSwitchCamera is false and switchCamera rejects no-device, the call goes on', async () => {
    const call = await connect({
      consumerDevices: {
        cameras: [{ deviceId: 'only', label: 'Only camera', facingMode: 'user' }],
      },
    });
    await call.client.listDevices();
    expect(call.client.canSwitchCamera).toBe(false);
    const camera = localTrack(call, 'video');
    const frames = await framesAtAgent(call);

    const error = await rejection(call.client.switchCamera());
    expect(error.code).toBe('no-device');
    expect(call.client.state).toBe('connected');
    expect(localTrack(call, 'video')).toBe(camera);
    expect(camera?.readyState).toBe('live');
    expect(call.client.localMediaState).toMatchObject({ videoEnabled: true, camera: 'user' });
    await agentSees(call, { videoEnabled: true });
    const count = frames.count;
    await until(() => frames.count > count + 5, 'frames still reach the agent');
    expectNoRenegotiation(call);
    await hangUpAndCheckReleased(call);
  });

  test('cameras that report no facingMode: switching cycles through them by deviceId', async () => {
    const call = await connect({
      consumerDevices: {
        cameras: [
          { deviceId: 'cam-a', label: 'Camera A' },
          { deviceId: 'cam-b', label: 'Camera B' },
        ],
      },
    });
    // cam-a has luma 64, cam-b 192 (the default order).
    const frames = await framesAtAgent(call);
    expect(deviceOf(call, localTrack(call, 'video'))).toBe('cam-a');
    expect(call.client.localMediaState?.camera).toBeUndefined();

    await call.client.switchCamera();
    expect(deviceOf(call, localTrack(call, 'video'))).toBe('cam-b');
    expect(liveKinds(call)).toEqual({ audio: 1, video: 1 });
    await until(() => frames.lastAre(5, isBack), 'Camera B frames at the agent');
    await agentSees(call, { videoEnabled: true });
    expect(call.agent.remoteMediaState?.camera).toBeUndefined();

    await call.client.switchCamera();
    expect(deviceOf(call, localTrack(call, 'video'))).toBe('cam-a');
    await until(() => frames.lastAre(5, isFront), 'Camera A frames at the agent');
    expectNoRenegotiation(call);
    await hangUpAndCheckReleased(call);
  });

  test('switching with the camera off opens nothing; turning it on opens the other camera', async () => {
    const call = await connect();
    const frames = await framesAtAgent(call);
    await call.client.setVideoEnabled(false);
    const prompts = call.consumerPlatform.mediaDevices.getUserMediaCalls.length;

    await call.client.switchCamera();
    expect(call.consumerPlatform.mediaDevices.getUserMediaCalls).toHaveLength(prompts);
    expect(liveKinds(call)).toEqual({ audio: 1, video: 0 });
    expect(call.client.localMediaState).toMatchObject({ videoEnabled: false });
    await agentSees(call, { videoEnabled: false });

    await call.client.setVideoEnabled(true);
    expect(deviceOf(call, localTrack(call, 'video'))).toBe('back');
    expect(liveKinds(call)).toEqual({ audio: 1, video: 1 });
    await agentSees(call, { videoEnabled: true, camera: 'environment' });
    await until(() => frames.lastAre(5, isBack), 'back camera frames at the agent');
    expectNoRenegotiation(call);
    await hangUpAndCheckReleased(call);
  });
});

describe('device selection', () => {
  const devices: SetupOptions['consumerDevices'] = {
    microphones: [
      { deviceId: 'mic-1', label: 'Desk microphone' },
      { deviceId: 'mic-2', label: 'Headset microphone' },
    ],
    cameras: [
      { deviceId: 'front', label: 'Front camera', facingMode: 'user' },
      { deviceId: 'back', label: 'Back camera', facingMode: 'environment' },
    ],
    speakers: [
      { deviceId: 'spk-1', label: 'Desk speakers' },
      { deviceId: 'spk-2', label: 'Headset' },
    ],
  };

  test('listDevices gives the configured microphones, cameras and speakers with labels', async () => {
    const call = await connect({ consumerDevices: devices });
    const info = (deviceId: string, label: string) => ({
      deviceId,
      label,
      groupId: `synthetic-${deviceId}`,
    });
    expect(await call.client.listDevices()).toEqual({
      microphones: [info('mic-1', 'Desk microphone'), info('mic-2', 'Headset microphone')],
      cameras: [info('front', 'Front camera'), info('back', 'Back camera')],
      speakers: [info('spk-1', 'Desk speakers'), info('spk-2', 'Headset')],
    });
    expect(call.client.canSwitchCamera).toBe(true);
    await hangUpAndCheckReleased(call);
  });

  test('selectMicrophone sends the chosen microphone, stops the old one, audio keeps flowing', async () => {
    const call = await connect({ consumerDevices: devices });
    const first = localTrack(call, 'audio');
    expect(deviceOf(call, first)).toBe('mic-1');
    await keepsFlowing(call.agent, 'audio', 'audio at the agent');

    await call.client.selectMicrophone('mic-2');
    const second = localTrack(call, 'audio');
    expect(deviceOf(call, second)).toBe('mic-2');
    expect(second?.readyState).toBe('live');
    expect(first?.readyState).toBe('ended');
    expect(sentTrack(call, 'audio')).toBe(second);
    expect(liveKinds(call)).toEqual({ audio: 1, video: 1 });
    await keepsFlowing(call.agent, 'audio', 'audio at the agent from the second microphone');

    // A muted call stays muted on the newly selected microphone.
    call.client.setAudioMuted(true);
    await call.client.selectMicrophone('mic-1');
    const third = localTrack(call, 'audio');
    expect(deviceOf(call, third)).toBe('mic-1');
    expect(third?.enabled).toBe(false);
    expect(second?.readyState).toBe('ended');
    await agentSees(call, { audioMuted: true });
    expectNoRenegotiation(call);
    await hangUpAndCheckReleased(call);
  });

  test('selectCamera sends the chosen camera, stops the old one, the agent receives it', async () => {
    const call = await connect({ consumerDevices: devices });
    const frames = await framesAtAgent(call);
    await until(() => frames.lastAre(3, isFront), 'front camera frames at the agent');
    const front = localTrack(call, 'video');

    await call.client.selectCamera('back');
    const back = localTrack(call, 'video');
    expect(deviceOf(call, back)).toBe('back');
    expect(front?.readyState).toBe('ended');
    expect(sentTrack(call, 'video')).toBe(back);
    expect(liveKinds(call)).toEqual({ audio: 1, video: 1 });
    await agentSees(call, { videoEnabled: true, camera: 'environment' });
    await until(() => frames.lastAre(5, isBack), 'back camera frames at the agent');
    await keepsFlowing(call.agent, 'video', 'video bytes at the agent');
    expectNoRenegotiation(call);
    await hangUpAndCheckReleased(call);
  });
});

describe('a device unplugged mid-call', () => {
  test('the microphone in use: the client warns and fails over to the other microphone', async () => {
    const call = await connect({
      consumerDevices: { microphones: [{ deviceId: 'mic-1' }, { deviceId: 'mic-2' }] },
    });
    const first = localTrack(call, 'audio');
    expect(deviceOf(call, first)).toBe('mic-1');

    call.consumerPlatform.mediaDevices.unplug('mic-1');
    await until(() => call.warnings.find((w) => w.code === 'device-lost'), 'a device-lost warning');
    await until(() => deviceOf(call, sentTrack(call, 'audio')) === 'mic-2', 'mic-2 being sent');
    expect(first?.readyState).toBe('ended');
    expect(deviceOf(call, localTrack(call, 'audio'))).toBe('mic-2');
    expect(liveKinds(call)).toEqual({ audio: 1, video: 1 });
    await keepsFlowing(call.agent, 'audio', 'audio at the agent from mic-2');
    expect(call.client.state).toBe('connected');
    expect(call.agent.remoteMediaState).toMatchObject({ audioMuted: false });
    expectNoRenegotiation(call);
    await hangUpAndCheckReleased(call);
  });

  test('the camera in use, with another one present: fails over to the other camera', async () => {
    const call = await connect();
    const frames = await framesAtAgent(call);
    await until(() => frames.lastAre(3, isFront), 'front camera frames at the agent');
    const front = localTrack(call, 'video');

    call.consumerPlatform.mediaDevices.unplug('front');
    await until(() => call.warnings.find((w) => w.code === 'device-lost'), 'a device-lost warning');
    await until(() => deviceOf(call, sentTrack(call, 'video')) === 'back', 'the back camera sent');
    expect(front?.readyState).toBe('ended');
    expect(liveKinds(call)).toEqual({ audio: 1, video: 1 });
    await agentSees(call, { videoEnabled: true, camera: 'environment' });
    await until(() => frames.lastAre(5, isBack), 'back camera frames at the agent');
    expect(call.client.state).toBe('connected');
    expectNoRenegotiation(call);
    await hangUpAndCheckReleased(call);
  });

  test('the only camera: the call goes on without video, and a camera plugged in later can be turned on', async () => {
    const call = await connect({
      consumerDevices: { cameras: [{ deviceId: 'cam', facingMode: 'user' }] },
    });
    await agentSees(call, { videoEnabled: true });

    call.consumerPlatform.mediaDevices.unplug('cam');
    await until(() => call.warnings.find((w) => w.code === 'device-lost'), 'a device-lost warning');
    await agentSees(call, { videoEnabled: false });
    expect(call.client.state).toBe('connected');
    expect(call.client.localMediaState).toMatchObject({ videoEnabled: false });
    expect(liveKinds(call)).toEqual({ audio: 1, video: 0 });
    await keepsFlowing(call.agent, 'audio', 'audio at the agent without a camera');

    call.consumerPlatform.mediaDevices.plug({ kind: 'videoinput', deviceId: 'usb', luma: 192 });
    const frames = await framesAtAgent(call);
    await call.client.setVideoEnabled(true);
    expect(deviceOf(call, localTrack(call, 'video'))).toBe('usb');
    await agentSees(call, { videoEnabled: true });
    await until(() => frames.lastAre(5, isBack), 'the plugged-in camera at the agent');
    expectNoRenegotiation(call);
    await hangUpAndCheckReleased(call);
  });

  test('the only microphone: the agent hears the consumer as muted, the call goes on', async () => {
    const call = await connect();
    await agentSees(call, { audioMuted: false });

    call.consumerPlatform.mediaDevices.unplug('microphone');
    await until(() => call.warnings.find((w) => w.code === 'device-lost'), 'a device-lost warning');
    await agentSees(call, { audioMuted: true });
    expect(call.client.state).toBe('connected');
    expect(call.client.localMediaState).toMatchObject({ audioMuted: true, videoEnabled: true });
    expect(liveKinds(call)).toEqual({ audio: 0, video: 1 });
    await keepsFlowing(call.agent, 'video', 'video still at the agent');
    expectNoRenegotiation(call);
    await hangUpAndCheckReleased(call);
  });

  test('devicechange gives the updated list after plug and unplug', async () => {
    const call = await connect();
    // The first list, read when the media started.
    await until(() => call.deviceLists.length > 0, 'the first device list');
    const cameraIds = (list: DeviceList | undefined) => list?.cameras.map((c) => c.deviceId);
    expect(cameraIds(call.deviceLists.at(-1))).toEqual(['front', 'back']);

    call.consumerPlatform.mediaDevices.plug({
      kind: 'videoinput',
      deviceId: 'usb',
      label: 'USB camera',
    });
    await until(
      () => cameraIds(call.deviceLists.at(-1))?.includes('usb'),
      'a devicechange listing the USB camera',
    );
    expect(call.deviceLists.at(-1)?.cameras.at(-1)).toMatchObject({ label: 'USB camera' });

    call.consumerPlatform.mediaDevices.unplug('back');
    await until(
      () => !cameraIds(call.deviceLists.at(-1))?.includes('back'),
      'a devicechange without the back camera',
    );
    expect(cameraIds(call.deviceLists.at(-1))).toEqual(['front', 'usb']);
    expect(call.deviceLists.at(-1)).toEqual(await call.client.listDevices());
    // A camera not in use went away: nothing was lost.
    expect(call.warnings.filter((w) => w.code === 'device-lost')).toEqual([]);
    expect(deviceOf(call, localTrack(call, 'video'))).toBe('front');
    expectNoRenegotiation(call);
    await hangUpAndCheckReleased(call);
  });
});

describe('accepting a video invitation as voice', () => {
  test('the camera stays closed, the agent still sends video and the consumer receives it', async () => {
    const call = await connect({ accept: { media: 'voice' } });
    const accept = call.consumerTap.sent.find((m) => m.type === 'accept');
    expect(accept).toMatchObject({ type: 'accept', media: 'voice' });
    expect(gumAskedForVideo(call)).toBe(false);
    expect(liveKinds(call)).toEqual({ audio: 1, video: 0 });
    expect(call.client.localMediaState).toMatchObject({ videoEnabled: false });
    await agentSees(call, { videoEnabled: false });

    const frames = await framesAtConsumer(call);
    await until(() => frames.lastAre(5, isFront), "the agent's camera at the consumer");
    await until(
      async () => (await bytesReceived(call.client)).video > 1000,
      'video bytes at the consumer',
    );
    expect(gumAskedForVideo(call)).toBe(false);
    expectNoRenegotiation(call);
    await hangUpAndCheckReleased(call);
  });

  test('the camera can still be turned on later, without a new offer', async () => {
    const call = await connect({ accept: { media: 'voice' } });
    const frames = await framesAtAgent(call);
    await call.client.setVideoEnabled(true);
    await agentSees(call, { videoEnabled: true });
    await until(() => frames.lastAre(5, isFront), 'the consumer camera at the agent');
    expectNoRenegotiation(call);
    await hangUpAndCheckReleased(call);
  });
});

describe('rapid toggling', () => {
  test('100 unawaited camera toggles with switches end with exactly one live camera, on', async () => {
    const call = await connect();
    const frames = await framesAtAgent(call);
    await agentSees(call, { videoEnabled: true });
    const statesBefore = mediaStatesSent(call).length;

    const started = performance.now();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 100; i++) {
      pending.push(call.client.setVideoEnabled(i % 2 === 1));
      if (i % 10 === 9) pending.push(call.client.switchCamera());
    }
    pending.push(call.client.setVideoEnabled(true));
    const settled = await Promise.allSettled(pending);
    const elapsed = performance.now() - started;
    const rejected = settled.filter((s) => s.status === 'rejected');
    console.log(
      `100 camera toggles + 10 switches + final on: ${elapsed.toFixed(1)} ms; ` +
        `${rejected.length} rejected; ` +
        `${mediaStatesSent(call).length - statesBefore} media-state messages sent; ` +
        `${call.consumerPlatform.mediaDevices.getUserMediaCalls.length} getUserMedia calls in all`,
    );

    expect(rejected).toEqual([]);
    expect(liveKinds(call)).toEqual({ audio: 1, video: 1 });
    const camera = localTrack(call, 'video');
    // Nothing ran before the loop ended, so each queued toggle saw the last wish (on) and
    // coalesced; the ten switches all ran with the camera on: back to the front camera.
    expect(deviceOf(call, camera)).toBe('front');
    expect(camera?.readyState).toBe('live');
    expect(sentTrack(call, 'video')).toBe(camera);
    expect(call.client.localMediaState).toMatchObject({ videoEnabled: true });
    expect(mediaStatesSent(call).at(-1)).toMatchObject({ videoEnabled: true });
    await agentSees(call, { videoEnabled: true });
    const count = frames.count;
    await until(() => frames.count > count + 5, 'frames at the agent after the toggles');
    expectNoRenegotiation(call);
    await hangUpAndCheckReleased(call);
  });

  test('the same toggles with the event loop turning between calls: still one live camera, on', async () => {
    const call = await connect();
    const frames = await framesAtAgent(call);
    const started = performance.now();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 100; i++) {
      pending.push(call.client.setVideoEnabled(i % 2 === 1));
      if (i % 10 === 9) pending.push(call.client.switchCamera());
      // Lets queued camera work start, so that toggles really interleave with it.
      await new Promise((resolve) => setImmediate(resolve));
    }
    pending.push(call.client.setVideoEnabled(true));
    const settled = await Promise.allSettled(pending);
    console.log(
      `100 camera toggles + 10 switches with the event loop turning: ` +
        `${(performance.now() - started).toFixed(1)} ms; ` +
        `${call.consumerPlatform.mediaDevices.getUserMediaCalls.length} getUserMedia calls in all`,
    );
    expect(settled.filter((s) => s.status === 'rejected')).toEqual([]);
    expect(liveKinds(call)).toEqual({ audio: 1, video: 1 });
    expect(sentTrack(call, 'video')).toBe(localTrack(call, 'video'));
    expect(call.client.localMediaState).toMatchObject({ videoEnabled: true });
    expect(mediaStatesSent(call).at(-1)).toMatchObject({ videoEnabled: true });
    await agentSees(call, { videoEnabled: true });
    const count = frames.count;
    await until(() => frames.count > count + 5, 'frames at the agent after the toggles');
    expectNoRenegotiation(call);
    await hangUpAndCheckReleased(call);
  });
});

describe('camera refused mid-call', () => {
  test('turning the camera back on rejects permission-denied; the call goes on without video', async () => {
    const call = await connect();
    await agentSees(call, { videoEnabled: true });
    call.consumerPlatform.mediaDevices.setDenied({ video: true });

    await call.client.setVideoEnabled(false);
    const error = await rejection(call.client.setVideoEnabled(true));
    expect(error.code).toBe('permission-denied');
    expect(call.client.state).toBe('connected');
    expect(call.client.localMediaState).toMatchObject({ videoEnabled: false });
    expect(mediaStatesSent(call).at(-1)).toMatchObject({ videoEnabled: false });
    await agentSees(call, { videoEnabled: false });
    expect(liveKinds(call)).toEqual({ audio: 1, video: 0 });
    await keepsFlowing(call.agent, 'audio', 'audio at the agent');

    // Allowed again: the camera comes back.
    call.consumerPlatform.mediaDevices.setDenied({});
    await call.client.setVideoEnabled(true);
    await agentSees(call, { videoEnabled: true });
    expectNoRenegotiation(call);
    await hangUpAndCheckReleased(call);
  });
});

describe('playing the agent', () => {
  test('attachRemoteMedia plays the remote stream on the chosen speaker and clears it at the end', async () => {
    const sinks: string[] = [];
    let plays = 0;
    const element = {
      srcObject: null as MediaProvider | MediaStream | null,
      play: async () => {
        plays++;
      },
      setSinkId: async (id: string) => {
        sinks.push(id);
      },
    };
    // Attached and routed before the call: applied when the agent's media arrives.
    const setup = await setupCall({
      consumerDevices: { speakers: [{ deviceId: 'spk-1' }, { deviceId: 'spk-2' }] },
    });
    current = setup;
    setup.client.attachRemoteMedia(element);
    await setup.client.setSpeaker('spk-2');
    const call = await connectExisting(setup);
    const stream = await call.atConsumer;
    await until(() => stream.getTracks().length === 2, 'audio and video at the consumer');
    expect(element.srcObject).toBe(stream);
    expect(plays).toBeGreaterThan(0);
    expect(sinks.length).toBeGreaterThan(0);
    expect(new Set(sinks)).toEqual(new Set(['spk-2']));
    await until(
      async () => (await bytesReceived(call.client)).audio > 2000,
      'audio at the consumer',
    );

    // An element that cannot choose its speaker makes setSpeaker fail, and changes nothing.
    const plain = { srcObject: null as MediaProvider | MediaStream | null, play: async () => {} };
    const detach = call.client.attachRemoteMedia(plain);
    expect(plain.srcObject).toBe(stream);
    const error = await rejection(call.client.setSpeaker('spk-1'));
    expect(error.code).toBe('unsupported');
    expect(sinks.includes('spk-1')).toBe(false);
    detach();
    await call.client.setSpeaker('spk-1');
    expect(sinks.at(-1)).toBe('spk-1');

    await hangUpAndCheckReleased(call);
    expect(element.srcObject).toBeNull();
  });
});

describe('edge cases', () => {
  test('a camera request that changes nothing sends no media-state', async () => {
    const call = await connect({
      consumerDevices: { cameras: [{ deviceId: 'only', facingMode: 'user' }] },
    });
    await agentSees(call, { videoEnabled: true });
    const before = mediaStatesSent(call).length;
    await call.client.setVideoEnabled(true); // already on
    await rejection(call.client.switchCamera()); // no other camera
    const sent = mediaStatesSent(call).length - before;
    await hangUpAndCheckReleased(call);
    expect(sent).toBe(0);
  });

  test('unmuting after the only microphone was lost does not claim an open microphone', async () => {
    const call = await connect();
    call.consumerPlatform.mediaDevices.unplug('microphone');
    await agentSees(call, { audioMuted: true });
    call.client.setAudioMuted(false);
    const local = call.client.localMediaState;
    const lastSent = mediaStatesSent(call).at(-1);
    const live = liveKinds(call);
    await hangUpAndCheckReleased(call);
    expect(live.audio).toBe(0);
    expect(local).toMatchObject({ audioMuted: true });
    expect(lastSent).toMatchObject({ audioMuted: true });
  });

  test('a camera that cannot be selected is reported and the call keeps the camera it had', async () => {
    const call = await connect();
    await agentSees(call, { videoEnabled: true });
    call.consumerPlatform.mediaDevices.setBusy('back');
    const error = await rejection(call.client.selectCamera('back'));
    expect(error.code).toBe('no-device');
    expect(call.client.state).toBe('connected');
    expect(call.client.localMediaState).toMatchObject({ videoEnabled: true });
    const live = liveKinds(call);
    await hangUpAndCheckReleased(call);
    expect(live).toEqual({ audio: 1, video: 1 });
  });
});
