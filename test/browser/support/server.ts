import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const root = join(__dirname, '..', '..', '..');

/** URL prefix → directory it serves. Nothing else is reachable. */
const MOUNTS: ReadonlyMap<string, string> = new Map([
  ['/dist/', join(root, 'dist')],
  ['/pages/', join(root, 'test', 'browser', 'pages')],
]);

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

export interface StaticServerOptions {
  /** Extra response headers per URL path, e.g. a strict CSP for one page. */
  headers?: Record<string, Record<string, string>>;
}

export interface StaticServer {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  port: number;
  /** The URL of `path` (e.g. `/pages/index.html`) on `host` (default 127.0.0.1). */
  url(path: string, host?: string): string;
  close(): Promise<void>;
}

/** A static file server on 127.0.0.1 for the built bundle and the test pages. */
export async function startStaticServer(options: StaticServerOptions = {}): Promise<StaticServer> {
  const server = createServer((request, response) => {
    void serve(request, response, options);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    url: (path, host = '127.0.0.1') => `http://${host}:${port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function serve(
  request: IncomingMessage,
  response: ServerResponse,
  options: StaticServerOptions,
): Promise<void> {
  const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
  if (path === '/favicon.ico') {
    response.writeHead(204).end();
    return;
  }
  const file = resolveFile(path);
  if (!file || (request.method !== 'GET' && request.method !== 'HEAD')) {
    response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found');
    return;
  }
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found');
    return;
  }
  response.writeHead(200, {
    'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': body.length,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...options.headers?.[path],
  });
  response.end(request.method === 'HEAD' ? undefined : body);
}

/** The file a URL path names inside one of the mounts, or null (no `..` escapes). */
function resolveFile(path: string): string | null {
  for (const [prefix, dir] of MOUNTS) {
    if (!path.startsWith(prefix)) continue;
    const file = normalize(join(dir, path.slice(prefix.length)));
    return file.startsWith(dir + sep) ? file : null;
  }
  return null;
}
