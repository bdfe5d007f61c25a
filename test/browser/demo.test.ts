/**
 * The demo of `npm start`: its server, the brand website and the agent
 * console, in Chromium. A video call made by clicking only — Video call in
 * the console, Accept in the website's default UI, Mute, End call — with
 * media flowing both ways.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { BINARIES, ENGINES } from './support/engines';

const root = join(__dirname, '..', '..');
const CHROMIUM = BINARIES.chromium.path;
const run = ENGINES.includes('chromium') ? describe : describe.skip;

/** Starts the demo server on a free port; resolves with the two URLs it prints. */
function startDemo(): Promise<{ server: ChildProcess; site: string; agent: string }> {
  return new Promise((resolve, reject) => {
    const server = spawn(
      process.execPath,
      [join(root, 'examples/demo/server.mjs'), '--port', '0'],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no URLs within 10 s: ${out}`)), 10_000);
    server.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const urls = out.split('\n').filter((line) => /^https?:\/\//.test(line.trim()));
      if (urls.length >= 2) {
        clearTimeout(timer);
        resolve({ server, site: (urls[0] as string).trim(), agent: (urls[1] as string).trim() });
      }
    });
    server.on('exit', (code) => reject(new Error(`the demo server exited (${code}): ${out}`)));
  });
}

/** Whether a video element of `page` (or of the UI's shadow root) shows moving frames. */
async function framesFlow(page: Page, where: 'ui' | string): Promise<boolean> {
  const read = () =>
    page.evaluate((w) => {
      const video =
        w === 'ui'
          ? document.querySelector('messaging-call-ui')?.shadowRoot?.querySelector('[part=remote]')
          : document.getElementById(w);
      const v = video as HTMLVideoElement | null | undefined;
      return v ? { width: v.videoWidth, time: v.currentTime } : null;
    }, where);
  const first = await read();
  await page.waitForTimeout(600);
  const second = await read();
  return Boolean(first && second && second.width > 0 && second.time > first.time);
}

/** Polls `read` until it returns `want` (or fails with the last value). */
async function until<T>(
  read: () => Promise<T>,
  want: (value: T) => boolean,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await read();
  while (!want(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

run('the demo (npm start) in Chromium', () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let browser: Browser;

  beforeAll(async () => {
    demo = await startDemo();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
        '--use-fake-device-for-media-stream',
        '--use-fake-ui-for-media-stream',
        '--autoplay-policy=no-user-gesture-required',
      ],
    });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    if (demo?.server.exitCode === null) {
      const exited = new Promise((resolve) => demo.server.once('exit', resolve));
      demo.server.kill('SIGTERM');
      await exited;
    }
  });

  test('prints the website and the agent console URLs, on 127.0.0.1', () => {
    expect(demo.site).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(demo.agent).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/.*agent/);
  });

  test('a video call by clicking only: Video call, Accept, Mute, a link to another page, End call; media flows both ways', async () => {
    const site = await (await browser.newContext()).newPage();
    const agent = await (await browser.newContext()).newPage();
    await site.goto(demo.site);
    await agent.goto(demo.agent);

    // The console lists the website's tab; the agent calls it.
    const call = agent.getByRole('button', { name: 'Video call' }).first();
    await call.waitFor({ timeout: 10_000 });
    await call.click();

    // The consumer answers in the default UI.
    await site.getByRole('button', { name: 'Accept' }).click({ timeout: 10_000 });
    await site.waitForFunction(
      () => document.querySelector('messaging-call-ui')?.getAttribute('data-state') === 'connected',
      undefined,
      { timeout: 20_000 },
    );
    expect(await until(() => framesFlow(site, 'ui'), Boolean)).toBe(true);
    expect(await until(() => framesFlow(agent, 'remote-video'), Boolean)).toBe(true);

    // Mute in the UI: the console shows the consumer muted.
    await site.getByRole('button', { name: 'Mute' }).click();
    await expect(
      site.getByRole('button', { name: 'Mute' }).getAttribute('aria-pressed'),
    ).resolves.toBe('true');
    expect(
      await until(
        () => agent.locator('#remote-audio').textContent(),
        (t) => t === 'Muted',
      ),
    ).toBe('Muted');

    // The consumer follows a link mid-call: the next page takes the call
    // back (resume), still muted, media flowing again both ways.
    await site.getByRole('link', { name: 'Products' }).first().click();
    await site.waitForURL(/products/);
    await site.waitForFunction(
      () => document.querySelector('messaging-call-ui')?.getAttribute('data-state') === 'connected',
      undefined,
      { timeout: 20_000 },
    );
    expect(await until(() => framesFlow(site, 'ui'), Boolean)).toBe(true);
    expect(await until(() => framesFlow(agent, 'remote-video'), Boolean)).toBe(true);
    await expect(
      site.getByRole('button', { name: 'Mute' }).getAttribute('aria-pressed'),
    ).resolves.toBe('true');
    expect(await agent.locator('#transcript').textContent()).not.toMatch(/ended after/i);

    // End call from the website: both sides end.
    await site.getByRole('button', { name: 'End call' }).click();
    await site.waitForFunction(
      () => document.querySelector('messaging-call-ui')?.getAttribute('data-state') === 'ended',
    );
    expect(
      await until(
        () => agent.locator('#transcript').textContent(),
        (t) => /ended after/i.test(t ?? ''),
      ),
    ).toMatch(/ended after/i);
    await site.context().close();
    await agent.context().close();
  }, 60_000);
});
