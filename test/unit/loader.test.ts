import { watch } from '../../src/loader';
import type { LoaderOptions } from '../../src/loader';
import { envelope } from '../../src/protocol/envelope';

/** A page the loader can add a script to; `loadScript()` plays the browser loading it. */
function fakePage() {
  const scripts: { src: string; onload: (() => void) | null; onerror: (() => void) | null }[] = [];
  const page: NonNullable<LoaderOptions['window']> & { scripts: typeof scripts } = {
    scripts,
    document: {
      createElement: () => {
        const script = { src: '', async: false, onload: null, onerror: null };
        return script;
      },
      head: { appendChild: (node: unknown) => scripts.push(node as (typeof scripts)[number]) },
    },
  };
  return page;
}

/** A stand-in for the SDK's CallClient: records what its transport delivers. */
function fakeSdk() {
  const clients: {
    received: unknown[];
    options: Record<string, unknown>;
    transport: CallClient['transport'];
    stopListening: () => void;
  }[] = [];
  class CallClient {
    received: unknown[] = [];
    options: Record<string, unknown>;
    transport: {
      send(m: unknown): void;
      listen(l: { message(d: unknown): void; warning?(w: string): void }): () => void;
    };
    stopListening: () => void;
    constructor(options: Record<string, unknown>) {
      this.options = options;
      this.transport = options.transport as CallClient['transport'];
      this.stopListening = this.transport.listen({ message: (d) => this.received.push(d) });
      clients.push(this);
    }
  }
  return { sdk: { CallClient, qualityMonitor: () => 'monitor' }, clients };
}

function conversation() {
  let handler: ((p: unknown) => void) | null = null;
  const published: string[] = [];
  return {
    published,
    messaging: {
      publish: (p: string) => {
        published.push(p);
      },
      subscribe: (h: (p: unknown) => void) => {
        handler = h;
        return () => (handler = null);
      },
    },
    incoming: (p: unknown) => handler?.(p),
    subscribed: () => handler !== null,
  };
}

const invite = () => JSON.stringify(envelope({ type: 'invite', media: 'video' }, 'c1', 'agent'));
const cancel = () => JSON.stringify(envelope({ type: 'cancel' }, 'c1', 'agent'));

test('loads nothing until an invitation arrives; chat traffic does not count', () => {
  const page = fakePage();
  const c = conversation();
  watch({ src: '/sdk.js', messaging: c.messaging, onReady: () => undefined, window: page });
  c.incoming('hello there');
  c.incoming({ kind: 'typing' });
  expect(page.scripts).toHaveLength(0);
  c.incoming(invite());
  expect(page.scripts.map((s) => s.src)).toEqual(['/sdk.js']);
  c.incoming(invite());
  expect(page.scripts).toHaveLength(1);
});

test('hands the client every buffered message in order, after onReady, then live ones', () => {
  const page = fakePage();
  const c = conversation();
  const { sdk, clients } = fakeSdk();
  const order: string[] = [];
  const handle = watch({
    src: '/sdk.js',
    messaging: c.messaging,
    window: page,
    onReady: (client) => {
      order.push(`ready with ${(client as { received: unknown[] }).received.length} delivered`);
    },
  });
  const first = invite();
  c.incoming(first);
  const second = cancel();
  c.incoming(second); // arrives while the script loads
  page.MessagingCalls = sdk;
  page.scripts[0]?.onload?.();
  expect(handle.loaded).toBe(true);
  expect(order).toEqual(['ready with 0 delivered']);
  const client = clients[0]!;
  expect(client.received).toEqual([JSON.parse(first), JSON.parse(second)]);
  const third = cancel();
  c.incoming(third);
  expect(client.received).toEqual([first, second, third].map((t) => JSON.parse(t)));
});

test('the client sends through the conversation, and its echoes do not come back', () => {
  const page = fakePage();
  const c = conversation();
  const { sdk, clients } = fakeSdk();
  page.MessagingCalls = sdk; // already on the page: no script needed
  watch({ src: '/sdk.js', messaging: c.messaging, window: page, onReady: () => undefined });
  c.incoming(invite());
  expect(page.scripts).toHaveLength(0);
  const client = clients[0]!;
  const reply = envelope({ type: 'reject', reason: 'declined' }, 'c1', 'consumer');
  client.transport.send(reply);
  expect(c.published).toEqual([JSON.stringify(reply)]);
  c.incoming(c.published[0]);
  expect(client.received).toHaveLength(1);
});

test('a bundle that fails to load is reported, and the next invitation tries again', () => {
  const page = fakePage();
  const c = conversation();
  const errors: unknown[] = [];
  watch({
    src: '/missing.js',
    messaging: c.messaging,
    window: page,
    onReady: () => undefined,
    onError: (e) => errors.push(e),
  });
  c.incoming(invite());
  page.scripts[0]?.onerror?.();
  expect(String(errors[0])).toContain('/missing.js');
  c.incoming(invite());
  expect(page.scripts).toHaveLength(2);
});

test('stop() before loading unsubscribes', () => {
  const c = conversation();
  const handle = watch({
    src: '/sdk.js',
    messaging: c.messaging,
    window: fakePage(),
    onReady: () => undefined,
  });
  handle.stop();
  expect(c.subscribed()).toBe(false);
});

test('needs a url or a conversation, and refuses ws:// to another host', () => {
  const base = { src: '/sdk.js', window: fakePage(), onReady: () => undefined };
  expect(() => watch(base)).toThrow(TypeError);
  expect(() => watch({ ...base, url: 'ws://example.com/s' })).toThrow(/refuses ws/);
});

test('client options may be made from the loaded SDK (an extension of the bundle)', () => {
  const page = fakePage();
  const c = conversation();
  const { sdk, clients } = fakeSdk();
  watch({
    src: '/sdk.js',
    messaging: c.messaging,
    window: page,
    client: (loaded) => ({
      extensions: [loaded.qualityMonitor()],
      requireTopFrame: false,
    }),
    onReady: () => undefined,
  });
  c.incoming(invite());
  page.MessagingCalls = sdk;
  page.scripts[0]?.onload?.();
  const options = clients[0]!.options;
  expect(options.extensions).toEqual(['monitor']);
  expect(options.requireTopFrame).toBe(false);
  expect(options.transport).toBeDefined();
});

/** Runs `fn` on a page that replaced an Array.prototype method with one that throws. */
function withBrokenArrayMethod(name: 'splice' | 'shift', fn: () => void): void {
  const proto = Array.prototype as unknown as Record<string, unknown>;
  const original = proto[name];
  proto[name] = () => {
    throw new Error(`Array.prototype.${name} broken by the page`);
  };
  try {
    fn();
  } finally {
    proto[name] = original;
  }
}

test('hands over the buffered messages on a page that replaced Array.prototype.splice', () => {
  const page = fakePage();
  const c = conversation();
  const { sdk, clients } = fakeSdk();
  const errors: unknown[] = [];
  const first = invite();
  withBrokenArrayMethod('splice', () => {
    watch({
      src: '/sdk.js',
      messaging: c.messaging,
      window: page,
      onReady: () => undefined,
      onError: (e) => errors.push(e),
    });
    c.incoming(first);
    page.MessagingCalls = sdk;
    page.scripts[0]?.onload?.();
  });
  expect(errors).toEqual([]);
  expect(clients).toHaveLength(1);
  expect(clients[0]!.received).toEqual([JSON.parse(first)]);
});

test('keeps the newest 1,000 messages while loading, on a page that replaced Array.prototype.shift', () => {
  const page = fakePage();
  const c = conversation();
  const { sdk, clients } = fakeSdk();
  const sent: string[] = [];
  withBrokenArrayMethod('shift', () => {
    watch({ src: '/sdk.js', messaging: c.messaging, window: page, onReady: () => undefined });
    for (let i = 0; i < 1_001; i++) {
      const text = i === 0 ? invite() : cancel();
      sent.push(text);
      c.incoming(text);
    }
  });
  page.MessagingCalls = sdk;
  page.scripts[0]?.onload?.();
  const received = clients[0]!.received;
  expect(received).toHaveLength(1_000);
  expect(received[0]).toEqual(JSON.parse(sent[1]!));
  expect(received[999]).toEqual(JSON.parse(sent[1_000]!));
});

test("a replaced client's late unsubscribe leaves the current listener in place", () => {
  const page = fakePage();
  const c = conversation();
  const { sdk, clients } = fakeSdk();
  page.MessagingCalls = sdk;
  watch({ src: '/sdk.js', messaging: c.messaging, window: page, onReady: () => undefined });
  c.incoming(invite());
  const old = clients[0]!;
  const current: unknown[] = [];
  old.transport.listen({ message: (d) => current.push(d) }); // a client that replaces it
  old.stopListening(); // the old one unsubscribes late
  const later = cancel();
  c.incoming(later);
  expect(current).toEqual([JSON.parse(later)]);
});

test('a throwing onReady is reported, and the next invitation reaches the same client', () => {
  const page = fakePage();
  const c = conversation();
  const { sdk, clients } = fakeSdk();
  const errors: unknown[] = [];
  const broken = new Error('onReady broken by the page');
  page.MessagingCalls = sdk;
  const handle = watch({
    src: '/sdk.js',
    messaging: c.messaging,
    window: page,
    onReady: () => {
      throw broken;
    },
    onError: (e) => errors.push(e),
  });
  const first = invite();
  c.incoming(first);
  expect(errors).toEqual([broken]);
  expect(handle.loaded).toBe(true);
  const second = JSON.stringify(envelope({ type: 'invite', media: 'voice' }, 'c2', 'agent'));
  c.incoming(second);
  expect(clients).toHaveLength(1);
  expect(clients[0]!.received).toEqual([JSON.parse(first), JSON.parse(second)]);
  expect(errors).toEqual([broken]);
});

describe('text read once', () => {
  afterEach(() => jest.restoreAllMocks());

  test('a 1 MB text is dropped without being parsed', () => {
    const page = fakePage();
    const c = conversation();
    watch({ src: '/sdk.js', messaging: c.messaging, window: page, onReady: () => undefined });
    const huge = JSON.stringify({
      ...envelope({ type: 'invite', media: 'video' }, 'c1', 'agent'),
      padding: 'x'.repeat(1 << 20),
    });
    const parse = jest.spyOn(JSON, 'parse');
    c.incoming(huge);
    expect(parse).not.toHaveBeenCalled();
    expect(page.scripts).toHaveLength(0);
  });

  test('once the client listens, a refused text reaches it as a warning', () => {
    const page = fakePage();
    const c = conversation();
    const { sdk, clients } = fakeSdk();
    page.MessagingCalls = sdk;
    watch({ src: '/sdk.js', messaging: c.messaging, window: page, onReady: () => undefined });
    c.incoming(invite());
    const warnings: string[] = [];
    clients[0]!.transport.listen({ message: () => undefined, warning: (w) => warnings.push(w) });
    c.incoming('{"v":1,"type":');
    expect(warnings).toEqual(['dropped a signaling message that is not valid JSON']);
  });

  test('an invitation is parsed exactly once on its way to the client', () => {
    const page = fakePage();
    const c = conversation();
    const { sdk, clients } = fakeSdk();
    page.MessagingCalls = sdk;
    watch({ src: '/sdk.js', messaging: c.messaging, window: page, onReady: () => undefined });
    const text = invite();
    const parse = jest.spyOn(JSON, 'parse');
    c.incoming(text);
    expect(parse).toHaveBeenCalledTimes(1);
    expect(clients[0]!.received).toEqual([JSON.parse(text)]);
  });
});

describe('a call the previous page of the tab left (resume)', () => {
  const storage = (record: unknown) => {
    const items = new Map<string, string>([['messaging-calls', JSON.stringify(record)]]);
    return { getItem: (key: string) => items.get(key) ?? null };
  };

  test('a fresh record loads the SDK at once, without an invitation', () => {
    const page = Object.assign(fakePage(), { sessionStorage: storage({ savedAt: Date.now() }) });
    watch({
      src: '/sdk.js',
      messaging: conversation().messaging,
      onReady: () => undefined,
      window: page,
    });
    expect(page.scripts.map((s) => s.src)).toEqual(['/sdk.js']);
  });

  test('an old record, another key, resume: false or unreadable storage: the loader waits', () => {
    const old = Object.assign(fakePage(), {
      sessionStorage: storage({ savedAt: Date.now() - 30_000 }),
    });
    watch({
      src: '/sdk.js',
      messaging: conversation().messaging,
      onReady: () => undefined,
      window: old,
    });
    const off = Object.assign(fakePage(), { sessionStorage: storage({ savedAt: Date.now() }) });
    watch({
      src: '/sdk.js',
      messaging: conversation().messaging,
      client: { resume: false },
      onReady: () => undefined,
      window: off,
    });
    const other = Object.assign(fakePage(), { sessionStorage: storage({ savedAt: Date.now() }) });
    watch({
      src: '/sdk.js',
      messaging: conversation().messaging,
      client: { resume: { storageKey: 'shop' } },
      onReady: () => undefined,
      window: other,
    });
    const broken = Object.assign(fakePage(), {
      sessionStorage: {
        getItem: () => {
          throw new DOMException('blocked', 'SecurityError');
        },
      },
    });
    watch({
      src: '/sdk.js',
      messaging: conversation().messaging,
      onReady: () => undefined,
      window: broken,
    });
    for (const page of [old, off, other, broken]) expect(page.scripts).toHaveLength(0);
  });
});
