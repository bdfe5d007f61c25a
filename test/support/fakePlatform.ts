/**
 * A fake browser for unit tests of CallClient: peer connections, devices,
 * streams and a transport that the test drives by hand, synchronously, and
 * that record what the SDK asked of them. No timers, no real media.
 */
import { CallClient } from '../../src/call/CallClient';
import type { CallClientOptions } from '../../src/call/CallClient';
import type { CallWarning, EndedEvent } from '../../src/call/events';
import type { CallState } from '../../src/call/states';
import type {
  MediaStreamConstructor,
  Platform,
  RTCPeerConnectionConstructor,
} from '../../src/env/platform';
import { envelope } from '../../src/protocol/envelope';
import { newId } from '../../src/protocol/ids';
import type { Message, MessageBody, MessageOf, MessageType } from '../../src/protocol/messages';
import type { Transport, TransportListener } from '../../src/transport/types';
import { createHash, randomFillSync } from 'node:crypto';
import type { CryptoLike } from '../../src/protocol/commit';

type Kind = 'audio' | 'video';

/** One line per thing the SDK did to the fakes, in order, across all of them. */
export type Journal = string[];

// ---- tracks and streams -------------------------------------------------------

export class FakeTrack extends EventTarget {
  readonly id = newId();
  readyState: MediaStreamTrackState = 'live';
  enabled = true;

  constructor(
    readonly kind: Kind,
    private readonly settings: MediaTrackSettings = {},
  ) {
    super();
  }

  stop(): void {
    this.readyState = 'ended';
  }

  /** The track ends by itself (unplugged; a browser's own "Stop sharing"): `ended` fires. */
  end(): void {
    this.readyState = 'ended';
    this.dispatchEvent(new Event('ended'));
  }

  getSettings(): MediaTrackSettings {
    return { ...this.settings };
  }
}

export class FakeMediaStream {
  readonly id = newId();
  private readonly tracks: FakeTrack[];

  constructor(tracks: FakeTrack[] = []) {
    this.tracks = [...tracks];
  }

  getTracks(): FakeTrack[] {
    return [...this.tracks];
  }
  getAudioTracks(): FakeTrack[] {
    return this.tracks.filter((t) => t.kind === 'audio');
  }
  getVideoTracks(): FakeTrack[] {
    return this.tracks.filter((t) => t.kind === 'video');
  }
  addTrack(track: FakeTrack): void {
    if (!this.tracks.includes(track)) this.tracks.push(track);
  }
  removeTrack(track: FakeTrack): void {
    const i = this.tracks.indexOf(track);
    if (i >= 0) this.tracks.splice(i, 1);
  }
}

// ---- devices ---------------------------------------------------------------------

/** The `name` of a getUserMedia rejection, as browsers report it. */
export type DeviceFailure = 'NotAllowedError' | 'NotFoundError' | 'NotReadableError';

export class FakeMediaDevices {
  /** The constraints of every getUserMedia call, in order. */
  readonly requests: MediaStreamConstraints[] = [];
  /** Every track ever handed out. */
  readonly tracks: FakeTrack[] = [];
  /** Per kind: reject any request that includes it with this error. */
  readonly fail: Partial<Record<Kind, DeviceFailure>> = {};
  /** When true, requests wait for `release()`: the permission prompt stays open. */
  hold = false;
  facing: 'user' | 'environment' = 'user';
  private held: (() => void)[] = [];
  /** The screens shared; `displayFailure` makes the picker refuse. Undefined: a phone. */
  readonly screens: FakeTrack[] = [];
  displayFailure: DeviceFailure | undefined;
  getDisplayMedia:
    ((constraints: DisplayMediaStreamOptions) => Promise<FakeMediaStream>) | undefined =
    async () => {
      this.journal.push('getDisplayMedia');
      if (this.displayFailure) {
        throw new DOMException(`${this.displayFailure} (fake)`, this.displayFailure);
      }
      const screen = new FakeTrack('video', { deviceId: 'screen' });
      this.screens.push(screen);
      this.tracks.push(screen);
      return new FakeMediaStream([screen]);
    };

  constructor(private readonly journal: Journal = []) {}

  getUserMedia(constraints: MediaStreamConstraints): Promise<FakeMediaStream> {
    this.requests.push(constraints);
    this.journal.push('getUserMedia');
    return new Promise((resolve, reject) => {
      const answer = () => {
        const kinds = (['audio', 'video'] as const).filter((k) => Boolean(constraints[k]));
        const failure = kinds.map((k) => this.fail[k]).find(Boolean);
        if (failure) return reject(new DOMException(`${failure} (fake)`, failure));
        const tracks = kinds.map(
          (k) =>
            new FakeTrack(
              k,
              k === 'video'
                ? { deviceId: `camera-${this.facing}`, facingMode: this.facing }
                : { deviceId: 'mic' },
            ),
        );
        this.tracks.push(...tracks);
        resolve(new FakeMediaStream(tracks));
      };
      if (this.hold) this.held.push(answer);
      else answer();
    });
  }

  /** Answers every held request, with the `fail` settings as they are now. */
  release(): void {
    this.hold = false;
    for (const answer of this.held.splice(0)) answer();
  }

  async enumerateDevices(): Promise<MediaDeviceInfo[]> {
    return (['user', 'environment'] as const).map(
      (facing) => ({ kind: 'videoinput', deviceId: `camera-${facing}` }) as MediaDeviceInfo,
    );
  }

  liveTracks(): FakeTrack[] {
    return this.tracks.filter((t) => t.readyState === 'live');
  }
}

// ---- peer connection -----------------------------------------------------------

export class FakeSender {
  readonly replaced: (FakeTrack | null)[] = [];
  constructor(public track: FakeTrack | null) {}
  async replaceTrack(track: FakeTrack | null): Promise<void> {
    this.replaced.push(track);
    this.track = track;
  }
}

export class FakeTransceiver {
  readonly receiver: { track: FakeTrack };
  readonly sender: FakeSender;
  constructor(
    readonly kind: Kind,
    track: FakeTrack | null,
    readonly direction: RTCRtpTransceiverDirection,
  ) {
    this.receiver = { track: new FakeTrack(kind) };
    this.sender = new FakeSender(track);
  }
}

/** One call made on the fake peer connection, with its argument. */
export interface PcCall {
  method: string;
  arg?: unknown;
}

type Handler<E> = ((event: E) => void) | null;

export class FakeRTCPeerConnection {
  readonly calls: PcCall[] = [];
  readonly transceivers: FakeTransceiver[] = [];
  signalingState: RTCSignalingState = 'stable';
  connectionState: RTCPeerConnectionState = 'new';
  iceConnectionState: RTCIceConnectionState = 'new';
  localDescription: RTCSessionDescriptionInit | null = null;
  remoteDescription: RTCSessionDescriptionInit | null = null;
  onicecandidate: Handler<{ candidate: RTCIceCandidateInit | null }> = null;
  ontrack: Handler<{ track: FakeTrack; streams: FakeMediaStream[] }> = null;
  onnegotiationneeded: Handler<Event> = null;
  onconnectionstatechange: Handler<Event> = null;
  oniceconnectionstatechange: Handler<Event> = null;
  private offers = 0;

  constructor(
    readonly configuration: RTCConfiguration = {},
    private readonly journal: Journal = [],
  ) {
    // Like Chrome and Firefox: a TURN server without credentials is refused at construction.
    for (const server of configuration.iceServers ?? []) {
      const urls = Array.isArray(server.urls) ? server.urls : [server.urls];
      if (urls.some((u) => u.startsWith('turn')) && (!server.username || !server.credential)) {
        throw new DOMException('TURN server without credentials (fake)', 'InvalidAccessError');
      }
    }
  }

  get closed(): boolean {
    return this.signalingState === 'closed';
  }

  addTransceiver(trackOrKind: FakeTrack | Kind, init?: RTCRtpTransceiverInit): FakeTransceiver {
    this.record('addTransceiver', trackOrKind);
    const track = typeof trackOrKind === 'string' ? null : trackOrKind;
    const kind = typeof trackOrKind === 'string' ? trackOrKind : trackOrKind.kind;
    const transceiver = new FakeTransceiver(kind, track, init?.direction ?? 'sendrecv');
    this.transceivers.push(transceiver);
    // A transceiver added to a negotiated connection needs a new offer, as in browsers
    // (the first offer is the SDK's own to make).
    if (this.remoteDescription && this.signalingState === 'stable') {
      void Promise.resolve().then(() => this.onnegotiationneeded?.(new Event('negotiationneeded')));
    }
    return transceiver;
  }

  getTransceivers(): FakeTransceiver[] {
    return [...this.transceivers];
  }

  async createOffer(options?: RTCOfferOptions): Promise<RTCSessionDescriptionInit> {
    this.record('createOffer', options);
    this.assertOpen();
    return { type: 'offer', sdp: `v=0 fake-offer-${++this.offers}` };
  }

  async createAnswer(): Promise<RTCSessionDescriptionInit> {
    this.record('createAnswer');
    this.assertOpen();
    if (this.signalingState !== 'have-remote-offer')
      throw new DOMException('no offer', 'InvalidStateError');
    return { type: 'answer', sdp: 'v=0 fake-answer' };
  }

  async setLocalDescription(description: RTCSessionDescriptionInit): Promise<void> {
    this.record('setLocalDescription', description);
    this.assertOpen();
    this.signalingState = this.next(description.type, 'local');
    if (description.type !== 'rollback') this.localDescription = description;
  }

  async setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    this.record('setRemoteDescription', description);
    this.assertOpen();
    // Browsers refuse SDP they cannot parse; the fakes' descriptions all start with v=0.
    if (!description.sdp?.startsWith('v=0'))
      throw new DOMException('bad SDP (fake)', 'OperationError');
    this.signalingState = this.next(description.type, 'remote');
    this.remoteDescription = description;
  }

  async addIceCandidate(candidate?: RTCIceCandidateInit): Promise<void> {
    this.record('addIceCandidate', candidate);
    this.assertOpen();
    if (!this.remoteDescription)
      throw new DOMException('no remote description', 'InvalidStateError');
  }

  async getStats(): Promise<RTCStatsReport> {
    return new Map() as unknown as RTCStatsReport;
  }

  close(): void {
    this.record('close');
    this.signalingState = 'closed';
    this.connectionState = 'closed';
    this.iceConnectionState = 'closed';
  }

  // ---- driven by the test ----

  /** Sets `connectionState` and fires `connectionstatechange`, as the browser would. */
  setConnectionState(state: RTCPeerConnectionState): void {
    this.connectionState = state;
    this.onconnectionstatechange?.(new Event('connectionstatechange'));
  }

  /** Gathers a local candidate (null: gathering complete). */
  emitIceCandidate(candidate: RTCIceCandidateInit | null): void {
    this.onicecandidate?.({ candidate });
  }

  /** The remote side sent a track. */
  emitTrack(kind: Kind): FakeTrack {
    const track = new FakeTrack(kind);
    this.ontrack?.({ track, streams: [new FakeMediaStream([track])] });
    return track;
  }

  /** Names of the calls made, in order (for order assertions). */
  methods(): string[] {
    return this.calls.map((c) => c.method);
  }

  private record(method: string, arg?: unknown): void {
    this.calls.push(arg === undefined ? { method } : { method, arg });
    this.journal.push(`pc.${method}`);
  }

  private assertOpen(): void {
    if (this.closed) throw new DOMException('closed', 'InvalidStateError');
  }

  /** The signaling state machine of JSEP, for the transitions a call uses. */
  private next(type: RTCSdpType | undefined, side: 'local' | 'remote'): RTCSignalingState {
    const s = this.signalingState;
    if (type === 'rollback') return 'stable';
    if (type === 'offer' && s === 'stable')
      return side === 'local' ? 'have-local-offer' : 'have-remote-offer';
    if (type === 'answer' && s === (side === 'local' ? 'have-remote-offer' : 'have-local-offer')) {
      return 'stable';
    }
    throw new DOMException(`cannot apply ${side} ${String(type)} in ${s}`, 'InvalidStateError');
  }
}

/** A constructor the SDK can use, recording every instance in `created`. */
export function fakePeerConnectionClass(
  created: FakeRTCPeerConnection[],
  journal: Journal = [],
): RTCPeerConnectionConstructor {
  return class extends FakeRTCPeerConnection {
    constructor(configuration?: RTCConfiguration) {
      super(configuration, journal);
      created.push(this);
    }
  } as unknown as RTCPeerConnectionConstructor;
}

// ---- transport -----------------------------------------------------------------

/** A transport the test drives: what the SDK sends is kept, what arrives is `deliver`ed. */
export class ManualTransport implements Transport {
  readonly sent: Message[] = [];
  private readonly listeners = new Set<TransportListener>();
  private closed = false;

  constructor(private readonly journal: Journal = []) {}

  send(message: Message): void {
    if (this.closed) return;
    this.sent.push(message);
    this.journal.push(`send ${message.type}`);
  }

  listen(listener: TransportListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Hands one incoming message (any value, as a transport would) to the listeners, synchronously. */
  deliver(data: unknown): void {
    for (const listener of [...this.listeners]) listener.message(data);
  }

  /** The transport closed under the SDK. */
  close(reason = 'closed by the test'): void {
    if (this.closed) return;
    this.closed = true;
    for (const listener of [...this.listeners]) listener.close(reason);
    this.listeners.clear();
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  sentOf<T extends MessageType>(type: T): MessageOf<T>[] {
    return this.sent.filter((m): m is MessageOf<T> => m.type === type);
  }

  types(): MessageType[] {
    return this.sent.map((m) => m.type);
  }
}

/** A valid message from the agent, with a fresh id (addressed `to` an instance when given). */
export function fromAgent(callId: string, body: MessageBody, to?: string): Message {
  return envelope(body, callId, 'agent', to ? { to } : undefined);
}

/** A tab's session storage, in memory; share one between setups to play two pages of a tab. */
export class MemoryStorage {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, String(value));
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

/**
 * Random bytes and SHA-256 for resume's commitments, answering within the
 * same turn (Node's WebCrypto answers from its thread pool, which a test
 * with fake timers cannot wait for by settling microtasks).
 */
export const nodeCrypto: CryptoLike = {
  getRandomValues: (array) => randomFillSync(array),
  subtle: {
    digest: (_algorithm, data) => {
      const hash = createHash('sha256').update(data).digest();
      return Promise.resolve(
        hash.buffer.slice(hash.byteOffset, hash.byteOffset + hash.length) as ArrayBuffer,
      );
    },
  },
};

/** The page's `pagehide`; `persisted` as when the page goes into the back/forward cache. */
export function pageHide(page: EventTarget, persisted = false): void {
  page.dispatchEvent(Object.assign(new Event('pagehide'), { persisted }));
}

/** The page shown again (`persisted`: back from the back/forward cache). */
export function pageShow(page: EventTarget, persisted = true): void {
  page.dispatchEvent(Object.assign(new Event('pageshow'), { persisted }));
}

// ---- a client wired to all of the above -----------------------------------------

export interface Setup {
  client: CallClient;
  transport: ManualTransport;
  devices: FakeMediaDevices;
  /** Every peer connection the client created. */
  peers: FakeRTCPeerConnection[];
  journal: Journal;
  /** The tab's session storage and the page's window (resume). */
  storage: MemoryStorage;
  page: EventTarget;
  /** Every statechange, in order. */
  transitions: { state: CallState; previous: CallState }[];
  ended: EndedEvent[];
  warnings: CallWarning[];
  callId: string;
  /** Delivers a message of the current call from the agent, and returns it. */
  agent(body: MessageBody): Message;
  /** The one peer connection of the call. */
  pc(): FakeRTCPeerConnection;
}

export const SUPPORTED_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

/**
 * A client on the fake platform. `platform` replaces parts of it (undefined:
 * the part is missing, as in a browser without it).
 */
export function setup(
  options: Partial<CallClientOptions> = {},
  platform: Partial<Record<keyof Platform, unknown>> = {},
): Setup {
  const journal: Journal = [];
  const transport = new ManualTransport(journal);
  const devices = new FakeMediaDevices(journal);
  const peers: FakeRTCPeerConnection[] = [];
  const storage = (platform.sessionStorage as MemoryStorage | undefined) ?? new MemoryStorage();
  const page = (platform.window as EventTarget | undefined) ?? new EventTarget();
  const client = new CallClient({
    transport,
    platform: {
      RTCPeerConnection: fakePeerConnectionClass(peers, journal),
      mediaDevices: devices as unknown as MediaDevices,
      MediaStream: FakeMediaStream as unknown as MediaStreamConstructor,
      // A supported browser page, whatever jsdom says of itself.
      environment: { secureContext: true, topFrame: true, userAgent: SUPPORTED_UA },
      sessionStorage: storage,
      crypto: nodeCrypto,
      window: page as unknown as Platform['window'],
      indexedDB: undefined,
      ...(platform as Partial<Platform>),
    },
    ...options,
  });
  const s: Setup = {
    client,
    transport,
    devices,
    peers,
    journal,
    storage,
    page,
    transitions: [],
    ended: [],
    warnings: [],
    callId: `call-${newId()}`,
    agent(body) {
      const message = fromAgent(s.callId, body);
      transport.deliver(message);
      return message;
    },
    pc() {
      expect(peers).toHaveLength(1);
      return peers[0] as FakeRTCPeerConnection;
    },
  };
  client.on('statechange', (change) => s.transitions.push(change));
  client.on('ended', (event) => s.ended.push(event));
  client.on('warning', (warning) => s.warnings.push(warning));
  return s;
}

/**
 * Lets the SDK's promise chains run to completion. The fakes answer at once,
 * so a bounded number of microtask turns is enough; no timer is involved, so
 * this works the same with fake timers.
 */
export async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) await Promise.resolve();
}

/** Invites, accepts and lets the offer go out: the call is `connecting`. */
export async function startCall(s: Setup, media: 'voice' | 'video' = 'voice'): Promise<void> {
  s.agent({ type: 'invite', media });
  await s.client.accept();
  expect(s.client.state).toBe('connecting');
}

/** The agent answers the offer. */
export async function answer(s: Setup): Promise<void> {
  s.agent({ type: 'sdp', description: { type: 'answer', sdp: 'v=0 agent-answer' } });
  await settle();
}

/** Invites, accepts, answers and connects: the call is `connected`. */
export async function connectCall(s: Setup, media: 'voice' | 'video' = 'voice'): Promise<void> {
  await startCall(s, media);
  await answer(s);
  s.pc().setConnectionState('connected');
  expect(s.client.state).toBe('connected');
}

/**
 * What must hold after every ending: `ended` exactly once, every local track
 * stopped, every peer connection closed, no timer left, no listener on the
 * client's side of the call.
 */
export function expectReleased(s: Setup): void {
  expect(s.ended).toHaveLength(1);
  expect(s.client.state).toBe('ended');
  expect(s.devices.liveTracks()).toEqual([]);
  expect(s.client.liveTrackCount).toBe(0);
  for (const pc of s.peers) expect(pc.closed).toBe(true);
  expect(jest.getTimerCount()).toBe(0);
}
