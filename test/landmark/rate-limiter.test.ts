import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/landmark/rate-limiter.js';

describe('rate limiter', () => {
  it('allows a burst, then the refill rate', () => {
    const r = new RateLimiter({ perSecond: 10, burst: 3, maxKeys: 10 });
    expect([r.take('a', 0), r.take('a', 0), r.take('a', 0), r.take('a', 0)]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(r.take('a', 50)).toBe(false); // half a token
    expect(r.take('a', 100)).toBe(true); // one token after 100 ms at 10/s
    expect(r.take('b', 100)).toBe(true); // keys are independent
  });

  it('never remembers more than maxKeys, evicting the least recently seen', () => {
    const r = new RateLimiter({ perSecond: 1, burst: 1, maxKeys: 100 });
    for (let i = 0; i < 100_000; i++) r.take(`k${i}`, i);
    expect(r.size).toBe(100);
    // A flooded-out key starts afresh; a recent one is still limited.
    expect(r.take('k0', 100_000)).toBe(true);
    expect(r.take('k99999', 100_000)).toBe(false);
  });

  it('does not mint tokens when the clock steps backwards', () => {
    const r = new RateLimiter({ perSecond: 1, burst: 1, maxKeys: 10 });
    expect(r.take('a', 10_000)).toBe(true);
    expect(r.take('a', 0)).toBe(false);
  });
});
