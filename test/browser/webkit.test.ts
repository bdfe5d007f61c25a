// The unsupported path in a real WebKit: WebKitGTK's MiniBrowser (WebDriver,
// Xvfb, mock capture devices) has getUserMedia but no RTCPeerConnection. The
// UMD bundle loads by script tag and harms nothing; checkSupport() and
// preflight() tell why calls cannot run; an invitation is rejected
// `unsupported` with a detail the agent receives, before any prompt.
import type { TestBrowser } from './support/browser';
import { SELECTED } from './support/engines';
import { openScene } from './support/scene';
import type { Scene } from './support/scene';
import { useServer } from './support/suite';
import { launchWebKit } from './support/webkit';

jest.setTimeout(45_000);

/**
 * WebKitGTK's user agent claims Safari on Linux, e.g. (2.50.6, Debian 12)
 * `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko)
 * Version/60.5 Safari/605.1.15` (test/unit/env.test.ts has it).
 */
const WEBKITGTK_UA =
  /^Mozilla\/5\.0 \(X11; Linux x86_64\) AppleWebKit\/605\.1\.15 \(KHTML, like Gecko\) Version\/(\d+)\.\d+ Safari\/605\.1\.15$/;

const NO_WEBRTC = 'this browser has no WebRTC (RTCPeerConnection)';
// WebKitGTK is not Safari (Safari is Apple's): the browser policy refuses it too.
const NOT_SUPPORTED = 'This browser is not supported for calls';
const DETAIL = `${NO_WEBRTC}; ${NOT_SUPPORTED}`;

interface Support {
  supported: boolean;
  reasons: { code: string; message: string }[];
  browser: { name: string; version: number | null; os: string; mobile: boolean } | null;
}

const server = useServer();

// BROWSERS without webkit deselects this file on purpose; a missing WebKit
// with webkit selected fails (launchWebKit says what to install).
(SELECTED.includes('webkit') ? describe : describe.skip)(
  'in WebKit (WebKitGTK MiniBrowser)',
  () => {
    let browser: TestBrowser | undefined;
    let scene: Scene | undefined;
    beforeAll(async () => {
      browser = await launchWebKit();
    });
    afterAll(async () => {
      await browser?.close();
    });
    afterEach(async () => {
      await scene?.cleanup();
      scene = undefined;
    });
    const open = (client?: false) => {
      if (!browser) throw new Error('WebKit was not launched');
      return openScene(browser, server(), client === false ? { client: false } : {});
    };

    /** The page's getUserMedia is app.js's recording wrapper, so zero recorded calls means zero. */
    async function expectNoPrompt(s: Scene): Promise<void> {
      expect(
        await s.page.expression(
          'navigator.mediaDevices.getUserMedia !== MediaDevices.prototype.getUserMedia',
        ),
      ).toBe(true);
      const snapshot = await s.page.snapshot();
      expect(snapshot.gumCalls).toEqual([]);
      expect(snapshot.tracks.everGranted.total).toBe(0);
      expect(snapshot.errors).toEqual([]);
    }

    test('the bundle loads; checkSupport reports no-webrtc and the browser it parses', async () => {
      scene = await open(false);
      const { page } = scene;
      expect(
        await page.expression(
          '[typeof window.MessagingCalls.CallClient, typeof window.RTCPeerConnection, ' +
            'typeof navigator.mediaDevices.getUserMedia, window.isSecureContext]',
        ),
      ).toEqual(['function', 'undefined', 'function', true]);

      const ua = await page.expression<string>('navigator.userAgent');
      const version = WEBKITGTK_UA.exec(ua)?.[1];
      expect(version).toBeDefined();
      const report = await page.call<Support>('checkSupport');
      // No WebRTC, and not Safari: its "Version/60 Safari" tokens are WebKitGTK's own.
      expect(report).toEqual({
        supported: false,
        reasons: [
          { code: 'no-webrtc', message: NO_WEBRTC },
          { code: 'browser-unsupported', message: NOT_SUPPORTED },
        ],
        browser: { name: 'other', version: null, os: 'linux', mobile: false },
      });
      await expectNoPrompt(scene);
    });

    test("an invitation is rejected 'unsupported' with a detail, without a prompt", async () => {
      scene = await open();
      const { page } = scene;
      const side = await scene.addAgent({ media: 'video' });
      side.agent.invite();
      const ended = await page.waitForEvent('ended');
      expect(ended.data).toEqual({
        callId: side.agent.callId,
        reason: 'unsupported',
        by: 'system',
        durationMs: 0,
        detail: DETAIL,
      });
      // The agent hears why, from the page's reject.
      expect(await side.waitEnded()).toMatchObject({
        reason: 'unsupported',
        by: 'remote',
        detail: DETAIL,
      });
      expect(side.count('reject')).toBe(1);
      expect(side.count('accept')).toBe(0);
      const snapshot = await page.snapshot();
      // The application still heard of the invitation, then why it could not be taken.
      expect(snapshot.events.map((e) => e.type)).toEqual(['state', 'invitation', 'state', 'ended']);
      expect(snapshot.state).toBe('ended');
      // Accepting is refused, and asks for nothing.
      expect(await page.call('accept')).toMatchObject({
        ok: false,
        error: { code: 'invalid-state' },
      });
      await expectNoPrompt(scene);
    });

    test('preflight() and a CallClient list the mock capture devices without a prompt', async () => {
      scene = await open();
      const { page } = scene;
      const report = await page.expression<Record<string, unknown>>(
        'window.MessagingCalls.preflight().then(function (r) { return JSON.parse(JSON.stringify(r)); })',
      );
      // Before any permission WebKit exposes one device per kind, unlabelled
      // (3 mock microphones and 2 mock cameras once granted); without
      // --enable-mock-capture-devices it lists none.
      expect(report).toMatchObject({
        ok: false,
        support: {
          supported: false,
          reasons: [{ code: 'no-webrtc' }, { code: 'browser-unsupported' }],
        },
        devices: { microphones: 1, cameras: 1, speakers: 0 },
        stun: { tested: false, reachable: false },
        turn: { tested: false, reachable: false },
      });
      const devices = await page.expression<Record<string, { deviceId: string; label: string }[]>>(
        'window.harness.sdkClient().listDevices()',
      );
      expect(devices).toEqual({
        microphones: [{ deviceId: '', groupId: '', label: '' }],
        cameras: [{ deviceId: '', groupId: '', label: '' }],
        speakers: [],
      });
      await expectNoPrompt(scene);
    });
  },
);
