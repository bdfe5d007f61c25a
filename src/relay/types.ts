import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../foundation/log';

/** The two sides of a conversation's call. */
export type RelayRole = 'agent' | 'consumer';

/** The media a call is made with; an agent token's `calls` lists those it may start. */
export type RelayCallMedia = 'voice' | 'video';

/**
 * Who a socket is, as its credentials say: a verifier's answer. `calls`
 * (agents only) lists the media the agent may start; absent means any.
 */
export interface RelayIdentity {
  conversation: string;
  role: RelayRole;
  calls?: RelayCallMedia[];
}

/**
 * Checks a connection's credentials at the WebSocket upgrade. Resolves with
 * who the socket is, or `null` to refuse it (close 1008). It must not throw;
 * a rejection counts as a refusal.
 */
export type RelayVerifier = (request: IncomingMessage) => Promise<RelayIdentity | null>;

/** Limits of one relay instance. Every field has a default. */
export interface RelayLimits {
  /** Largest text frame, in bytes (65,536): a larger one closes its socket with 1009. */
  maxFrameBytes?: number;
  /** Frames per second a socket may send, on average (50). */
  messagesPerSecond?: number;
  /** Frames a socket may send at once above the average (100); beyond, close 1008. */
  burst?: number;
  /** Sockets in one conversation on this instance (16); beyond, close 1013. */
  maxSocketsPerConversation?: number;
  /** Sockets on this instance (10,000); beyond, close 1013. */
  maxSockets?: number;
  /** How often a socket is pinged (30,000 ms); one that has not answered the last ping is dropped. */
  pingIntervalMs?: number;
  /** Bytes a socket may have waiting to be written (1 MiB); beyond, it is closed with 1013. */
  maxBufferedBytes?: number;
}

/** TURN servers sharing a secret (coturn `use-auth-secret`), for the invites the relay forwards. */
export interface RelayTurnOptions {
  /** coturn's `static-auth-secret`. */
  secret: string;
  /** The TURN URLs (`turn:` and `turns:`). */
  urls: string | string[];
  /** How long the credentials are valid (86,400 s). */
  ttlSeconds?: number;
}

/** What a socket is, for the `onJoin` and `onLeave` hooks. */
export interface RelaySocketInfo {
  conversation: string;
  role: RelayRole;
  /** The upgrade request the socket came with (its URL, headers, remote address). */
  request: IncomingMessage;
}

/** Options of {@link createRelay} (and of {@link startRelay}, which adds where to listen). */
export interface RelayHandlerOptions {
  /** Redis URL (`redis://host:6379`): instances sharing it relay to each other's sockets. */
  redis?: string;
  /** HS256 secret of the tokens (a `token` query parameter or `Authorization: Bearer`). */
  authSecret?: string;
  /** ES256 public key of the tokens: PEM (SPKI) or JWK (object or JSON text). */
  publicKey?: string | Record<string, unknown>;
  /** Your own check of the credentials; takes precedence over `authSecret` and `publicKey`. */
  verify?: RelayVerifier;
  /** Origins whose pages may connect (`https://shop.example`); others are refused with HTTP 403. */
  allowedOrigins?: string[];
  limits?: RelayLimits;
  turn?: RelayTurnOptions;
  /** Where the relay's log lines go (none by default). Lines never carry frames or tokens. */
  logger?: Logger;
  /** This instance's name in metrics, health and on Redis (default: a random id). */
  instance?: string;
  /** Told when a socket has joined its conversation. */
  onJoin?: (info: RelaySocketInfo) => void;
  /** Told when a socket that joined has gone. */
  onLeave?: (info: RelaySocketInfo) => void;
}

/** Options of {@link startRelay}. */
export interface RelayOptions extends RelayHandlerOptions {
  /** Port to listen on (0: any free port; default 8080). */
  port?: number;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
}

/** A running relay. */
export interface Relay {
  /** `ws://host:port`, the address sockets connect to. */
  url: string;
  port: number;
  /** This instance's id (health, metrics, Redis). */
  instance: string;
  /** The counters and gauges of `/metrics`, by name. */
  metrics(): Record<string, number>;
  /** Closes every socket with `code` (1001: going away) and stops listening. */
  close(code?: number): Promise<void>;
}

/** The relay without a server of its own: hand it the upgrades and requests of yours. */
export interface RelayHandler {
  instance: string;
  /** Takes a WebSocket upgrade (any path: route before calling). */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /**
   * Answers `GET /healthz` and `GET /metrics`; returns false (and writes
   * nothing) for any other request.
   */
  handleRequest(request: IncomingMessage, response: ServerResponse): boolean;
  metrics(): Record<string, number>;
  /** Closes every socket with `code` (default 1001) and disconnects from Redis. */
  close(code?: number): Promise<void>;
}
