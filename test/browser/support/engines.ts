/**
 * Which browser engines the real-browser suite runs in, and the one place
 * where a test is limited to Chromium and why.
 *
 * `BROWSERS` (comma-separated: `chromium`, `firefox`, `webkit`) selects the
 * engines; unset, all three. Every test file runs in Chromium and Firefox;
 * webkit.test.ts proves the unsupported path in WebKitGTK (no WebRTC). An
 * engine that is selected but not installed fails its tests with the command
 * that installs it: a missing browser is never a skipped suite.
 */

/** The engines that run the whole suite. */
export type Engine = 'chromium' | 'firefox';
/** ...and WebKit, which runs webkit.test.ts. */
export type BrowserEngine = Engine | 'webkit';

export const ALL_ENGINES: readonly BrowserEngine[] = ['chromium', 'firefox', 'webkit'];

/** Where each engine's binary is found, how to override it, how to install it. */
export const BINARIES: Readonly<Record<Engine, { path: string; env: string; install: string }>> = {
  chromium: {
    path: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    env: 'CHROMIUM_PATH',
    install: 'apt-get install -y chromium',
  },
  firefox: {
    path: process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr',
    env: 'FIREFOX_PATH',
    install: 'apt-get install -y firefox-esr',
  },
};

/** Parses a `BROWSERS` value; unset or blank means every engine. Unknown names throw. */
export function parseEngines(value: string | undefined): BrowserEngine[] {
  if (value === undefined || value.trim() === '') return [...ALL_ENGINES];
  const engines: BrowserEngine[] = [];
  for (const part of value.split(',')) {
    const name = part.trim().toLowerCase();
    if (name === '') continue;
    if (!(ALL_ENGINES as readonly string[]).includes(name)) {
      throw new Error(
        `BROWSERS=${value}: unknown engine "${name}" (known: ${ALL_ENGINES.join(', ')})`,
      );
    }
    if (!engines.includes(name as BrowserEngine)) engines.push(name as BrowserEngine);
  }
  return engines;
}

/** The engines of this run (`BROWSERS`). */
export const SELECTED: readonly BrowserEngine[] = parseEngines(process.env.BROWSERS);

/** The selected engines that run the whole suite, for `describe.each`. */
export const ENGINES: readonly Engine[] = SELECTED.filter((e): e is Engine => e !== 'webkit');

/** Display name of an engine in test titles and messages. */
export const ENGINE_NAMES: Readonly<Record<BrowserEngine, string>> = {
  chromium: 'Chromium',
  firefox: 'Firefox',
  webkit: 'WebKit',
};

/**
 * Tests that can only run in Chromium here, with the reason. Everything else
 * runs in every engine; where Firefox has an equivalent (a preference that
 * denies the camera, maps a host name, or replaces the user agent), the
 * driver uses it (see `launchBrowser`).
 */
export const CHROMIUM_ONLY = {
  twoCameras:
    "Firefox's fake media (media.navigator.streams.fake) has exactly one camera and one " +
    "microphone; switching between two cameras needs Chromium's " +
    '--use-fake-device-for-media-stream=device-count=2',
  speakers:
    'Firefox lists no audio output (enumerateDevices has no audiooutput) on a machine ' +
    'without a sound server, so there is no speaker to choose; Chromium has fake speakers',
  screenShare:
    'headless Firefox ESR has no fake screen: getDisplayMedia rejects with NotFoundError ' +
    'even after a trusted click (media.navigator.streams.fake covers camera and microphone ' +
    'only); Chromium with --use-fake-ui-for-media-stream shares a fake screen at once',
  syntheticEnded:
    "Firefox delivers a script-dispatched (untrusted) 'ended' event on a MediaStreamTrack " +
    'only to `onended` and to listeners added with wantsUntrusted, not to the ' +
    "SDK's addEventListener('ended'); a real device loss (a trusted event) cannot be " +
    'caused headless, so an unplugged device is simulated in Chromium only',
  clientHints:
    'navigator.userAgentData (User-Agent Client Hints) and its override through the ' +
    'DevTools protocol (Emulation.setUserAgentOverride) exist only in Chromium',
} as const;

export type ChromiumOnly = keyof typeof CHROMIUM_ONLY;

/**
 * SDK problems a real browser shows, each with the engines it affects and
 * what a test that runs into it fails with. Such tests are `test.failing`
 * in those engines (and pass only when they fail with that message; a
 * failure for any other reason turns them red, with that reason logged).
 * Once the SDK is fixed they go red with "Failing test passed": set the
 * entry's `engines` to [] and they run as ordinary tests (then remove the
 * entry and its `bug:` uses).
 */
export const SDK_BUGS = {
  /**
   * Firefox ends each m-line's ICE candidates with an `icecandidate` event
   * whose candidate string is empty (the spec's end-of-candidates for one
   * media section), then fires the final `null`. PeerSession
   * (src/peer/PeerSession.ts, `pc.onicecandidate`) takes the empty string for
   * the end of the round and resets its count, so the final `null` finds no
   * candidate counted and `onNoCandidates` ends every call that is still
   * connecting: `network`, "no network path for media: no ICE candidate",
   * some 20 ms after the offer. Every Firefox call on a network without
   * slower STUN/TURN gathering fails this way. Fix: in that handler, return
   * on an empty candidate string while `pc.iceGatheringState` is not yet
   * `complete` (only the final `null` ends the round).
   */
  firefoxEndOfCandidates: {
    engines: [] as readonly Engine[],
    signature: /no network path for media: no ICE candidate/,
  },
} as const;

export type SdkBug = keyof typeof SDK_BUGS;

/** What a test needs: an engine feature only Chromium has here, or an SDK fix. */
export interface TestNeeds {
  chromiumOnly?: ChromiumOnly;
  bug?: SdkBug;
}

type TestFn = (name: string, fn: () => Promise<void>, timeout?: number) => void;

/**
 * `test` for this engine: skipped (with the reason in CHROMIUM_ONLY) where
 * the engine cannot give what the test needs, `test.failing` where a known
 * SDK bug makes it fail, else the plain `test`.
 */
export function testIn(engine: Engine, needs: TestNeeds = {}): TestFn {
  if (needs.chromiumOnly && engine !== 'chromium') return test.skip;
  const bug = needs.bug;
  if (!bug || !SDK_BUGS[bug].engines.includes(engine)) return test;
  const { signature } = SDK_BUGS[bug];
  return (name, fn, timeout) =>
    test.failing(
      `${name} [known SDK bug: ${bug}]`,
      async () => {
        try {
          await fn();
        } catch (error) {
          if (signature.test(String((error as Error)?.message ?? error))) throw error;
          // Failed for another reason: returning makes the failing test red.
          console.error(`failed for a reason other than the known bug ${bug}:`, error);
          return;
        }
      },
      timeout,
    );
}

/**
 * Facts of each engine's fake media that the tests expect, measured here
 * (Chromium 156 with --use-fake-device-for-media-stream, Firefox ESR 153
 * with media.navigator.streams.fake).
 */
export const FAKE_MEDIA: Readonly<
  Record<
    Engine,
    {
      /** getSettings().facingMode of the fake camera (asked for `user`), if any. */
      cameraFacing: 'user' | 'environment' | undefined;
      /** Labels of the fake cameras (Chromium's with device-count=2). */
      cameraLabels: readonly string[];
    }
  >
> = {
  // The fake cameras report no facingMode; the second one yields no frames.
  chromium: { cameraFacing: undefined, cameraLabels: ['fake_device_0', 'fake_device_1'] },
  // The one fake camera says `environment`, whatever facingMode was asked.
  firefox: { cameraFacing: 'environment', cameraLabels: ['Default Video Device'] },
};
