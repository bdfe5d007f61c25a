import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { NoSuchFrame } from './browser';
import type { EnginePage, PageOptions, TestBrowser } from './browser';

/**
 * A real WebKit: WebKitGTK's MiniBrowser driven by WebKitWebDriver (plain W3C
 * WebDriver over HTTP, spoken here with fetch) under a private Xvfb. With
 * `--enable-mock-capture-devices=true` it has mock cameras and microphones,
 * but this build (WebKitGTK 2.50, Debian 12) has no RTCPeerConnection: the
 * SDK's unsupported path, in a real browser. Each page is a WebDriver session
 * (its own MiniBrowser).
 */

export const WEBKIT = {
  driver: process.env.WEBKIT_DRIVER_PATH ?? '/usr/bin/WebKitWebDriver',
  browser: process.env.MINIBROWSER_PATH ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
  xvfb: process.env.XVFB_PATH ?? '/usr/bin/Xvfb',
  install: 'apt-get install -y webkit2gtk-driver xvfb',
  args: ['--automation', '--enable-media-stream=true', '--enable-mock-capture-devices=true'],
};

/** What WebDriver answers: `{ value }`, or `{ value: { error, message } }` with a 4xx/5xx. */
async function webdriver<T>(
  base: string,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await response.json()) as { value: T & { error?: string; message?: string } };
  if (!response.ok) {
    throw new Error(`WebDriver ${method} ${path}: ${json.value.error}: ${json.value.message}`);
  }
  return json.value;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts Xvfb on a display it chooses itself (-displayfd), so runs never collide. */
function startXvfb(): Promise<{ display: string; process: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const xvfb = spawn(
      WEBKIT.xvfb,
      ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'],
      {
        stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    xvfb.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      xvfb.kill();
      reject(new Error(`Xvfb did not start within 10 s: ${stderr}`));
    }, 10_000);
    xvfb.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited with ${code}: ${stderr}`));
    });
    const fd = xvfb.stdio[3];
    let out = '';
    fd?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (!out.includes('\n')) return;
      clearTimeout(timer);
      xvfb.removeAllListeners('exit');
      resolve({ display: `:${out.trim()}`, process: xvfb });
    });
  });
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Xvfb, then WebKitWebDriver on it; every missing binary fails with the install command. */
export async function launchWebKit(): Promise<TestBrowser> {
  for (const [what, path] of [
    ['WebKitWebDriver', WEBKIT.driver],
    ['MiniBrowser', WEBKIT.browser],
    ['Xvfb', WEBKIT.xvfb],
  ] as const) {
    if (!existsSync(path)) {
      throw new Error(
        `no ${what} at ${path}: run \`${WEBKIT.install}\` (or leave webkit out of BROWSERS)`,
      );
    }
  }
  const xvfb = await startXvfb();
  let driver: ChildProcess | undefined;
  try {
    const port = await freePort();
    driver = spawn(WEBKIT.driver, [`--port=${port}`], {
      env: { ...process.env, DISPLAY: xvfb.display },
      stdio: 'ignore',
    });
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const ready = await webdriver<{ ready: boolean }>(base, 'GET', '/status').catch(() => null);
      if (ready?.ready) break;
      if (Date.now() > deadline) throw new Error('WebKitWebDriver did not answer within 10 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    const pages = new Set<WebKitPage>();
    const running = driver;
    const browser = {
      engine: 'webkit' as const,
      /** `WebKitGTK 2.50.6` once a page was opened (the session says). */
      version: 'WebKitGTK',
      async newPage(options: PageOptions = {}) {
        if (options.userAgent || options.clientHints) {
          throw new Error('the WebKit driver keeps the real user agent');
        }
        const page = await WebKitPage.open(base);
        pages.add(page);
        browser.version = `WebKitGTK ${String(page.capabilities.browserVersion)}`;
        return page;
      },
      async close() {
        for (const page of pages) await page.close().catch(() => undefined);
        await stop(running);
        await stop(xvfb.process);
      },
    };
    return browser;
  } catch (error) {
    await stop(driver);
    await stop(xvfb.process);
    throw error;
  }
}

/**
 * One WebDriver session. WebDriver classic reports neither uncaught errors
 * nor console messages: `pageErrors` and `consoleErrors` stay empty, and the
 * page's own records (window.onerror, unhandledrejection) stand in.
 */
class WebKitPage implements EnginePage {
  readonly pageErrors: string[] = [];
  readonly consoleErrors: string[] = [];
  private closed = false;

  private constructor(
    private readonly base: string,
    private readonly session: string,
    /** The session's capabilities: `browserName`, `browserVersion` (WebKitGTK's). */
    readonly capabilities: Record<string, unknown>,
  ) {}

  static async open(base: string): Promise<WebKitPage> {
    const { sessionId, capabilities } = await webdriver<{
      sessionId: string;
      capabilities: Record<string, unknown>;
    }>(base, 'POST', '/session', {
      capabilities: {
        alwaysMatch: {
          'webkitgtk:browserOptions': { binary: WEBKIT.browser, args: WEBKIT.args },
        },
      },
    });
    return new WebKitPage(base, sessionId, capabilities);
  }

  async goto(url: string): Promise<void> {
    await webdriver(this.base, 'POST', `/session/${this.session}/url`, { url });
  }

  async evaluate(expression: string, frame?: string): Promise<unknown> {
    if (frame !== undefined) throw new NoSuchFrame('the WebKit driver drives the top page only');
    // Execute Async Script: the last argument resolves the call; a rejection
    // comes back as data, so the test sees the page's own message.
    const result = await webdriver<{ ok: boolean; value?: unknown; error?: string }>(
      this.base,
      'POST',
      `/session/${this.session}/execute/async`,
      {
        script:
          'var done = arguments[arguments.length - 1];' +
          `Promise.resolve().then(function () { return (${expression}); }).then(` +
          'function (value) { done({ ok: true, value: value === undefined ? null : value }); },' +
          'function (error) { done({ ok: false, error: String((error && error.stack) || error) }); });',
        args: [],
      },
    );
    if (!result.ok) throw new Error(`in the page: ${result.error}`);
    return result.value;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await webdriver(this.base, 'DELETE', `/session/${this.session}`);
  }
}
