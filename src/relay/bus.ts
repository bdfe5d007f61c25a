import type * as RedisModuleType from 'redis';
import type { Logger } from '../foundation/log';
import type { RelayMetrics } from './metrics';

/** What reaches an instance from the others: a frame and who sent it. */
export type BusListener = (conversation: string, payload: Buffer) => void;

/** Redis state as `/healthz` reports it. */
export type BusState = 'connected' | 'disconnected' | 'off';

/** How instances reach each other's sockets. */
export interface Bus {
  state(): BusState;
  /** Subscribes to a conversation; resolves once frames of other instances will arrive. */
  join(conversation: string): Promise<void>;
  /** Drops the conversation's subscription (its last local socket has gone). */
  leave(conversation: string): void;
  /** Publishes a frame to the other instances; false when it could not be sent. */
  publish(conversation: string, payload: Buffer): boolean;
  close(): Promise<void>;
}

/** One instance alone: nothing to reach. */
export const noBus: Bus = {
  state: () => 'off',
  join: () => Promise.resolve(),
  leave: () => undefined,
  publish: () => true,
  close: () => Promise.resolve(),
};

/** The Redis channel of a conversation. */
export const channelOf = (conversation: string): string => `mc:conv:${conversation}`;

const PING_INTERVAL_MS = 5_000;
const ERROR_LOG_INTERVAL_MS = 30_000;
const CONNECT_TIMEOUT_MS = 10_000;
/** Commands waiting for a connection at most (the offline queue is off: frames are not kept). */
const QUEUE_MAX = 10_000;

type RedisModule = typeof RedisModuleType;
type RedisClient = ReturnType<RedisModule['createClient']>;

/**
 * Instances sharing one Redis: a publisher connection and a subscriber
 * connection (a subscribing connection can do nothing else). One channel
 * per conversation, subscribed while the conversation has a local socket.
 * node-redis reconnects by itself and subscribes again to every channel it
 * had; frames published while Redis is unreachable are dropped and counted.
 */
export async function redisBus(
  url: string,
  listener: BusListener,
  metrics: RelayMetrics,
  log: Logger,
): Promise<Bus> {
  let redis: RedisModule;
  try {
    redis = await import('redis');
  } catch {
    throw new Error('the relay needs the `redis` package for --redis: npm install redis');
  }
  const options = {
    url,
    disableOfflineQueue: true,
    commandsQueueMaxLength: QUEUE_MAX,
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2_000),
    },
  };
  const pub: RedisClient = redis.createClient(options);
  const sub: RedisClient = pub.duplicate();
  const prefix = channelOf('');
  const onMessage = (message: Buffer, channel: Buffer | string) => {
    const name = typeof channel === 'string' ? channel : channel.toString('utf8');
    listener(name.slice(prefix.length), message);
  };

  let lastState: BusState = 'disconnected';
  const state = (): BusState => (pub.isReady && sub.isReady ? 'connected' : 'disconnected');
  const changed = () => {
    const now = state();
    metrics.redisConnected = now === 'connected';
    if (now !== lastState) log(now === 'connected' ? 'info' : 'warn', `redis ${now}`);
    lastState = now;
  };
  // An outage repeats its error at every reconnection attempt: one line per outage is enough.
  let quietUntil = 0;
  for (const client of [pub, sub]) {
    client.on('error', (error: unknown) => {
      const now = Date.now();
      if (now < quietUntil) return;
      quietUntil = now + ERROR_LOG_INTERVAL_MS;
      log('warn', 'redis error', { error: (error as Error)?.message ?? String(error) });
    });
    client.on('ready', changed);
    client.on('end', changed);
    client.on('reconnecting', changed);
  }

  const connect = Promise.all([pub.connect(), sub.connect()]);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      connect,
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`redis unreachable at ${url} after ${CONNECT_TIMEOUT_MS} ms`)),
          CONNECT_TIMEOUT_MS,
        );
      }),
    ]);
  } catch (error) {
    pub.destroy();
    sub.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  changed();

  const ping = setInterval(() => {
    if (!pub.isReady) return;
    const started = performance.now();
    pub.ping().then(
      () => metrics.roundTrip(performance.now() - started),
      () => undefined,
    );
  }, PING_INTERVAL_MS);
  ping.unref();
  // A first figure at once rather than after the first interval.
  const started = performance.now();
  await pub.ping().then(() => metrics.roundTrip(performance.now() - started));

  /** Channels subscribed (or being subscribed): the SUBSCRIBE's confirmation. */
  const subscribed = new Map<string, Promise<void>>();
  return {
    state,
    join(conversation) {
      const channel = channelOf(conversation);
      let done = subscribed.get(channel);
      if (!done) {
        done = sub.subscribe(channel, onMessage, true);
        subscribed.set(channel, done);
        done.catch(() => {
          if (subscribed.get(channel) === done) subscribed.delete(channel);
        });
      }
      return done;
    },
    leave(conversation) {
      const channel = channelOf(conversation);
      if (!subscribed.delete(channel)) return;
      sub.unsubscribe(channel, onMessage, true).catch(() => undefined);
    },
    publish(conversation, payload) {
      if (!pub.isReady) return false;
      metrics.framesPublished++;
      pub.publish(channelOf(conversation), payload).catch(() => metrics.drop('redis-down'));
      return true;
    },
    async close() {
      clearInterval(ping);
      subscribed.clear();
      await Promise.allSettled([sub.close(), pub.close()]);
    },
  };
}
