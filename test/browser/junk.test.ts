// A flood of malformed signaling frames reaches the page before a real
// invitation: every frame is dropped with a warning, nothing throws in the
// page, and the call that follows connects.
import { WebSocket } from 'ws';
import { relayClients } from './support/agent';
import { testIn } from './support/engines';
import { connectCall, openScene } from './support/scene';
import type { Scene } from './support/scene';
import { describeEngines, useBrowser, useServer } from './support/suite';
import { until } from '../support/wait';

jest.setTimeout(45_000);

const FRAMES = 1000;

const envelope = { v: 1, id: 'junk-id', callId: 'junk-call', from: 'agent' };
const invite = { ...envelope, type: 'invite', media: 'video' };
const huge = 'x'.repeat(70_000);
const json = (value: unknown) => JSON.stringify(value);

/**
 * Frames the page must drop as `invalid-message`, each for its own reason.
 * None of them is a valid message: the validator must refuse every one.
 */
const KINDS: ((i: number) => string)[] = [
  // Not JSON at all.
  (i) => `not json ${i}`,
  () => '{',
  () => '',
  () => '{"v":1,"id":"a",',
  () => 'undefined',
  () => "{'v': 1}",
  () => '\u0000\uffff\ud800',
  // JSON, but not an object.
  () => 'null',
  () => '42',
  () => '"invite"',
  () => '[]',
  () => json([invite]),
  () => 'true',
  // Over 65,536 bytes.
  () => huge,
  () => json({ ...envelope, type: 'hangup', reason: 'normal', detail: huge }),
  () => json({ ...invite, agent: { name: huge } }),
  // Wrong versions.
  () => json({ ...invite, v: 0 }),
  () => json({ ...invite, v: 2 }),
  () => json({ ...invite, v: '1' }),
  () => json({ ...invite, v: 1.5 }),
  () => json({ ...invite, v: null }),
  () => json({ id: 'a', callId: 'b', from: 'agent', type: 'invite', media: 'video' }),
  // Unknown types.
  (i) => json({ ...envelope, type: `ring-${i}` }),
  () => json({ ...envelope, type: 'INVITE', media: 'video' }),
  () => json({ ...envelope, type: '' }),
  () => json({ ...envelope, type: 'toString' }),
  () => json({ ...envelope, type: 'constructor' }),
  () => json({ ...envelope, type: 42 }),
  () => json({ ...envelope }),
  // Valid-looking envelopes with broken fields.
  () => json({ ...invite, media: 'audio' }),
  () => json({ ...invite, media: null }),
  () => json({ ...invite, ttlMs: 1000.5 }),
  () => json({ ...invite, ttlMs: '1000' }),
  () => json({ ...invite, ttlMs: 10 }),
  () => json({ ...invite, ttlMs: 10_000_000 }),
  () => json({ ...invite, agent: { name: 'n'.repeat(101) } }),
  () => json({ ...invite, agent: { avatarUrl: 'http://example.com/a.png' } }),
  () => json({ ...invite, agent: { avatarUrl: 'javascript:alert(1)' } }),
  () => json({ ...invite, agent: 'Alice' }),
  () => json({ ...invite, iceServers: [{ urls: [] }] }),
  () => json({ ...invite, iceServers: [{ urls: '' }] }),
  () => json({ ...invite, iceServers: [{ urls: 'stun:x', credential: 5 }] }),
  () => json({ ...invite, iceServers: 'stun:x' }),
  () => json({ ...invite, policy: null }),
  () => json({ ...invite, policy: { forceRelay: 'yes' } }),
  () => json({ ...invite, id: 'a b' }),
  () => json({ ...invite, id: '' }),
  () => json({ ...invite, id: 'i'.repeat(65) }),
  () => json({ ...invite, callId: '../../etc' }),
  () => json({ ...invite, callId: 7 }),
  () => json({ ...invite, from: 'bot' }),
  () => json({ ...invite, from: 'consumer' }), // an invite may only come from the agent
  () => json({ ...envelope, type: 'sdp', description: { type: 'pranswer', sdp: 'v=0' } }),
  () => json({ ...envelope, type: 'sdp', description: 'v=0' }),
  () => json({ ...envelope, type: 'ice', candidate: 5 }),
  () => json({ ...envelope, type: 'ice' }),
  () => json({ ...envelope, type: 'media-state', audioMuted: 'no', videoEnabled: true }),
  () =>
    json({
      ...envelope,
      type: 'media-state',
      audioMuted: false,
      videoEnabled: true,
      camera: 'rear',
    }),
  () => json({ ...envelope, type: 'hangup', reason: 'whatever' }),
  () => json({ ...envelope, type: 'hangup', reason: 'normal', detail: 'd'.repeat(501) }),
  () => json({ ...envelope, type: 'cancel', reason: 5 }),
  () => json({ ...envelope, type: 'accept', media: 'video', client: { sdk: 'x' } }), // agent cannot accept
  // `__proto__` and friends as own keys (JSON.parse makes them own properties).
  () => `{"__proto__":${json(invite)}}`,
  () =>
    `{"__proto__":{"polluted":true},"v":1,"id":"a","callId":"b","from":"agent","type":"invite","media":"none"}`,
  () => `{"v":1,"id":"a","callId":"b","from":"agent","type":"__proto__"}`,
  () =>
    `{"v":1,"id":"a","callId":"b","from":"agent","type":"invite","media":"video","agent":{"__proto__":{"polluted":true},"name":5}}`,
  () =>
    `{"constructor":{"prototype":{"polluted":true}},"v":1,"id":"a","callId":"b","from":"agent","type":"hangup"}`,
  () =>
    `{"v":1,"id":"a","callId":"b","from":"agent","type":"invite","media":"video","policy":{"__proto__":{"forceRelay":true},"agentVideoOff":"x"}}`,
];

/** Sends `frames` over a raw WebSocket to the relay, waiting for each batch to drain. */
async function flood(socket: WebSocket, frames: string[]): Promise<void> {
  for (const frame of frames) socket.send(frame);
  await until(() => socket.bufferedAmount === 0, 'the junk frames sent');
}

const server = useServer();

describeEngines((engine) => {
  const browser = useBrowser(engine);
  let scene: Scene | undefined;
  let junk: WebSocket | undefined;
  afterEach(async () => {
    junk?.terminate();
    junk = undefined;
    await scene?.cleanup();
    scene = undefined;
  });
  const callTest = testIn(engine, { bug: 'firefoxEndOfCandidates' });

  describe('a flood of malformed signaling frames', () => {
    callTest(
      'every frame is dropped with a warning, nothing throws, and a real call still connects',
      async () => {
        scene = await openScene(browser(), server());
        const { page, relay } = scene;
        junk = new WebSocket(relay.url);
        const socket = junk;
        // The relay may count the connection before this end has seen it open.
        await new Promise((resolve, reject) => {
          socket.once('open', resolve);
          socket.once('error', reject);
        });
        await relayClients(relay, 2);

        const frames: string[] = [];
        for (let i = 0; i < FRAMES; i++)
          frames.push((KINDS[i % KINDS.length] as (i: number) => string)(i));
        expect(frames.filter((f) => Buffer.byteLength(f) > 65_536).length).toBeGreaterThan(10);
        await flood(junk, frames);
        // A sentinel after the junk, on the same connection (so after it at the
        // page): a valid message sent as `consumer`, which the page ignores with
        // its own warning code.
        junk.send(
          json({ ...envelope, id: 'sentinel', type: 'hangup', from: 'consumer', reason: 'normal' }),
        );
        await page.waitForEvent('warning', (w) => w.code === 'unexpected-message', 20_000);

        const snapshot = await page.snapshot();
        const warnings = snapshot.events.filter((e) => e.type === 'warning');
        const invalid = warnings.filter((e) => e.data.code === 'invalid-message');
        expect(invalid).toHaveLength(FRAMES);
        expect(warnings).toHaveLength(FRAMES + 1);
        expect(snapshot.events.filter((e) => e.type !== 'warning')).toEqual([]);
        expect(snapshot.state).toBe('idle');
        expect(snapshot.polluted).toBe(false);
        expect(snapshot.errors).toEqual([]);
        expect(page.pageErrors).toEqual([]);

        // The real invitation after the flood: the call connects and carries media.
        const side = await connectCall(scene, { media: 'video' });
        await until(async () => (await side.inbound()).video.bytes > 0, 'video at the agent');
        expect(await page.call('hangup')).toEqual({ ok: true });
        expect(await side.waitEnded()).toMatchObject({ reason: 'normal', by: 'remote' });
        const after = await page.snapshot();
        expect(after.events.filter((e) => e.type === 'invitation')).toHaveLength(1);
        expect(after.errors).toEqual([]);
        expect(page.pageErrors).toEqual([]);
      },
    );
  });
});
