// The landmark's memory of redeemed nonces: each nonce answers one response, once, while fresh.
//
// It records nonces when a RESPONSE redeems them, not when a CHALLENGE issues them: issuing is
// stateless (the cookie carries the issue time), so an unauthenticated HELLO adds nothing here.
// Memory is bounded by `maxEntries`; when full, the oldest entry is evicted and the book raises a
// floor to that entry's issue time, below which every nonce is refused as expired. Eviction can
// therefore only refuse a fresh nonce early, never accept a replay.

import { GeoattestError } from '../errors.js';
import { checkBytes } from './bytes.js';

export interface NonceBookOptions {
  /** How long after issue a nonce may be redeemed, in the same unit as the times passed in. */
  readonly ttl: number;
  /** Hard cap on remembered nonces. */
  readonly maxEntries: number;
}

export class NonceBook {
  readonly ttl: number;
  readonly maxEntries: number;
  /** Redeemed nonce (as a latin1 string) → issue time; Map keeps insertion (= redemption) order. */
  readonly #entries = new Map<string, number>();
  /** Nonces issued at or before this time may have been evicted: refuse them. */
  #floor = Number.NEGATIVE_INFINITY;

  constructor(options: NonceBookOptions) {
    const { ttl, maxEntries } = options;
    if (!Number.isFinite(ttl) || ttl <= 0) throw new RangeError('NonceBook: ttl must be positive');
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError('NonceBook: maxEntries must be a positive integer');
    }
    this.ttl = ttl;
    this.maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * Redeems `nonce`, issued at `issuedAt`, at time `now`. Throws NONCE_EXPIRED when it is older
   * than the ttl, from the future, or below the eviction floor; NONCE_REPLAYED when already redeemed.
   */
  redeem(nonce: Uint8Array, issuedAt: number, now: number): void {
    checkBytes(nonce, 32, 'nonce');
    if (!Number.isFinite(issuedAt) || !Number.isFinite(now)) {
      throw new GeoattestError('NONCE_EXPIRED', 'nonce times must be finite');
    }
    this.#prune(now);
    if (issuedAt > now) throw new GeoattestError('NONCE_EXPIRED', 'nonce issued in the future');
    if (now - issuedAt > this.ttl) throw new GeoattestError('NONCE_EXPIRED', 'nonce expired');
    if (issuedAt <= this.#floor) {
      throw new GeoattestError('NONCE_EXPIRED', 'nonce older than the oldest one still remembered');
    }
    const key = Buffer.from(nonce).toString('latin1');
    if (this.#entries.has(key)) throw new GeoattestError('NONCE_REPLAYED', 'nonce already used');
    while (this.#entries.size >= this.maxEntries) this.#evictOldest();
    this.#entries.set(key, issuedAt);
  }

  /** Drops entries that have expired anyway; they would be refused by the ttl check. */
  #prune(now: number): void {
    for (const [key, issuedAt] of this.#entries) {
      if (now - issuedAt <= this.ttl) break; // roughly ordered; the cap bounds what is left
      this.#entries.delete(key);
      // Keeps a forgotten nonce refused even if a caller's clock were ever to step back.
      if (issuedAt > this.#floor) this.#floor = issuedAt;
    }
  }

  #evictOldest(): void {
    const first = this.#entries.entries().next();
    if (first.done) return;
    const [key, issuedAt] = first.value;
    this.#entries.delete(key);
    if (issuedAt > this.#floor) this.#floor = issuedAt;
  }
}
