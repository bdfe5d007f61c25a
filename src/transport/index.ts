/**
 * How signaling travels between the consumer's page and the agent: a
 * WebSocket server, a messaging conversation, a cross-frame postMessage
 * channel, or an in-memory pair for tests.
 *
 * @module messaging-calls/transports
 */
export type { Transport, TransportListener } from './types';
export { createMemoryTransportPair } from './memory';
export { WebSocketTransport } from './websocket';
export type {
  WebSocketLike,
  WebSocketConstructor,
  WebSocketTransportOptions,
  ReconnectPolicy,
} from './websocket';
export { MessagingTransport } from './messaging';
export type { MessagingTransportOptions } from './messaging';
export { PostMessageTransport } from './postmessage';
export type { PostMessageTransportOptions, PostTarget, MessageSource } from './postmessage';
