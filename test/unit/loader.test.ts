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
    transport: { send(m: unknown): void };
  }[] = [];
  class CallClient {
    received: unknown[] = [];
    options: Record<string, unknown>;
    transport: { send(m: unknown): void; listen(l: { message(d: unknown): void }): () => void };
    constructor(options: Record<string, unknown>) {
      this.options = options;
      this.transport = options.transport as CallClient['transport'];
      this.transport.listen({ message: (d) => this.received.push(d) });
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
  expect(client.received).toEqual([first, second]);
  const third = cancel();
  c.incoming(third);
  expect(client.received).toEqual([first, second, third]);
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
