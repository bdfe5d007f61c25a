/**
 * The browser examples, in Chromium, served by the examples' development
 * server (examples/script-tag/serve.mjs: the pages, dist/ and a signaling
 * relay):
 *
 * - examples/script-tag: the UMD bundle by script tag with the default UI;
 *   the agent is the bot of examples/node-bot. The call is taken by clicking
 *   Accept; media flows both ways; the bot's hangup ends it on the page.
 * - examples/npm-own-ui: app.js on the npm entries, bundled by the server with
 *   esbuild, with its own buttons; the agent is an AgentCall in this process.
 *   Accept, Mute (the agent hears it), the agent's mute (the page shows it),
 *   Hang up; and Decline.
 *
 * `npm run build` must have run.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import wrtc from 'wrtc';
import { WebSocket } from 'ws';
import { AgentCall } from '../../src/agent/AgentCall';
import type { AgentEndedEvent } from '../../src/agent/AgentCall';
import { createNodePlatform } from '../../src/testing';
import { WebSocketTransport } from '../../src/transport/websocket';
import type { WebSocketConstructor } from '../../src/transport/websocket';
import { bytesReceived } from '../support/harness';
import { nextEvent, until } from '../support/wait';
import { BINARIES, ENGINES } from './support/engines';

jest.setTimeout(60_000);

const root = join(__dirname, '..', '..');
const run = ENGINES.includes('chromium') ? describe : describe.skip;

interface ExamplesServer {
  process: ChildProcess;
  signaling: string;
  scriptTag: string;
  npmOwnUi: string;
}

/** Starts the examples' server on a free port; resolves with the addresses it prints. */
function startServer(): Promise<ExamplesServer> {
  return new Promise((resolve, reject) => {
    const server = spawn(
      process.execPath,
      [join(root, 'examples/script-tag/serve.mjs'), '--port', '0'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no addresses within 10 s: ${out}`)), 10_000);
    server.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = (name: string) => new RegExp(`^${name} (\\S+)$`, 'm').exec(out)?.[1];
      const [signaling, scriptTag, npmOwnUi] = [
        url('signaling'),
        url('script-tag'),
        url('npm-own-ui'),
      ];
      if (signaling && scriptTag && npmOwnUi) {
        clearTimeout(timer);
        resolve({ process: server, signaling, scriptTag, npmOwnUi });
      }
    });
    server.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    server.on('exit', (code) => reject(new Error(`the server exited (${code}): ${out}`)));
  });
}

/** Runs the bot of examples/node-bot against the server's relay; resolves with its exit code and output. */
function runBot(signaling: string, talkMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const bot = spawn(
      process.execPath,
      [join(root, 'examples/node-bot/bot.mjs'), '--signaling', signaling, '--talk', String(talkMs)],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    bot.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    bot.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const timer = setTimeout(() => bot.kill('SIGKILL'), 45_000);
    bot.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** Whether a video element (selector, in the page or the default UI's shadow root) shows moving frames. */
async function framesFlow(page: Page, selector: string): Promise<boolean> {
  const read = () =>
    page.evaluate((s) => {
      const host = document.querySelector('messaging-call-ui')?.shadowRoot;
      const v = (document.querySelector(s) ?? host?.querySelector(s)) as HTMLVideoElement | null;
      return v ? { width: v.videoWidth, time: v.currentTime } : null;
    }, selector);
  const first = await read();
  await page.waitForTimeout(500);
  const second = await read();
  return Boolean(first && second && second.width > 0 && second.time > first.time);
}

/** The agent side in this process: an AgentCall on wrtc with synthetic devices. */
function agentFor(signaling: string) {
  const platform = createNodePlatform(wrtc);
  const transport = new WebSocketTransport(signaling, {
    WebSocket: WebSocket as unknown as WebSocketConstructor,
  });
  const agent = new AgentCall({ transport, platform, media: 'video', agent: { name: 'Alex' } });
  return {
    agent,
    cleanup() {
      agent.destroy();
      transport.close();
      platform.mediaDevices.stopAll();
    },
  };
}

run('the browser examples in Chromium', () => {
  let server: ExamplesServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer();
    browser = await chromium.launch({
      executablePath: BINARIES.chromium.path,
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
    if (server?.process.exitCode === null) {
      const exited = new Promise((resolve) => server.process.once('exit', resolve));
      server.process.kill('SIGTERM');
      await exited;
    }
  });

  async function open(url: string): Promise<{ page: Page; errors: string[] }> {
    const page = await (await browser.newContext()).newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(`${error.name}: ${error.message}`));
    await page.goto(url);
    return { page, errors };
  }

  test('script-tag: the default UI takes the bot’s call on Accept; media flows both ways; the bot ends it', async () => {
    const { page, errors } = await open(server.scriptTag);
    // One script tag gave the page the global with the default UI.
    const api = await page.evaluate(() => {
      const sdk = (window as unknown as { MessagingCalls?: Record<string, unknown> })
        .MessagingCalls;
      return { mountCallUI: typeof sdk?.mountCallUI, CallClient: typeof sdk?.CallClient };
    });
    expect(api).toEqual({ mountCallUI: 'function', CallClient: 'function' });
    const ui = (state: string) =>
      page.waitForFunction(
        (s) => document.querySelector('messaging-call-ui')?.getAttribute('data-state') === s,
        state,
        { timeout: 20_000 },
      );

    const bot = runBot(server.signaling, 4000);
    await page.getByRole('button', { name: 'Accept' }).click({ timeout: 15_000 });
    await ui('connected');
    await expect(page.locator('#status').textContent()).resolves.toBe('connected');
    // The agent's (synthetic) video plays in the UI.
    expect(await until(() => framesFlow(page, '[part=remote]'), 'frames in the UI')).toBe(true);

    // The bot received the page's audio and video, hung up and passed.
    const { code, out } = await bot;
    const report = JSON.parse(out.trim().split('\n').pop() ?? '{}') as {
      passed: boolean;
      received: { audio: number; video: number };
      ended: { reason: string; by: string };
    };
    expect({ code, passed: report.passed }).toEqual({ code: 0, passed: true });
    expect(report.received.audio).toBeGreaterThan(1000);
    expect(report.received.video).toBeGreaterThan(1000);
    expect(report.ended).toMatchObject({ reason: 'normal', by: 'local' });
    await ui('ended');
    await expect(page.locator('#status').textContent()).resolves.toBe('ended: normal');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  test('npm-own-ui: Accept, Mute, the agent’s mute, Hang up, with the page’s own buttons and videos', async () => {
    const { page, errors } = await open(server.npmOwnUi);
    const side = agentFor(server.signaling);
    const { agent } = side;
    try {
      const state = () => page.locator('#state').textContent();
      agent.invite();
      await expect(page.locator('#invitation-text').textContent({ timeout: 15_000 })).resolves.toBe(
        'Alex invites you to a video call.',
      );
      await page.locator('#invitation').waitFor({ state: 'visible' });
      expect(await page.locator('#call').isHidden()).toBe(true);

      await page.getByRole('button', { name: 'Accept' }).click();
      expect(await until(async () => (await state()) === 'connected', 'connected', 20_000)).toBe(
        true,
      );
      await until(() => agent.state === 'connected', 'the agent connected');
      // Both videos play: the agent's, and the consumer's own picture.
      expect(await until(() => framesFlow(page, '#agent'), 'frames of the agent')).toBe(true);
      expect(await until(() => framesFlow(page, '#self'), 'the self view')).toBe(true);
      // The agent receives the page's audio and video.
      await until(async () => {
        const bytes = await bytesReceived(agent);
        return bytes.audio > 1000 && bytes.video > 1000;
      }, 'audio and video at the agent');

      // Mute: the button shows it, and the agent is told.
      await page.getByRole('button', { name: 'Mute' }).click();
      await until(() => agent.remoteMediaState?.audioMuted === true, 'the agent sees the mute');
      await expect(page.locator('#mute').getAttribute('aria-pressed')).resolves.toBe('true');
      await expect(page.locator('#mute').textContent()).resolves.toBe('Unmute');
      // The agent mutes: the page shows it.
      agent.setAudioMuted(true);
      expect(
        await until(
          async () => /is muted/.test((await page.locator('#agent-state').textContent()) ?? ''),
          'the agent shown muted',
        ),
      ).toBe(true);

      // Hang up from the page: the agent's call ends, hung up by the consumer.
      const ended = nextEvent<AgentEndedEvent>(agent, 'ended');
      await page.getByRole('button', { name: 'Hang up' }).click();
      await expect(ended).resolves.toMatchObject({ reason: 'normal', by: 'remote' });
      expect(await until(async () => (await state()) === 'ended', 'ended on the page')).toBe(true);
      await expect(page.locator('#ended').textContent()).resolves.toBe(
        'The call has ended (you hung up).',
      );
      expect(await page.locator('#call').isHidden()).toBe(true);
    } finally {
      side.cleanup();
    }

    // A second call to the same page, declined.
    const second = agentFor(server.signaling);
    try {
      const ended = nextEvent<AgentEndedEvent>(second.agent, 'ended', 15_000);
      second.agent.invite();
      await page.getByRole('button', { name: 'Decline' }).click({ timeout: 15_000 });
      await expect(ended).resolves.toMatchObject({ reason: 'declined', by: 'remote' });
      expect(
        await until(
          async () => /declined/.test((await page.locator('#ended').textContent()) ?? ''),
          'declined on the page',
        ),
      ).toBe(true);
    } finally {
      second.cleanup();
    }
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
