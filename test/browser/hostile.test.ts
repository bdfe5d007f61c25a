// Pages that are not kind to a library: the bundle loaded twice, built-ins
// replaced by functions that throw, a strict Content-Security-Policy.
import { testIn } from './support/engines';
import { connectCall, openScene } from './support/scene';
import type { Scene } from './support/scene';
import { describeEngines, useBrowser, useServer } from './support/suite';
import { until } from '../support/wait';

jest.setTimeout(45_000);

const CSP = "script-src 'self'";

const server = useServer({ headers: { '/pages/csp.html': { 'Content-Security-Policy': CSP } } });

describeEngines((engine) => {
  const browser = useBrowser(engine);
  let scene: Scene | undefined;
  afterEach(async () => {
    await scene?.cleanup();
    scene = undefined;
  });
  const callTest = testIn(engine, { bug: 'firefoxEndOfCandidates' });

  /** A full video call: connected, media at the agent and in the page, hung up cleanly. */
  async function videoCallWorks(s: Scene): Promise<void> {
    const side = await connectCall(s, { media: 'video' });
    await until(async () => {
      const { audio, video } = await side.inbound();
      return audio.bytes > 0 && video.frames > 0;
    }, 'audio and video at the agent');
    await s.page.waitFor(
      async () => ((await s.page.snapshot()).video?.width ?? 0) > 0,
      'the agent video in the page',
    );
    expect(await s.page.call('setAudioMuted', true)).toEqual({ ok: true });
    await until(() => side.agent.remoteMediaState?.audioMuted === true, 'muted at the agent');
    expect(await s.page.call('hangup')).toEqual({ ok: true });
    expect((await s.page.waitForEvent('ended')).data).toMatchObject({ reason: 'normal' });
    expect(await side.waitEnded()).toMatchObject({ reason: 'normal', by: 'remote' });
    expect((await s.page.snapshot()).tracks.everGranted.total).toBe(0);
  }

  describe('a page that loads the UMD bundle twice', () => {
    callTest('the second copy changes nothing and a call works', async () => {
      scene = await openScene(browser(), server(), { path: '/pages/twice.html' });
      const { page } = scene;
      const same = await page.expression(
        'Boolean(window.MessagingCalls) && window.MessagingCalls === window.firstMessagingCalls',
      );
      expect(same).toBe(true);
      await videoCallWorks(scene);
      expect((await page.snapshot()).errors).toEqual([]);
      expect(page.pageErrors).toEqual([]);
    });
  });

  describe('a hostile page (throwing array helpers and window.addEventListener)', () => {
    callTest('a full video call works and the SDK causes no page error', async () => {
      scene = await openScene(browser(), server(), { path: '/pages/hostile.html' });
      const { page } = scene;
      await videoCallWorks(scene);
      // Every use of a replaced helper was recorded, even one caught inside the SDK.
      expect(await page.expression('window.hostileUses')).toEqual([]);
      expect((await page.snapshot()).errors).toEqual([]);
      expect(page.pageErrors).toEqual([]);
    });
  });

  describe(`a page with a strict Content-Security-Policy (${CSP})`, () => {
    callTest('no violation, and a call works', async () => {
      scene = await openScene(browser(), server(), { path: '/pages/csp.html' });
      const { page } = scene;
      const response = await fetch(server().url('/pages/csp.html'));
      expect(response.headers.get('content-security-policy')).toBe(CSP);
      await videoCallWorks(scene);
      const snapshot = await page.snapshot();
      expect(snapshot.violations).toEqual([]);
      expect(page.consoleErrors).toEqual([]);
      expect(snapshot.errors).toEqual([]);
      expect(page.pageErrors).toEqual([]);

      // The policy is in force, and a violation would have been seen.
      expect(await page.call('probeEval')).toMatchObject({ compiled: false });
      await page.waitFor(
        async () => (await page.snapshot()).violations.length > 0,
        'the probe violation',
      );
    });
  });
});
