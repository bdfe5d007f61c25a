/**
 * What a call survives, against the fake browser (test/support/fakePlatform.ts),
 * through the public API of CallClient:
 *
 * - a description that cannot be applied mid-call is a warning, not the end
 *   of the call (also an unparseable answer to an ICE restart offer);
 * - a microphone change that fails in a voice call rejects with the
 *   documented CallError;
 * - a camera change that fails leaves the video sender sending the live
 *   camera the client holds, not the one it released;
 * - the autoplay-blocked warning belongs to the call whose playback was
 *   blocked: a late refusal of the previous call's play() does not use up
 *   the next call's warning.
 *
 * The fakes answer at once, so `settle()` (microtask turns, no timer) lets
 * the SDK finish what it started; each test then checks what happened.
 */
import { CallError } from '../../src';
import type { MediaElementLike } from '../../src';
import {
  FakeMediaDevices,
  answer,
  connectCall,
  settle,
  setup,
  startCall,
} from '../support/fakePlatform';
import type { FakeMediaStream, FakeSender, FakeTrack, Setup } from '../support/fakePlatform';

jest.useFakeTimers();

const clients: Setup[] = [];
afterEach(() => {
  for (const s of clients.splice(0)) s.client.destroy();
  jest.clearAllTimers();
});

/** A client on the fake platform, destroyed after the test. */
function client(...args: Parameters<typeof setup>): Setup {
  const s = setup(...args);
  clients.push(s);
  return s;
}

/** The deviceId a constraint requires with `exact`, if it does. */
function exactDeviceId(constraint: boolean | MediaTrackConstraints | undefined): unknown {
  if (!constraint || typeof constraint !== 'object') return undefined;
  const id = constraint.deviceId;
  return id && typeof id === 'object' && !Array.isArray(id) ? id.exact : undefined;
}

/**
 * The fake devices, where asking for the device `no-such-device` exactly
 * fails as it does in browsers (OverconstrainedError); everything else is
 * granted as usual.
 */
class DevicesWithoutUnknown extends FakeMediaDevices {
  override getUserMedia(constraints: MediaStreamConstraints): Promise<FakeMediaStream> {
    const ids = [exactDeviceId(constraints.audio), exactDeviceId(constraints.video)];
    if (ids.includes('no-such-device')) {
      this.requests.push(constraints);
      return Promise.reject(new DOMException('no such device (fake)', 'OverconstrainedError'));
    }
    return super.getUserMedia(constraints);
  }
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

/** The sender of the call's transceiver of `kind`. */
function senderOf(s: Setup, kind: 'audio' | 'video'): FakeSender | undefined {
  return s.pc().transceivers.find((t) => t.kind === kind)?.sender;
}

function localTrack(s: Setup, kind: 'audio' | 'video'): FakeTrack | undefined {
  const stream = s.client.localStream as unknown as FakeMediaStream | null;
  return kind === 'audio' ? stream?.getAudioTracks()[0] : stream?.getVideoTracks()[0];
}

const notAllowed = () => new DOMException('play() needs a user gesture (fake)', 'NotAllowedError');

// ---------------------------------------------------------------------------

describe('a description that cannot be applied mid-call', () => {
  test("the agent's unparseable offer: a warning, the call stays connected and goes on", async () => {
    const s = client();
    await connectCall(s, 'video');
    const warningsBefore = s.warnings.length;

    s.agent({ type: 'sdp', description: { type: 'offer', sdp: 'garbage' } });
    await settle();
    expect({ state: s.client.state, ended: s.ended }).toEqual({ state: 'connected', ended: [] });
    expect(s.warnings.length).toBeGreaterThan(warningsBefore);

    // Still a call: a change of the consumer reaches the agent.
    s.client.setAudioMuted(true);
    expect(s.transport.sentOf('media-state').at(-1)).toMatchObject({ audioMuted: true });
  });

  test('an unparseable answer to an ICE restart offer: a warning, the call reconnects with the next offer', async () => {
    const s = client({ timeouts: { restartRetry: 1_000 } });
    await connectCall(s, 'video');
    const pc = s.pc();

    pc.setConnectionState('failed');
    await settle();
    expect(s.client.state).toBe('reconnecting');
    expect(s.transport.sentOf('sdp')).toHaveLength(2); // the first offer and the restart offer
    const warningsBefore = s.warnings.length;

    s.agent({ type: 'sdp', description: { type: 'answer', sdp: 'garbage' } });
    await settle();
    expect({ state: s.client.state, ended: s.ended }).toEqual({ state: 'reconnecting', ended: [] });
    expect(s.warnings.length).toBeGreaterThan(warningsBefore);

    // The restart is tried again; its answer is a good one, and the call is back.
    jest.advanceTimersByTime(1_000);
    await settle();
    expect(s.transport.sentOf('sdp').length).toBeGreaterThan(2);
    expect(s.transport.sentOf('sdp').at(-1)?.description.type).toBe('offer');
    s.agent({ type: 'sdp', description: { type: 'answer', sdp: 'v=0 agent-answer-2' } });
    await settle();
    pc.setConnectionState('connected');
    expect(s.client.state).toBe('connected');
    expect(s.ended).toEqual([]);
  });
});

describe('a microphone change that fails in a voice call', () => {
  test('an unknown microphone: selectMicrophone rejects no-device, the microphone in use is still sent', async () => {
    const devices = new DevicesWithoutUnknown();
    const s = client({}, { mediaDevices: devices });
    await connectCall(s, 'voice');
    const mic = localTrack(s, 'audio');
    expect(mic?.readyState).toBe('live');

    expect(await failureOf(s.client.selectMicrophone('no-such-device'))).toMatch(
      /^CallError\(no-device\)/,
    );
    expect(s.client.state).toBe('connected');
    expect(localTrack(s, 'audio')).toBe(mic);
    expect(mic?.readyState).toBe('live');
    expect(senderOf(s, 'audio')?.track).toBe(mic);
  });

  test('permission refused: selectMicrophone rejects permission-denied, the microphone in use is still sent', async () => {
    const s = client();
    await connectCall(s, 'voice');
    const mic = localTrack(s, 'audio');
    s.devices.fail.audio = 'NotAllowedError';

    expect(await failureOf(s.client.selectMicrophone('mic'))).toMatch(
      /^CallError\(permission-denied\)/,
    );
    expect(s.client.state).toBe('connected');
    expect(senderOf(s, 'audio')?.track).toBe(mic);
    expect(mic?.readyState).toBe('live');
  });
});

describe('a camera change that fails in a video call', () => {
  test('an unknown camera: selectCamera rejects no-device, and the video sender sends the live camera the client holds', async () => {
    const devices = new DevicesWithoutUnknown();
    const s = client({}, { mediaDevices: devices });
    await connectCall(s, 'video');
    expect(senderOf(s, 'video')?.track).toBe(localTrack(s, 'video'));

    expect(await failureOf(s.client.selectCamera('no-such-device'))).toMatch(
      /^CallError\(no-device\)/,
    );
    expect(s.client.state).toBe('connected');
    const camera = localTrack(s, 'video');
    const sent = senderOf(s, 'video')?.track;
    expect({
      cameraIsLive: camera?.readyState === 'live',
      sentIsTheCamera: sent === camera,
      sentReadyState: sent?.readyState,
    }).toEqual({ cameraIsLive: true, sentIsTheCamera: true, sentReadyState: 'live' });
    // One camera open, and it is the one being sent.
    expect(devices.liveTracks().filter((t) => t.kind === 'video')).toEqual([sent]);
  });
});

describe('autoplay-blocked belongs to the call whose playback was blocked', () => {
  /** An element whose every play() waits for the test to resolve or reject it. */
  function elementWithHeldPlays() {
    const plays: { resolve: () => void; reject: (error: unknown) => void }[] = [];
    const element: MediaElementLike = {
      srcObject: null,
      play: () => new Promise<void>((resolve, reject) => plays.push({ resolve, reject })),
    };
    return { element, plays };
  }

  test("call 1's play() refused after call 1 ended does not use up call 2's warning", async () => {
    const s = client();
    const { element, plays } = elementWithHeldPlays();
    s.client.attachRemoteMedia(element);
    const log: string[] = [];
    s.client.on('warning', (w) => {
      if (w.code === 'autoplay-blocked') log.push(`autoplay-blocked warning`);
    });

    // Call 1 connects; the agent's audio starts playing (pending).
    await connectCall(s, 'voice');
    const first = s.pc();
    first.emitTrack('audio');
    await settle();
    expect(plays).toHaveLength(1);
    s.agent({ type: 'hangup', reason: 'normal' });
    expect(s.client.state).toBe('ended');

    // Call 2 connects; its audio starts playing (pending) too.
    s.callId = 'second-call';
    await startCall(s, 'voice');
    await answer(s);
    const second = s.peers[1];
    expect(second).toBeDefined();
    second?.setConnectionState('connected');
    expect(s.client.state).toBe('connected');
    second?.emitTrack('audio');
    await settle();
    expect(plays).toHaveLength(2);

    log.push("call 1's play() is refused");
    plays[0]?.reject(notAllowed());
    await settle();
    log.push("call 2's play() is refused");
    plays[1]?.reject(notAllowed());
    await settle();

    expect(log).toEqual([
      "call 1's play() is refused",
      "call 2's play() is refused",
      'autoplay-blocked warning',
    ]);
  });
});
