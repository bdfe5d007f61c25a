// A browser that denies the camera/microphone prompt (Chromium:
// `--deny-permission-prompts` without `--use-fake-ui-for-media-stream`;
// Firefox: prompts on and `permissions.default.camera/microphone` = block):
// the call ends as permission-denied on both sides, and nothing hangs.
import { openScene } from './support/scene';
import type { Scene } from './support/scene';
import { describeEngines, useBrowser, useServer } from './support/suite';

jest.setTimeout(45_000);

const server = useServer();

describeEngines((engine) => {
  const browser = useBrowser(engine, { grantMedia: false });
  let scene: Scene | undefined;
  afterEach(async () => {
    await scene?.cleanup();
    scene = undefined;
  });

  describe('permission denied', () => {
    test.each(['video', 'voice'] as const)(
      'a %s call ends as permission-denied on both sides',
      async (media) => {
        scene = await openScene(browser(), server());
        const { page } = scene;
        const side = await scene.addAgent({ media });
        side.agent.invite();
        await page.waitForEvent('invitation');
        // accept() resolves (the failure ends the call rather than rejecting).
        expect(await page.call('accept')).toEqual({ ok: true });

        const ended = await page.waitForEvent('ended', undefined, 10_000);
        expect(ended.data).toMatchObject({ reason: 'permission-denied', by: 'system' });
        expect(await side.waitEnded(10_000)).toMatchObject({
          reason: 'permission-denied',
          by: 'remote',
        });

        const snapshot = await page.snapshot();
        expect(snapshot.state).toBe('ended');
        // The prompt was really asked (and denied), and nothing was granted.
        expect(snapshot.gumCalls.length).toBeGreaterThan(0);
        expect(snapshot.tracks.everGranted.total).toBe(0);
        expect(snapshot.errors).toEqual([]);
        expect(page.pageErrors).toEqual([]);
      },
    );
  });
});
