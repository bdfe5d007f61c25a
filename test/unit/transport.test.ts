import { createMemoryTransportPair } from '../../src/transport/memory';
import { WebSocketTransport } from '../../src/transport/websocket';
import type { WebSocketLike } from '../../src/transport/websocket';
import { envelope } from '../../src/protocol/envelope';
import type { Message } from '../../src/protocol/messages';

const hangup = (): Message => envelope({ type: 'hangup', reason: 'normal' }, 'call-1', 'agent');

/** A WebSocket the test opens, feeds and closes by hand. */
class FakeSocket implements WebSocketLike {
  static last: FakeSocket;
  readyState = 0;
  sent: string[] = [];
  closedWith: [number | undefined, string | undefined] | null = null;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code?: number; reason?: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.last = this;
  }
  send(data: string) {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(data);
  }
  close(code?: number, reason?: string) {
    this.closedWith = [code, reason];
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
}

describe('WebSocketTransport', () => {
  test('queues messages until the socket opens, then sends them in order as JSON text', () => {
    const transport = new WebSocketTransport('wss://example.test/s', { WebSocket: FakeSocket });
    const socket = FakeSocket.last;
    const a = hangup();
    const b = hangup();
    transport.send(a);
    transport.send(b);
    expect(socket.sent).toEqual([]);
    socket.open();
    expect(socket.sent.map((t) => JSON.parse(t) as Message)).toEqual([a, b]);
    transport.send(a);
    expect(socket.sent).toHaveLength(3);
  });

  test('hands each incoming frame to every listener as received', () => {
    const transport = new WebSocketTransport('wss://example.test/s', { WebSocket: FakeSocket });
    const got: unknown[] = [];
    transport.listen({ message: (d) => got.push(d), close: () => undefined });
    transport.listen({ message: (d) => got.push(d), close: () => undefined });
    FakeSocket.last.onmessage?.({ data: '{"x":1}' });
    expect(got).toEqual(['{"x":1}', '{"x":1}']);
  });

  test('without reconnection, reports close once, with the code, and drops what is sent afterwards', () => {
    const transport = new WebSocketTransport('wss://example.test/s', {
      WebSocket: FakeSocket,
      reconnect: false,
    });
    const socket = FakeSocket.last;
    socket.open();
    const reasons: string[] = [];
    transport.listen({ message: () => undefined, close: (r) => reasons.push(r) });
    socket.onclose?.({ code: 1006, reason: '' });
    socket.onclose?.({ code: 1006, reason: '' });
    expect(reasons).toEqual(['websocket closed (1006)']);
    transport.send(hangup());
    expect(socket.sent).toEqual([]);
  });

  test('close() closes the socket with 1000 and tells listeners', () => {
    const transport = new WebSocketTransport('wss://example.test/s', { WebSocket: FakeSocket });
    const reasons: string[] = [];
    transport.listen({ message: () => undefined, close: (r) => reasons.push(r) });
    transport.close();
    expect(FakeSocket.last.closedWith).toEqual([1000, 'closed']);
    expect(reasons).toEqual(['closed locally']);
  });

  test('a listener that throws does not stop the others', () => {
    jest.useFakeTimers();
    try {
      const transport = new WebSocketTransport('wss://example.test/s', { WebSocket: FakeSocket });
      const got: unknown[] = [];
      transport.listen({
        message: () => {
          throw new Error('listener bug');
        },
        close: () => undefined,
      });
      transport.listen({ message: (d) => got.push(d), close: () => undefined });
      FakeSocket.last.onmessage?.({ data: 'x' });
      expect(got).toEqual(['x']);
      // The error is rethrown asynchronously, where the page's error handler sees it.
      expect(() => jest.runAllTimers()).toThrow('listener bug');
    } finally {
      jest.useRealTimers();
    }
  });

  test('without any WebSocket implementation it throws a TypeError saying what to pass', () => {
    const saved = (globalThis as { WebSocket?: unknown }).WebSocket;
    delete (globalThis as { WebSocket?: unknown }).WebSocket;
    try {
      expect(() => new WebSocketTransport('wss://example.test/s')).toThrow(/options.WebSocket/);
    } finally {
      (globalThis as { WebSocket?: unknown }).WebSocket = saved;
    }
  });
});

describe('WebSocketTransport reconnection', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('a dropped connection is opened again, and what was sent meanwhile goes out in order', () => {
    const transport = new WebSocketTransport('wss://example.test/s', { WebSocket: FakeSocket });
    const first = FakeSocket.last;
    first.open();
    const warnings: string[] = [];
    const closes: string[] = [];
    transport.listen({
      message: () => undefined,
      close: (r) => closes.push(r),
      warning: (w) => warnings.push(w),
    });
    first.onclose?.({ code: 1006 });
    expect(warnings).toEqual(['signaling connection lost (websocket closed (1006)); reconnecting']);
    const a = hangup();
    const b = hangup();
    transport.send(a);
    transport.send(b);
    jest.advanceTimersByTime(400); // the first delay: 250 ms plus up to 20 % jitter
    const second = FakeSocket.last;
    expect(second).not.toBe(first);
    second.open();
    expect(second.sent.map((t) => JSON.parse(t) as Message)).toEqual([a, b]);
    expect(closes).toEqual([]);
  });

  test('delays double up to the maximum between failed attempts', () => {
    new WebSocketTransport('wss://example.test/s', { WebSocket: FakeSocket });
    const opened: number[] = [];
    let socket = FakeSocket.last;
    const start = Date.now();
    for (let i = 0; i < 6; i++) {
      socket.onclose?.({ code: 1006 });
      while (FakeSocket.last === socket) jest.advanceTimersByTime(10);
      socket = FakeSocket.last;
      opened.push(Date.now() - start);
    }
    const gaps = opened.map((t, i) => t - (opened[i - 1] ?? 0));
    // 250, 500, 1000, 2000, 4000, 5000 ms, each with up to 20 % jitter.
    [250, 500, 1000, 2000, 4000, 5000].forEach((base, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(base);
      expect(gaps[i]).toBeLessThanOrEqual(base * 1.2 + 10);
    });
  });

  test('after giveUpAfterMs down, the transport closes for good', () => {
    const transport = new WebSocketTransport('wss://example.test/s', {
      WebSocket: FakeSocket,
      reconnect: { giveUpAfterMs: 3000 },
    });
    const closes: string[] = [];
    transport.listen({ message: () => undefined, close: (r) => closes.push(r) });
    for (let i = 0; i < 50 && closes.length === 0; i++) {
      FakeSocket.last.onclose?.({ code: 1006 });
      jest.advanceTimersByTime(1000);
    }
    expect(closes).toEqual(['websocket closed (1006); gave up reconnecting']);
    expect(jest.getTimerCount()).toBe(0);
  });

  test('close() during a reconnect delay cancels it', () => {
    const transport = new WebSocketTransport('wss://example.test/s', { WebSocket: FakeSocket });
    const first = FakeSocket.last;
    first.onclose?.({ code: 1006 });
    transport.close();
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(10_000);
    expect(FakeSocket.last).toBe(first);
  });
});

describe('the in-memory transport pair', () => {
  test('delivers what one end sends to the other, asynchronously, as JSON text', async () => {
    const [a, b] = createMemoryTransportPair();
    const got: unknown[] = [];
    b.listen({ message: (d) => got.push(d), close: () => undefined });
    const message = hangup();
    a.send(message);
    expect(got).toEqual([]);
    await new Promise((r) => setTimeout(r, 5));
    expect(got).toEqual([JSON.stringify(message)]);
  });

  test('closing one end closes both, and nothing is delivered afterwards', async () => {
    const [a, b] = createMemoryTransportPair();
    const closes: string[] = [];
    const got: unknown[] = [];
    a.listen({ message: () => undefined, close: (r) => closes.push(`a: ${r}`) });
    b.listen({ message: (d) => got.push(d), close: (r) => closes.push(`b: ${r}`) });
    a.close();
    a.send(hangup());
    await new Promise((r) => setTimeout(r, 5));
    expect(closes).toEqual(['a: closed locally', 'b: closed by the other end']);
    expect(got).toEqual([]);
  });
});

describe('WebSocketTransport URLs', () => {
  const make = (url: string, allowInsecure?: boolean) => () =>
    new WebSocketTransport(url, { WebSocket: FakeSocket, allowInsecure, reconnect: false });

  test.each(['wss://example.com/s', 'ws://localhost:8080', 'ws://127.0.0.1:9/x', 'ws://[::1]:80'])(
    '%s is accepted',
    (url) => {
      expect(make(url)).not.toThrow();
    },
  );

  test.each(['ws://example.com/s', 'ws://10.0.0.5/s', 'ws://192.168.1.2'])(
    '%s is refused: signaling must use TLS off this machine',
    (url) => {
      expect(make(url)).toThrow(/refuses ws:\/\/ to another host/);
    },
  );

  test('allowInsecure permits ws:// elsewhere, for development', () => {
    expect(make('ws://example.com/s', true)).not.toThrow();
  });

  test('other schemes and relative URLs are refused', () => {
    expect(make('http://example.com')).toThrow(TypeError);
    expect(make('/signaling')).toThrow(TypeError);
  });
});
