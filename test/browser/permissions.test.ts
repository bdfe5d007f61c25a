// A browser that denies the camera/microphone prompt (`--deny-permission-prompts`
// without `--use-fake-ui-for-media-stream`): the call ends as permission-denied
// on both sides, and nothing hangs.
import type { Browser } from 'playwright-core';
import { launchBrowser } from './support/browser';
import { startStaticServer } from './support/server';
import type { StaticServer } from './support/server';
import { openScene } from './support/scene';
import type { Scene } from './support/scene';

jest.setTimeout(45_000);

let browser: Browser;
let server: StaticServer;
let scene: Scene | undefined;

beforeAll(async () => {
  [browser, server] = await Promise.all([
    launchBrowser({ grantMedia: false }),
    startStaticServer(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});
afterEach(async () => {
  await scene?.cleanup();
  scene = undefined;
});

describe('permission denied', () => {
  test.each(['video', 'voice'] as const)(
    'a %s call ends as permission-denied on both sides',
    async (media) => {
      scene = await openScene(browser, server);
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
