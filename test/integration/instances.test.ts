/**
 * Protocol 1.1 instances, on real calls (wrtc, synthetic devices): several
 * tabs of one consumer, each with its own CallClient, on one messaging
 * conversation (test/support/channels.ts: every event reaches every
 * subscriber) with one AgentCall.
 *
 * - One tab accepts: the agent makes it the holder and at once addresses it
 *   a `media-state`; every other tab ends `answered-elsewhere` (by `remote`)
 *   within a moment, having never asked for a camera or microphone, never
 *   made a peer connection, never left `invited`. The winner's media flows.
 * - Two tabs accept in the same tick: exactly one connects (the agent's
 *   holder), the other ends `answered-elsewhere` and releases what it opened.
 * - A reject in one tab while ringing ends the invitation at the agent
 *   (`declined`) and stops the other tabs ringing (the agent's `cancel`).
 * - A 1.0 agent (no `features` in its invite) still gets a working call from
 *   a 1.1 consumer: every consumer message carries `instance`, the accept
 *   carries no resume commitment, nothing is written to session storage and
 *   the agent addresses nothing `to` an instance.
 *
 * Every wait is bounded and settles on an event (see test/support/wait.ts).
 */
import wrtc from 'wrtc';
import { CallClient } from '../../src/call/CallClient';
import type { CallClientOptions } from '../../src/call/CallClient';
import { AgentCall } from '../../src/agent/AgentCall';
import type { AgentCallOptions, AgentEndedEvent } from '../../src/agent/AgentCall';
import type { CallState } from '../../src/call/states';
import type { CallWarning, EndedEvent } from '../../src/call/events';
import type { Message } from '../../src/protocol/messages';
import type { Transport } from '../../src/transport/types';
import type { Platform } from '../../src/env/platform';
import { createNodePlatform } from '../../src/testing';
import type { NodePlatform } from '../../src/testing';
import { conversationBus } from '../support/channels';
import { TapTransport } from '../support/tap';
import { bytesReceived } from '../support/harness';
import { nextEvent, reachState, until } from '../support/wait';
import { stopFrameWatches, watchFrames } from '../support/media';

jest.setTimeout(30_000);

/** How soon a losing tab must stop ringing once another tab accepted (ms). */
const MOMENT_MS = 1_500;

/** A session storage of one tab, in memory. */
class MemoryStorage {
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

/** A page's window for the SDK: an EventTarget (pagehide, pageshow). */
function pageWindow(): NonNullable<Platform['window']> {
  return new EventTarget() as unknown as NonNullable<Platform['window']>;
}

/** One tab: a CallClient on its own transport into the conversation, and what it did. */
interface Tab {
  name: string;
  client: CallClient;
  platform: NodePlatform;
  storage: MemoryStorage;
  /** What this tab sent. */
  tap: TapTransport;
  /** Every state it went through, in order (the first is its state at construction). */
  states: CallState[];
  ended: EndedEvent | null;
  /** When `ended` was emitted (Date.now()). */
  endedAt: number;
  invitations: number;
  warnings: CallWarning[];
  /** Every peer connection this tab created. */
  peers: RTCPeerConnection[];
}

interface World {
  agent: AgentCall;
  /** What the agent sent. */
  agentTap: TapTransport;
  agentPlatform: NodePlatform;
  agentEnded: AgentEndedEvent | null;
  agentStates: string[];
  tabs: Tab[];
  addTab(name: string, options?: Partial<CallClientOptions>): Tab;
}

let world: World | undefined;

afterEach(() => {
  stopFrameWatches();
  if (!world) return;
  for (const tab of world.tabs) {
    tab.client.destroy();
    tab.tap.close();
    tab.platform.mediaDevices.stopAll();
  }
  world.agent.destroy();
  world.agentTap.close();
  world.agentPlatform.mediaDevices.stopAll();
  world = undefined;
});

/** A conversation with one agent (not yet inviting) on it; tabs join with addTab. */
function makeWorld(agentOptions: Partial<AgentCallOptions> = {}): World {
  const bus = conversationBus();
  const agentPlatform = createNodePlatform(wrtc);
  const agentTap = new TapTransport(bus.transport());
  const agent = new AgentCall({
    transport: agentTap,
    platform: agentPlatform,
    media: 'video',
    ...agentOptions,
  });
  const w: World = {
    agent,
    agentTap,
    agentPlatform,
    agentEnded: null,
    agentStates: [agent.state],
    tabs: [],
    addTab(name, options = {}) {
      const peers: RTCPeerConnection[] = [];
      class RecordedPeerConnection extends wrtc.RTCPeerConnection {
        constructor(configuration?: RTCConfiguration) {
          super(configuration);
          peers.push(this as unknown as RTCPeerConnection);
        }
      }
      const platform: NodePlatform = {
        ...createNodePlatform(wrtc),
        RTCPeerConnection: RecordedPeerConnection as unknown as typeof RTCPeerConnection,
      };
      const storage = new MemoryStorage();
      const tap = new TapTransport(bus.transport() as Transport);
      const client = new CallClient({
        transport: tap,
        // Everything a browser page would give: the SDK may resume here.
        platform: { ...platform, sessionStorage: storage, window: pageWindow() },
        ...options,
      });
      const tab: Tab = {
        name,
        client,
        platform,
        storage,
        tap,
        states: [client.state],
        ended: null,
        endedAt: 0,
        invitations: 0,
        warnings: [],
        peers,
      };
      client.on('statechange', ({ state }) => tab.states.push(state));
      client.on('invitation', () => tab.invitations++);
      client.on('warning', (warning) => tab.warnings.push(warning));
      client.on('ended', (event) => {
        tab.ended = event;
        tab.endedAt = Date.now();
      });
      w.tabs.push(tab);
      return tab;
    },
  };
  agent.on('statechange', ({ state }) => w.agentStates.push(state));
  agent.on('ended', (event) => {
    w.agentEnded = event;
  });
  world = w;
  return w;
}

/** Every tab has been shown the invitation. */
function allInvited(w: World): Promise<unknown> {
  return until(
    () => w.tabs.every((t) => t.client.state === 'invited'),
    `every tab invited (${w.tabs.map((t) => `${t.name}: ${t.client.state}`).join(', ')})`,
  );
}

function endedOf(tab: Tab, ms = 10_000): Promise<EndedEvent> {
  return until(() => tab.ended, `${tab.name} ended (state ${tab.client.state})`, ms).then(
    () => tab.ended as EndedEvent,
  );
}

/** The tab never went further than ringing: no prompt, no camera or microphone, no peer. */
function expectNeverHadMedia(tab: Tab): void {
  expect(tab.states).not.toContain('accepted');
  expect(tab.states).not.toContain('media-permission');
  expect(tab.states).not.toContain('connecting');
  expect(tab.platform.mediaDevices.getUserMediaCalls).toHaveLength(0);
  expect(tab.platform.mediaDevices.liveTracks()).toHaveLength(0);
  expect(tab.client.liveTrackCount).toBe(0);
  expect(tab.peers).toHaveLength(0);
}

/** Media flows both ways between `tab` and the agent: bytes of both kinds, frames at the tab. */
async function expectMediaFlows(w: World, tab: Tab, remote: Promise<MediaStream>): Promise<void> {
  const stream = await remote;
  const track = (await until(
    () => stream.getVideoTracks()[0],
    `a video track at ${tab.name}`,
  )) as MediaStreamTrack;
  const frames = watchFrames(track);
  const [tabStart, agentStart] = await Promise.all([
    bytesReceived(tab.client),
    bytesReceived(w.agent),
  ]);
  await until(async () => {
    const [t, a] = await Promise.all([bytesReceived(tab.client), bytesReceived(w.agent)]);
    return (
      t.audio > tabStart.audio + 500 &&
      t.video > tabStart.video + 2_000 &&
      a.audio > agentStart.audio + 500 &&
      a.video > agentStart.video + 2_000
    );
  }, `audio and video bytes growing both ways between ${tab.name} and the agent`);
  const seen = frames.count;
  await until(() => frames.count > seen + 5, `decoded frames at ${tab.name}`);
  frames.stop();
}

type Sent = Message & { instance?: string; to?: string; resume?: { commit: string } };

function sentBy(tap: TapTransport): Sent[] {
  return tap.sent as Sent[];
}

// ---------------------------------------------------------------------------

describe('one conversation, several tabs (instances)', () => {
  test('each client draws its own instance id', () => {
    const w = makeWorld();
    const a = w.addTab('A');
    const b = w.addTab('B');
    expect(a.client.instanceId).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(b.client.instanceId).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(a.client.instanceId).not.toBe(b.client.instanceId);
  });

  test('one tab accepts: the others end answered-elsewhere at once and never open media; the winner connects', async () => {
    const w = makeWorld();
    const a = w.addTab('A');
    const b = w.addTab('B');
    const c = w.addTab('C');
    const remote = nextEvent<MediaStream>(a.client, 'remotestream', 15_000);
    const accepted = nextEvent<unknown>(w.agent, 'accepted');
    w.agent.invite();
    await allInvited(w);
    const callId = w.agent.callId;
    for (const tab of w.tabs) expect(tab.invitations).toBe(1);

    void a.client.accept();
    await accepted;
    const acceptedAt = Date.now();
    expect(w.agent.holder).toBe(a.client.instanceId);

    // The agent at once addresses the holder: its first message after the accept goes `to` A.
    await until(() => sentBy(w.agentTap).some((m) => m.type !== 'invite'), 'an agent message');
    expect(sentBy(w.agentTap).filter((m) => m.type !== 'invite')[0]).toMatchObject({
      type: 'media-state',
      to: a.client.instanceId,
    });

    // The other tabs stop ringing within a moment, by the remote side, without a word.
    for (const tab of [b, c]) {
      const ended = await endedOf(tab, MOMENT_MS + 1_000);
      expect(ended).toMatchObject({ callId, reason: 'answered-elsewhere', by: 'remote' });
      expect(tab.endedAt - acceptedAt).toBeLessThan(MOMENT_MS);
      expect(tab.client.state).toBe('ended');
      expectNeverHadMedia(tab);
      expect(tab.tap.sent).toEqual([]);
      // Another tab answering is no warning.
      expect(tab.warnings.filter((x) => x.code !== 'unexpected-message')).toEqual([]);
    }

    await Promise.all([reachState(a.client, 'connected'), reachState(w.agent, 'connected')]);
    await expectMediaFlows(w, a, remote);
    expect(a.ended).toBeNull();
    expect(w.agentEnded).toBeNull();
    expect(w.agent.holder).toBe(a.client.instanceId);
    // Every message of the call from the agent, after the accept, went to A.
    for (const m of sentBy(w.agentTap).filter((x) => x.type !== 'invite')) {
      expect(m.to).toBe(a.client.instanceId);
    }
    // Every message A sent carries its instance.
    for (const m of sentBy(a.tap)) expect(m.instance).toBe(a.client.instanceId);
    // The losing tabs stay ended: the call's signaling addressed to A never woke them.
    for (const tab of [b, c]) {
      expect(tab.client.state).toBe('ended');
      expect(tab.states.filter((s) => s === 'ended')).toHaveLength(1);
      expect(tab.peers).toHaveLength(0);
    }

    // The winner's hangup ends it for the agent too.
    const agentEnded = nextEvent<AgentEndedEvent>(w.agent, 'ended');
    a.client.hangup();
    expect(await agentEnded).toMatchObject({ reason: 'normal', by: 'remote' });
    expect(a.client.liveTrackCount).toBe(0);
    for (const pc of a.peers) expect(pc.signalingState).toBe('closed');
  });

  test('two tabs accept at once: exactly one connects, the other ends answered-elsewhere and releases its media', async () => {
    const w = makeWorld();
    const a = w.addTab('A');
    const b = w.addTab('B');
    w.agent.invite();
    await allInvited(w);
    // Both in the same tick: both accepts are on their way before either hears anything.
    void a.client.accept();
    void b.client.accept();
    await until(() => w.agent.holder, 'a holder at the agent');
    const holder = w.agent.holder;
    const winner = holder === a.client.instanceId ? a : b;
    const loser = winner === a ? b : a;
    expect(holder).toBe(winner.client.instanceId);

    const ended = await endedOf(loser);
    expect(ended).toMatchObject({
      callId: w.agent.callId,
      reason: 'answered-elsewhere',
      by: 'remote',
    });
    await Promise.all([reachState(winner.client, 'connected'), reachState(w.agent, 'connected')]);
    // The agent told the loser, addressed to it alone.
    expect(
      sentBy(w.agentTap).some(
        (m) =>
          m.type === 'cancel' &&
          m.to === loser.client.instanceId &&
          (m as { reason?: string }).reason === 'answered-elsewhere',
      ),
    ).toBe(true);
    // The loser released whatever it had opened (it accepted, so it may have asked).
    await until(
      () => loser.platform.mediaDevices.liveTracks().length === 0,
      `${loser.name}'s tracks stopped`,
    );
    expect(loser.client.liveTrackCount).toBe(0);
    await until(
      () => loser.peers.every((pc) => pc.signalingState === 'closed'),
      `${loser.name}'s peer connections closed`,
    );
    expect(loser.states).not.toContain('connected');
    expect(winner.ended).toBeNull();
    expect(w.agentEnded).toBeNull();
    expect(w.agentStates).not.toContain('ended');
    expect(winner.client.state).toBe('connected');
    // Only the winner's offer was answered: one peer connection at the agent's side of the call.
    expect(w.agent.holder).toBe(winner.client.instanceId);
  });

  test('a reject in one tab ends the invitation (declined) and the other tab stops ringing', async () => {
    const w = makeWorld();
    const a = w.addTab('A');
    const b = w.addTab('B');
    const agentEnded = nextEvent<AgentEndedEvent>(w.agent, 'ended');
    w.agent.invite();
    await allInvited(w);
    a.client.reject();
    expect(await agentEnded).toMatchObject({ reason: 'declined', by: 'remote' });
    // The agent's cancel, to every tab (no `to`), says why.
    expect(sentBy(w.agentTap).find((m) => m.type === 'cancel')).toMatchObject({
      type: 'cancel',
      reason: 'declined',
    });
    expect(sentBy(w.agentTap).find((m) => m.type === 'cancel')?.to).toBeUndefined();
    expect(a.ended).toMatchObject({ reason: 'declined', by: 'local' });
    const ended = await endedOf(b, MOMENT_MS + 1_000);
    expect(ended.by).toBe('remote');
    // A cancel from the agent ends an invitation as `cancelled` (1.0), here with its reason.
    expect(['cancelled', 'declined']).toContain(ended.reason);
    expect(b.client.state).toBe('ended');
    expectNeverHadMedia(b);
    expect(b.tap.sent).toEqual([]);
    expectNeverHadMedia(a);
    expect(a.tap.types()).toEqual(['reject']);
  });

  test('a 1.0 agent (no features) still works with a 1.1 consumer: instance sent, no resume commit, nothing stored', async () => {
    const w = makeWorld({ features: [] });
    const a = w.addTab('A');
    const remote = nextEvent<MediaStream>(a.client, 'remotestream', 15_000);
    w.agent.invite();
    await reachState(a.client, 'invited');
    const invite = sentBy(w.agentTap).find((m) => m.type === 'invite') as
      (Sent & { features?: unknown }) | undefined;
    expect(invite).toBeDefined();
    expect(invite?.features === undefined || (invite.features as unknown[]).length === 0).toBe(
      true,
    );
    void a.client.accept();
    await Promise.all([reachState(a.client, 'connected'), reachState(w.agent, 'connected')]);
    await expectMediaFlows(w, a, remote);

    const accept = sentBy(a.tap).find((m) => m.type === 'accept');
    expect(accept).toBeDefined();
    expect(accept?.instance).toBe(a.client.instanceId);
    expect(accept?.resume).toBeUndefined();
    for (const m of sentBy(a.tap)) expect(m.instance).toBe(a.client.instanceId);
    // A 1.0 agent addresses nobody.
    for (const m of sentBy(w.agentTap)) expect(m.to).toBeUndefined();
    // No resume: nothing kept in the tab's session storage.
    expect([...a.storage.items.keys()]).toEqual([]);

    const agentEnded = nextEvent<AgentEndedEvent>(w.agent, 'ended');
    a.client.hangup();
    expect(await agentEnded).toMatchObject({ reason: 'normal', by: 'remote' });
    expect(a.client.liveTrackCount).toBe(0);
  });
});
