import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { noopLogger } from '../foundation/log';
import {
  CONVERSATION_PATTERN,
  isLoopback,
  isLoopbackOrigin,
  isRole,
  jwtVerifier,
  originAllowed,
  requireJose,
} from './auth';
import { noBus, redisBus } from './bus';
import type { Bus } from './bus';
import { RateBucket, limitsFrom } from './limits';
import { RelayMetrics } from './metrics';
import type { RefusalReason } from './metrics';
import { mintTurnCredentials } from './turn';
import type {
  RelayCallMedia,
  RelayHandler,
  RelayHandlerOptions,
  RelayIdentity,
  RelayRole,
  RelaySocketInfo,
  RelayVerifier,
} from './types';
import { urlOf } from './url';

/** The close codes the relay uses. */
export const RelayCloseCode = {
  /** The relay is shutting down: reconnect (to another instance). */
  GOING_AWAY: 1001,
  /** A binary frame: the relay carries text only. */
  UNSUPPORTED_DATA: 1003,
  /** Credentials missing, expired, forged or for another conversation or role; rate limit. */
  POLICY_VIOLATION: 1008,
  /** A frame over `maxFrameBytes`. */
  TOO_BIG: 1009,
  /** Full (sockets per conversation, sockets in all), Redis unreachable, or a reader too slow. */
  TRY_AGAIN_LATER: 1013,
} as const;

/** How long `close()` waits for sockets to finish their closing handshake. */
const CLOSE_GRACE_MS = 2_000;
/** Remote senders whose order is tracked per conversation, at most. */
const MAX_TRACKED_SENDERS = 256;

const ROLE_CODE: Record<RelayRole, string> = { agent: 'a', consumer: 'c' };
const OTHER: Record<RelayRole, RelayRole> = { agent: 'consumer', consumer: 'agent' };

interface Peer {
  readonly ws: WebSocket;
  /** This socket's number on this instance (its sender id on Redis). */
  readonly id: number;
  readonly conversation: Conversation;
  readonly role: RelayRole;
  readonly calls: RelayCallMedia[] | undefined;
  readonly bucket: RateBucket;
  readonly info: RelaySocketInfo;
  seq: number;
  alive: boolean;
  closing: boolean;
}

interface Conversation {
  readonly id: string;
  readonly agent: Set<Peer>;
  readonly consumer: Set<Peer>;
  /** Upgrades under way for this conversation (not yet sockets). */
  pending: number;
  /** Last sequence number seen per remote sender (`instance socket`). */
  readonly seen: Map<string, number>;
}

const randomInstance = (): string => randomBytes(6).toString('base64url');

/**
 * The relay without a server of its own: it takes the WebSocket upgrades
 * and the `/healthz` and `/metrics` requests your server routes to it.
 * {@link startRelay} is this on a server of its own.
 */
export async function createRelay(options: RelayHandlerOptions = {}): Promise<RelayHandler> {
  const limits = limitsFrom(options.limits);
  const log = options.logger ?? noopLogger;
  const instance = options.instance ?? randomInstance();
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(instance)) {
    throw new TypeError('instance must be 1–64 characters of [A-Za-z0-9_.:-]');
  }
  const verify: RelayVerifier | null =
    options.verify ??
    (options.authSecret || options.publicKey
      ? jwtVerifier({
          ...(options.authSecret ? { secret: options.authSecret } : {}),
          ...(options.publicKey ? { publicKey: options.publicKey } : {}),
        })
      : null);
  if (!options.verify && (options.authSecret || options.publicKey)) await requireJose();
  const allowedOrigins = options.allowedOrigins?.length ? [...options.allowedOrigins] : undefined;
  const turn = options.turn;
  if (turn) mintTurnCredentials({ ...turn, user: 'check' }); // throws now on a bad secret
  const metrics = new RelayMetrics(instance, Boolean(options.redis));
  const conversations = new Map<string, Conversation>();
  const peers = new Set<Peer>();
  let pendingUpgrades = 0;
  let nextPeer = 1;
  let closing: Promise<void> | null = null;

  const bus: Bus = options.redis ? await redisBus(options.redis, fromRedis, metrics, log) : noBus;

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.maxFrameBytes,
    perMessageDeflate: false,
    clientTracking: false,
  });

  // ---- delivery ----------------------------------------------------------------

  /** Sends a frame to the local sockets of `role`; a reader too far behind is closed. */
  function deliver(conversation: Conversation, role: RelayRole, frame: Buffer): void {
    for (const target of conversation[role]) {
      const ws = target.ws;
      if (target.closing || ws.readyState !== ws.OPEN) continue;
      if (ws.bufferedAmount + frame.length > limits.maxBufferedBytes) {
        metrics.drop('slow-reader');
        shut(target, RelayCloseCode.TRY_AGAIN_LATER, 'reader too slow');
        continue;
      }
      ws.send(frame, { binary: false });
      metrics.framesRelayed++;
      metrics.bytesRelayed += frame.length;
    }
  }

  /** A frame another instance published. */
  function fromRedis(conversationId: string, message: Buffer): void {
    const conversation = conversations.get(conversationId);
    if (!conversation) return;
    const newline = message.indexOf(10);
    if (newline < 0) return;
    const [roleCode, from, sender, seqText] = message.toString('latin1', 0, newline).split(' ');
    if (from === instance || !from || !sender) return; // our own: delivered when received
    const role: RelayRole | null =
      roleCode === 'a' ? 'agent' : roleCode === 'c' ? 'consumer' : null;
    if (!role) return;
    const key = `${from} ${sender}`;
    const seq = Number(seqText);
    const last = conversation.seen.get(key);
    if (last !== undefined && seq !== last + 1) metrics.redisOutOfOrder++;
    if (last === undefined && conversation.seen.size >= MAX_TRACKED_SENDERS) {
      conversation.seen.clear();
    }
    conversation.seen.set(key, seq);
    metrics.framesFromRedis++;
    deliver(conversation, OTHER[role], message.subarray(newline + 1));
  }

  /** The agent's invite checked against its permissions, and given TURN servers. */
  function inspectAgentFrame(peer: Peer, frame: Buffer): Buffer | null {
    let message: unknown;
    try {
      message = JSON.parse(frame.toString('utf8'));
    } catch {
      return frame; // not ours to judge: the consumer's validator drops it
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) return frame;
    const fields = message as Record<string, unknown>;
    if (fields.type !== 'invite') return frame;
    if (peer.calls && !peer.calls.includes(fields.media as RelayCallMedia)) {
      metrics.drop('not-permitted');
      log('info', 'invite refused: media not permitted', {
        conversation: peer.conversation.id,
        media: typeof fields.media === 'string' ? fields.media.slice(0, 16) : typeof fields.media,
      });
      const id = typeof fields.id === 'string' || typeof fields.id === 'number' ? fields.id : null;
      peer.ws.send(JSON.stringify({ relay: 'refused', reason: 'not-permitted', id }));
      return null;
    }
    if (turn && !Object.prototype.hasOwnProperty.call(fields, 'iceServers')) {
      fields.iceServers = [
        mintTurnCredentials({
          secret: turn.secret,
          urls: turn.urls,
          user: peer.conversation.id.replace(/:/g, '_'),
          ...(turn.ttlSeconds ? { ttlSeconds: turn.ttlSeconds } : {}),
        }),
      ];
      return Buffer.from(JSON.stringify(fields), 'utf8');
    }
    return frame;
  }

  function onFrame(peer: Peer, data: Buffer, isBinary: boolean): void {
    if (peer.closing) return;
    peer.alive = true;
    if (isBinary) {
      metrics.drop('binary');
      shut(peer, RelayCloseCode.UNSUPPORTED_DATA, 'text frames only');
      return;
    }
    if (!peer.bucket.take(performance.now())) {
      metrics.drop('rate-limit');
      log('warn', 'socket over its rate limit', { conversation: peer.conversation.id });
      shut(peer, RelayCloseCode.POLICY_VIOLATION, 'rate limit');
      return;
    }
    metrics.framesReceived++;
    let frame: Buffer | null = data;
    if (peer.role === 'agent' && (peer.calls || turn)) frame = inspectAgentFrame(peer, data);
    // Only the relay speaks its own frame ({"relay": …}): a consumer's is dropped.
    if (peer.role === 'consumer' && data.includes('"relay"') && speaksAsRelay(data)) {
      metrics.drop('not-permitted');
      return;
    }
    if (!frame) return;
    deliver(peer.conversation, OTHER[peer.role], frame);
    if (bus !== noBus) {
      // The sequence counts what was published: a gap at the receiver is a loss on the way.
      const seq = peer.seq + 1;
      const header = `${ROLE_CODE[peer.role]} ${instance} ${peer.id} ${seq}\n`;
      const message = Buffer.concat([Buffer.from(header, 'latin1'), frame]);
      if (bus.publish(peer.conversation.id, message)) peer.seq = seq;
      else metrics.drop('redis-down');
    }
  }

  function shut(peer: Peer, code: number, reason: string): void {
    if (peer.closing) return;
    peer.closing = true;
    peer.ws.close(code, reason);
  }

  // ---- sockets -----------------------------------------------------------------

  function conversationFor(id: string): Conversation {
    let conversation = conversations.get(id);
    if (!conversation) {
      conversation = { id, agent: new Set(), consumer: new Set(), pending: 0, seen: new Map() };
      conversations.set(id, conversation);
      metrics.conversations = conversations.size;
    }
    return conversation;
  }

  /** Forgets a conversation without sockets or upgrades, and its subscription. */
  function release(conversation: Conversation): void {
    if (conversation.pending || conversation.agent.size || conversation.consumer.size) return;
    if (conversations.get(conversation.id) !== conversation) return;
    conversations.delete(conversation.id);
    metrics.conversations = conversations.size;
    bus.leave(conversation.id);
  }

  function join(
    ws: WebSocket,
    conversation: Conversation,
    identity: RelayIdentity,
    request: IncomingMessage,
  ) {
    const peer: Peer = {
      ws,
      id: nextPeer++,
      conversation,
      role: identity.role,
      calls: identity.role === 'agent' ? identity.calls : undefined,
      bucket: new RateBucket(limits.messagesPerSecond, limits.burst, performance.now()),
      info: { conversation: conversation.id, role: identity.role, request },
      seq: 0,
      alive: true,
      closing: false,
    };
    conversation[peer.role].add(peer);
    peers.add(peer);
    metrics.sockets = peers.size;
    ws.on('message', (data, isBinary) => onFrame(peer, data as Buffer, isBinary));
    ws.on('pong', () => {
      peer.alive = true;
    });
    ws.on('error', (error: Error & { code?: string }) => {
      // ws has closed the socket already (1009 for a frame too large, 1007 for bad UTF-8).
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') metrics.drop('too-large');
      peer.closing = true;
    });
    ws.on('close', () => {
      peer.closing = true;
      conversation[peer.role].delete(peer);
      peers.delete(peer);
      metrics.sockets = peers.size;
      release(conversation);
      call(options.onLeave, peer.info);
    });
    call(options.onJoin, peer.info);
  }

  const call = (hook: ((info: RelaySocketInfo) => void) | undefined, info: RelaySocketInfo) => {
    try {
      hook?.(info);
    } catch (error) {
      log('error', 'a relay hook threw', { error: (error as Error)?.name });
    }
  };

  /** Answers an upgrade with an HTTP error: no socket is made. */
  function refuseHttp(socket: Duplex, status: number, text: string, reason: RefusalReason) {
    metrics.refuse(reason);
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  /** Completes the handshake and closes at once: the client reads the code. */
  function refuseWs(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    code: number,
    text: string,
    reason: RefusalReason,
  ) {
    metrics.refuse(reason);
    if (socket.destroyed) return;
    wss.handleUpgrade(request, socket, head, (ws) => {
      ws.on('error', () => undefined);
      ws.close(code, text);
    });
  }

  async function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => undefined);
    if (closing) return refuseHttp(socket, 503, 'Service Unavailable', 'closing');
    const origin = request.headers.origin;
    const originOk = allowedOrigins
      ? originAllowed(origin, allowedOrigins)
      : verify || origin === undefined || isLoopbackOrigin(origin);
    if (!originOk) {
      log('info', 'socket refused: origin not allowed', { origin: origin?.slice(0, 200) });
      return refuseHttp(socket, 403, 'Forbidden', 'origin');
    }
    const query = urlOf(request.url).searchParams;
    const conversationId = query.get('conversation') ?? '';
    const role = query.get('role');
    if (!CONVERSATION_PATTERN.test(conversationId) || !isRole(role)) {
      return refuseHttp(socket, 400, 'Bad Request', 'bad-request');
    }
    if (peers.size + pendingUpgrades >= limits.maxSockets) {
      log('warn', 'socket refused: the instance is full');
      return refuseWs(request, socket, head, 1013, 'relay full', 'capacity');
    }
    pendingUpgrades++;
    const conversation = conversationFor(conversationId);
    conversation.pending++;
    try {
      let identity: RelayIdentity | null = null;
      if (verify) {
        try {
          identity = await verify(request);
        } catch {
          identity = null;
        }
      } else if (isLoopback(request.socket.remoteAddress)) {
        identity = { conversation: conversationId, role };
      }
      if (!identity || identity.conversation !== conversationId || identity.role !== role) {
        log('info', 'socket refused: not authorized', { conversation: conversationId, role });
        return refuseWs(request, socket, head, 1008, 'not authorized', 'auth');
      }
      const present = conversation.agent.size + conversation.consumer.size;
      if (present + conversation.pending - 1 >= limits.maxSocketsPerConversation) {
        log('warn', 'socket refused: the conversation is full', { conversation: conversationId });
        return refuseWs(request, socket, head, 1013, 'conversation full', 'capacity');
      }
      try {
        await bus.join(conversationId);
      } catch {
        log('warn', 'socket refused: redis unreachable', { conversation: conversationId });
        return refuseWs(request, socket, head, 1013, 'relay unavailable', 'capacity');
      }
      if (closing) return refuseHttp(socket, 503, 'Service Unavailable', 'closing');
      if (socket.destroyed) return;
      const accepted = identity;
      await new Promise<void>((resolve) => {
        wss.handleUpgrade(request, socket, head, (ws) => {
          join(ws, conversation, accepted, request);
          resolve();
        });
        // handleUpgrade answers some requests itself (a bad handshake) without calling back.
        socket.once('close', () => resolve());
      });
    } finally {
      pendingUpgrades--;
      conversation.pending--;
      release(conversation);
    }
  }

  // ---- keep-alive --------------------------------------------------------------

  const pinger = setInterval(() => {
    for (const peer of peers) {
      if (!peer.alive) {
        peer.closing = true;
        peer.ws.terminate();
        continue;
      }
      peer.alive = false;
      peer.ws.ping();
    }
  }, limits.pingIntervalMs);
  pinger.unref();

  // ---- HTTP --------------------------------------------------------------------

  function handleRequest(request: IncomingMessage, response: ServerResponse): boolean {
    const { pathname } = urlOf(request.url);
    if (pathname !== '/healthz' && pathname !== '/metrics') return false;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return true;
    }
    const body =
      pathname === '/healthz'
        ? JSON.stringify({ ok: !closing, instance, redis: bus.state(), sockets: peers.size })
        : metrics.text();
    response.writeHead(200, {
      'Content-Type':
        pathname === '/healthz'
          ? 'application/json; charset=utf-8'
          : 'text/plain; version=0.0.4; charset=utf-8',
      'Cache-Control': 'no-store',
      'Content-Length': Buffer.byteLength(body),
    });
    response.end(request.method === 'HEAD' ? undefined : body);
    return true;
  }

  function close(code: number = RelayCloseCode.GOING_AWAY): Promise<void> {
    closing ??= (async () => {
      clearInterval(pinger);
      const gone = [...peers].map(
        (peer) =>
          new Promise<void>((resolve) => {
            if (peer.ws.readyState === peer.ws.CLOSED) return resolve();
            peer.ws.once('close', () => resolve());
            peer.closing = true;
            peer.ws.close(code, 'relay shutting down');
          }),
      );
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(gone),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, CLOSE_GRACE_MS);
        }),
      ]);
      clearTimeout(timer);
      for (const peer of peers) peer.ws.terminate();
      wss.close();
      await bus.close();
      log('info', 'relay closed', { instance });
    })();
    return closing;
  }

  return {
    instance,
    handleUpgrade(request, socket, head) {
      upgrade(request, socket, head).catch((error: unknown) => {
        log('error', 'upgrade failed', { error: (error as Error)?.name });
        socket.destroy();
      });
    },
    handleRequest,
    metrics: () => {
      metrics.redisConnected = bus.state() === 'connected';
      return metrics.snapshot();
    },
    close,
  };
}

/** Whether a frame is a JSON object with a top-level `relay` key (the relay's own frame). */
function speaksAsRelay(data: Buffer): boolean {
  try {
    const value: unknown = JSON.parse(data.toString('utf8'));
    return typeof value === 'object' && value !== null && Object.hasOwn(value, 'relay');
  } catch {
    return false;
  }
}
