import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';

/**
 * A signaling relay on 127.0.0.1: every text frame from one connection goes
 * to all the others, untouched. What a real signaling server does for a
 * two-party call, and nothing more.
 */
export async function startRelay(port = 0): Promise<{
  url: string;
  port: number;
  close(): Promise<void>;
  clients(): number;
}> {
  const server = new WebSocketServer({ host: '127.0.0.1', port });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const sockets = new Set<WebSocket>();
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
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `ws://127.0.0.1:${bound}`,
    port: bound,
    clients: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.terminate();
        server.close(() => resolve());
      }),
  };
}
