/**
 * Rate limits shared by every gateway instance on the database: rate-limiter-flexible's
 * RateLimiterPostgres on the store's pool, each use one atomic upsert of the key's row in rate_limits
 * (created by the migrations, not the library). Keys are stored as digests: the table holds no address
 * or user id. A key over its limit is then refused in this instance's memory until its window ends,
 * without asking the database again. Rows of windows long over are deleted now and then.
 */
import crypto from 'node:crypto';
import { RateLimiterPostgres } from 'rate-limiter-flexible';
import type { RateLimitStore } from '../port';
import { limiterOver } from '../rate-limits';
import type { PgContext } from './context';
import { storeError } from './errors';

/** A row whose window has ended counts nothing (the next use starts a new one): deleted a day later. */
const KEEP_MS = 24 * 60 * 60 * 1000;
const PRUNE_EVERY_MS = 60 * 60 * 1000;

const digest = (key: string): string => crypto.createHash('sha256').update(key).digest('base64url');

export function createPgRateLimits(ctx: PgContext): RateLimitStore {
  let prunedAt = ctx.now().getTime();
  const prune = () => {
    const now = ctx.now().getTime();
    if (now - prunedAt < PRUNE_EVERY_MS) return;
    prunedAt = now;
    // The library keeps `expire` in its own milliseconds (Date.now()); losing a prune costs nothing.
    ctx.query('DELETE FROM rate_limits WHERE expire < $1', [Date.now() - KEEP_MS]).catch(() => undefined);
  };
  return {
    limiter(name, rule) {
      const limiter = limiterOver(
        new RateLimiterPostgres({
          storeClient: ctx.pool,
          storeType: 'pool',
          tableName: 'rate_limits',
          tableCreated: true,
          clearExpiredByTimeout: false,
          keyPrefix: name,
          points: rule.points,
          duration: rule.durationSeconds,
          inMemoryBlockOnConsumed: rule.points + 1,
        }),
        rule,
        digest,
      );
      return {
        // Through the store's run: nothing starts after close, and close waits for what did.
        consume: (key) => {
          prune();
          return ctx
            .run(() => limiter.consume(key))
            .catch((error: unknown) => Promise.reject(storeError(error)));
        },
        exhausted: (key) =>
          ctx.run(() => limiter.exhausted(key)).catch((error: unknown) => Promise.reject(storeError(error))),
      };
    },
  };
}
