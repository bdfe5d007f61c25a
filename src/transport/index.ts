export type { Transport, TransportListener } from './types';
export { createMemoryTransportPair } from './memory';
export { WebSocketTransport } from './websocket';
export type { WebSocketLike, WebSocketConstructor, WebSocketTransportOptions } from './websocket';
