export type { Transport, TransportListener } from './types';
export { createMemoryTransportPair } from './memory';
export { WebSocketTransport } from './websocket';
export type { WebSocketLike, WebSocketConstructor, WebSocketTransportOptions } from './websocket';
export { MessagingTransport } from './messaging';
export type { MessagingTransportOptions } from './messaging';
export { PostMessageTransport } from './postmessage';
export type { PostMessageTransportOptions, PostTarget, MessageSource } from './postmessage';
