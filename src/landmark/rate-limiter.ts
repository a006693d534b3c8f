// Token buckets per key (a source address, a device id), with a hard cap on how many keys are
// remembered: a flood of new keys evicts the least recently seen instead of growing memory.
// Pure: the caller passes the time.

export interface RateLimit {
  /** Tokens added per second. */
  readonly perSecond: number;
  /** Bucket size: the largest burst allowed. */
  readonly burst: number;
  /** Keys remembered at most. */
  readonly maxKeys: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly limit: RateLimit) {
    if (!(limit.perSecond > 0 && limit.burst >= 1 && limit.maxKeys >= 1))
      throw new Error('invalid rate limit');
  }

  /** Takes one token for `key` at time `nowMs`; false when the key is over its rate. */
  take(key: string, nowMs: number): boolean {
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= this.limit.maxKeys) {
        // Map iteration order is insertion order, and every hit re-inserts: the first key is the
        // least recently seen.
        this.buckets.delete(this.buckets.keys().next().value!);
      }
      b = { tokens: this.limit.burst, at: nowMs };
    } else {
      this.buckets.delete(key);
      const elapsed = Math.max(0, nowMs - b.at) / 1000;
      b.tokens = Math.min(this.limit.burst, b.tokens + elapsed * this.limit.perSecond);
      b.at = Math.max(b.at, nowMs);
    }
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  get size(): number {
    return this.buckets.size;
  }
}
