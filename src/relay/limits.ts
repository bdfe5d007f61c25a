import type { RelayLimits } from './types';

/** The limits with their defaults filled in. */
export type Limits = Required<RelayLimits>;

export const DEFAULT_LIMITS: Limits = {
  maxFrameBytes: 65_536,
  messagesPerSecond: 50,
  burst: 100,
  maxSocketsPerConversation: 16,
  maxSockets: 10_000,
  pingIntervalMs: 30_000,
  maxBufferedBytes: 1024 * 1024,
};

/** The defaults overridden by the given limits; a limit that is not a positive number throws. */
export function limitsFrom(given: RelayLimits | undefined): Limits {
  const out: Limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof Limits)[]) {
    const value = given?.[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value > 0)) {
      throw new TypeError(`limits.${key} must be a positive number`);
    }
    out[key] = value;
  }
  return out;
}

/** A token bucket: `rate` per second on average, `burst` at once. */
export class RateBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token; false when there is none left. */
  take(now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
