/**
 * PeerSession on its own, against a scripted peer connection: perfect
 * negotiation (who yields when offers collide, rollback), the candidate
 * buffer, what is signaled while gathering, and that nothing is signaled or
 * reported once the session is closed.
 */
import { PeerSession } from '../../src/peer/PeerSession';
import type { PeerConnectionState, PeerSessionOptions } from '../../src/peer/PeerSession';
import type { MediaStreamConstructor, RTCPeerConnectionConstructor } from '../../src/env/platform';
import type { IceCandidate, SessionDescription } from '../../src/protocol/messages';
import { FakeMediaStream, FakeRTCPeerConnection, FakeTrack, settle } from '../support/fakePlatform';
import type { PcCall } from '../support/fakePlatform';

/**
 * The fake peer connection of the client tests, with what negotiation needs
 * beyond it: the gathering state, candidate errors, candidates the engine
 * refuses, and steps the test can hold open or make fail.
 */
class ScriptedPeerConnection extends FakeRTCPeerConnection {
  iceGatheringState: RTCIceGatheringState = 'new';
  onicecandidateerror: ((event: RTCPeerConnectionIceErrorEvent) => void) | null = null;
  /** Candidate lines addIceCandidate rejects (an old ICE generation, an unknown m-line). */
  readonly refused = new Set<string>();
  /** The argument-less addIceCandidate() (end of candidates) is rejected, as by older engines. */
  refuseEndOfCandidates = false;
  private readonly held = new Map<string, Promise<void>>();
  private readonly failures = new Map<string, Error>();

  /** The next call of `method` resolves only when the returned function is called. */
  hold(method: 'createOffer' | 'createAnswer'): () => void {
    let release!: () => void;
    this.held.set(
      method,
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    );
    return release;
  }

  /** The next call of `method` rejects with `error`. */
  failNext(method: 'createOffer', error: Error): void {
    this.failures.set(method, error);
  }

  // A held step has done its work; only its result is late.
  override async createOffer(options?: RTCOfferOptions): Promise<RTCSessionDescriptionInit> {
    const offer = await super.createOffer(options);
    await this.step('createOffer');
    return offer;
  }

  override async createAnswer(): Promise<RTCSessionDescriptionInit> {
    const answer = await super.createAnswer();
    await this.step('createAnswer');
    return answer;
  }

  override async addIceCandidate(candidate?: RTCIceCandidateInit): Promise<void> {
    await super.addIceCandidate(candidate);
    if (candidate ? this.refused.has(candidate.candidate ?? '') : this.refuseEndOfCandidates) {
      throw new DOMException('candidate refused (fake)', 'OperationError');
    }
  }

  /** The ICE agent gathered a local candidate. */
  gather(candidate: RTCIceCandidateInit): void {
    this.iceGatheringState = 'gathering';
    this.emitIceCandidate(candidate);
  }

  /** Gathering ended: the final null of the round. */
  endGathering(): void {
    this.iceGatheringState = 'complete';
    this.emitIceCandidate(null);
  }

  /** Arguments of every addIceCandidate call, in order (undefined: end of candidates). */
  appliedCandidates(): unknown[] {
    return this.calls.filter((c) => c.method === 'addIceCandidate').map((c) => c.arg);
  }

  /** Calls made from index `from` on, as `method` or `method type` for descriptions. */
  callsSince(from: number): string[] {
    return this.calls.slice(from).map(label);
  }

  private async step(method: string): Promise<void> {
    const gate = this.held.get(method);
    this.held.delete(method);
    await gate;
    const failure = this.failures.get(method);
    this.failures.delete(method);
    if (failure) throw failure;
  }
}

/** A call as `method`, or `method type` for a description. */
function label(call: PcCall): string {
  const type = (call.arg as { type?: string } | undefined)?.type;
  return typeof type === 'string' ? `${call.method} ${type}` : call.method;
}

type Signal = Parameters<PeerSessionOptions['signal']>[0];

interface Scene {
  session: PeerSession;
  pc: ScriptedPeerConnection;
  /** Everything signaled to the other side, in order. */
  signaled: Signal[];
  warnings: { code: string; message: string; cause: unknown }[];
  errors: unknown[];
  states: PeerConnectionState[];
  noCandidates: string[];
  remote: { stream: MediaStream; track: MediaStreamTrack }[];
}

/** An open session of the given politeness on a scripted peer connection. */
function scene(
  polite: boolean,
  extra: Partial<PeerSessionOptions> = {},
  prepare: (pc: ScriptedPeerConnection) => void = () => undefined,
): Scene {
  const created: ScriptedPeerConnection[] = [];
  const s = {
    signaled: [],
    warnings: [],
    errors: [],
    states: [],
    noCandidates: [],
    remote: [],
  } as unknown as Scene;
  s.session = new PeerSession({
    RTCPeerConnection: class extends ScriptedPeerConnection {
      constructor(configuration?: RTCConfiguration) {
        super(configuration);
        prepare(this);
        created.push(this);
      }
    } as unknown as RTCPeerConnectionConstructor,
    MediaStream: FakeMediaStream as unknown as MediaStreamConstructor,
    configuration: {},
    polite,
    signal: (message) => s.signaled.push(message),
    onRemoteStream: (stream, track) => s.remote.push({ stream, track }),
    onConnectionState: (state) => s.states.push(state),
    onError: (error) => s.errors.push(error),
    onWarning: (code, message, cause) => s.warnings.push({ code, message, cause }),
    onRemoteDescriptionError: (error) => s.errors.push(error),
    onNoCandidates: (detail) => s.noCandidates.push(detail),
    ...extra,
  });
  s.session.open();
  s.pc = created[0] as ScriptedPeerConnection;
  return s;
}

function offer(sdp = 'v=0 remote-offer'): SessionDescription {
  return { type: 'offer', sdp };
}
function answer(sdp = 'v=0 remote-answer'): SessionDescription {
  return { type: 'answer', sdp };
}
function candidate(n: number, sdpMid = '0'): IceCandidate {
  return {
    candidate: `candidate:${n} 1 udp 2122260223 10.0.0.${n} 5000${n} typ host`,
    sdpMid,
    sdpMLineIndex: Number(sdpMid),
  };
}

/** The descriptions signaled, as `type sdp`. */
function descriptionsSent(s: Scene): string[] {
  const out: string[] = [];
  for (const m of s.signaled)
    if ('description' in m) out.push(`${m.description.type} ${m.description.sdp}`);
  return out;
}
/** The candidates signaled (null: end of candidates). */
function candidatesSent(s: Scene): (IceCandidate | null)[] {
  const out: (IceCandidate | null)[] = [];
  for (const m of s.signaled) if ('candidate' in m) out.push(m.candidate);
  return out;
}

/** The session makes its offer and it is pending: have-local-offer. */
async function pendingOffer(s: Scene): Promise<void> {
  await s.session.negotiate();
  expect(s.pc.signalingState).toBe('have-local-offer');
}

describe('making offers', () => {
  test('negotiationneeded makes an offer, sets it locally and signals it', async () => {
    const s = scene(false);
    s.pc.onnegotiationneeded?.(new Event('negotiationneeded'));
    await settle();
    expect(s.pc.callsSince(0)).toEqual(['createOffer', 'setLocalDescription offer']);
    expect(descriptionsSent(s)).toEqual(['offer v=0 fake-offer-1']);
    expect(s.pc.signalingState).toBe('have-local-offer');
  });

  test('no second offer is made while one is pending', async () => {
    const s = scene(false);
    await pendingOffer(s);
    await s.session.negotiate();
    expect(descriptionsSent(s)).toEqual(['offer v=0 fake-offer-1']);
  });

  test('the answer to the pending offer is applied and the connection is stable again', async () => {
    const s = scene(false);
    await pendingOffer(s);
    const from = s.pc.calls.length;
    await s.session.handleDescription(answer());
    expect(s.pc.callsSince(from)).toEqual(['setRemoteDescription answer']);
    expect(s.pc.signalingState).toBe('stable');
    expect(s.warnings).toEqual([]);
  });

  test('an ICE restart of an offer never answered rolls it back and sends a new one', async () => {
    const s = scene(false);
    await pendingOffer(s);
    const from = s.pc.calls.length;
    await s.session.negotiate({ iceRestart: true });
    expect(s.pc.callsSince(from)).toEqual([
      'setLocalDescription rollback',
      'createOffer',
      'setLocalDescription offer',
    ]);
    expect(s.pc.calls[from + 1]?.arg).toEqual({ iceRestart: true });
    expect(descriptionsSent(s)).toEqual(['offer v=0 fake-offer-1', 'offer v=0 fake-offer-2']);
    expect(s.pc.signalingState).toBe('have-local-offer');
  });

  test('an ICE restart of a stable connection needs no rollback', async () => {
    const s = scene(false);
    await pendingOffer(s);
    await s.session.handleDescription(answer());
    const from = s.pc.calls.length;
    await s.session.negotiate({ iceRestart: true });
    expect(s.pc.callsSince(from)).toEqual(['createOffer', 'setLocalDescription offer']);
  });

  test('an offer that cannot be made is reported through onError and nothing is signaled', async () => {
    const s = scene(false);
    const failure = new DOMException('no codecs (fake)', 'OperationError');
    s.pc.failNext('createOffer', failure);
    await s.session.negotiate();
    expect(s.errors).toEqual([failure]);
    expect(s.signaled).toEqual([]);
    expect(s.pc.signalingState).toBe('stable');
  });
});

describe('answering and offer collisions', () => {
  test('an offer in stable is applied, then beforeAnswer runs, then the answer is made and signaled', async () => {
    const s = scene(true, {
      beforeAnswer: (pc) => {
        (pc as unknown as ScriptedPeerConnection).calls.push({ method: 'beforeAnswer' });
      },
    });
    await s.session.handleDescription(offer());
    expect(s.pc.callsSince(0)).toEqual([
      'setRemoteDescription offer',
      'beforeAnswer',
      'createAnswer',
      'setLocalDescription answer',
    ]);
    expect(descriptionsSent(s)).toEqual(['answer v=0 fake-answer']);
    expect(s.pc.signalingState).toBe('stable');
  });

  test('the impolite peer ignores an offer that arrives while its own is pending', async () => {
    const s = scene(false);
    await pendingOffer(s);
    const from = s.pc.calls.length;
    await s.session.handleDescription(offer());
    expect(s.pc.callsSince(from)).toEqual([]); // no rollback, nothing applied
    expect(s.pc.signalingState).toBe('have-local-offer');
    expect(descriptionsSent(s)).toEqual(['offer v=0 fake-offer-1']);
    expect(s.warnings).toEqual([]);
    expect(s.errors).toEqual([]);
    // Its own offer goes on: the answer to it is applied.
    await s.session.handleDescription(answer());
    expect(s.pc.signalingState).toBe('stable');
  });

  test('the polite peer rolls its own offer back explicitly, then applies and answers the other', async () => {
    const s = scene(true);
    await pendingOffer(s);
    const from = s.pc.calls.length;
    await s.session.handleDescription(offer());
    expect(s.pc.callsSince(from)).toEqual([
      'setLocalDescription rollback',
      'setRemoteDescription offer',
      'createAnswer',
      'setLocalDescription answer',
    ]);
    expect(descriptionsSent(s)).toEqual(['offer v=0 fake-offer-1', 'answer v=0 fake-answer']);
    expect(s.pc.signalingState).toBe('stable');
    expect(s.errors).toEqual([]);
  });

  test("an answer without a pending offer is an 'unexpected-message' warning and is not applied", async () => {
    const s = scene(false);
    await s.session.handleDescription(answer());
    expect(s.pc.callsSince(0)).toEqual([]);
    expect(s.warnings).toEqual([
      expect.objectContaining({ code: 'unexpected-message', cause: undefined }),
    ]);
    expect(s.errors).toEqual([]);
  });
});

describe('remote candidates', () => {
  test('candidates that arrive before the answer wait for it, then are applied in order, the end last', async () => {
    const s = scene(false);
    await pendingOffer(s);
    await s.session.handleCandidate(candidate(1));
    await s.session.handleCandidate(candidate(2));
    await s.session.handleCandidate(null);
    expect(s.pc.appliedCandidates()).toEqual([]);
    const from = s.pc.calls.length;
    await s.session.handleDescription(answer());
    expect(s.pc.callsSince(from)).toEqual([
      'setRemoteDescription answer',
      'addIceCandidate',
      'addIceCandidate',
      'addIceCandidate',
    ]);
    expect(s.pc.appliedCandidates()).toEqual([candidate(1), candidate(2), undefined]);
    expect(s.warnings).toEqual([]);
  });

  test('candidates that arrive before an offer are applied after it and before the answer is made', async () => {
    const s = scene(true);
    await s.session.handleCandidate(candidate(1));
    await s.session.handleCandidate(null);
    await s.session.handleDescription(offer());
    expect(s.pc.callsSince(0)).toEqual([
      'setRemoteDescription offer',
      'addIceCandidate',
      'addIceCandidate',
      'createAnswer',
      'setLocalDescription answer',
    ]);
    expect(s.pc.appliedCandidates()).toEqual([candidate(1), undefined]);
  });

  test('once a remote description exists, candidates are applied as they arrive', async () => {
    const s = scene(false);
    await pendingOffer(s);
    await s.session.handleDescription(answer());
    await s.session.handleCandidate(candidate(1));
    expect(s.pc.appliedCandidates()).toEqual([candidate(1)]);
    await s.session.handleCandidate(candidate(2, '1'));
    expect(s.pc.appliedCandidates()).toEqual([candidate(1), candidate(2, '1')]);
  });

  test("a candidate that cannot be applied is an 'ice-candidate' warning; the next ones still apply", async () => {
    const s = scene(false);
    await pendingOffer(s);
    await s.session.handleDescription(answer());
    s.pc.refused.add(candidate(1).candidate);
    await s.session.handleCandidate(candidate(1));
    await s.session.handleCandidate(candidate(2));
    expect(s.warnings).toEqual([
      {
        code: 'ice-candidate',
        message: expect.any(String) as string,
        cause: expect.objectContaining({ name: 'OperationError' }) as unknown,
      },
    ]);
    expect(s.pc.appliedCandidates()).toEqual([candidate(1), candidate(2)]);
    expect(s.errors).toEqual([]);
  });

  test('an end of candidates the engine does not take is no warning (the argument-less form is optional)', async () => {
    const s = scene(false);
    s.pc.refuseEndOfCandidates = true;
    await pendingOffer(s);
    await s.session.handleDescription(answer());
    await s.session.handleCandidate(null);
    expect(s.pc.appliedCandidates()).toEqual([undefined]);
    expect(s.warnings).toEqual([]);
    expect(s.errors).toEqual([]);
  });
});

describe('local candidates', () => {
  test('each gathered candidate is signaled in the protocol form, and the end of gathering as null', () => {
    const s = scene(false);
    s.pc.gather({ candidate: candidate(1).candidate, sdpMid: '0', sdpMLineIndex: 0 });
    s.pc.endGathering();
    expect(candidatesSent(s)).toEqual([candidate(1), null]);
  });

  test("Firefox's empty candidate at the end of each m-line is not the end; only the final null is", () => {
    const s = scene(false);
    s.pc.gather({ candidate: candidate(1).candidate, sdpMid: '0', sdpMLineIndex: 0 });
    s.pc.gather({ candidate: '', sdpMid: '0', sdpMLineIndex: 0 });
    s.pc.gather({ candidate: candidate(2, '1').candidate, sdpMid: '1', sdpMLineIndex: 1 });
    s.pc.gather({ candidate: '', sdpMid: '1', sdpMLineIndex: 1 });
    expect(candidatesSent(s)).toEqual([candidate(1), candidate(2, '1')]);
    s.pc.endGathering();
    expect(candidatesSent(s)).toEqual([candidate(1), candidate(2, '1'), null]);
    expect(s.noCandidates).toEqual([]);
  });

  test('a round that gathers no candidate at all calls onNoCandidates (and still signals the end)', () => {
    const s = scene(false);
    s.pc.endGathering();
    expect(s.noCandidates).toEqual(['no ICE candidate']);
    expect(candidatesSent(s)).toEqual([null]);
  });

  test('onNoCandidates says what the ICE agent reported, without the server address', () => {
    const s = scene(false);
    s.pc.onicecandidateerror?.({
      errorCode: 401,
      errorText: 'Unauthorized',
      url: 'turn:turn.example.com:3478',
      address: '10.0.0.1',
    } as RTCPeerConnectionIceErrorEvent);
    s.pc.endGathering();
    expect(s.noCandidates).toEqual(['the TURN server refused the credentials (401)']);
  });

  test('the count starts again each round: a restart that gathers nothing is reported', async () => {
    const s = scene(false);
    s.pc.gather({ candidate: candidate(1).candidate, sdpMid: '0', sdpMLineIndex: 0 });
    s.pc.endGathering();
    expect(s.noCandidates).toEqual([]);
    s.pc.endGathering(); // the round of an ICE restart, with nothing found
    expect(s.noCandidates).toEqual(['no ICE candidate']);
  });
});

describe('tracks and connection state', () => {
  test('replaceTrack sends a track on the sender of its kind, without a new offer', async () => {
    const s = scene(false);
    s.session.addTransceiver('audio', new FakeTrack('audio') as unknown as MediaStreamTrack);
    s.session.addTransceiver('video', null);
    const camera = new FakeTrack('video');
    await s.session.replaceTrack('video', camera as unknown as MediaStreamTrack);
    expect(s.pc.transceivers[1]?.sender.replaced).toEqual([camera]);
    expect(s.pc.transceivers[0]?.sender.replaced).toEqual([]);
    expect(s.pc.methods()).not.toContain('createOffer');
  });

  test('replaceTrack of a kind the connection has no sender for rejects', async () => {
    const s = scene(false);
    s.session.addTransceiver('audio', null);
    await expect(
      s.session.replaceTrack('video', new FakeTrack('video') as unknown as MediaStreamTrack),
    ).rejects.toThrow('no video transceiver');
  });

  test('every remote track joins one stream, the same for the whole session', () => {
    const s = scene(false);
    const audio = s.pc.emitTrack('audio');
    const video = s.pc.emitTrack('video');
    expect(s.remote).toHaveLength(2);
    const stream = s.remote[0]?.stream;
    expect(s.remote[1]?.stream).toBe(stream);
    expect(stream?.getTracks()).toEqual([audio, video]);
  });

  test('each connection state is reported once, however often the engine repeats it', () => {
    const s = scene(false);
    s.pc.setConnectionState('connecting');
    s.pc.setConnectionState('connecting');
    s.pc.setConnectionState('connected');
    expect(s.states).toEqual(['connecting', 'connected']);
  });

  test('an engine without connectionState is followed through its ICE connection state', () => {
    const s = scene(false, {}, (pc) => {
      (pc as { connectionState: unknown }).connectionState = undefined;
    });
    for (const state of ['checking', 'connected', 'completed', 'disconnected'] as const) {
      s.pc.iceConnectionState = state;
      s.pc.oniceconnectionstatechange?.(new Event('iceconnectionstatechange'));
    }
    expect(s.states).toEqual(['connecting', 'connected', 'disconnected']);
  });
});

describe('close', () => {
  test('is idempotent: the connection is closed once', () => {
    const s = scene(false);
    s.session.close();
    expect(() => s.session.close()).not.toThrow();
    expect(s.pc.methods().filter((m) => m === 'close')).toHaveLength(1);
    expect(s.session.isClosed).toBe(true);
  });

  test('nothing is signaled or reported after it, even for events the engine had already queued', async () => {
    const s = scene(false);
    await s.session.handleCandidate(candidate(1)); // buffered, never applied
    const queued = {
      candidate: s.pc.onicecandidate,
      state: s.pc.onconnectionstatechange,
      negotiation: s.pc.onnegotiationneeded,
      track: s.pc.ontrack,
    };
    s.session.close();
    const from = s.pc.calls.length;

    queued.candidate?.({ candidate: { candidate: candidate(2).candidate, sdpMid: '0' } });
    queued.candidate?.({ candidate: null });
    s.pc.connectionState = 'failed';
    queued.state?.(new Event('connectionstatechange'));
    queued.negotiation?.(new Event('negotiationneeded'));
    queued.track?.({ track: new FakeTrack('audio'), streams: [] });
    await s.session.negotiate({ iceRestart: true });
    await s.session.handleDescription(offer());
    await s.session.handleCandidate(candidate(3));
    await s.session.replaceTrack('audio', null);
    await settle();

    expect(s.pc.callsSince(from)).toEqual([]);
    expect(s.signaled).toEqual([]);
    expect(s.states).toEqual([]);
    expect(s.remote).toEqual([]);
    expect(s.noCandidates).toEqual([]);
    expect(s.warnings).toEqual([]);
    expect(s.errors).toEqual([]);
  });

  test('an offer being made when the session closes is neither set nor signaled, and no error is reported', async () => {
    const s = scene(false);
    const release = s.pc.hold('createOffer');
    const negotiating = s.session.negotiate();
    await settle();
    s.session.close();
    release();
    await negotiating;
    expect(s.pc.methods()).toEqual(['createOffer', 'close']);
    expect(s.signaled).toEqual([]);
    expect(s.errors).toEqual([]);
  });

  test('an answer being made when the session closes is not signaled', async () => {
    const s = scene(true);
    const release = s.pc.hold('createAnswer');
    const answering = s.session.handleDescription(offer());
    await settle();
    s.session.close();
    release();
    await answering;
    expect(s.pc.callsSince(0)).toEqual(['setRemoteDescription offer', 'createAnswer', 'close']);
    expect(s.signaled).toEqual([]);
    expect(s.errors).toEqual([]);
    expect(s.warnings).toEqual([]);
  });
});
