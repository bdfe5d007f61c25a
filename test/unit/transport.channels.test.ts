import { MessagingTransport } from '../../src/transport/messaging';
import { PostMessageTransport } from '../../src/transport/postmessage';
import type { MessageSource, PostTarget } from '../../src/transport/postmessage';
import { envelope } from '../../src/protocol/envelope';

const invite = () => envelope({ type: 'invite', media: 'voice' }, 'call-1', 'agent');

function recorder() {
  const got = { messages: [] as unknown[], warnings: [] as string[], closes: [] as string[] };
  return {
    got,
    listener: {
      message: (d: unknown) => got.messages.push(d),
      warning: (w: string) => got.warnings.push(w),
      close: (r: string) => got.closes.push(r),
    },
  };
}

describe('MessagingTransport', () => {
  function conversation() {
    let handler: ((p: unknown) => void) | null = null;
    const published: string[] = [];
    let unsubscribed = false;
    const transport = new MessagingTransport({
      publish: (p) => {
        published.push(p);
      },
      subscribe: (h) => {
        handler = h;
        return () => (unsubscribed = true);
      },
    });
    return {
      transport,
      published,
      incoming: (p: unknown) => handler?.(p),
      unsubscribed: () => unsubscribed,
    };
  }

  test('publishes each message as its JSON text', () => {
    const c = conversation();
    const m = invite();
    c.transport.send(m);
    expect(c.published).toEqual([JSON.stringify(m)]);
  });

  test('passes signaling on, as text or object, and ignores other conversation events', () => {
    const c = conversation();
    const { got, listener } = recorder();
    c.transport.listen(listener);
    const m = invite();
    c.incoming('hello, how can I help?');
    c.incoming({ kind: 'typing' });
    c.incoming('{ not json');
    c.incoming(42);
    c.incoming(null);
    c.incoming(JSON.stringify(m));
    c.incoming(m);
    expect(got.messages).toEqual([JSON.stringify(m), m]);
  });

  test('hands broken JSON that was meant as signaling to the validator', () => {
    const c = conversation();
    const { got, listener } = recorder();
    c.transport.listen(listener);
    c.incoming('{"v":1,"type":');
    expect(got.messages).toEqual(['{"v":1,"type":']);
  });

  test('drops its own messages when the conversation echoes them', () => {
    const c = conversation();
    const { got, listener } = recorder();
    c.transport.listen(listener);
    const m = invite();
    c.transport.send(m);
    c.incoming(c.published[0]);
    expect(got.messages).toEqual([]);
  });

  test('a publish that fails (throwing or rejecting) becomes a warning, never an exception', async () => {
    const rejecting = new MessagingTransport({
      publish: () => Promise.reject(new Error('offline')),
      subscribe: () => () => undefined,
    });
    const throwing = new MessagingTransport({
      publish: () => {
        throw new Error('boom');
      },
      subscribe: () => () => undefined,
    });
    const a = recorder();
    const b = recorder();
    rejecting.listen(a.listener);
    throwing.listen(b.listener);
    expect(() => rejecting.send(invite())).not.toThrow();
    expect(() => throwing.send(invite())).not.toThrow();
    await Promise.resolve();
    await Promise.resolve();
    expect(a.got.warnings).toEqual(['could not publish invite (Error)']);
    expect(b.got.warnings).toEqual(['could not publish invite (Error)']);
  });

  test('close unsubscribes and tells listeners once', () => {
    const c = conversation();
    const { got, listener } = recorder();
    c.transport.listen(listener);
    c.transport.close();
    c.transport.close();
    expect(c.unsubscribed()).toBe(true);
    expect(got.closes).toEqual(['closed locally']);
  });
});

describe('PostMessageTransport', () => {
  const ORIGIN = 'https://chat.example';
  function frame() {
    const win = new EventTarget();
    const posted: [unknown, string][] = [];
    const target: PostTarget = { postMessage: (m, o) => posted.push([m, o]) };
    const transport = new PostMessageTransport({
      target,
      targetOrigin: ORIGIN,
      listenOn: win as unknown as MessageSource,
    });
    const arrive = (data: unknown, origin: string, source: unknown = target) => {
      const event = new Event('message');
      Object.assign(event, { data, origin, source });
      win.dispatchEvent(event);
    };
    return { transport, posted, arrive, win, target };
  }

  test('posts JSON text to the configured origin only', () => {
    const f = frame();
    const m = invite();
    f.transport.send(m);
    expect(f.posted).toEqual([[JSON.stringify(m), ORIGIN]]);
  });

  test('refuses "*" and a missing target', () => {
    const listenOn = new EventTarget() as unknown as MessageSource;
    const target = { postMessage: () => undefined };
    expect(() => new PostMessageTransport({ target, targetOrigin: '*', listenOn })).toThrow(
      TypeError,
    );
    expect(
      () =>
        new PostMessageTransport({
          target: undefined as unknown as PostTarget,
          targetOrigin: ORIGIN,
          listenOn,
        }),
    ).toThrow(TypeError);
  });

  test('accepts signaling from the allowed origin and the target window', () => {
    const f = frame();
    const { got, listener } = recorder();
    f.transport.listen(listener);
    const text = JSON.stringify(invite());
    f.arrive(text, ORIGIN);
    expect(got.messages).toEqual([text]);
    expect(got.warnings).toEqual([]);
  });

  test('drops and reports messages from another origin or another window', () => {
    const f = frame();
    const { got, listener } = recorder();
    f.transport.listen(listener);
    const text = JSON.stringify(invite());
    f.arrive(text, 'https://evil.example');
    f.arrive(text, ORIGIN, { postMessage: () => undefined });
    expect(got.messages).toEqual([]);
    expect(got.warnings).toEqual([
      'ignored a message from origin https://evil.example',
      'ignored a message from a window other than the target',
    ]);
  });

  test('ignores non-signaling traffic from the allowed origin', () => {
    const f = frame();
    const { got, listener } = recorder();
    f.transport.listen(listener);
    f.arrive({ source: 'react-devtools' }, ORIGIN);
    f.arrive('ready', ORIGIN);
    expect(got.messages).toEqual([]);
    expect(got.warnings).toEqual([]);
  });

  test('works on a window whose addEventListener the page replaced', () => {
    const win = new EventTarget();
    Object.defineProperty(win, 'addEventListener', {
      value: () => {
        throw new Error('broken by the page');
      },
    });
    const target = { postMessage: () => undefined };
    const transport = new PostMessageTransport({
      target,
      targetOrigin: ORIGIN,
      listenOn: win as unknown as MessageSource,
    });
    const { got, listener } = recorder();
    transport.listen(listener);
    const event = new Event('message');
    Object.assign(event, { data: '{"v":1,"type":"x"}', origin: ORIGIN, source: target });
    win.dispatchEvent(event);
    expect(got.messages).toHaveLength(1);
  });

  test('close stops listening', () => {
    const f = frame();
    const { got, listener } = recorder();
    f.transport.listen(listener);
    f.transport.close();
    f.arrive(JSON.stringify(invite()), ORIGIN);
    expect(got.messages).toEqual([]);
    expect(got.closes).toEqual(['closed locally']);
  });
});
