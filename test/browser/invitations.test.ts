// Voice calls and the ways an invitation ends before a call, with the built
// UMD bundle in each browser and the reference agent in Node.
import { testIn } from './support/engines';
import { connectCall, openScene } from './support/scene';
import type { Scene } from './support/scene';
import { describeEngines, useBrowser, useServer } from './support/suite';
import { until } from '../support/wait';

jest.setTimeout(45_000);

const server = useServer();

describeEngines((engine) => {
  const browser = useBrowser(engine);
  let scene: Scene | undefined;
  afterEach(async () => {
    await scene?.cleanup();
    scene = undefined;
  });
  const callTest = testIn(engine, { bug: 'firefoxEndOfCandidates' });

  describe('a voice call from the page', () => {
    callTest('never opens a camera, and the agent gets audio', async () => {
      scene = await openScene(browser(), server());
      const { page } = scene;
      const side = await connectCall(scene, { media: 'voice' });
      await until(async () => (await side.inbound()).audio.bytes > 0, 'audio at the agent');
      await until(() => side.agent.remoteMediaState, 'the media-state at the agent');
      expect(side.agent.remoteMediaState).toEqual({ audioMuted: false, videoEnabled: false });

      const snapshot = await page.snapshot();
      expect(snapshot.gumCalls.length).toBeGreaterThan(0);
      for (const call of snapshot.gumCalls) {
        expect(call.api).toBe('mediaDevices.getUserMedia');
        expect(call.constraints?.audio).toBeTruthy();
        expect(call.constraints?.video ?? false).toBeFalsy();
      }
      expect(snapshot.tracks.everGranted).toEqual({ audio: 1, video: 0, total: 1 });
      // A voice call has no camera to turn on.
      const camera = await page.call<{ ok: boolean; error?: { code: string } }>(
        'setVideoEnabled',
        true,
      );
      expect(camera).toMatchObject({ ok: false, error: { code: 'invalid-state' } });

      expect(await page.call('hangup')).toEqual({ ok: true });
      expect((await page.waitForEvent('ended')).data).toMatchObject({ reason: 'normal' });
      expect(await side.waitEnded()).toMatchObject({ reason: 'normal', by: 'remote' });
      const after = await page.snapshot();
      expect(after.tracks.everGranted.total).toBe(0);
      expect(after.gumCalls.every((c) => !c.constraints?.video)).toBe(true);
      expect(after.errors).toEqual([]);
      expect(page.pageErrors).toEqual([]);
    });
  });

  describe('an invitation that ends before a call', () => {
    test('rejected in the page: declined on both sides, no device opened', async () => {
      scene = await openScene(browser(), server());
      const { page } = scene;
      const side = await scene.addAgent({ media: 'video' });
      side.agent.invite();
      const invitation = await page.waitForEvent('invitation');
      expect(invitation.data).toMatchObject({ callId: side.agent.callId, media: 'video' });
      expect(await page.call('reject')).toEqual({ ok: true });
      expect((await page.waitForEvent('ended')).data).toMatchObject({
        reason: 'declined',
        by: 'local',
        durationMs: 0,
      });
      expect(await side.waitEnded()).toMatchObject({ reason: 'declined', by: 'remote' });
      const snapshot = await page.snapshot();
      expect(snapshot.gumCalls).toEqual([]);
      expect(snapshot.errors).toEqual([]);
    });

    test('cancelled by the agent: cancelled in the page, no device opened', async () => {
      scene = await openScene(browser(), server());
      const { page } = scene;
      const side = await scene.addAgent({ media: 'video' });
      side.agent.invite();
      await page.waitForEvent('invitation');
      side.agent.cancel('changed my mind');
      expect((await page.waitForEvent('ended')).data).toMatchObject({
        reason: 'cancelled',
        by: 'remote',
        detail: 'changed my mind',
      });
      expect(await side.waitEnded()).toMatchObject({ reason: 'cancelled', by: 'local' });
      expect((await page.snapshot()).gumCalls).toEqual([]);
      // The invitation is gone: accepting now is refused.
      expect(await page.call('accept')).toMatchObject({
        ok: false,
        error: { code: 'invalid-state' },
      });
    });

    test('unanswered: expires after its ttl on both sides', async () => {
      scene = await openScene(browser(), server());
      const { page } = scene;
      const side = await scene.addAgent({ media: 'video', ttlMs: 1000 });
      side.agent.invite();
      const invitation = await page.waitForEvent('invitation');
      const ended = await page.waitForEvent('ended');
      expect(ended.data).toMatchObject({ reason: 'expired', by: 'system' });
      expect(ended.t - invitation.t).toBeGreaterThanOrEqual(900);
      expect(await side.waitEnded()).toMatchObject({ reason: 'expired', by: 'remote' });
      expect((await page.snapshot()).gumCalls).toEqual([]);
    });

    callTest(
      'a second invitation during a call is answered busy; the call stays connected',
      async () => {
        scene = await openScene(browser(), server());
        const { page } = scene;
        const first = await connectCall(scene, { media: 'video' });
        const second = await scene.addAgent({ media: 'voice' });
        second.agent.invite();
        expect(await second.waitEnded()).toMatchObject({ reason: 'busy', by: 'remote' });
        await page.waitForEvent('warning', (w) => w.code === 'busy');

        const snapshot = await page.snapshot();
        expect(snapshot.state).toBe('connected');
        expect(snapshot.events.filter((e) => e.type === 'invitation')).toHaveLength(1);
        expect(first.agent.state).toBe('connected');
        // Media still flows on the first call.
        const before = (await first.inbound()).audio.bytes;
        await until(
          async () => (await first.inbound()).audio.bytes > before,
          'audio still flowing to the first agent',
        );
        expect(await page.call('hangup')).toEqual({ ok: true });
        expect(await first.waitEnded()).toMatchObject({ reason: 'normal', by: 'remote' });
        expect(snapshot.errors).toEqual([]);
      },
    );
  });
});
