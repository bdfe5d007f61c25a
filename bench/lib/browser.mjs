// Chromium for the browser benchmarks, launched as the browser test suite
// launches it (test/browser/support/browser.ts): Debian's /usr/bin/chromium
// driven by playwright-core, fake camera and microphone, no prompts. Plus a
// static server for dist/ and bench/pages/, and a WebSocket relay.
import { Buffer } from 'node:buffer';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { WebSocketServer } from 'ws';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium() {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `no Chromium at ${CHROMIUM_PATH}: run \`apt-get install -y chromium\` or set CHROMIUM_PATH`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
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
}

const MOUNTS = new Map([
  ['/dist/', join(root, 'dist')],
  ['/pages/', join(root, 'bench', 'pages')],
]);
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

/**
 * A static server on 127.0.0.1 (a secure context) for dist/ and bench/pages/,
 * never cached; `routes` adds generated responses by path: path → () => { type, body }.
 */
export async function startStaticServer(routes = {}) {
  const server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    const headers = { 'Cache-Control': 'no-store' };
    try {
      if (routes[path]) {
        const { type, body } = await routes[path](new URL(request.url, 'http://localhost'));
        response.writeHead(200, {
          ...headers,
          'Content-Type': type,
          'Content-Length': Buffer.byteLength(body),
        });
        response.end(body);
        return;
      }
      for (const [prefix, dir] of MOUNTS) {
        if (!path.startsWith(prefix)) continue;
        const file = normalize(join(dir, path.slice(prefix.length)));
        if (!file.startsWith(dir + sep)) break;
        const body = await readFile(file);
        response.writeHead(200, {
          ...headers,
          'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
          'Content-Length': body.length,
        });
        response.end(body);
        return;
      }
    } catch {
      // 404 below
    }
    response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A signaling relay on 127.0.0.1: every text frame from one connection goes to all the others. */
export async function startRelay() {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  const sockets = new Set();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('message', (data, isBinary) => {
      for (const other of sockets) {
        if (other !== socket && other.readyState === other.OPEN) {
          other.send(isBinary ? data : data.toString(), { binary: isBinary });
        }
      }
    });
    socket.on('close', () => sockets.delete(socket));
  });
  return {
    url: `ws://127.0.0.1:${server.address().port}`,
    clients: () => sockets.size,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.terminate();
        server.close(() => resolve());
      }),
  };
}

/** Polls `check` every 10 ms until it is truthy; rejects after `ms`. */
export async function until(check, what, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
