import { MessagingTransport } from '../../src/transport/messaging';
import { PostMessageTransport } from '../../src/transport/postmessage';
import type { MessageSource, PostTarget } from '../../src/transport/postmessage';
import type { Transport } from '../../src/transport/types';

/** A conversation event, as a messaging platform would carry it. */
type ConversationEvent =
  { kind: 'text'; text: string } | { kind: 'typing' } | { kind: 'call-signal'; payload: string };

/**
 * A messaging conversation shared by both sides: every event reaches every
 * subscriber, the sender included (conversations echo), asynchronously, with
 * chat traffic mixed in.
 */
export function conversationBus() {
  const subscribers = new Set<(event: ConversationEvent) => void>();
  const post = (event: ConversationEvent) => {
    for (const fn of subscribers) setTimeout(() => fn(event), 0);
  };
  return {
    post,
    transport(): Transport {
      return new MessagingTransport({
        publish: (payload) => {
          post({ kind: 'text', text: 'the agent is typing…' });
          post({ kind: 'call-signal', payload });
        },
        subscribe: (handler) => {
          const fn = (event: ConversationEvent) => {
            // The integration hands over each event's content: text of chat
            // messages, the payload of signaling events.
            if (event.kind === 'call-signal') handler(event.payload);
            else if (event.kind === 'text') handler(event.text);
            else handler(event);
          };
          subscribers.add(fn);
          return () => subscribers.delete(fn);
        },
      });
    },
  };
}

export const TOP_ORIGIN = 'https://brand.example';
export const FRAME_ORIGIN = 'https://chat.example';

/** A window as postMessage sees it: an EventTarget, and a proxy others post to. */
function fakeWindow(origin: string) {
  const target = new EventTarget();
  const proxy: PostTarget & { origin: string } = {
    origin,
    postMessage: () => {
      throw new Error('replaced below');
    },
  };
  return { target, proxy };
}

/** Delivers `data` to `to` as a message event from `from`, as a browser does. */
function deliver(to: EventTarget, data: unknown, origin: string, source: unknown): void {
  const event = new Event('message');
  Object.assign(event, { data: structuredClone(data), origin, source });
  setTimeout(() => to.dispatchEvent(event), 0);
}

/**
 * The top frame (the SDK, origin TOP_ORIGIN) and an iframe (the messaging
 * window, FRAME_ORIGIN), each with a PostMessageTransport to the other.
 * A post to a wrong targetOrigin is dropped, as browsers drop it.
 */
export function framePair(): [Transport, Transport] & { top: EventTarget; frame: EventTarget } {
  const top = fakeWindow(TOP_ORIGIN);
  const frame = fakeWindow(FRAME_ORIGIN);
  top.proxy.postMessage = (data, targetOrigin) => {
    if (targetOrigin === TOP_ORIGIN) deliver(top.target, data, FRAME_ORIGIN, frame.proxy);
  };
  frame.proxy.postMessage = (data, targetOrigin) => {
    if (targetOrigin === FRAME_ORIGIN) deliver(frame.target, data, TOP_ORIGIN, top.proxy);
  };
  const consumer = new PostMessageTransport({
    target: frame.proxy,
    targetOrigin: FRAME_ORIGIN,
    listenOn: top.target as unknown as MessageSource,
  });
  const agent = new PostMessageTransport({
    target: top.proxy,
    targetOrigin: TOP_ORIGIN,
    listenOn: frame.target as unknown as MessageSource,
  });
  return Object.assign([consumer, agent] as [Transport, Transport], {
    top: top.target,
    frame: frame.target,
  });
}
