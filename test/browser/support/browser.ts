import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type {
  Browser,
  BrowserContext,
  BrowserContextOptions,
  CDPSession,
  Frame,
  Page,
} from 'playwright-core';

/** Chromium from the distribution (`apt-get install -y chromium`); never `playwright install`. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const BASE_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  // One fake camera: with device-count=2 the second one yields no frames.
  '--use-fake-device-for-media-stream',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export interface LaunchOptions {
  /**
   * Answer every camera/microphone prompt with "allow" (the default). False
   * launches with `--deny-permission-prompts` instead: getUserMedia fails
   * with NotAllowedError.
   */
  grantMedia?: boolean;
  /** More Chromium flags, e.g. `--host-resolver-rules=...`. */
  args?: string[];
  /**
   * How many fake devices of each kind (default: Chromium's one camera).
   * With 2 there are two cameras (`fake_device_0`, `fake_device_1`; the
   * second yields no frames, neither reports a facingMode), two microphones
   * besides the default one, and speakers.
   */
  fakeDeviceCount?: number;
}

export async function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `no Chromium at ${CHROMIUM_PATH}: run \`apt-get install -y chromium\` or set CHROMIUM_PATH`,
    );
  }
  const grant = options.grantMedia ?? true;
  const count = options.fakeDeviceCount;
  const fake = '--use-fake-device-for-media-stream';
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      ...BASE_ARGS.map((arg) => (arg === fake && count ? `${fake}=device-count=${count}` : arg)),
      grant ? '--use-fake-ui-for-media-stream' : '--deny-permission-prompts',
      ...(options.args ?? []),
    ],
  });
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
 * SDK page) and records what the browser reports about it.
 *
 * In the top page, expressions go through the DevTools protocol
 * (`Runtime.evaluate`), not `page.evaluate`: Playwright's injected helper
 * script uses `Array.prototype.slice` and friends in the page's own world, so
 * on the hostile page it would break on the very helpers the page replaced.
 */
export class PageDriver {
  /** Uncaught exceptions (Playwright's `pageerror`). */
  readonly pageErrors: string[] = [];
  /** Console messages of level error (CSP reports land here too). */
  readonly consoleErrors: string[] = [];
  /** Set when the SDK page is an iframe: driven with Playwright's frame.evaluate. */
  private frame: Frame | null = null;

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    private readonly cdp: CDPSession,
  ) {
    page.on('pageerror', (error) => this.pageErrors.push(`${error.name}: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') this.consoleErrors.push(message.text());
    });
  }

  /**
   * A new context and page in `browser`, at `url`. `clientHints` makes
   * `navigator.userAgentData` agree with `contextOptions.userAgent` (Playwright
   * changes only the string; the hints would still name the real Chromium).
   */
  static async open(
    browser: Browser,
    url: string,
    contextOptions: BrowserContextOptions = {},
    clientHints?: UserAgentMetadata,
  ): Promise<PageDriver> {
    const context = await browser.newContext(contextOptions);
    try {
      const page = await context.newPage();
      const driver = new PageDriver(context, page, await context.newCDPSession(page));
      if (clientHints) {
        if (!contextOptions.userAgent) throw new Error('clientHints need a userAgent');
        await driver.cdp.send('Emulation.setUserAgentOverride', {
          userAgent: contextOptions.userAgent,
          userAgentMetadata: clientHints,
        });
      }
      await page.goto(url);
      return driver;
    } catch (error) {
      await context.close();
      throw error;
    }
  }

  /** Drives the SDK page inside the iframe whose URL contains `part` from now on. */
  async useFrame(part: string): Promise<void> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const frame = this.page.frames().find((f) => f.url().includes(part));
      if (frame) {
        await frame.waitForFunction('"harness" in window', undefined, { timeout: 5_000 });
        this.frame = frame;
        return;
      }
      if (Date.now() > deadline) throw new Error(`no frame with ${part}`);
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
    if (this.frame) return (await this.frame.evaluate(expression)) as T;
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
    return result.value as T;
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
        throw new Error(`timed out after ${ms} ms waiting for ${what}; ${await this.describe()}`);
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
    await this.context.close();
  }
}
