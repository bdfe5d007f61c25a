import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { createRelay } from './relay';
import type { Relay, RelayOptions } from './types';
import { urlOf } from './url';

const DEFAULT_PORT = 8080;

/**
 * Starts a relay on a server of its own: WebSockets at
 * `/?conversation=<id>&role=agent|consumer`, `GET /healthz` and
 * `GET /metrics`. Resolves once it listens (and, with `redis`, once Redis
 * is connected).
 */
export async function startRelay(options: RelayOptions = {}): Promise<Relay> {
  const { port = DEFAULT_PORT, host = '127.0.0.1', ...rest } = options;
  const relay = await createRelay(rest);
  const connections = new Set<Socket>();
  const server = createServer((request, response) => {
    if (relay.handleRequest(request, response)) return;
    const { pathname } = urlOf(request.url);
    if (pathname === '/') {
      response
        .writeHead(426, { 'Content-Type': 'text/plain; charset=utf-8', Upgrade: 'websocket' })
        .end('This is a WebSocket relay.\n');
      return;
    }
    response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found.\n');
  });
  server.on('connection', (socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
  });
  server.on('upgrade', (request, socket, head) => {
    const { pathname } = urlOf(request.url);
    if (pathname !== '/') {
      socket.on('error', () => undefined);
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    relay.handleUpgrade(request, socket, head);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await relay.close();
    throw error;
  }
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const shown = host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | null = null;
  return {
    url: `ws://${shown}:${bound}`,
    port: bound,
    instance: relay.instance,
    metrics: () => relay.metrics(),
    close(code = 1001) {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await relay.close(code);
        for (const socket of connections) socket.destroy();
        await stopped;
      })();
      return closing;
    },
  };
}
