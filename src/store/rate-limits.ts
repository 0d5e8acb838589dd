/**
 * Rate limits' counters through rate-limiter-flexible, behind the store's port (RateLimitStore). This
 * file holds what every store shares and the counters of a store whose one process owns its database
 * (SQLite): in memory, with nothing to write. PostgreSQL's are in postgres/rate-limits.ts.
 */
import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimiter, RateLimitRule, RateLimitStore } from './port';

const WITHIN = () => 0;

/** A refusal's wait; anything else the library rejects with is a failure of its store, passed on. */
const refusedFor = (rejection: unknown): number => {
  if (rejection instanceof RateLimiterRes) return Math.max(rejection.msBeforeNext, 1);
  throw rejection;
};

/**
 * The port's limiter over one of the library's. `keyOf` turns the caller's key into the stored one
 * (the identity for memory; a digest where keys are written to a database).
 */
export function limiterOver(
  flexible: RateLimiterAbstract,
  rule: RateLimitRule,
  keyOf: (key: string) => string = (key) => key,
): RateLimiter {
  return {
    consume: (key) => flexible.consume(keyOf(key)).then(WITHIN, refusedFor),
    exhausted: (key) =>
      flexible
        .get(keyOf(key))
        .then((res) =>
          res && res.consumedPoints >= rule.points && res.msBeforeNext > 0 ? res.msBeforeNext : 0,
        ),
  };
}

/** Counters in this process: O(1) per use, a timer per key and window that forgets it. */
export function memoryRateLimits(): RateLimitStore {
  return {
    limiter: (_name, rule) =>
      limiterOver(
        new RateLimiterMemory({ keyPrefix: '', points: rule.points, duration: rule.durationSeconds }),
        rule,
      ),
  };
}
