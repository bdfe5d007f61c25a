// Invitations the page refuses without ever asking for the camera or
// microphone: an insecure page, an iframe, an unsupported or outdated
// browser, media disabled by configuration. And `CallClient.checkSupport()`.
import { testIn } from './support/engines';
import { connectCall, openScene } from './support/scene';
import type { Scene, SceneOptions } from './support/scene';
import { describeEngines, useBrowser, useServer } from './support/suite';

jest.setTimeout(45_000);

/** Resolves to 127.0.0.1 in the browser, but is not a secure context as http. */
const INSECURE_HOST = 'insecure.test';
const IE11 = 'Mozilla/5.0 (Windows NT 6.1; Trident/7.0; rv:11.0) like Gecko';
const FIREFOX_115 =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Firefox/115.0';
const CHROME_90 =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/90.0.4430.93 Safari/537.36';
/** What a real Chrome 90 on Windows reports as navigator.userAgentData. */
const CHROME_90_HINTS = {
  brands: [
    { brand: ' Not A;Brand', version: '99' },
    { brand: 'Chromium', version: '90' },
    { brand: 'Google Chrome', version: '90' },
  ],
  fullVersion: '90.0.4430.93',
  platform: 'Windows',
  platformVersion: '10.0.0',
  architecture: 'x86',
  model: '',
  mobile: false,
};

interface Support {
  supported: boolean;
  reasons: { code: string; message: string }[];
  browser: { name: string; version: number | null; os: string; mobile: boolean } | null;
  missing?: true;
}

const server = useServer();

describeEngines((engine) => {
  const browser = useBrowser(engine, { insecureHost: INSECURE_HOST });
  let scene: Scene | undefined;
  afterEach(async () => {
    await scene?.cleanup();
    scene = undefined;
  });
  const callTest = testIn(engine, { bug: 'firefoxEndOfCandidates' });
  const hintsTest = testIn(engine, { chromiumOnly: 'clientHints' });

  /**
   * Invites to a video call and expects the page to refuse it with `reason`,
   * the agent to hear it with a detail, and no camera/microphone request.
   */
  async function expectRefused(options: SceneOptions, reason: string): Promise<Scene> {
    scene = await openScene(browser(), server(), options);
    await inviteRefused(scene, reason);
    return scene;
  }

  async function inviteRefused(s: Scene, reason: string): Promise<void> {
    const { page } = s;
    const side = await s.addAgent({ media: 'video' });
    side.agent.invite();
    const ended = await page.waitForEvent('ended');
    expect(ended.data).toMatchObject({ reason, by: 'system', callId: side.agent.callId });
    const agentEnded = await side.waitEnded();
    expect(agentEnded).toMatchObject({ reason, by: 'remote' });
    expect(agentEnded.detail).toEqual(expect.any(String));
    expect(agentEnded.detail?.length).toBeGreaterThan(0);

    const snapshot = await page.snapshot();
    // The application still heard of the invitation, then why it could not be taken.
    expect(snapshot.events.filter((e) => e.type === 'invitation')).toHaveLength(1);
    expect(snapshot.gumCalls).toEqual([]);
    expect(snapshot.tracks.everGranted.total).toBe(0);
    expect(snapshot.state).toBe('ended');
    expect(snapshot.errors).toEqual([]);
    expect(page.pageErrors).toEqual([]);
  }

  async function checkSupport(s: Scene, ...options: Record<string, unknown>[]): Promise<Support> {
    const report = await s.page.call<Support>('checkSupport', ...options);
    expect(report.missing).toBeUndefined();
    return report;
  }

  function codes(report: Support): string[] {
    for (const r of report.reasons) {
      expect(r.code).toEqual(expect.any(String));
      expect(r.message.length).toBeGreaterThan(0);
    }
    return report.reasons.map((r) => r.code);
  }

  describe('checkSupport on a normal page', () => {
    test('is supported, with no reasons', async () => {
      scene = await openScene(browser(), server(), { client: false });
      const report = await checkSupport(scene);
      expect(report).toMatchObject({ supported: true, reasons: [] });
      // The real browser, as the SDK parses it.
      const version = Number(/ (\d+)\./.exec(browser().version)?.[1]);
      expect(report.browser).toEqual({
        name: engine === 'chromium' ? 'chrome' : 'firefox',
        version,
        os: 'linux',
        mobile: false,
      });
    });

    test('never throws, even when given null', async () => {
      scene = await openScene(browser(), server(), { client: false });
      expect(await scene.page.call('checkSupport', null)).toMatchObject({ supported: true });
    });
  });

  describe('an insecure page (http on a host that is not localhost)', () => {
    test('the invitation is refused as unsupported without a prompt', async () => {
      const s = await expectRefused({ host: INSECURE_HOST }, 'unsupported');
      expect(await s.page.expression('window.isSecureContext')).toBe(false);
      const report = await checkSupport(s);
      expect(report.supported).toBe(false);
      expect(codes(report)).toContain('insecure-context');
    });
  });

  describe('the SDK page inside an iframe (same origin)', () => {
    test('the invitation is refused as unsupported without a prompt', async () => {
      const s = await expectRefused(
        { path: '/pages/frame.html', frame: '/pages/index.html' },
        'unsupported',
      );
      expect(await s.page.expression('window !== window.top')).toBe(true);
      const report = await checkSupport(s);
      expect(report.supported).toBe(false);
      expect(codes(report)).toEqual(['not-top-frame']);
    });
  });

  describe('an unsupported browser', () => {
    test('Internet Explorer 11: the invitation is refused as unsupported without a prompt', async () => {
      const s = await expectRefused({ context: { userAgent: IE11 } }, 'unsupported');
      expect(await s.page.expression('navigator.userAgent')).toBe(IE11);
      const report = await checkSupport(s);
      expect(report.supported).toBe(false);
      expect(codes(report)).toEqual(['browser-unsupported']);
    });

    hintsTest(
      'Chrome 90 (user agent and client hints): refused as unsupported without a prompt',
      async () => {
        const s = await expectRefused(
          { context: { userAgent: CHROME_90, clientHints: CHROME_90_HINTS } },
          'unsupported',
        );
        expect(await s.page.expression('navigator.userAgentData.brands[1].version')).toBe('90');
        const report = await checkSupport(s);
        expect(report.supported).toBe(false);
        expect(codes(report)).toEqual(['browser-outdated']);
      },
    );

    // A user agent string overridden without client hints: in Chromium its
    // major version disagrees with the hints, and wins; Firefox has no hints.
    test('Chrome 90 (user agent string only): refused as unsupported', async () => {
      scene = await openScene(browser(), server(), { context: { userAgent: CHROME_90 } });
      expect(await scene.page.expression('navigator.userAgent')).toBe(CHROME_90);
      expect(codes(await checkSupport(scene))).toEqual(['browser-outdated']);
      await inviteRefused(scene, 'unsupported');
    });

    test('Firefox 115 (an ESR before the supported one): refused as unsupported', async () => {
      scene = await openScene(browser(), server(), { context: { userAgent: FIREFOX_115 } });
      expect(await scene.page.expression('navigator.userAgent')).toBe(FIREFOX_115);
      const report = await checkSupport(scene);
      expect(report.browser).toEqual({
        name: 'firefox',
        version: 115,
        os: 'windows',
        mobile: false,
      });
      expect(codes(report)).toEqual(['browser-outdated']);
      await inviteRefused(scene, 'unsupported');
    });
  });

  describe('media disabled by configuration', () => {
    callTest(
      "allowedMedia ['voice']: a video invitation ends as disabled, a voice call still works",
      async () => {
        const s = await expectRefused({ client: { allowedMedia: ['voice'] } }, 'disabled');
        const side = await connectCall(s, { media: 'voice' });
        expect(await s.page.call('hangup')).toEqual({ ok: true });
        expect(await side.waitEnded()).toMatchObject({ reason: 'normal', by: 'remote' });
        const snapshot = await s.page.snapshot();
        expect(snapshot.gumCalls.length).toBeGreaterThan(0);
        for (const call of snapshot.gumCalls) expect(call.constraints?.video ?? false).toBeFalsy();
      },
    );
  });
});
