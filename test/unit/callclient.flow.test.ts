/**
 * The signaling flow of PROTOCOL.md ("Flow") as CallClient plays it, against
 * a fake browser: what is sent, in which order, what the peer connection and
 * the devices are asked, and what is released when the call ends.
 */
import type { CallState } from '../../src/call/states';
import type { MediaState } from '../../src/call/events';
import type { IceCandidate } from '../../src/protocol/messages';
import {
  answer,
  connectCall,
  expectReleased,
  fromAgent,
  settle,
  setup,
  startCall,
} from '../support/fakePlatform';
import type { DeviceFailure, FakeTrack, Setup, FakeMediaStream } from '../support/fakePlatform';

jest.useFakeTimers();
beforeEach(() => jest.clearAllTimers());

const candidate = (port: number): IceCandidate => ({
  candidate: `candidate:1 1 udp 2122260223 192.0.2.1 ${port} typ host`,
  sdpMid: '0',
  sdpMLineIndex: 0,
});

function grantedTrack(s: Setup, kind: 'audio' | 'video'): FakeTrack | undefined {
  return s.devices.tracks.find((t) => t.kind === kind);
}

function localStates(s: Setup): MediaState[] {
  const states: MediaState[] = [];
  s.client.on('localmediastate', (m) => states.push(m));
  return states;
}

describe('accepting', () => {
  test('accept is sent before the camera or microphone is asked for', async () => {
    const s = setup();
    s.agent({ type: 'invite', media: 'video' });
    await s.client.accept();
    const accept = s.journal.indexOf('send accept');
    expect(accept).toBeGreaterThanOrEqual(0);
    expect(accept).toBeLessThan(s.journal.indexOf('getUserMedia'));
    expect(s.transport.sentOf('accept')).toEqual([
      expect.objectContaining({
        callId: s.callId,
        from: 'consumer',
        media: 'video',
        client: { sdk: expect.stringMatching(/^messaging-calls\//) },
      }),
    ]);
  });

  test('the accept is out while the permission prompt is still open', async () => {
    const s = setup();
    s.devices.hold = true;
    s.agent({ type: 'invite', media: 'voice' });
    void s.client.accept();
    await settle();
    expect(s.client.state).toBe('media-permission');
    expect(s.transport.types()).toEqual(['accept']);
  });

  test('a voice invitation asks for the microphone only and offers one audio transceiver', async () => {
    const s = setup();
    await startCall(s, 'voice');
    expect(s.devices.requests).toEqual([{ audio: true, video: false }]);
    const [audio, ...others] = s.pc().transceivers;
    expect(others).toEqual([]);
    expect(audio).toMatchObject({ kind: 'audio', direction: 'sendrecv' });
    expect(audio?.sender.track).toBe(grantedTrack(s, 'audio'));
  });

  test('a video invitation asks for both and offers an audio and a video transceiver', async () => {
    const s = setup();
    await startCall(s, 'video');
    expect(s.devices.requests).toHaveLength(1);
    expect(s.devices.requests[0]).toMatchObject({ audio: true, video: expect.anything() });
    expect(s.pc().transceivers.map((t) => [t.kind, t.direction])).toEqual([
      ['audio', 'sendrecv'],
      ['video', 'sendrecv'],
    ]);
    expect(s.pc().transceivers[1]?.sender.track).toBe(grantedTrack(s, 'video'));
  });

  test('a video invitation accepted as voice opens no camera but still has a video transceiver', async () => {
    const s = setup();
    s.agent({ type: 'invite', media: 'video' });
    await s.client.accept({ media: 'voice' });
    expect(s.transport.sentOf('accept')[0]?.media).toBe('voice');
    expect(s.devices.requests).toEqual([{ audio: true, video: false }]);
    expect(s.pc().transceivers.map((t) => [t.kind, t.sender.track?.kind ?? null])).toEqual([
      ['audio', 'audio'],
      ['video', null],
    ]);
  });

  test.each<DeviceFailure>(['NotAllowedError', 'NotFoundError', 'NotReadableError'])(
    'a camera failing with %s leaves a call with video off and a camera-unavailable warning',
    async (failure) => {
      const s = setup();
      s.devices.fail.video = failure;
      const local = localStates(s);
      await connectCall(s, 'video');
      expect(s.warnings.map((w) => w.code)).toEqual(['camera-unavailable']);
      expect(s.devices.requests.map((r) => Boolean(r.video))).toEqual([true, false]);
      expect(local.at(-1)).toMatchObject({ videoEnabled: false });
      // The video transceiver is there, sending nothing, so the camera can come on later.
      expect(s.pc().transceivers.map((t) => [t.kind, t.sender.track?.kind ?? null])).toEqual([
        ['audio', 'audio'],
        ['video', null],
      ]);
      expect(s.transport.sentOf('media-state')).toEqual([
        expect.objectContaining({ audioMuted: false, videoEnabled: false }),
      ]);
    },
  );

  test.each<[DeviceFailure, 'voice' | 'video', string]>([
    ['NotAllowedError', 'voice', 'permission-denied'],
    ['NotAllowedError', 'video', 'permission-denied'],
    ['NotFoundError', 'voice', 'no-device'],
    ['NotFoundError', 'video', 'no-device'],
    ['NotReadableError', 'voice', 'no-device'],
  ])(
    'a microphone failing with %s on a %s call ends it with %s, said to the agent',
    async (failure, media, reason) => {
      const s = setup();
      s.devices.fail.audio = failure;
      s.agent({ type: 'invite', media });
      await s.client.accept();
      expect(s.transport.sentOf('hangup')).toEqual([expect.objectContaining({ reason })]);
      expect(s.ended).toEqual([expect.objectContaining({ reason, by: 'system', durationMs: 0 })]);
      expect(s.peers).toEqual([]);
      expectReleased(s);
    },
  );

  test('an invitation on a platform without RTCPeerConnection is rejected unsupported at once', () => {
    const s = setup({}, { RTCPeerConnection: undefined });
    s.agent({ type: 'invite', media: 'voice' });
    expect(s.transport.sentOf('reject')).toEqual([
      expect.objectContaining({ reason: 'unsupported', detail: expect.any(String) }),
    ]);
    expect(s.ended).toEqual([expect.objectContaining({ reason: 'unsupported', by: 'system' })]);
    expect(s.devices.requests).toEqual([]);
  });

  test('the local stream is emitted with the granted tracks', async () => {
    const s = setup();
    const streams: FakeMediaStream[] = [];
    s.client.on('localstream', (stream) => streams.push(stream as unknown as FakeMediaStream));
    await startCall(s, 'video');
    expect(streams).toHaveLength(1);
    expect(streams[0]?.getTracks()).toEqual(s.devices.tracks);
  });
});

describe('negotiation', () => {
  test('the offer is made, set locally and sent as sdp of type offer', async () => {
    const s = setup();
    await startCall(s, 'voice');
    const pc = s.pc();
    expect(pc.methods()).toEqual(['addTransceiver', 'createOffer', 'setLocalDescription']);
    expect(s.transport.sentOf('sdp')).toEqual([
      expect.objectContaining({
        callId: s.callId,
        from: 'consumer',
        description: { type: 'offer', sdp: pc.localDescription?.sdp },
      }),
    ]);
    expect(pc.signalingState).toBe('have-local-offer');
  });

  test('the invitation ICE servers and relay policy configure the peer connection', async () => {
    const s = setup();
    const iceServers = [{ urls: 'turn:turn.example.com:3478', username: 'u', credential: 'c' }];
    s.agent({ type: 'invite', media: 'voice', iceServers, policy: { forceRelay: true } });
    await s.client.accept();
    expect(s.pc().configuration).toMatchObject({ iceServers, iceTransportPolicy: 'relay' });
  });

  test("the agent's answer is applied as the remote description", async () => {
    const s = setup();
    await startCall(s);
    await answer(s);
    const pc = s.pc();
    expect(pc.calls.at(-1)).toEqual({
      method: 'setRemoteDescription',
      arg: { type: 'answer', sdp: 'v=0 agent-answer' },
    });
    expect(pc.signalingState).toBe('stable');
  });

  test('candidates received before the answer are buffered and applied after it, in order', async () => {
    const s = setup();
    s.devices.hold = true;
    s.agent({ type: 'invite', media: 'voice' });
    const accepting = s.client.accept();
    await settle();
    // One before the peer connection exists, one after the offer, before the answer.
    s.agent({ type: 'ice', candidate: candidate(1001) });
    s.devices.release();
    await accepting;
    s.agent({ type: 'ice', candidate: candidate(1002) });
    await settle();
    const pc = s.pc();
    expect(pc.methods()).not.toContain('addIceCandidate');

    await answer(s);
    s.agent({ type: 'ice', candidate: candidate(1003) });
    await settle();

    expect(pc.calls.slice(pc.methods().indexOf('setRemoteDescription'))).toEqual([
      { method: 'setRemoteDescription', arg: expect.objectContaining({ type: 'answer' }) },
      { method: 'addIceCandidate', arg: candidate(1001) },
      { method: 'addIceCandidate', arg: candidate(1002) },
      { method: 'addIceCandidate', arg: candidate(1003) },
    ]);
    expect(s.warnings).toEqual([]);
  });

  test('an end-of-candidates received before the answer is applied after it', async () => {
    const s = setup();
    await startCall(s);
    s.agent({ type: 'ice', candidate: candidate(1001) });
    s.agent({ type: 'ice', candidate: null });
    await answer(s);
    const pc = s.pc();
    expect(pc.calls.slice(pc.methods().indexOf('setRemoteDescription') + 1)).toEqual([
      { method: 'addIceCandidate', arg: candidate(1001) },
      { method: 'addIceCandidate' },
    ]);
  });

  test('an offer from the agent on a connected call is answered (the agent renegotiates)', async () => {
    const s = setup();
    await connectCall(s);
    const pc = s.pc();
    const before = pc.calls.length;
    s.agent({ type: 'sdp', description: { type: 'offer', sdp: 'v=0 agent-offer' } });
    await settle();
    expect(pc.methods().slice(before)).toEqual([
      'setRemoteDescription',
      'createAnswer',
      'setLocalDescription',
    ]);
    expect(s.transport.sentOf('sdp').at(-1)?.description).toEqual({
      type: 'answer',
      sdp: 'v=0 fake-answer',
    });
    expect(pc.signalingState).toBe('stable');
  });

  test("an offer from the agent that collides with the consumer's is ignored (the consumer is impolite)", async () => {
    const s = setup();
    await startCall(s);
    const pc = s.pc();
    const before = pc.calls.length;
    s.agent({ type: 'sdp', description: { type: 'offer', sdp: 'v=0 agent-offer' } });
    await settle();
    expect(pc.calls.slice(before)).toEqual([]);
    expect(pc.signalingState).toBe('have-local-offer');
    await answer(s);
    expect(pc.signalingState).toBe('stable');
    expect(s.client.state).toBe('connecting');
  });

  test('local candidates are trickled as ice, and the end of gathering as null', async () => {
    const s = setup();
    await startCall(s);
    s.pc().emitIceCandidate(candidate(2001));
    s.pc().emitIceCandidate(null);
    expect(s.transport.sentOf('ice').map((m) => m.candidate)).toEqual([
      expect.objectContaining(candidate(2001)),
      null,
    ]);
  });

  test("the agent's tracks arrive as one remote stream", async () => {
    const s = setup();
    const streams: FakeMediaStream[] = [];
    s.client.on('remotestream', (stream) => streams.push(stream as unknown as FakeMediaStream));
    await connectCall(s, 'video');
    const audio = s.pc().emitTrack('audio');
    const video = s.pc().emitTrack('video');
    expect(streams).toHaveLength(2);
    expect(streams[1]).toBe(streams[0]);
    expect(streams[0]?.getTracks()).toEqual([audio, video]);
  });

  test('an answer that cannot be applied ends the call with error', async () => {
    const s = setup();
    await startCall(s);
    s.agent({ type: 'sdp', description: { type: 'answer', sdp: 'not sdp' } });
    await settle();
    expect(s.transport.sentOf('hangup')).toEqual([expect.objectContaining({ reason: 'error' })]);
    expect(s.ended).toEqual([expect.objectContaining({ reason: 'error', by: 'system' })]);
    expectReleased(s);
  });

  test('a peer connection that cannot be created ends the call instead of leaving it stuck', async () => {
    const s = setup();
    s.agent({
      type: 'invite',
      media: 'voice',
      iceServers: [{ urls: 'turn:turn.example.com:3478' }],
    });
    await expect(s.client.accept()).resolves.toBeUndefined();
    expect(s.transport.sentOf('hangup')).toEqual([expect.objectContaining({ reason: 'error' })]);
    expect(s.ended).toEqual([expect.objectContaining({ reason: 'error', by: 'system' })]);
    expectReleased(s);
  });
});

describe('media-state', () => {
  test('is sent once right after connecting, not before', async () => {
    const s = setup();
    await startCall(s, 'video');
    await answer(s);
    expect(s.transport.sentOf('media-state')).toEqual([]);
    s.pc().setConnectionState('connected');
    expect(s.transport.sentOf('media-state')).toEqual([
      expect.objectContaining({ audioMuted: false, videoEnabled: true, camera: 'user' }),
    ]);
  });

  test('is sent on every mute and camera change, with the sender changed in place', async () => {
    const s = setup();
    await connectCall(s, 'video');
    const pc = s.pc();
    const videoSender = pc.transceivers[1]?.sender;
    const firstCamera = grantedTrack(s, 'video');

    s.client.setAudioMuted(true);
    expect(grantedTrack(s, 'audio')?.enabled).toBe(false);
    await s.client.setVideoEnabled(false);
    expect(firstCamera?.readyState).toBe('ended');
    await s.client.setVideoEnabled(true);
    s.devices.facing = 'environment';
    await s.client.switchCamera();
    s.client.setAudioMuted(false);

    expect(
      s.transport.sentOf('media-state').map(({ audioMuted, videoEnabled, camera }) => ({
        audioMuted,
        videoEnabled,
        camera,
      })),
    ).toEqual([
      { audioMuted: false, videoEnabled: true, camera: 'user' },
      { audioMuted: true, videoEnabled: true, camera: 'user' },
      { audioMuted: true, videoEnabled: false, camera: undefined },
      { audioMuted: true, videoEnabled: true, camera: 'user' },
      { audioMuted: true, videoEnabled: true, camera: 'environment' },
      { audioMuted: false, videoEnabled: true, camera: 'environment' },
    ]);
    const cameras = s.devices.tracks.filter((t) => t.kind === 'video');
    expect(videoSender?.replaced).toEqual([null, cameras[1], cameras[2]]);
    // Camera changes never renegotiate.
    expect(pc.methods().filter((m) => m === 'createOffer')).toHaveLength(1);
    expect(s.devices.liveTracks().map((t) => t.kind)).toEqual(['audio', 'video']);
  });

  test('a mute before connecting is not sent early, and the first media-state carries it', async () => {
    const s = setup();
    await startCall(s, 'voice');
    s.client.setAudioMuted(true);
    expect(s.transport.sentOf('media-state')).toEqual([]);
    await answer(s);
    s.pc().setConnectionState('connected');
    expect(s.transport.sentOf('media-state')).toEqual([
      expect.objectContaining({ audioMuted: true, videoEnabled: false }),
    ]);
  });

  test("the agent's media-state is reported as remotemediastate", async () => {
    const s = setup();
    const remote: MediaState[] = [];
    s.client.on('remotemediastate', (m) => remote.push(m));
    await connectCall(s, 'video');
    s.agent({ type: 'media-state', audioMuted: true, videoEnabled: false });
    expect(remote).toEqual([{ audioMuted: true, videoEnabled: false }]);
    expect(s.client.callInfo?.remote).toEqual({ audioMuted: true, videoEnabled: false });
  });
});

describe('ending', () => {
  test('reject() says reject declined and ends by local', () => {
    const s = setup();
    s.agent({ type: 'invite', media: 'video' });
    s.client.reject();
    expect(s.transport.sentOf('reject')).toEqual([
      expect.objectContaining({ callId: s.callId, reason: 'declined' }),
    ]);
    expect(s.ended).toEqual([{ callId: s.callId, reason: 'declined', by: 'local', durationMs: 0 }]);
    expect(s.devices.requests).toEqual([]);
    expectReleased(s);
  });

  test('hangup() says hangup normal and reports the time connected', async () => {
    const s = setup();
    await connectCall(s, 'video');
    jest.advanceTimersByTime(12_345);
    s.client.hangup();
    expect(s.transport.sentOf('hangup')).toEqual([
      expect.objectContaining({ callId: s.callId, reason: 'normal' }),
    ]);
    expect(s.ended).toEqual([
      { callId: s.callId, reason: 'normal', by: 'local', durationMs: 12_345 },
    ]);
    expectReleased(s);
  });

  test("the agent's hangup ends the call by remote with its reason and detail, unanswered", async () => {
    const s = setup();
    await connectCall(s);
    jest.advanceTimersByTime(1_000);
    const sentBefore = s.transport.sent.length;
    s.agent({ type: 'hangup', reason: 'network', detail: 'agent lost connection' });
    expect(s.ended).toEqual([
      {
        callId: s.callId,
        reason: 'network',
        by: 'remote',
        durationMs: 1_000,
        detail: 'agent lost connection',
      },
    ]);
    expect(s.transport.sent).toHaveLength(sentBefore);
    expectReleased(s);
  });

  test.each<[string, (s: Setup) => Promise<void>]>([
    ['invited', async (s) => void s.agent({ type: 'invite', media: 'video' })],
    ['connecting', (s) => startCall(s, 'video')],
  ])('cancel while %s ends the call cancelled by remote', async (_state, reach) => {
    const s = setup();
    await reach(s);
    s.agent({ type: 'cancel', reason: 'agent changed their mind' });
    expect(s.ended).toEqual([
      expect.objectContaining({
        reason: 'cancelled',
        by: 'remote',
        durationMs: 0,
        detail: 'agent changed their mind',
      }),
    ]);
    expectReleased(s);
  });

  test('tracks granted after the call was cancelled during the prompt are stopped at once', async () => {
    const s = setup();
    s.devices.hold = true;
    s.agent({ type: 'invite', media: 'video' });
    const accepting = s.client.accept();
    await settle();
    s.agent({ type: 'cancel' });
    s.devices.release();
    await accepting;
    expect(s.devices.tracks.map((t) => [t.kind, t.readyState])).toEqual([
      ['audio', 'ended'],
      ['video', 'ended'],
    ]);
    expect(s.peers).toEqual([]);
    expectReleased(s);
  });

  test('the transport closing during a call ends it with network by system', async () => {
    const s = setup();
    await connectCall(s);
    const sentBefore = s.transport.sent.length;
    s.transport.close('socket lost');
    expect(s.ended).toEqual([expect.objectContaining({ reason: 'network', by: 'system' })]);
    expect(s.transport.sent).toHaveLength(sentBefore);
    expectReleased(s);
  });

  test('ended is emitted once however many endings follow', async () => {
    const s = setup();
    await connectCall(s);
    const hangup = s.agent({ type: 'hangup', reason: 'normal' });
    s.transport.deliver({ ...hangup, id: 'another-id' });
    s.agent({ type: 'cancel' });
    s.transport.close();
    expect(() => s.client.hangup()).toThrow();
    expectReleased(s);
  });
});

describe('messages that are not for this call', () => {
  test('a second invitation during a call is rejected busy for its own callId, once', async () => {
    const s = setup();
    await connectCall(s);
    const transitions = s.transitions.length;
    const other = fromAgent('another-call', { type: 'invite', media: 'video' });
    s.transport.deliver(other);
    s.transport.deliver(other);
    expect(s.transport.sentOf('reject')).toEqual([
      expect.objectContaining({ callId: 'another-call', reason: 'busy' }),
    ]);
    expect(s.warnings.map((w) => w.code)).toEqual(['busy']);
    expect(s.client.state).toBe('connected');
    expect(s.transitions).toHaveLength(transitions);
    expect(s.client.callInfo?.callId).toBe(s.callId);
    // The current call goes on as before.
    s.client.hangup();
    expect(s.transport.sentOf('hangup')).toEqual([expect.objectContaining({ callId: s.callId })]);
  });

  test('a message delivered twice is acted on once, silently', async () => {
    const s = setup();
    const remote: MediaState[] = [];
    s.client.on('remotemediastate', (m) => remote.push(m));
    await connectCall(s);
    const mediaState = s.agent({ type: 'media-state', audioMuted: true, videoEnabled: false });
    s.transport.deliver(mediaState);
    const hangup = s.agent({ type: 'hangup', reason: 'normal' });
    s.transport.deliver(hangup);
    expect(remote).toHaveLength(1);
    expect(s.ended).toHaveLength(1);
    expect(s.warnings).toEqual([]);
  });

  test('messages of another callId are ignored', async () => {
    const s = setup();
    await connectCall(s);
    const sent = s.transport.sent.length;
    s.transport.deliver(fromAgent('another-call', { type: 'hangup', reason: 'normal' }));
    s.transport.deliver(fromAgent('another-call', { type: 'cancel' }));
    expect(s.client.state).toBe('connected');
    expect(s.ended).toEqual([]);
    expect(s.warnings).toEqual([]);
    expect(s.transport.sent).toHaveLength(sent);
  });

  test('a late copy of the invitation after the call ended does not ring again', () => {
    const s = setup();
    const invitations: string[] = [];
    s.client.on('invitation', (i) => invitations.push(i.callId));
    const invite = s.agent({ type: 'invite', media: 'voice' });
    s.client.reject();
    s.transport.deliver(invite);
    s.transport.deliver({ ...invite, id: 'a-new-id' });
    expect(invitations).toEqual([s.callId]);
    expect(s.client.state).toBe('ended');
    expect(s.transport.types()).toEqual(['reject']);
  });
});

describe('malformed messages', () => {
  const valid = () => fromAgent('call-1', { type: 'hangup', reason: 'normal' });
  test.each<[string, () => unknown]>([
    ['text that is not JSON', () => '{"v":1,'],
    ['a JSON array', () => '[]'],
    ['another protocol version', () => ({ ...valid(), v: 2 })],
    ['a missing id', () => ({ ...valid(), id: undefined })],
    ['a field of the wrong type', () => ({ ...valid(), reason: 42 })],
    ['an unknown type', () => ({ ...valid(), type: 'ring' })],
    ['more than 64 KiB', () => JSON.stringify({ ...valid(), detail: 'x'.repeat(70_000) })],
  ])('%s is dropped with an invalid-message warning and no state change', async (_what, make) => {
    const s = setup();
    s.callId = 'call-1';
    await connectCall(s);
    const transitions = s.transitions.length;
    const sent = s.transport.sent.length;
    s.transport.deliver(make());
    expect(s.warnings.map((w) => w.code)).toEqual(['invalid-message']);
    expect(s.client.state).toBe('connected');
    expect(s.transitions).toHaveLength(transitions);
    expect(s.transport.sent).toHaveLength(sent);
  });
});

describe('listeners', () => {
  test('a listener that throws is reported as listener-error and the others still run', async () => {
    const s = setup();
    const seen: CallState[] = [];
    s.client.on('statechange', () => {
      throw new Error('app bug');
    });
    s.client.on('statechange', ({ state }) => seen.push(state));
    await connectCall(s);
    expect(seen).toEqual(['invited', 'accepted', 'media-permission', 'connecting', 'connected']);
    expect(s.warnings.map((w) => w.code)).toEqual(Array(5).fill('listener-error'));
    expect(s.warnings[0]?.cause).toEqual(new Error('app bug'));
  });

  test('a throwing ended listener does not stop the release', async () => {
    const s = setup();
    s.client.on('ended', () => {
      throw new Error('app bug');
    });
    await connectCall(s);
    s.client.hangup();
    expect(s.warnings.map((w) => w.code)).toEqual(['listener-error']);
    expectReleased(s);
  });

  test('a listener that hangs up on localstream stops the call there', async () => {
    const s = setup();
    s.client.on('localstream', () => s.client.hangup());
    s.agent({ type: 'invite', media: 'voice' });
    await s.client.accept();
    expect(s.transport.types()).toEqual(['accept', 'hangup']);
    expectReleased(s);
  });

  test('a listener that hangs up on connected sends nothing after the hangup', async () => {
    const s = setup();
    s.client.on('statechange', ({ state }) => {
      if (state === 'connected') s.client.hangup();
    });
    await startCall(s);
    await answer(s);
    s.pc().setConnectionState('connected');
    expect(s.transport.types().at(-1)).toBe('hangup');
    expectReleased(s);
  });
});

describe('the page shown again (iOS pauses media in the background)', () => {
  /** A document whose visibility the test sets, counting its listeners. */
  function fakeDocument() {
    const listeners = new Set<() => void>();
    return {
      visibilityState: 'visible',
      listeners,
      addEventListener: (_type: 'visibilitychange', l: () => void) => listeners.add(l),
      removeEventListener: (_type: 'visibilitychange', l: () => void) => listeners.delete(l),
      show(state: 'visible' | 'hidden') {
        this.visibilityState = state;
        for (const l of [...listeners]) l();
      },
    };
  }
  /** An element that pauses as a backgrounded iOS page does. */
  function fakeElement() {
    return {
      srcObject: null as unknown,
      paused: true,
      plays: 0,
      play() {
        this.plays++;
        this.paused = false;
        return Promise.resolve();
      },
    };
  }

  test('replays a paused attached element when the page is visible again, and stops listening at the end', async () => {
    const doc = fakeDocument();
    const s = setup({}, { document: doc });
    const element = fakeElement();
    s.client.attachRemoteMedia(element as never);
    await connectCall(s, 'video');
    s.pc().emitTrack('audio');
    await settle();
    expect(element.plays).toBe(1);
    expect(doc.listeners.size).toBe(1);

    element.paused = true; // the system paused it in the background
    doc.show('hidden');
    await settle();
    expect(element.plays).toBe(1); // nothing is played in a hidden page
    doc.show('visible');
    await settle();
    expect(element.plays).toBe(2);
    expect(element.paused).toBe(false);

    doc.show('visible'); // still playing: not touched
    await settle();
    expect(element.plays).toBe(2);

    s.client.hangup();
    expect(doc.listeners.size).toBe(0);
  });
});
