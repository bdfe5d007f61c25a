// The default call UI (`MessagingCalls.mountCallUI`, src/ui/) in real
// browsers against the Node agent over the WebSocket relay, driven as a
// person would: trusted mouse clicks, taps and key presses from the browser
// (support/browser.ts PageInput), never a click() from a script. The page
// (pages/ui.html + ui.js) creates the CallClient without autoAccept and
// mounts the UI on it; support/ui.ts reads the UI through its open shadow
// root (controls by `part`), runs axe-core and takes screenshots
// (test-output/ui/<engine>-<name>.png).
//
// What is covered, per engine: a whole video call by clicking only, the same
// by keyboard only, a phone viewport (a touch phone in Chromium), axe-core in
// every view (the permission view by holding getUserMedia pending, the
// reconnecting view by a simulated connection loss), a hostile page
// stylesheet, a strict CSP, an agent name that is markup, German and Arabic,
// destroy(), and screenshots light and dark, desktop and phone.
//
// Chromium runs with two fake cameras (device-count=2), so Switch camera is
// shown and switches; Firefox's fake media has one camera
// (CHROMIUM_ONLY.twoCameras), so there the button must be hidden.
import { ENGINE_NAMES, testIn } from './support/engines';
import type { PageDriver, PageOptions, TestBrowser } from './support/browser';
import { PHONE_VIEWPORT } from './support/browser';
import { openScene } from './support/scene';
import type { Scene } from './support/scene';
import { describeEngines, useBrowser, useServer } from './support/suite';
import type { AgentSide } from './support/agent';
import {
  announcements,
  clickControl,
  control,
  focusWithin,
  part,
  runAxe,
  screenshot,
  screenshots,
  settle,
  shadowFacts,
  tabTo,
  uiState,
  usable,
  viewport,
  waitForControl,
  waitForView,
} from './support/ui';
import type { ControlInfo, View } from './support/ui';
import { until } from '../support/wait';
import type { MediaState } from '../../src/call/events';

jest.setTimeout(60_000);

const PAGE = '/pages/ui.html';
const DESKTOP = { width: 1280, height: 800 } as const;

/** The policy of pages/ui-csp.html (its meta tag; the test checks they agree). */
const CSP =
  "default-src 'self'; style-src 'self'; script-src 'self'; " +
  'connect-src ws://127.0.0.1:* ws://localhost:*; ' +
  "media-src 'self' blob: mediastream:";

const server = useServer();

/** Waits until the agent's view of the consumer's media matches `expected`. */
function agentSees(side: AgentSide, expected: Partial<MediaState>): Promise<unknown> {
  return until(
    () => {
      const state = side.agent.remoteMediaState;
      if (!state) return false;
      for (const key of Object.keys(expected) as (keyof MediaState)[]) {
        if (state[key] !== expected[key]) return false;
      }
      return true;
    },
    `the agent to see ${JSON.stringify(expected)}`,
  );
}

/** Not shown: absent, or present with the `hidden` attribute and not rendered. */
function notShown(c: ControlInfo): { shown: boolean; hiddenAttribute: boolean | null } {
  return { shown: c.exists && c.visible, hiddenAttribute: c.exists ? c.hidden : null };
}

const rounded = (r: { x: number; y: number; width: number; height: number } | null) =>
  r && {
    x: Math.round(r.x),
    y: Math.round(r.y),
    width: Math.round(r.width),
    height: Math.round(r.height),
  };

afterAll(() => {
  if (screenshots.length > 0) console.log(`screenshots:\n${screenshots.join('\n')}`);
});

describeEngines((engine) => {
  const twoCameras = engine === 'chromium';
  const browser = useBrowser(engine, twoCameras ? { fakeDeviceCount: 2 } : {});
  let scene: Scene | undefined;
  afterEach(async () => {
    await scene?.cleanup();
    scene = undefined;
  });
  const name = ENGINE_NAMES[engine];
  const callTest = testIn(engine, { bug: 'firefoxEndOfCandidates' });

  /** Opens `path` with a CallClient (no autoAccept) and mounts the UI with `options`. */
  async function open(
    options: {
      path?: string;
      mount?: Record<string, unknown>;
      context?: PageOptions;
      browser?: TestBrowser;
    } = {},
  ): Promise<PageDriver> {
    scene = await openScene(options.browser ?? browser(), server(), {
      path: options.path ?? PAGE,
      context: options.context ?? { viewport: DESKTOP },
      client: {},
    });
    const { page } = scene;
    expect(await page.call('mountUI', options.mount ?? {})).toEqual({
      ok: true,
      tag: 'messaging-call-ui',
      inBody: true,
      openShadowRoot: true,
      hasDestroy: true,
    });
    expect(await uiState(page)).toMatchObject({ hosts: 1 });
    await waitForView(page, 'idle', 'idle');
    return page;
  }

  /** A new agent named `agentName` invites to a video call; waits for the invitation view. */
  async function invite(page: PageDriver, agentName = 'Alex'): Promise<AgentSide> {
    if (!scene) throw new Error('open() first');
    const side = await scene.addAgent({ media: 'video', agent: { name: agentName } });
    side.agent.invite();
    const callId = side.agent.callId;
    await page.waitForEvent('invitation', (data) => data?.callId === callId);
    await waitForView(page, 'invitation', 'invited');
    return side;
  }

  /** Both sides connected, and the UI shows the call. */
  async function connected(page: PageDriver, side: AgentSide): Promise<void> {
    await waitForView(page, 'call', 'connected');
    await page.waitFor(async () => side.agent.state === 'connected', 'the agent connected');
  }

  /** The ended view after a hangup from the UI: the agent saw `normal`, the message shows. */
  async function endedNormally(page: PageDriver, side: AgentSide): Promise<void> {
    expect(await side.waitEnded()).toMatchObject({ reason: 'normal', by: 'remote' });
    expect((await page.waitForEvent('ended')).data).toMatchObject({
      reason: 'normal',
      by: 'local',
    });
    await waitForView(page, 'ended', 'ended');
    const message = await page.waitFor(async () => {
      const m = await part(page, 'message');
      return m.exists && m.visible && m.text !== '' ? m : null;
    }, 'the ended message (part=message) shown');
    expect(message.hidden).toBe(false);
  }

  /** No error in the page, and no camera or microphone left open. */
  async function clean(page: PageDriver): Promise<void> {
    const { errors, tracks } = await page.snapshot();
    expect(errors).toEqual([]);
    expect(page.pageErrors).toEqual([]);
    expect(tracks.everGranted.total).toBe(0);
  }

  /** The invitation dialog: a dialog that names the agent and the kind of call. */
  async function expectInvitation(page: PageDriver, agentName: string): Promise<void> {
    const dialog = await part(page, 'invitation');
    expect(dialog).toMatchObject({ exists: true, hidden: false, visible: true });
    expect(['dialog', 'alertdialog']).toContain(dialog.role);
    expect(dialog.text).toContain(agentName);
    expect(dialog.text.toLowerCase()).toContain('video');
  }

  const switchTitle = twoCameras
    ? 'Switch camera switches to the second camera'
    : "Switch camera is hidden (Firefox's fake media has one camera)";

  describe('the default call UI', () => {
    testIn(engine, { chromiumOnly: 'screenShare' })(
      'screen share by clicking: the request with its reason, Share screen, the sharing bar, Stop sharing; Not now',
      async () => {
        const page = await open();
        const side = await invite(page, 'Alex');
        await clickControl(page, 'accept');
        await connected(page, side);
        const replies: unknown[] = [];
        side.agent.on('share-reply', (reply) => replies.push(reply));

        side.agent.requestScreenShare('to see the error');
        const ask = await page.waitFor(async () => {
          const p = await part(page, 'share');
          return p.visible ? p : null;
        }, 'the share request (part=share) shown');
        expect(ask.role).toBe('alertdialog');
        expect(ask.text).toContain('Alex asks to see your screen');
        expect(ask.text).toContain('to see the error');
        expect(await control(page, 'shareScreen')).toMatchObject({
          name: 'Share screen',
          visible: true,
        });
        expect(await control(page, 'notNow')).toMatchObject({ name: 'Not now', visible: true });
        await page.waitFor(() => focusWithin(page, 'share'), 'focus on the request', 5_000);
        await screenshot(page, 'share-request');

        await clickControl(page, 'shareScreen');
        await agentSees(side, { screen: true });
        const bar = await page.waitFor(async () => {
          const p = await part(page, 'sharing');
          return p.visible ? p : null;
        }, 'the sharing bar (part=sharing)');
        expect(bar.text).toContain('You are sharing your screen');
        expect((await part(page, 'share')).visible).toBe(false);
        await screenshot(page, 'sharing');
        await clickControl(page, 'stopSharing');
        await agentSees(side, { screen: false });
        await page.waitFor(async () => !(await part(page, 'sharing')).visible, 'the bar gone');

        side.agent.requestScreenShare();
        await waitForControl(page, 'notNow', usable, 'Not now shown');
        await clickControl(page, 'notNow');
        await page.waitFor(async () => replies.length === 2, 'the second reply');
        expect(replies).toEqual([{ accepted: true }, { accepted: false, reason: 'declined' }]);
        await clickControl(page, 'endCall');
        await endedNormally(page, side);
      },
    );

    callTest(
      `by clicking only: invitation, Accept, Mute, Stop video twice, ${switchTitle}, End call, Close`,
      async () => {
        const page = await open();
        const side = await invite(page, 'Alex');
        await expectInvitation(page, 'Alex');
        await page.waitFor(
          () => focusWithin(page, 'invitation'),
          'focus inside the invitation dialog',
          5_000,
        );
        await page.waitFor(
          async () => (await announcements(page)).some((text) => text.includes('Alex')),
          'a live region announcing the invitation',
          5_000,
        );
        expect(await control(page, 'accept')).toMatchObject({
          tag: 'button',
          name: 'Accept',
          hidden: false,
          visible: true,
        });
        expect(await control(page, 'decline')).toMatchObject({
          tag: 'button',
          name: 'Decline',
          hidden: false,
          visible: true,
        });
        await screenshot(page, 'click-invitation');

        const announcedBefore = (await announcements(page)).length;
        await clickControl(page, 'accept');
        await connected(page, side);
        // The live region also told of the call's progress.
        await page.waitFor(
          async () => (await announcements(page)).length > announcedBefore,
          'a live region announcing a state change after Accept',
          5_000,
        );
        expect(await part(page, 'window')).toMatchObject({ exists: true, visible: true });
        expect(await part(page, 'self')).toMatchObject({ exists: true });
        // The agent's synthetic camera plays in the remote video.
        await page.waitFor(async () => {
          const remote = await part(page, 'remote');
          return remote.visible && remote.video && remote.video.width > 0 && !remote.video.paused;
        }, "the agent's video playing in part=remote");
        // A page capturing the camera may play sound: nothing was blocked.
        expect(notShown(await control(page, 'enableSound')).shown).toBe(false);
        await screenshot(page, 'click-call');

        // Mute: a toggle, pressed while muted.
        expect(await control(page, 'mute')).toMatchObject({
          tag: 'button',
          name: 'Mute',
          pressed: 'false',
          hidden: false,
        });
        await clickControl(page, 'mute');
        await agentSees(side, { audioMuted: true });
        await waitForControl(page, 'mute', (c) => c.pressed === 'true', 'aria-pressed true');

        // Stop video: pressed while the camera is off; again turns it on.
        expect(await control(page, 'stopVideo')).toMatchObject({
          tag: 'button',
          name: 'Stop video',
          pressed: 'false',
          hidden: false,
        });
        await clickControl(page, 'stopVideo');
        await agentSees(side, { videoEnabled: false });
        await waitForControl(page, 'stopVideo', (c) => c.pressed === 'true', 'aria-pressed true');
        await screenshot(page, 'click-muted-video-off');
        await clickControl(page, 'stopVideo');
        await agentSees(side, { videoEnabled: true });
        await waitForControl(page, 'stopVideo', (c) => c.pressed === 'false', 'aria-pressed false');

        if (twoCameras) {
          await page.waitFor(() => page.call<boolean>('canSwitchCamera'), 'canSwitchCamera');
          const button = await waitForControl(page, 'switchCamera', usable, 'shown');
          expect(button).toMatchObject({ tag: 'button', name: 'Switch camera' });
          const first = await page.waitFor(
            () => page.call<string | null>('cameraInUse'),
            'a camera in use',
          );
          await clickControl(page, 'switchCamera');
          await page.waitFor(async () => {
            const now = await page.call<string | null>('cameraInUse');
            return now !== null && now !== first;
          }, 'the other camera in use after Switch camera');
        } else {
          expect(await page.call('canSwitchCamera')).toBe(false);
          const button = await control(page, 'switchCamera');
          expect(notShown(button)).toEqual({
            shown: false,
            hiddenAttribute: button.exists ? true : null,
          });
        }

        expect(await control(page, 'endCall')).toMatchObject({
          tag: 'button',
          name: 'End call',
          hidden: false,
        });
        await clickControl(page, 'endCall');
        await endedNormally(page, side);
        await screenshot(page, 'click-ended');
        await clickControl(page, 'close');
        await waitForView(page, 'idle', 'ended');
        await clean(page);
      },
    );

    callTest(
      `by keyboard only (Tab, Shift+Tab): Accept + Enter, Mute + Space, Stop video + Space twice, ${
        twoCameras ? 'Switch camera + Enter, ' : ''
      }End call + Enter, Close + Enter`,
      async () => {
        const page = await open();
        const side = await invite(page, 'Alex');
        await page.waitFor(
          () => focusWithin(page, 'invitation'),
          'focus inside the invitation dialog',
          5_000,
        );
        await tabTo(page, 'accept');
        await page.press('Enter');
        await connected(page, side);

        await tabTo(page, 'mute');
        await page.press(' ');
        await agentSees(side, { audioMuted: true });
        await waitForControl(page, 'mute', (c) => c.pressed === 'true', 'aria-pressed true');

        await tabTo(page, 'stopVideo');
        await page.press(' ');
        await agentSees(side, { videoEnabled: false });
        await waitForControl(page, 'stopVideo', (c) => c.pressed === 'true', 'aria-pressed true');
        await tabTo(page, 'stopVideo'); // focus stays on the toggle
        await page.press(' ');
        await agentSees(side, { videoEnabled: true });
        await waitForControl(page, 'stopVideo', (c) => c.pressed === 'false', 'aria-pressed false');

        if (twoCameras) {
          await page.waitFor(() => page.call<boolean>('canSwitchCamera'), 'canSwitchCamera');
          await waitForControl(page, 'switchCamera', usable, 'shown');
          const first = await page.waitFor(
            () => page.call<string | null>('cameraInUse'),
            'a camera in use',
          );
          await tabTo(page, 'switchCamera');
          await page.press('Enter');
          await page.waitFor(async () => {
            const now = await page.call<string | null>('cameraInUse');
            return now !== null && now !== first;
          }, 'the other camera in use after Switch camera');
        }

        await tabTo(page, 'endCall');
        await page.press('Enter');
        await endedNormally(page, side);
        await screenshot(page, 'keyboard-ended');
        await tabTo(page, 'close');
        await page.press('Enter');
        await waitForView(page, 'idle', 'ended');
        await clean(page);
      },
    );

    callTest(
      `on a phone (375 × 667${twoCameras ? ', touch' : ''}): the call window fills the viewport`,
      async () => {
        const page = await open({ context: { phone: true } });
        expect(await viewport(page)).toEqual(PHONE_VIEWPORT);
        const side = await invite(page, 'Alex');
        await expectInvitation(page, 'Alex');
        await screenshot(page, 'phone-invitation');
        await clickControl(page, 'accept', 'tap');
        await connected(page, side);
        // Fixed to the viewport (the window or an element around it is
        // position: fixed) and as large as it, also once the page scrolls.
        const full = { x: 0, y: 0, ...PHONE_VIEWPORT };
        await settle(page); // it slides in
        const win = await part(page, 'window');
        expect({ fixedBy: win.fixedBy !== null, rect: rounded(win.rect) }).toEqual({
          fixedBy: true,
          rect: full,
        });
        const scrolled = await page.expression<number>(
          "(document.documentElement.style.height = '3000px', window.scrollTo(0, 1200), window.scrollY)",
        );
        expect(scrolled).toBeGreaterThan(0);
        // Where scrollbars take room (Firefox), the viewport is narrower now.
        expect(rounded((await part(page, 'window')).rect)).toEqual({
          x: 0,
          y: 0,
          ...(await viewport(page)),
        });
        console.log(
          `phone window in ${name}: position ${win.position}, fixed by ${win.fixedBy}, ` +
            `rect ${JSON.stringify(rounded(win.rect))}`,
        );
        await screenshot(page, 'phone-call');
        await clickControl(page, 'mute', 'tap');
        await agentSees(side, { audioMuted: true });
        await clickControl(page, 'endCall', 'tap');
        await endedNormally(page, side);
        await screenshot(page, 'phone-ended');
        await clean(page);
      },
    );

    callTest(
      'axe-core: no serious or critical violation in the invitation, permission, call, reconnecting and ended views',
      async () => {
        const page = await open();
        const found: Partial<Record<View | 'reconnecting', unknown[]>> = {};
        const side = await invite(page, 'Alex');
        found.invitation = await runAxe(page);

        // The browser's prompt "open": getUserMedia held pending.
        expect(await page.call('holdMedia')).toEqual({ ok: true });
        await clickControl(page, 'accept');
        await waitForView(page, 'permission', 'media-permission');
        await page.waitFor(async () => (await page.call<number>('heldMedia')) > 0, 'getUserMedia');
        found.permission = await runAxe(page);
        await screenshot(page, 'permission');
        expect(await page.call('releaseMedia')).toEqual({ ok: true });
        await connected(page, side);
        found.call = await runAxe(page);

        // The browser reports the media connection lost (simulated in the
        // page's peer connection: no browser test cuts the network).
        expect(await page.call('dropConnection')).toEqual({ ok: true });
        await waitForView(page, 'call', 'reconnecting');
        found.reconnecting = await runAxe(page);
        await screenshot(page, 'reconnecting');
        expect(await page.call('restoreConnection')).toMatchObject({ ok: true });
        await waitForView(page, 'call', 'connected');

        await clickControl(page, 'endCall');
        await endedNormally(page, side);
        found.ended = await runAxe(page);
        expect(found).toEqual({
          invitation: [],
          permission: [],
          call: [],
          reconnecting: [],
          ended: [],
        });
        await clean(page);
      },
    );

    callTest(
      'connection lost: the reconnecting notice (part=message) shows, and goes when the call is back',
      async () => {
        const page = await open();
        const side = await invite(page, 'Alex');
        await clickControl(page, 'accept');
        await connected(page, side);
        // Simulated in the page's peer connection (pages/ui.js dropConnection).
        expect(await page.call('dropConnection')).toEqual({ ok: true });
        await waitForView(page, 'call', 'reconnecting');
        let notice: unknown = null;
        try {
          await page.waitFor(
            async () => {
              const m = await part(page, 'message');
              notice = m;
              return m.visible && m.text !== '';
            },
            'the reconnecting notice (part=message) shown',
            5_000,
          );
        } finally {
          console.log(
            `reconnecting in ${name}: part=message ${JSON.stringify(notice)}; ` +
              `part=status ${JSON.stringify(await part(page, 'status'))}; ` +
              `live regions ${JSON.stringify(await announcements(page))}`,
          );
        }
        expect(await page.call('restoreConnection')).toMatchObject({ ok: true });
        await waitForView(page, 'call', 'connected');
        await page.waitFor(async () => {
          const m = await part(page, 'message');
          return !m.visible || m.text === '';
        }, 'the reconnecting notice gone');
        await clickControl(page, 'endCall');
        await endedNormally(page, side);
        await clean(page);
      },
    );

    callTest(
      'a hostile page stylesheet (display:none on button/div/video/dialog, all:unset): accept and end by clicking',
      async () => {
        const page = await open({ path: '/pages/ui-hostile.html' });
        // The page's stylesheet is in force on everything it can reach.
        expect(
          await page.expression(
            "getComputedStyle(document.getElementById('videos')).display + ' ' + " +
              'getComputedStyle(document.documentElement).fontSize',
          ),
        ).toBe('none 10px');
        const side = await invite(page, 'Alex');
        await expectInvitation(page, 'Alex');
        await screenshot(page, 'hostile-invitation');
        await clickControl(page, 'accept');
        await connected(page, side);
        const win = await part(page, 'window');
        expect(win).toMatchObject({ exists: true, visible: true });
        await screenshot(page, 'hostile-call');
        await clickControl(page, 'endCall');
        await endedNormally(page, side);
        await screenshot(page, 'hostile-ended');
        await clean(page);
      },
    );

    callTest(`a strict CSP (${CSP}): no violation while the UI runs a call`, async () => {
      const page = await open({ path: '/pages/ui-csp.html' });
      expect(
        await page.expression(
          'document.querySelector(\'meta[http-equiv="Content-Security-Policy"]\').content',
        ),
      ).toBe(CSP);
      const side = await invite(page, 'Alex');
      await expectInvitation(page, 'Alex');
      await clickControl(page, 'accept');
      await connected(page, side);
      await clickControl(page, 'mute');
      await agentSees(side, { audioMuted: true });
      await screenshot(page, 'csp-call');
      await clickControl(page, 'endCall');
      await endedNormally(page, side);
      const snapshot = await page.snapshot();
      expect(snapshot.violations).toEqual([]);
      expect(page.consoleErrors).toEqual([]);
      await clean(page);

      // The policy is in force, and a violation would have been seen.
      expect(await page.call('probeEval')).toMatchObject({ compiled: false });
      await page.waitFor(
        async () => (await page.snapshot()).violations.length > 0,
        'the probe violation',
      );
    });

    callTest('an agent name that is markup is shown as text, never parsed', async () => {
      const markup = '<img src=x onerror="window.__xss=1">';
      const page = await open();
      const side = await invite(page, markup);
      const dialog = await part(page, 'invitation');
      expect(dialog.text).toContain(markup);
      expect(await shadowFacts(page)).toMatchObject({ shadowRoot: 'open', imgs: 0 });
      expect(await page.expression("document.querySelectorAll('img').length")).toBe(0);
      expect(await page.expression('typeof window.__xss')).toBe('undefined');
      await clickControl(page, 'decline');
      expect(await side.waitEnded()).toMatchObject({ reason: 'declined' });
      expect(await page.expression('typeof window.__xss')).toBe('undefined');
      expect(page.pageErrors).toEqual([]);
    });

    test('locale de: the invitation is in German (Accept is "Annehmen")', async () => {
      const page = await open({ mount: { locale: 'de' } });
      const side = await invite(page, 'Alex');
      expect(await control(page, 'accept')).toMatchObject({ name: 'Annehmen', visible: true });
      await screenshot(page, 'de-invitation');
      await clickControl(page, 'decline');
      expect(await side.waitEnded()).toMatchObject({ reason: 'declined' });
    });

    callTest('locale ar: the call window is right-to-left (dir="rtl")', async () => {
      const page = await open({ mount: { locale: 'ar' } });
      const side = await invite(page, 'Alex');
      await screenshot(page, 'ar-invitation');
      await clickControl(page, 'accept');
      await connected(page, side);
      const win = await part(page, 'window');
      expect({ dir: win.dir, direction: win.direction }).toEqual({
        dir: 'rtl',
        direction: 'rtl',
      });
      await screenshot(page, 'ar-call');
      await clickControl(page, 'endCall');
      await endedNormally(page, side);
      await screenshot(page, 'ar-ended');
    });

    callTest(
      'destroy() mid-call removes everything of the UI; the call goes on and the client takes the next call',
      async () => {
        const page = await open();
        const side = await invite(page, 'Alex');
        await clickControl(page, 'accept');
        await connected(page, side);
        expect(await page.call('unmountUI')).toEqual({
          ok: true,
          hosts: 0,
          added: [],
          changed: [],
        });
        expect(await uiState(page)).toEqual({ hosts: 0, view: null, state: null });
        // The call is the client's: still up, and the page can still drive it.
        expect((await page.snapshot()).state).toBe('connected');
        expect(await page.call('setAudioMuted', true)).toEqual({ ok: true });
        await agentSees(side, { audioMuted: true });
        expect(await page.call('hangup')).toEqual({ ok: true });
        expect(await side.waitEnded()).toMatchObject({ reason: 'normal' });

        // The next call, accepted by the page through the client alone.
        if (!scene) throw new Error('no scene');
        const next = await scene.addAgent({ media: 'video', agent: { name: 'Sam' } });
        next.agent.invite();
        await page.waitForEvent('invitation', (data) => data?.callId === next.agent.callId);
        expect(await page.call('accept')).toEqual({ ok: true });
        await page.waitForState('connected');
        await page.waitFor(async () => next.agent.state === 'connected', 'the agent connected');
        // Nothing of the destroyed UI came back with the new call's events.
        expect(await uiState(page)).toEqual({ hosts: 0, view: null, state: null });
        expect(await page.expression("document.querySelectorAll('messaging-call-ui').length")).toBe(
          0,
        );
        expect(await page.call('hangup')).toEqual({ ok: true });
        await next.waitEnded();
        await clean(page);
      },
    );
  });

  // Screenshots for a person to look at: desktop and phone, light and dark.
  // Firefox's dark scheme is a preference of the whole browser (see
  // LaunchOptions.colorScheme), so dark pages come from a second browser.
  describe.each(['light', 'dark'] as const)('screenshots, %s', (scheme) => {
    const dark = scheme === 'dark' ? useBrowser(engine, { colorScheme: 'dark' }) : null;
    test.each(['desktop', 'phone'] as const)(
      `invitation, call and ended on a ${scheme} %s in ${name}`,
      async (device) => {
        const page = await open({
          browser: dark ? dark() : browser(),
          context: device === 'phone' ? { phone: true } : { viewport: DESKTOP },
        });
        expect(await page.call('prefersDark')).toBe(scheme === 'dark');
        const how = device === 'phone' ? 'tap' : 'click';
        const side = await invite(page, 'Alex');
        await screenshot(page, `${device}-${scheme}-invitation`);
        await clickControl(page, 'accept', how);
        await connected(page, side);
        await page.waitFor(async () => {
          const remote = await part(page, 'remote');
          return remote.video && remote.video.width > 0 && !remote.video.paused;
        }, "the agent's video playing in part=remote");
        await screenshot(page, `${device}-${scheme}-call`);
        await clickControl(page, 'endCall', how);
        await endedNormally(page, side);
        await screenshot(page, `${device}-${scheme}-ended`);
      },
    );
  });
});
