// The examples' development server: the example pages, the built SDK and a
// signaling relay, on one port of this machine.
//
//   npm run build
//   node examples/script-tag/serve.mjs [--port 8090]
//
// It prints the address of each page, with the relay's URL in `?signaling=`.
// Then make a call to the page with the Node agent:
//
//   node examples/node-bot/bot.mjs --signaling ws://127.0.0.1:8090/signaling
//
// Paths it serves:
//   /examples/script-tag/            the script-tag page
//   /examples/npm-own-ui/            the page with its own UI; app.bundle.js is
//                                    app.js bundled with esbuild at each request,
//                                    as your own bundler would do it
//   /dist/...                        the built SDK
//   ws://…/signaling                 the relay
//
// The relay hands every text frame from one connection to all the others (or
// keeps it for the next one to connect): enough for one consumer and one agent
// on a developer's machine. It has no authentication, so it listens on
// 127.0.0.1 only. In production your signaling service decides who talks to whom.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WebSocketServer } from 'ws';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SERVED = [join(root, 'examples') + sep, join(root, 'dist') + sep];
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** What the page of the npm example loads: app.js and the SDK, bundled for the browser. */
async function bundleOwnUiApp() {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [join(root, 'examples/npm-own-ui/app.js')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    write: false,
    logLevel: 'error',
  });
  return result.outputFiles[0].contents;
}

async function respond(req, res) {
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  try {
    let body;
    let file;
    if (pathname === '/examples/npm-own-ui/app.bundle.js') {
      body = await bundleOwnUiApp();
      file = 'app.bundle.js';
    } else {
      file = normalize(join(root, decodeURIComponent(pathname)));
      if (pathname.endsWith('/')) file = join(file, 'index.html');
      if (!SERVED.some((dir) => file.startsWith(dir)))
        throw Object.assign(new Error(), { code: 'ENOENT' });
      body = await readFile(file);
    }
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Cache-Control': 'no-store',
    });
    res.end(body);
  } catch (error) {
    const missing = error?.code === 'ENOENT' || error?.code === 'EISDIR';
    res.writeHead(missing ? 404 : 500, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(missing ? 'Not found (run `npm run build` for /dist/).\n' : `${error?.message}\n`);
  }
}

/** Starts the server; resolves with its origin, the relay's URL, the pages and `close()`. */
export async function startExamplesServer({ port = 8090, host = '127.0.0.1' } = {}) {
  const server = createServer((req, res) => void respond(req, res));
  const relay = new WebSocketServer({ server, path: '/signaling', maxPayload: 64 * 1024 });
  const sockets = new Set();
  let waiting = [];
  relay.on('connection', (socket) => {
    sockets.add(socket);
    for (const frame of waiting.splice(0)) socket.send(frame);
    socket.on('message', (data, binary) => {
      if (binary) return;
      const frame = data.toString();
      const others = [...sockets].filter((s) => s !== socket && s.readyState === s.OPEN);
      if (others.length === 0) waiting.push(frame);
      for (const other of others) other.send(frame);
    });
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const origin = `http://${host}:${server.address().port}`;
  const signaling = `ws://${host}:${server.address().port}/signaling`;
  const page = (path) => `${origin}${path}?signaling=${encodeURIComponent(signaling)}`;
  return {
    origin,
    signaling,
    pages: {
      scriptTag: page('/examples/script-tag/'),
      npmOwnUi: page('/examples/npm-own-ui/'),
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.terminate();
        relay.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const flag = process.argv.indexOf('--port');
  const port = flag > 0 ? Number(process.argv[flag + 1]) : Number(process.env.PORT ?? 8090);
  const started = await startExamplesServer({ port });
  console.log(`signaling ${started.signaling}`);
  console.log(`script-tag ${started.pages.scriptTag}`);
  console.log(`npm-own-ui ${started.pages.npmOwnUi}`);
  const stop = () => started.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
