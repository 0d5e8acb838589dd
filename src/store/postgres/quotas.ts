/**
 * Daily quotas shared by every gateway instance on the database: each take is one atomic increment of
 * the day's row, so concurrent takes from any instance get distinct places. A day without a row yet
 * starts from what the store holds of it (counted before the first insert; two instances inserting at
 * once both land, the second as an increment). A use stays counted whether its write succeeds or not
 * (fail closed), as in memory; settle has nothing to release.
 */
import type { Counted, QuotaKey, QuotaUse } from '../../quotas/daily-quotas';
import type { QuotaKind, QuotaStore } from '../port';
import type { PgContext } from './context';

const KEY = 'kind = $1 AND partner_id = $2 AND user_id = $3 AND agreement_id = $4 AND since = $5';

/**
 * Days that began two days before the day being taken are pruned (a local day lasts at most 25 hours);
 * measured from that day, not the clock, so that no day still being taken is ever pruned.
 */
const KEEP_MS = 2 * 24 * 60 * 60 * 1000;
const PRUNE_EVERY_MS = 60 * 60 * 1000;

const settled: QuotaUse['settle'] = () => undefined;

export function createPgQuotas(ctx: PgContext, counts: Record<QuotaKind, Counted>): QuotaStore {
  let prunedAt = 0;

  const prune = async (now: number, day: Date) => {
    if (now - prunedAt < PRUNE_EVERY_MS) return;
    prunedAt = now;
    await ctx.query('DELETE FROM quota_days WHERE since < $1', [
      new Date(day.getTime() - KEEP_MS).toISOString(),
    ]);
  };

  return {
    async take(kind, key: QuotaKey) {
      const params = [kind, key.partnerId, key.userId, key.agreementId, key.since.toISOString()];
      const taken = await ctx.query<{ before: number }>(
        `UPDATE quota_days SET used = used + 1 WHERE ${KEY} RETURNING used - 1 AS before`,
        params,
      );
      if (taken.rows[0]) return { before: taken.rows[0].before, settle: settled };
      const stored = await counts[kind].countSince(key.partnerId, key.userId, key.agreementId, key.since);
      const first = await ctx.query<{ before: number }>(
        `INSERT INTO quota_days (kind, partner_id, user_id, agreement_id, since, used)
           VALUES ($1, $2, $3, $4, $5, $6 + 1)
         ON CONFLICT (kind, partner_id, user_id, agreement_id, since) DO UPDATE SET used = quota_days.used + 1
         RETURNING used - 1 AS before`,
        [...params, stored],
      );
      await prune(ctx.now().getTime(), key.since);
      return { before: first.rows[0].before, settle: settled };
    },
  };
}
