/** Why a frame was not relayed (or a socket was closed for it). */
export type DropReason =
  'too-large' | 'rate-limit' | 'slow-reader' | 'not-permitted' | 'binary' | 'redis-down';

/** Why a connection was refused. */
export type RefusalReason = 'origin' | 'auth' | 'capacity' | 'bad-request' | 'closing';

const DROP_REASONS: readonly DropReason[] = [
  'too-large',
  'rate-limit',
  'slow-reader',
  'not-permitted',
  'binary',
  'redis-down',
];
const REFUSAL_REASONS: readonly RefusalReason[] = [
  'origin',
  'auth',
  'capacity',
  'bad-request',
  'closing',
];
/** Upper bounds (seconds) of the Redis round-trip histogram. */
const RTT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

const camel = (reason: string): string =>
  reason.replace(/(^|-)([a-z])/g, (_, _dash: string, c: string) => c.toUpperCase());

/** The relay's counters and gauges; `text()` is the Prometheus exposition. */
export class RelayMetrics {
  sockets = 0;
  conversations = 0;
  framesReceived = 0;
  framesRelayed = 0;
  bytesRelayed = 0;
  framesPublished = 0;
  framesFromRedis = 0;
  /** Frames from another instance that arrived out of their sender's order (should stay 0). */
  redisOutOfOrder = 0;
  redisConnected = false;
  /** Last Redis PING round trip, in ms (-1: none yet). */
  redisRoundTripMs = -1;
  readonly dropped = new Map<DropReason, number>(DROP_REASONS.map((r) => [r, 0]));
  readonly refused = new Map<RefusalReason, number>(REFUSAL_REASONS.map((r) => [r, 0]));
  private readonly rttBuckets = RTT_BUCKETS.map(() => 0);
  private rttCount = 0;
  private rttSum = 0;

  constructor(
    readonly instance: string,
    private readonly redisEnabled: boolean,
  ) {}

  drop(reason: DropReason): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
  }

  refuse(reason: RefusalReason): void {
    this.refused.set(reason, (this.refused.get(reason) ?? 0) + 1);
  }

  roundTrip(ms: number): void {
    this.redisRoundTripMs = ms;
    const seconds = ms / 1000;
    this.rttCount++;
    this.rttSum += seconds;
    for (let i = 0; i < RTT_BUCKETS.length; i++) {
      if (seconds <= (RTT_BUCKETS[i] as number)) this.rttBuckets[i] = (this.rttBuckets[i] ?? 0) + 1;
    }
  }

  /** Every figure by name, for `Relay.metrics()`. */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {
      sockets: this.sockets,
      conversations: this.conversations,
      framesReceived: this.framesReceived,
      framesRelayed: this.framesRelayed,
      bytesRelayed: this.bytesRelayed,
      framesPublished: this.framesPublished,
      framesFromRedis: this.framesFromRedis,
      redisOutOfOrder: this.redisOutOfOrder,
      redisConnected: this.redisConnected ? 1 : 0,
      redisRoundTripMs: this.redisRoundTripMs,
    };
    let dropped = 0;
    for (const [reason, count] of this.dropped) {
      out[`framesDropped${camel(reason)}`] = count;
      dropped += count;
    }
    out.framesDropped = dropped;
    let refused = 0;
    for (const [reason, count] of this.refused) {
      out[`refused${camel(reason)}`] = count;
      refused += count;
    }
    out.refused = refused;
    return out;
  }

  /** The Prometheus text exposition format (version 0.0.4). */
  text(): string {
    const p = 'messaging_calls_relay';
    const label = `instance_id="${this.instance.replace(/["\\\n]/g, '_')}"`;
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, values: [string, number][]) => {
      lines.push(`# HELP ${p}_${name} ${help}`, `# TYPE ${p}_${name} ${type}`);
      for (const [labels, value] of values) {
        lines.push(`${p}_${name}{${[label, labels].filter(Boolean).join(',')}} ${value}`);
      }
    };
    metric('sockets', 'gauge', 'Open WebSockets.', [['', this.sockets]]);
    metric('conversations', 'gauge', 'Conversations with a socket on this instance.', [
      ['', this.conversations],
    ]);
    metric('frames_received_total', 'counter', 'Text frames received from sockets.', [
      ['', this.framesReceived],
    ]);
    metric('frames_relayed_total', 'counter', 'Frames delivered to a socket.', [
      ['', this.framesRelayed],
    ]);
    metric('bytes_relayed_total', 'counter', 'Bytes of the frames delivered to a socket.', [
      ['', this.bytesRelayed],
    ]);
    metric(
      'frames_dropped_total',
      'counter',
      'Frames not relayed, or sockets closed, by a limit.',
      [...this.dropped].map(([reason, n]) => [`reason="${reason}"`, n]),
    );
    metric(
      'connections_refused_total',
      'counter',
      'WebSocket connections refused.',
      [...this.refused].map(([reason, n]) => [`reason="${reason}"`, n]),
    );
    // The Redis figures are there without Redis too (redis_enabled 0), so dashboards need no cases.
    {
      metric(
        'redis_enabled',
        'gauge',
        'Whether this instance relays through Redis (1) or alone (0).',
        [['', this.redisEnabled ? 1 : 0]],
      );
      metric('redis_up', 'gauge', 'Whether Redis is connected (1) or not (0).', [
        ['', this.redisConnected ? 1 : 0],
      ]);
      metric('redis_published_total', 'counter', 'Frames published to Redis.', [
        ['', this.framesPublished],
      ]);
      metric('redis_received_total', 'counter', 'Frames received from other instances.', [
        ['', this.framesFromRedis],
      ]);
      metric('redis_out_of_order_total', 'counter', 'Frames from Redis out of sender order.', [
        ['', this.redisOutOfOrder],
      ]);
      metric('redis_round_trip_seconds', 'gauge', 'Last Redis PING round trip.', [
        ['', this.redisRoundTripMs < 0 ? NaN : this.redisRoundTripMs / 1000],
      ]);
      const name = `${p}_redis_ping_seconds`;
      lines.push(`# HELP ${name} Redis PING round trips.`, `# TYPE ${name} histogram`);
      RTT_BUCKETS.forEach((bound, i) =>
        lines.push(`${name}_bucket{${label},le="${bound}"} ${this.rttBuckets[i] ?? 0}`),
      );
      lines.push(
        `${name}_bucket{${label},le="+Inf"} ${this.rttCount}`,
        `${name}_sum{${label}} ${this.rttSum}`,
        `${name}_count{${label}} ${this.rttCount}`,
      );
    }
    return `${lines.join('\n')}\n`;
  }
}
