// The browser demo's server: the brand website, the agent console, the built
// bundles, and the signaling relay between them (messaging-calls/relay, at
// /relay), in one process.
//
//   node examples/demo/server.mjs [--host 127.0.0.1] [--port N] [--https]
//
// Once listening it prints two lines, each a URL: the website, then the agent
// console. It builds nothing (`npm start` builds first when dist/ is stale).
//
// THE DEMO HAS NO AUTHENTICATION: anyone who can reach the relay can join any
// conversation, as consumer or agent. That is why it answers only this
// machine (loopback) and, when it listens on another address (--host
// 0.0.0.0), the local network; and why it refuses WebSockets opened by pages
// of other origins. Do not expose it to the internet.
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFile, stat } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WebSocketServer } from 'ws';
import { createRelay } from 'messaging-calls/relay';

const here = fileURLToPath(new URL('.', import.meta.url));
const ROOTS = {
  site: join(here, 'site'),
  agent: join(here, 'agent'),
  dist: join(here, '..', '..', 'dist'),
};
const DEFAULT_PORT = 8080;

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Parses `--host`, `--port`, `--https` (and `--opt=value`), with HOST and PORT as fallbacks. */
export function parseOptions(argv = process.argv.slice(2), env = process.env) {
  const options = { host: env.HOST || '127.0.0.1', port: undefined, https: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--host') options.host = value();
    else if (flag === '--port') options.port = Number(value());
    else if (flag === '--https') options.https = true;
    else if (flag === '--help' || flag === '-h') options.help = true;
    else throw new Error(`unknown option ${argv[i]}`);
  }
  if (options.port === undefined && env.PORT) options.port = Number(env.PORT);
  if (options.port !== undefined && !(Number.isInteger(options.port) && options.port >= 0)) {
    throw new Error('--port needs a number');
  }
  if (!options.host) throw new Error('--host needs an address');
  return options;
}

// ---- who may connect ---------------------------------------------------------

const unmapped = (address) => (address || '').replace(/^::ffff:/i, '').toLowerCase();

function isLoopback(address) {
  const a = unmapped(address);
  return a === '::1' || /^127\./.test(a) || a === 'localhost';
}

const ipv4 = (a) => a.split('.').reduce((n, part) => n * 256 + Number(part), 0);

/** This machine's IPv4 subnets, from its interfaces. */
function localSubnets() {
  const out = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      if (info.family !== 'IPv4' || info.internal) continue;
      const bits = Number(info.cidr?.split('/')[1] ?? 32);
      const size = 2 ** (32 - bits);
      out.push({ base: Math.floor(ipv4(info.address) / size) * size, size });
    }
  }
  return out;
}

/** The local network: private and link-local ranges, and the subnets of this machine. */
function isLan(address) {
  const a = unmapped(address);
  if (/^(10\.|192\.168\.|169\.254\.)/.test(a)) return true;
  const m = /^172\.(\d+)\./.exec(a);
  if (m && Number(m[1]) >= 16 && Number(m[1]) <= 31) return true;
  if (/^f[cd][0-9a-f]{2}:/.test(a) || /^fe[89ab][0-9a-f]:/.test(a)) return true;
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(a)) return false;
  const n = ipv4(a);
  return localSubnets().some(({ base, size }) => n >= base && n < base + size);
}

function lanAddress() {
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      if (info.family === 'IPv4' && !info.internal) return info.address;
    }
  }
  return null;
}

function allLocalAddresses() {
  const out = new Set(['127.0.0.1', '::1']);
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) out.add(info.address.replace(/%.*$/, ''));
  }
  return [...out];
}

// ---- static files ------------------------------------------------------------

/** The file a URL path maps to, or null (outside every root). */
function fileFor(pathname) {
  let root;
  let rest;
  if (pathname === '/' || pathname === '/index.html') [root, rest] = [ROOTS.site, 'index.html'];
  else if (pathname === '/agent' || pathname === '/agent/')
    [root, rest] = [ROOTS.agent, 'agent.html'];
  else {
    const m = /^\/(site|agent|dist)\/(.+)$/.exec(pathname);
    if (!m) return null;
    [root, rest] = [ROOTS[m[1]], m[2]];
  }
  let decoded;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const file = normalize(join(root, decoded));
  return file.startsWith(root + sep) ? file : null;
}

async function serveFile(req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return;
  }
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  let file = fileFor(pathname);
  try {
    if (file && (await stat(file)).isDirectory()) file = join(file, 'index.html');
    const body = file ? await readFile(file) : null;
    if (!body) throw Object.assign(new Error('not found'), { code: 'ENOENT' });
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': body.length,
      // A demo under development: always the latest build.
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch (error) {
    const missing = error?.code === 'ENOENT' || error?.code === 'ENOTDIR';
    const hint =
      missing && pathname.startsWith('/dist/')
        ? 'Not found: run `npm run build` (or `npm start`) first.\n'
        : 'Not found.\n';
    res
      .writeHead(missing ? 404 : 500, { 'Content-Type': 'text/plain; charset=utf-8' })
      .end(missing ? hint : 'Server error.\n');
  }
}

// ---- presence ------------------------------------------------------------------

/**
 * The consumers on the website, for the agent console: the relay tells who
 * joins and leaves (its onJoin/onLeave hooks); the console listens on
 * /presence. Signaling itself is the relay's (messaging-calls/relay).
 */
class Presence {
  /** conversation → {sockets, page, since} of its consumer sockets. */
  consumers = new Map();
  watchers = new Set();

  join({ conversation, role, request }) {
    if (role !== 'consumer') return;
    const url = new URL(request.url ?? '/', 'http://localhost');
    const page = (url.searchParams.get('page') ?? '').slice(0, 200) || null;
    const entry = this.consumers.get(conversation) ?? { sockets: 0, page, since: Date.now() };
    entry.sockets++;
    entry.page = page;
    this.consumers.set(conversation, entry);
    this.changed();
  }

  leave({ conversation, role }) {
    if (role !== 'consumer') return;
    const entry = this.consumers.get(conversation);
    if (!entry) return;
    if (--entry.sockets <= 0) this.consumers.delete(conversation);
    this.changed();
  }

  list() {
    const list = [];
    for (const [conversation, { page, since }] of this.consumers) {
      list.push({ conversation, ...(page ? { page } : {}), since });
    }
    return list.sort((a, b) => a.since - b.since);
  }

  watch(socket) {
    this.watchers.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => this.watchers.delete(socket));
    socket.on('message', () => undefined); // the console only listens
    socket.send(JSON.stringify({ consumers: this.list() }));
  }

  changed() {
    const text = JSON.stringify({ consumers: this.list() });
    for (const socket of this.watchers) if (socket.readyState === socket.OPEN) socket.send(text);
  }
}

// ---- the server ----------------------------------------------------------------

async function certificate(hosts) {
  const { default: selfsigned } = await import('selfsigned');
  const altNames = hosts.map((h) =>
    /^[\d.]+$|:/.test(h) ? { type: 7, ip: h } : { type: 2, value: h },
  );
  const notAfterDate = new Date(Date.now() + 30 * 24 * 3600_000);
  return selfsigned.generate([{ name: 'commonName', value: 'messaging-calls demo' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, ...altNames] },
    ],
  });
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    const onError = (error) => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/**
 * Starts the demo server. Resolves with its two URLs and `close()`.
 *
 * @param {{host?: string, port?: number, https?: boolean}} options
 */
export async function startDemoServer({ host = '127.0.0.1', port, https = false } = {}) {
  const wildcard = host === '0.0.0.0' || host === '::';
  const lanAllowed = !isLoopback(host);
  const tls = https ? await certificate(allLocalAddresses()) : null;

  const allowed = (address) => isLoopback(address) || (lanAllowed && isLan(address));
  const handler = (req, res) => {
    if (!allowed(req.socket.remoteAddress)) {
      res.writeHead(403, { 'Content-Type': 'text/plain' }).end('Forbidden.\n');
      return;
    }
    void serveFile(req, res);
  };
  const server = tls
    ? createHttpsServer({ key: tls.private, cert: tls.cert }, handler)
    : createHttpServer(handler);

  const sockets = new Set();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const presence = new Presence();
  // The relay of messaging-calls/relay, on this server's /relay: one instance, no
  // tokens. Who may connect is decided here (this machine, and the LAN when
  // listening on it; pages of this origin only), so its verifier only reads the query.
  const relay = await createRelay({
    verify: async (req) => {
      const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
      return { conversation: query.get('conversation') ?? '', role: query.get('role') ?? '' };
    },
    onJoin: (info) => presence.join(info),
    onLeave: (info) => presence.leave(info),
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 });
  server.on('upgrade', (req, socket, head) => {
    const refuse = (status, text) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!allowed(req.socket.remoteAddress)) return refuse(403, 'Forbidden');
    // A page of another site may open a WebSocket to this machine: only our own pages may.
    const origin = req.headers.origin;
    if (origin) {
      let originHost = null;
      try {
        originHost = new URL(origin).host;
      } catch {
        // left null: refused below
      }
      if (originHost !== req.headers.host) return refuse(403, 'Forbidden');
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/presence') {
      wss.handleUpgrade(req, socket, head, (ws) => presence.watch(ws));
      return;
    }
    if (url.pathname !== '/relay') return refuse(404, 'Not Found');
    relay.handleUpgrade(req, socket, head);
  });

  const wanted = port ?? DEFAULT_PORT;
  try {
    await listen(server, wanted, host);
  } catch (error) {
    // The default port is taken: any free one will do (an explicit one must be honored).
    if (error?.code !== 'EADDRINUSE' || port !== undefined) throw error;
    await listen(server, 0, host);
  }

  const actual = server.address().port;
  const shownHost = wildcard
    ? https
      ? (lanAddress() ?? '127.0.0.1')
      : '127.0.0.1'
    : host.includes(':')
      ? `[${host}]`
      : host;
  const base = `${https ? 'https' : 'http'}://${shownHost}:${actual}`;
  const urls = { site: `${base}/`, agent: `${base}/agent` };

  let closing = null;
  const close = () => {
    closing ??= relay.close().then(
      () =>
        new Promise((resolve) => {
          for (const ws of wss.clients) ws.terminate();
          wss.close();
          server.close(() => resolve());
          for (const socket of sockets) socket.destroy();
          server.closeAllConnections?.();
        }),
    );
    return closing;
  };
  return { urls, port: actual, close, server };
}

/** The command line: start, print the two URLs, stop on SIGINT or SIGTERM. */
export async function main(argv = process.argv.slice(2)) {
  let options;
  try {
    options = parseOptions(argv);
  } catch (error) {
    console.error(`${error.message}\nusage: server.mjs [--host 127.0.0.1] [--port N] [--https]`);
    process.exit(2);
  }
  if (options.help) {
    console.error('usage: node examples/demo/server.mjs [--host 127.0.0.1] [--port N] [--https]');
    return;
  }
  const demo = await startDemoServer(options);
  process.stdout.write(`${demo.urls.site}\n${demo.urls.agent}\n`);
  if (options.host === '0.0.0.0' && !options.https) {
    console.error('note: phones need --https (camera and microphone want a secure context)');
  }
  if (options.https) {
    console.error('note: the certificate is self-signed: accept the warning once per browser');
  }
  const stop = () => {
    void demo.close().then(() => process.exit(0));
    // Whatever still holds the loop, the demo stops.
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // `npm start` runs this under `sh -c`: a SIGTERM sent to npm alone ends npm and
  // the shell but never reaches this process. Stop when the parent is gone.
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && stop(), 500).unref();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    console.error(error?.message ?? error);
    process.exit(1);
  });
}
