/**
 * Hit/no-hit lookups in PostgreSQL: a lookup's only record is its log entries, and the quota counts
 * them, through the index of lookup entries alone (audit_log_lookups, migration 4).
 */
import type { LookupStore } from '../port';
import type { PgContext } from './context';

const COUNT_SINCE = `SELECT count(*)::bigint AS n FROM audit_log
  WHERE type = 'lookup' AND actor_user = $1 AND actor_partner = $2 AND agreement_id = $3 AND ts >= $4`;

export function createPgLookups(ctx: PgContext): LookupStore {
  return {
    async create(events) {
      // A lookup's entries are all it writes: they go with other lookups' in one group commit.
      await ctx.append(events);
    },
    async countSince(partnerId, userId, agreementId, since) {
      const { rows } = await ctx.query<{ n: number }>(COUNT_SINCE, [
        userId,
        partnerId,
        agreementId,
        since.toISOString(),
      ]);
      return rows[0].n;
    },
  };
}
