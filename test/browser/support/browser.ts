import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type {
  Browser as PlaywrightBrowser,
  CDPSession,
  Page as PlaywrightPage,
} from 'playwright-core';
import puppeteer from 'puppeteer-core';
import type {
  Browser as PuppeteerBrowser,
  BrowserContext as PuppeteerContext,
  KeyInput,
} from 'puppeteer-core';
import { deserialize, exceptionText, findContext } from './bidi';
import type { ContextInfo, EvaluateResult } from './bidi';
import { BINARIES, ENGINE_NAMES } from './engines';
import type { BrowserEngine, Engine } from './engines';

/**
 * The browser-driver layer: one small interface over Chromium (playwright-core,
 * the DevTools protocol) and Firefox (puppeteer-core, WebDriver BiDi), so a
 * test is written once and runs in both. Never downloads a browser: both
 * come from the distribution (see BINARIES).
 */

export interface LaunchOptions {
  engine: Engine;
  /**
   * Answer every camera/microphone prompt with "allow" (the default). False
   * denies them: getUserMedia fails with NotAllowedError. Chromium:
   * `--deny-permission-prompts` instead of `--use-fake-ui-for-media-stream`;
   * Firefox: prompts enabled and `permissions.default.camera/microphone` = 2
   * (block).
   */
  grantMedia?: boolean;
  /**
   * Chromium only: how many fake devices of each kind (default one camera).
   * With 2 there are two cameras (`fake_device_0`, `fake_device_1`; the
   * second yields no frames, neither reports a facingMode), two microphones
   * besides the default one, and speakers. Firefox's fake media has one of
   * each input and this option throws there (see CHROMIUM_ONLY).
   */
  fakeDeviceCount?: number;
  /**
   * A host name that resolves to 127.0.0.1, so that `http://HOST:PORT` is an
   * insecure origin on the test server. Chromium: `--host-resolver-rules`;
   * Firefox: `network.dns.localDomains`.
   */
  insecureHost?: string;
  /**
   * What `prefers-color-scheme` says in every page of this browser (default:
   * the engine's, light). Chromium: each context's `colorScheme`; Firefox:
   * `layout.css.prefers-color-scheme.content-override` (WebDriver BiDi in
   * Firefox 153 has no command to emulate it per page, and puppeteer's
   * `emulateMediaFeatures` needs CDP).
   */
  colorScheme?: 'light' | 'dark';
}

/** User-Agent Client Hints (`navigator.userAgentData`), as the DevTools protocol takes them. */
export interface UserAgentMetadata {
  brands: { brand: string; version: string }[];
  fullVersion?: string;
  platform: string;
  platformVersion: string;
  architecture: string;
  model: string;
  mobile: boolean;
}

export interface PageOptions {
  /** Replaces the user agent string (`navigator.userAgent` and the header) of the page. */
  userAgent?: string;
  /**
   * Chromium only: client hints to go with `userAgent` (Playwright changes
   * only the string; the hints would still name the real Chromium).
   */
  clientHints?: UserAgentMetadata;
  /** The viewport in CSS pixels (default: Playwright's 1280 × 720, puppeteer's 800 × 600). */
  viewport?: { width: number; height: number };
  /**
   * A phone: a 375 × 667 viewport. Chromium emulates a touch phone
   * (`hasTouch`, `isMobile`, device scale 2: `navigator.maxTouchPoints` 1,
   * `(pointer: coarse)`, the page's `<meta name="viewport">` honoured).
   * Firefox 153 has no touch emulation over WebDriver BiDi
   * (`emulation.setTouchOverride` is an unknown command): only the viewport;
   * `tap` still delivers touch pointer input there.
   */
  phone?: boolean;
}

/** The phone of `PageOptions.phone`, in CSS pixels. */
export const PHONE_VIEWPORT = { width: 375, height: 667 } as const;

/**
 * What a UI test does to a page as a person would: input events from the
 * browser itself (trusted, with user activation, through the DevTools
 * protocol or WebDriver BiDi input actions, never a script in the page), the
 * viewport, and screenshots.
 */
export interface PageInput {
  /**
   * A trusted left click (move, press, release) at `x`, `y` in CSS pixels of
   * the top page's viewport: input from the browser, with user activation,
   * as a person's click.
   */
  click(x: number, y: number): Promise<void>;
  /**
   * A trusted tap (touch start and end) at `x`, `y` of the viewport.
   * Chromium: only in a `phone` page (Playwright needs `hasTouch`).
   */
  tap(x: number, y: number): Promise<void>;
  /**
   * A trusted key press on the focused element: a key name such as `Tab`,
   * `Enter`, `Escape`, `ArrowDown`, a character such as `' '`, or modifiers
   * joined by `+` (`Shift+Tab`).
   */
  press(key: string): Promise<void>;
  /** Resizes the viewport (CSS pixels). */
  setViewport(width: number, height: number): Promise<void>;
  /** A PNG of the viewport, written to `path`. */
  screenshot(path: string): Promise<void>;
}

/** One page in a fresh browser context (its own cookies, storage and permissions). */
export interface EnginePage {
  /** Uncaught exceptions in the page, as `Name: message`. */
  readonly pageErrors: string[];
  /** Console messages of level error (CSP reports land here in Chromium). */
  readonly consoleErrors: string[];
  goto(url: string): Promise<void>;
  /**
   * The value of a JavaScript expression (awaited if a promise, returned as
   * JSON-like data) in the top page, or in the frame whose URL contains
   * `frame`. The page's own Array.prototype and CSP are left alone: the
   * expression is sent over the protocol, not through a helper script in the
   * page, and gives the page no user activation.
   */
  evaluate(expression: string, frame?: string): Promise<unknown>;
  /**
   * Trusted input, viewport and screenshots (Chromium and Firefox; the
   * WebKit driver, webkit.ts, has none).
   */
  readonly input?: PageInput;
  /** Closes the page and its context. */
  close(): Promise<void>;
}

export interface TestBrowser {
  readonly engine: BrowserEngine;
  /** E.g. `Chromium 156.0.8078.79`, `Firefox 153.7.0`. */
  readonly version: string;
  newPage(options?: PageOptions): Promise<EnginePage>;
  close(): Promise<void>;
}

/** Thrown by `evaluate` when no frame has that URL (yet). */
export class NoSuchFrame extends Error {}

/** Launches one headless browser of `options.engine`; a missing binary fails with its install command. */
export async function launchBrowser(options: LaunchOptions): Promise<TestBrowser> {
  const binary = BINARIES[options.engine];
  if (!existsSync(binary.path)) {
    throw new Error(
      `no ${ENGINE_NAMES[options.engine]} at ${binary.path}: run \`${binary.install}\`, ` +
        `set ${binary.env}, or leave ${options.engine} out of BROWSERS`,
    );
  }
  return options.engine === 'chromium'
    ? launchChromium(binary.path, options)
    : launchFirefox(binary.path, options);
}

// ---- Chromium: playwright-core and the DevTools protocol ----------------------

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

async function launchChromium(path: string, options: LaunchOptions): Promise<TestBrowser> {
  const grant = options.grantMedia ?? true;
  const count = options.fakeDeviceCount;
  const browser = await chromium.launch({
    executablePath: path,
    headless: true,
    args: [
      ...CHROMIUM_ARGS,
      // One fake camera by default: with device-count=2 the second one yields no frames.
      count
        ? `--use-fake-device-for-media-stream=device-count=${count}`
        : '--use-fake-device-for-media-stream',
      grant ? '--use-fake-ui-for-media-stream' : '--deny-permission-prompts',
      ...(options.insecureHost
        ? [`--host-resolver-rules=MAP ${options.insecureHost} 127.0.0.1`]
        : []),
    ],
  });
  return {
    engine: 'chromium',
    version: `Chromium ${browser.version()}`,
    newPage: (pageOptions = {}) => ChromiumPage.open(browser, pageOptions, options.colorScheme),
    close: () => browser.close(),
  };
}

/**
 * In the top page, expressions go through the DevTools protocol
 * (`Runtime.evaluate`), not `page.evaluate`: Playwright's injected helper
 * script uses `Array.prototype.slice` and friends in the page's own world, so
 * on the hostile page it would break on the very helpers the page replaced.
 */
class ChromiumPage implements EnginePage, PageInput {
  readonly pageErrors: string[] = [];
  readonly consoleErrors: string[] = [];
  readonly input: PageInput = this;

  private constructor(
    private readonly page: PlaywrightPage,
    private readonly cdp: CDPSession,
  ) {
    page.on('pageerror', (error) => this.pageErrors.push(`${error.name}: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') this.consoleErrors.push(message.text());
    });
  }

  static async open(
    browser: PlaywrightBrowser,
    options: PageOptions,
    colorScheme?: 'light' | 'dark',
  ): Promise<ChromiumPage> {
    const context = await browser.newContext({
      ...(options.userAgent ? { userAgent: options.userAgent } : {}),
      ...(colorScheme ? { colorScheme } : {}),
      ...(options.viewport ? { viewport: options.viewport } : {}),
      ...(options.phone
        ? { viewport: PHONE_VIEWPORT, hasTouch: true, isMobile: true, deviceScaleFactor: 2 }
        : {}),
    });
    try {
      const page = await context.newPage();
      const driver = new ChromiumPage(page, await context.newCDPSession(page));
      if (options.clientHints) {
        if (!options.userAgent) throw new Error('clientHints need a userAgent');
        await driver.cdp.send('Emulation.setUserAgentOverride', {
          userAgent: options.userAgent,
          userAgentMetadata: options.clientHints,
        });
      }
      return driver;
    } catch (error) {
      await context.close();
      throw error;
    }
  }

  async goto(url: string): Promise<void> {
    await this.page.goto(url);
  }

  async evaluate(expression: string, frame?: string): Promise<unknown> {
    if (frame !== undefined) {
      // Frames hold the plain SDK page: Playwright's own evaluate is fine there.
      const found = this.page
        .frames()
        .find((f) => f !== this.page.mainFrame() && f.url().includes(frame));
      if (!found) throw new NoSuchFrame(`no frame with ${frame}`);
      return found.evaluate(expression);
    }
    const { result, exceptionDetails } = await this.cdp.send('Runtime.evaluate', {
      expression,
      awaitPromise: true,
      returnByValue: true,
      // DevTools lets evaluated code compile strings even under a CSP that
      // forbids it; keep the page's own policy in force for what the SDK does.
      allowUnsafeEvalBlockedByCSP: false,
    });
    if (exceptionDetails) {
      const text = exceptionDetails.exception?.description ?? exceptionDetails.text;
      throw new Error(`in the page: ${text}`);
    }
    return result.value;
  }

  // Playwright's mouse, touchscreen and keyboard send input events over the
  // DevTools protocol (Input.dispatch*): no script in the page is involved.
  click(x: number, y: number): Promise<void> {
    return this.page.mouse.click(x, y);
  }

  tap(x: number, y: number): Promise<void> {
    // Playwright refuses to tap in a context without hasTouch.
    return this.page.touchscreen.tap(x, y);
  }

  press(key: string): Promise<void> {
    return this.page.keyboard.press(key);
  }

  setViewport(width: number, height: number): Promise<void> {
    return this.page.setViewportSize({ width, height });
  }

  async screenshot(path: string): Promise<void> {
    await this.page.screenshot({ path });
  }

  close(): Promise<void> {
    return this.page.context().close();
  }
}

// ---- Firefox: puppeteer-core and WebDriver BiDi ----------------------------------

/** The BiDi connection of a puppeteer Firefox (not in puppeteer's public types). */
interface BidiConnection {
  send(method: string, params: object): Promise<{ result: unknown }>;
}

function bidiConnection(browser: PuppeteerBrowser): BidiConnection {
  const connection = (browser as unknown as { connection?: BidiConnection }).connection;
  if (!connection || typeof connection.send !== 'function') {
    throw new Error('puppeteer-core no longer exposes its WebDriver BiDi connection');
  }
  return connection;
}

async function launchFirefox(path: string, options: LaunchOptions): Promise<TestBrowser> {
  if ((options.fakeDeviceCount ?? 1) > 1) {
    throw new Error("Firefox's fake media has one device of each kind (see CHROMIUM_ONLY)");
  }
  const grant = options.grantMedia ?? true;
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: path,
    headless: true,
    extraPrefsFirefox: {
      // A fake camera (a moving pattern, facingMode `environment`) and microphone (a tone).
      'media.navigator.streams.fake': true,
      // ...that count as real devices where Firefox asks whether a page is
      // capturing: a page with a live camera may play sound without a gesture
      // (as with a real camera, and as in Chromium), rather than autoplay-blocked.
      'media.navigator.permission.fake': true,
      // Allow: no prompt at all. Deny: the prompt is asked and answered "block".
      'media.navigator.permission.disabled': grant,
      ...(grant ? {} : { 'permissions.default.camera': 2, 'permissions.default.microphone': 2 }),
      ...(options.insecureHost ? { 'network.dns.localDomains': options.insecureHost } : {}),
      // 0 dark, 1 light (2 follows the system, 3 the browser theme).
      ...(options.colorScheme
        ? {
            'layout.css.prefers-color-scheme.content-override':
              options.colorScheme === 'dark' ? 0 : 1,
          }
        : {}),
    },
  });
  const connection = bidiConnection(browser);
  const version = (await browser.version()).replace(/^firefox\//, 'Firefox ');
  return {
    engine: 'firefox',
    version,
    newPage: (pageOptions = {}) => FirefoxPage.open(browser, connection, pageOptions),
    close: () => browser.close(),
  };
}

class FirefoxPage implements EnginePage, PageInput {
  readonly pageErrors: string[] = [];
  readonly consoleErrors: string[] = [];
  readonly input: PageInput = this;
  /** The browsing context of the top page (BiDi id), found once. */
  private top: string | null = null;

  private constructor(
    private readonly context: PuppeteerContext,
    private readonly page: Awaited<ReturnType<PuppeteerContext['newPage']>>,
    private readonly connection: BidiConnection,
  ) {
    page.on('pageerror', (error) => {
      const e = error as { name?: string; message?: string };
      this.pageErrors.push(`${e.name ?? 'Error'}: ${e.message ?? String(error)}`);
    });
    page.on('console', (message) => {
      if (message.type() === 'error') this.consoleErrors.push(message.text());
    });
  }

  static async open(
    browser: PuppeteerBrowser,
    connection: BidiConnection,
    options: PageOptions,
  ): Promise<FirefoxPage> {
    if (options.clientHints) throw new Error('client hints exist only in Chromium (CHROMIUM_ONLY)');
    const context = await browser.createBrowserContext();
    try {
      const page = await context.newPage();
      // BiDi emulation.setUserAgentOverride: the string and the header, for this page.
      if (options.userAgent) await page.setUserAgent({ userAgent: options.userAgent });
      // BiDi browsingContext.setViewport (no touch emulation: see PageOptions.phone).
      const viewport = options.phone ? PHONE_VIEWPORT : options.viewport;
      if (viewport) await page.setViewport({ ...viewport });
      return new FirefoxPage(context, page, connection);
    } catch (error) {
      await context.close();
      throw error;
    }
  }

  async goto(url: string): Promise<void> {
    await this.page.goto(url);
  }

  async evaluate(expression: string, frame?: string): Promise<unknown> {
    const target = await this.contextId(frame);
    const { result } = await this.connection.send('script.evaluate', {
      // In a task of the page's own: code on the stack of a BiDi evaluation
      // may compile strings even under a CSP that forbids it (Firefox 153),
      // so `script-src 'self'` would not hold for what the SDK does.
      expression:
        'new Promise(function (resolve, reject) { setTimeout(function () { ' +
        `try { resolve((${expression})); } catch (e) { reject(e); } }, 0); })`,
      target: { context: target },
      awaitPromise: true,
      resultOwnership: 'none',
      serializationOptions: { maxDomDepth: 0 },
      userActivation: false,
    });
    const evaluated = result as EvaluateResult;
    if (evaluated.type === 'exception') throw new Error(`in the page: ${exceptionText(evaluated)}`);
    return deserialize(evaluated.result);
  }

  private async tree(root?: string): Promise<ContextInfo[]> {
    const { result } = await this.connection.send('browsingContext.getTree', root ? { root } : {});
    return (result as { contexts: ContextInfo[] }).contexts;
  }

  /** The BiDi id of the top page, or of its frame whose URL contains `frame`. */
  private async contextId(frame?: string): Promise<string> {
    if (!this.top) {
      // The page is the only top-level context of its user context.
      const userContext = this.context.id;
      const mine = (await this.tree()).filter((c) => c.userContext === userContext);
      if (mine.length !== 1 || !mine[0]) {
        throw new Error(`expected one page in user context ${userContext}, found ${mine.length}`);
      }
      this.top = mine[0].context;
    }
    if (frame === undefined) return this.top;
    const found = findContext((await this.tree(this.top))[0]?.children ?? [], (c) =>
      c.url.includes(frame),
    );
    if (!found) throw new NoSuchFrame(`no frame with ${frame}`);
    return found.context;
  }

  // puppeteer's mouse, touchscreen and keyboard are BiDi input.performActions:
  // trusted input from the browser, with user activation.
  click(x: number, y: number): Promise<void> {
    return this.page.mouse.click(x, y);
  }

  async tap(x: number, y: number): Promise<void> {
    await this.page.touchscreen.tap(x, y);
  }

  async press(key: string): Promise<void> {
    // puppeteer presses one key: `Shift+Tab` is Shift held around Tab.
    const keys = key.length > 1 ? key.split('+') : [key];
    const main = keys.pop() as KeyInput;
    const modifiers = keys as KeyInput[];
    for (const modifier of modifiers) await this.page.keyboard.down(modifier);
    try {
      await this.page.keyboard.press(main);
    } finally {
      for (const modifier of modifiers.reverse()) await this.page.keyboard.up(modifier);
    }
  }

  async setViewport(width: number, height: number): Promise<void> {
    await this.page.setViewport({ width, height });
  }

  async screenshot(path: string): Promise<void> {
    await this.page.screenshot({ path: path as `${string}.png` });
  }

  close(): Promise<void> {
    return this.context.close();
  }
}

// ---- the SDK page: window.harness ------------------------------------------------

/** What app.js records in the page (see pages/app.js). */
export interface PageEvent {
  type: string;
  /** Milliseconds since the page script started. */
  t: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data: any;
}

export interface LiveCount {
  audio: number;
  video: number;
  total: number;
}

export interface Snapshot {
  state: string | null;
  events: PageEvent[];
  /** window.onerror and unhandled rejections seen by the page. */
  errors: string[];
  /** securitypolicyviolation events. */
  violations: string[];
  gumCalls: { api: string; constraints: { audio?: unknown; video?: unknown } | null }[];
  tracks: { localStream: LiveCount | null; everGranted: LiveCount };
  video: {
    width: number;
    height: number;
    muted: boolean;
    playsInline: boolean;
    autoplay: boolean;
    showsRemoteStream: boolean;
    paused: boolean;
  } | null;
  polluted: boolean;
}

/**
 * Drives `window.harness` of one SDK page (a page, or the frame holding the
 * SDK page) in any engine, and records what the browser reports about it.
 */
export class PageDriver {
  /** Set when the SDK page is an iframe: a part of its URL. */
  private frame: string | undefined;

  private constructor(
    readonly engine: BrowserEngine,
    private readonly page: EnginePage,
  ) {}

  /** A new context and page in `browser`, at `url`. */
  static async open(
    browser: TestBrowser,
    url: string,
    options: PageOptions = {},
  ): Promise<PageDriver> {
    const page = await browser.newPage(options);
    try {
      await page.goto(url);
    } catch (error) {
      await page.close();
      throw error;
    }
    return new PageDriver(browser.engine, page);
  }

  /** Uncaught exceptions in the page. */
  get pageErrors(): string[] {
    return this.page.pageErrors;
  }

  /** Console messages of level error. */
  get consoleErrors(): string[] {
    return this.page.consoleErrors;
  }

  /** The page's input driver (Chromium and Firefox). */
  private get input(): PageInput {
    if (!this.page.input) throw new Error(`no input driver for ${this.engine} pages`);
    return this.page.input;
  }

  /**
   * A trusted click at `x`, `y` of the top page's viewport (see
   * PageInput.click), also when the SDK page is a frame.
   */
  click(x: number, y: number): Promise<void> {
    return this.input.click(x, y);
  }

  /** A trusted tap at `x`, `y` of the top page's viewport (see PageInput.tap). */
  tap(x: number, y: number): Promise<void> {
    return this.input.tap(x, y);
  }

  /** A trusted key press on the focused element (see PageInput.press). */
  press(key: string): Promise<void> {
    return this.input.press(key);
  }

  setViewport(width: number, height: number): Promise<void> {
    return this.input.setViewport(width, height);
  }

  /** A PNG of the viewport, written to `path`. */
  screenshot(path: string): Promise<void> {
    return this.input.screenshot(path);
  }

  /** Drives the SDK page inside the iframe whose URL contains `part` from now on. */
  async useFrame(part: string): Promise<void> {
    const deadline = Date.now() + 5_000;
    let last: unknown = null;
    for (;;) {
      try {
        if ((await this.page.evaluate('"harness" in window', part)) === true) {
          this.frame = part;
          return;
        }
      } catch (error) {
        // Not there yet, or navigating (its context was just replaced).
        last = error;
      }
      if (Date.now() > deadline) {
        throw new Error(`no frame with ${part} and a harness: ${String(last)}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /**
   * `window.harness[name](...args)` in the SDK page. Arguments travel as JSON
   * (an `undefined` argument arrives as null: leave it out instead).
   */
  call<T = unknown>(name: string, ...args: unknown[]): Promise<T> {
    return this.expression<T>(
      `window.harness.call(${JSON.stringify(name)}, ${JSON.stringify(args)})`,
    );
  }

  /** The value of a JavaScript expression in the SDK page (awaited if a promise). */
  async expression<T = unknown>(expression: string): Promise<T> {
    return (await this.page.evaluate(expression, this.frame)) as T;
  }

  snapshot(): Promise<Snapshot> {
    return this.call<Snapshot>('snapshot');
  }

  async events(type?: string): Promise<PageEvent[]> {
    const { events } = await this.snapshot();
    return type ? events.filter((e) => e.type === type) : events;
  }

  /** The first recorded event of `type` matching `match`, waiting for it. */
  async waitForEvent(
    type: string,
    match: (data: PageEvent['data']) => boolean = () => true,
    ms = 15_000,
  ): Promise<PageEvent> {
    return this.waitFor(
      async () => (await this.events(type)).find((e) => match(e.data)),
      `a "${type}" event in the page`,
      ms,
    );
  }

  waitForState(state: string, ms = 15_000): Promise<unknown> {
    return this.waitFor(
      async () => (await this.snapshot()).state === state,
      `page state ${state}`,
      ms,
    );
  }

  /** Polls `check` until it returns a truthy value; fails after `ms` with what the page saw. */
  async waitFor<T>(check: () => Promise<T>, what: string, ms = 15_000): Promise<NonNullable<T>> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await check();
      if (value) return value as NonNullable<T>;
      if (Date.now() > deadline) {
        throw new Error(
          `timed out after ${ms} ms waiting for ${what} in ${this.engine}; ${await this.describe()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** A short account of the page for failure messages (the last events, errors, state). */
  async describe(): Promise<string> {
    try {
      const s = await this.snapshot();
      const last = s.events.slice(-25).map((e) => `${e.t} ${e.type} ${JSON.stringify(e.data)}`);
      return [
        `page state ${s.state}; ${s.events.length} events, the last:`,
        ...last,
        `page errors: ${JSON.stringify([...s.errors, ...this.pageErrors])}`,
        `getUserMedia calls: ${JSON.stringify(s.gumCalls)}`,
      ].join('\n');
    } catch (error) {
      return `the page could not be read: ${String(error)}`;
    }
  }

  async close(): Promise<void> {
    await this.page.close();
  }
}
