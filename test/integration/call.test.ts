import { setupCall, bytesReceived } from '../support/harness';
import type { CallSetup, TransportKind } from '../support/harness';
import { nextEvent, reachState, until } from '../support/wait';
import type { EndedEvent } from '../../src/call/events';
import type { AgentEndedEvent } from '../../src/agent/AgentCall';
import { AgentCall } from '../../src/agent/AgentCall';

jest.setTimeout(30_000);

/** After every call: no local track left open on either side, every peer connection closed. */
function expectReleased(setup: CallSetup): void {
  expect(setup.client.liveTrackCount).toBe(0);
  expect(setup.agent.liveTrackCount).toBe(0);
  expect(setup.consumerPlatform.mediaDevices.liveTracks()).toHaveLength(0);
  expect(setup.agentPlatform.mediaDevices.liveTracks()).toHaveLength(0);
  for (const pc of setup.peerConnections) expect(pc.signalingState).toBe('closed');
}

function endedOf(setup: CallSetup) {
  const consumer = nextEvent<EndedEvent>(setup.client, 'ended');
  const agent = nextEvent<AgentEndedEvent>(setup.agent, 'ended');
  return Promise.all([consumer, agent]);
}

async function connect(setup: CallSetup): Promise<void> {
  setup.client.once('invitation', () => void setup.client.accept());
  setup.agent.invite();
  await Promise.all([reachState(setup.client, 'connected'), reachState(setup.agent, 'connected')]);
}

describe.each<TransportKind>(['memory', 'websocket', 'messaging', 'postmessage'])(
  'a call over the %s transport',
  (kind) => {
    let setup: CallSetup;
    afterEach(async () => {
      await setup.cleanup();
    });

    test('a video call carries audio and video both ways and releases everything on hangup', async () => {
      setup = await setupCall({ transport: kind, agent: { media: 'video' } });
      const warnings: unknown[] = [];
      setup.client.on('warning', (w) => warnings.push(w));
      setup.agent.on('warning', (w) => warnings.push(w));
      const remote = nextEvent<MediaStream>(setup.client, 'remotestream');
      await connect(setup);
      expect((await remote).getTracks().length).toBeGreaterThan(0);

      // Media bytes flow both ways, for both kinds.
      await until(async () => {
        const [c, a] = await Promise.all([bytesReceived(setup.client), bytesReceived(setup.agent)]);
        return c.audio > 1000 && c.video > 1000 && a.audio > 1000 && a.video > 1000;
      }, 'audio and video bytes in both directions');

      // The connected side says what it sends, once right after connecting.
      await until(() => setup.agent.remoteMediaState, 'the consumer media-state at the agent');
      expect(setup.agent.remoteMediaState).toMatchObject({ audioMuted: false, videoEnabled: true });

      const ended = endedOf(setup);
      setup.client.hangup();
      const [consumer, agent] = await ended;
      expect(consumer).toMatchObject({ reason: 'normal', by: 'local' });
      expect(consumer.durationMs).toBeGreaterThan(0);
      expect(agent).toMatchObject({ reason: 'normal', by: 'remote' });
      // Echoes, chat traffic and other windows' messages never reach the call as warnings.
      expect(warnings).toEqual([]);
      expectReleased(setup);
    });

    test('a voice call never opens a camera and has no video transceiver', async () => {
      setup = await setupCall({ transport: kind, agent: { media: 'voice' } });
      await connect(setup);
      await until(
        async () => (await bytesReceived(setup.agent)).audio > 1000,
        'audio at the agent',
      );
      await until(
        async () => (await bytesReceived(setup.client)).audio > 1000,
        'audio at the consumer',
      );

      const asked = setup.consumerPlatform.mediaDevices.getUserMediaCalls;
      expect(asked.length).toBeGreaterThan(0);
      for (const constraints of asked) expect(constraints.video ?? false).toBeFalsy();
      for (const pc of setup.peerConnections) {
        const kinds = pc.getTransceivers().map((t) => t.receiver.track.kind);
        expect(kinds).toEqual(['audio']);
      }
      const ended = endedOf(setup);
      setup.agent.hangup();
      const [consumer, agent] = await ended;
      expect(consumer).toMatchObject({ reason: 'normal', by: 'remote' });
      expect(agent).toMatchObject({ reason: 'normal', by: 'local' });
      expectReleased(setup);
    });

    test('a rejected invitation ends both sides as declined and opens no device', async () => {
      setup = await setupCall({ transport: kind });
      setup.client.once('invitation', () => setup.client.reject());
      const ended = endedOf(setup);
      setup.agent.invite();
      const [consumer, agent] = await ended;
      expect(consumer).toMatchObject({ reason: 'declined', by: 'local', durationMs: 0 });
      expect(agent).toMatchObject({ reason: 'declined', by: 'remote' });
      expect(setup.consumerPlatform.mediaDevices.getUserMediaCalls).toHaveLength(0);
      expectReleased(setup);
    });

    test('an invitation cancelled by the agent ends the consumer side as cancelled', async () => {
      setup = await setupCall({ transport: kind });
      const invited = nextEvent(setup.client, 'invitation');
      const ended = endedOf(setup);
      setup.agent.invite();
      await invited;
      setup.agent.cancel('changed my mind');
      const [consumer, agent] = await ended;
      expect(consumer).toMatchObject({
        reason: 'cancelled',
        by: 'remote',
        detail: 'changed my mind',
      });
      expect(agent).toMatchObject({ reason: 'cancelled', by: 'local' });
      expectReleased(setup);
    });

    test('an unanswered invitation expires after its ttl on both sides', async () => {
      setup = await setupCall({ transport: kind, agent: { ttlMs: 1000 } });
      const ended = endedOf(setup);
      const started = Date.now();
      setup.agent.invite();
      const [consumer, agent] = await ended;
      expect(Date.now() - started).toBeGreaterThanOrEqual(990);
      expect(consumer).toMatchObject({ reason: 'expired', by: 'system' });
      expect(agent).toMatchObject({ reason: 'expired', by: 'remote' });
      expectReleased(setup);
    });

    test('a second invitation during a call is rejected as busy and the call goes on', async () => {
      setup = await setupCall({ transport: kind });
      await connect(setup);
      // A second agent on the same signaling channel invites to another call.
      const other = new AgentCall({
        transport: setup.agentTap,
        platform: setup.agentPlatform,
        media: 'voice',
      });
      const busy = nextEvent<AgentEndedEvent>(other, 'ended');
      other.invite();
      expect(await busy).toMatchObject({ reason: 'busy', by: 'remote' });
      expect(setup.client.state).toBe('connected');
      expect(setup.client.callInfo?.callId).toBe(setup.agent.callId);
      other.destroy();
      const ended = endedOf(setup);
      setup.client.hangup();
      await ended;
      expectReleased(setup);
    });

    test('every message delivered twice still makes one call with one ending', async () => {
      setup = await setupCall({ transport: kind });
      setup.consumerTap.shape = () => ({ copies: 2 });
      setup.agentTap.shape = () => ({ copies: 2 });
      let consumerEnds = 0;
      setup.client.on('ended', () => consumerEnds++);
      await connect(setup);
      const ended = endedOf(setup);
      setup.agent.hangup();
      await ended;
      await new Promise((r) => setTimeout(r, 100)); // let the copies of hangup arrive
      expect(consumerEnds).toBe(1);
      expectReleased(setup);
    });

    test('candidates that overtake the description are buffered, and the call connects', async () => {
      setup = await setupCall({ transport: kind });
      // Each side's description arrives after its first candidates.
      setup.consumerTap.shape = (m) => (m.type === 'sdp' ? { delayMs: 150 } : {});
      setup.agentTap.shape = (m) => (m.type === 'sdp' ? { delayMs: 150 } : {});
      await connect(setup);
      await until(
        async () => (await bytesReceived(setup.client)).audio > 500,
        'audio at the consumer',
      );
      const ended = endedOf(setup);
      setup.client.hangup();
      await ended;
      expectReleased(setup);
    });
  },
);
