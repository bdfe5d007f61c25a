// The loader in Chromium: a page carrying only the loader (under 2 KB gzip)
// fetches the SDK when the first invitation arrives, and the call connects.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { extname, join } from 'node:path';
import wrtc from 'wrtc';
import { WebSocket } from 'ws';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { AgentCall } from '../../src/agent/AgentCall';
import { WebSocketTransport } from '../../src/transport/websocket';
import type { WebSocketConstructor } from '../../src/transport/websocket';
import { createNodePlatform } from '../../src/testing';
import { startRelay } from '../support/relay';
import { reachState, until } from '../support/wait';

jest.setTimeout(30_000);

const root = join(__dirname, '..', '..');
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' };

let browser: Browser;
let server: http.Server;
let origin: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const file = path.startsWith('/dist/')
      ? join(root, path)
      : path.startsWith('/pages/')
        ? join(root, 'test', 'browser', path)
        : '';
    readFile(file).then(
      (body) => {
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
        res.end(body);
      },
      () => {
        res.writeHead(404);
        res.end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

test('the SDK is fetched only when an invitation arrives, and the call connects', async () => {
  const relay = await startRelay();
  const platform = createNodePlatform(wrtc);
  const page = await browser.newPage();
  const transport = new WebSocketTransport(relay.url, {
    WebSocket: WebSocket as unknown as WebSocketConstructor,
  });
  const agent = new AgentCall({ transport, platform, media: 'video' });
  try {
    await page.goto(`${origin}/pages/loader.html`);
    await page.evaluate((url) => window.loaderPage.start(url), relay.url);
    await until(() => relay.clients() === 2, 'the page and the agent on the relay');
    expect(await page.evaluate(() => window.loaderPage.sdkLoaded())).toBe(false);
    expect(await page.evaluate(() => window.loaderPage.fetched())).not.toContain(
      '/dist/messaging-calls.umd.min.js',
    );

    agent.invite();
    await reachState(agent, 'connected', 15_000);
    expect(await page.evaluate(() => window.loaderPage.sdkLoaded())).toBe(true);
    expect(await page.evaluate(() => window.loaderPage.fetched())).toContain(
      '/dist/messaging-calls.umd.min.js',
    );
    const states = await page.evaluate(() => window.loaderPage.states);
    expect(states).toEqual(
      expect.arrayContaining([
        'invited',
        'accepted',
        'media-permission',
        'connecting',
        'connected',
      ]),
    );
    expect(await page.evaluate(() => window.loaderPage.errors)).toEqual([]);
  } finally {
    agent.destroy();
    transport.close();
    platform.mediaDevices.stopAll();
    await page.close();
    await relay.close();
  }
});

declare global {
  interface Window {
    loaderPage: {
      start(url: string): void;
      sdkLoaded(): boolean;
      fetched(): string[];
      states: string[];
      errors: string[];
    };
  }
}
