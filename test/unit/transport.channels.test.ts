import { MessagingTransport } from '../../src/transport/messaging';
import { PostMessageTransport } from '../../src/transport/postmessage';
import type { MessageSource, PostTarget } from '../../src/transport/postmessage';
import { envelope } from '../../src/protocol/envelope';
import { MAX_MESSAGE_BYTES } from '../../src/protocol/messages';
import { parseMessage } from '../../src/protocol/validate';

const invite = () => envelope({ type: 'invite', media: 'voice' }, 'call-1', 'agent');

/** An invitation of about 1 MB: far over the protocol's size limit. */
const hugeInvite = () => JSON.stringify({ ...invite(), padding: 'x'.repeat(1 << 20) });
const OVER_LIMIT = `dropped a signaling message over ${MAX_MESSAGE_BYTES} bytes`;

afterEach(() => jest.restoreAllMocks());

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

  test('passes signaling on (text as its parsed value) and ignores other conversation events', () => {
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
    expect(got.messages).toEqual([m, m]);
    expect(got.warnings).toEqual([]);
  });

  test('refuses broken JSON that was meant as signaling with a warning', () => {
    const c = conversation();
    const { got, listener } = recorder();
    c.transport.listen(listener);
    c.incoming('{"v":1,"type":');
    expect(got.messages).toEqual([]);
    expect(got.warnings).toEqual(['dropped a signaling message that is not valid JSON']);
  });

  test('refuses a 1 MB text with a warning, without parsing it', () => {
    const c = conversation();
    const { got, listener } = recorder();
    c.transport.listen(listener);
    const huge = hugeInvite();
    const parse = jest.spyOn(JSON, 'parse');
    c.incoming(huge);
    expect(parse).not.toHaveBeenCalled();
    expect(got.messages).toEqual([]);
    expect(got.warnings).toEqual([OVER_LIMIT]);
  });

  test('passes on a message of exactly the size limit', () => {
    const c = conversation();
    const results: unknown[] = [];
    c.transport.listen({ message: (d) => results.push(parseMessage(d)), close: () => undefined });
    const m = envelope({ type: 'cancel', reason: '' }, 'call-1', 'agent');
    const text = JSON.stringify({
      ...m,
      reason: 'r'.repeat(MAX_MESSAGE_BYTES - JSON.stringify(m).length),
    });
    expect(text).toHaveLength(MAX_MESSAGE_BYTES);
    c.incoming(text);
    expect(results).toEqual([{ ok: true, message: JSON.parse(text) }]);
  });

  test('parses a valid message once, and the validator takes the parsed value', () => {
    const c = conversation();
    const results: unknown[] = [];
    c.transport.listen({ message: (d) => results.push(parseMessage(d)), close: () => undefined });
    const m = invite();
    const parse = jest.spyOn(JSON, 'parse');
    c.incoming(JSON.stringify(m));
    expect(parse).toHaveBeenCalledTimes(1);
    expect(results).toEqual([{ ok: true, message: m }]);
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
    const m = invite();
    f.arrive(JSON.stringify(m), ORIGIN);
    f.arrive(m, ORIGIN);
    expect(got.messages).toEqual([m, m]);
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

  test('refuses a 1 MB text with a warning, without parsing it', () => {
    const f = frame();
    const { got, listener } = recorder();
    f.transport.listen(listener);
    const huge = hugeInvite();
    const parse = jest.spyOn(JSON, 'parse');
    f.arrive(huge, ORIGIN);
    expect(parse).not.toHaveBeenCalled();
    expect(got.messages).toEqual([]);
    expect(got.warnings).toEqual([OVER_LIMIT]);
  });

  test('parses a valid message once, and the validator takes the parsed value', () => {
    const f = frame();
    const results: unknown[] = [];
    f.transport.listen({ message: (d) => results.push(parseMessage(d)), close: () => undefined });
    const m = invite();
    const parse = jest.spyOn(JSON, 'parse');
    f.arrive(JSON.stringify(m), ORIGIN);
    expect(parse).toHaveBeenCalledTimes(1);
    expect(results).toEqual([{ ok: true, message: m }]);
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
