import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';

/**
 * A signaling relay on 127.0.0.1: every text frame from one connection goes
 * to all the others, untouched (or, with no one else there yet, to the next
 * one that connects). What a real signaling server does for a
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
  // Frames sent while nobody else is connected wait for the next connection,
  // as a signaling server keeps a call's messages for a peer that reconnects.
  let waiting: { data: string | Buffer; binary: boolean }[] = [];
  server.on('connection', (socket) => {
    sockets.add(socket);
    const held = waiting;
    waiting = [];
    for (const frame of held) socket.send(frame.data, { binary: frame.binary });
    socket.on('message', (data, isBinary) => {
      const frame = isBinary ? (data as Buffer) : data.toString();
      let delivered = false;
      for (const other of sockets) {
        if (other !== socket && other.readyState === other.OPEN) {
          other.send(frame, { binary: isBinary });
          delivered = true;
        }
      }
      if (!delivered) waiting.push({ data: frame, binary: isBinary });
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
