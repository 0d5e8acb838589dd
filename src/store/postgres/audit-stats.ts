/**
 * The counts behind the DPO's statistics in PostgreSQL (what an entry counts for: src/audit/stats.ts),
 * kept in `audit_stats` (migration 5) as entries are appended, in the transaction that appends them and
 * under the log's lock: every instance adds its counts there (count = count + n), so they stay exact
 * however many instances append. Days are counted in each agreement's zone as `audit_stats_zones`
 * records it (an append checks the zones it counted in against it: statsCounter); when the bundle changes an agreement's zone, `useZonesInTx` records
 * the new one and counts that agreement's entries again, also under the log's lock.
 */
import type pg from 'pg';
import {
  NO_AGREEMENT,
  STATS_TYPES,
  StatsTally,
  addStoredBody,
  changedZones,
  type CountedEntry,
  type StatsCount,
  type StatsCountQuery,
  type StatsZones,
  zoneOf,
} from '../../audit/stats';
import { localDays } from '../../time/zones';

/** Stored entries counted per fetch when counting the log again. */
const PAGE = 5000;

const UPSERT = `INSERT INTO audit_stats (scope, day, agreement, measure, n)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])
  ON CONFLICT (scope, day, agreement, measure) DO UPDATE SET n = audit_stats.n + excluded.n`;

/** Adds a tally's counts to the stored ones: one statement (a tally's keys are distinct). */
async function writeTally(client: pg.PoolClient, tally: StatsTally): Promise<void> {
  const rows = [...tally.rows()];
  if (rows.length > 0) await client.query(UPSERT, countColumns(rows));
}

/** Count rows as the upserts' column arrays ($1..$5). */
const countColumns = (rows: readonly (StatsCount & { scope: string })[]) => [
  rows.map((r) => r.scope),
  rows.map((r) => r.day),
  rows.map((r) => r.agreement),
  rows.map((r) => r.measure),
  rows.map((r) => r.n),
];

/** The stored zones of these agreements (all of them when absent). */
async function readZones(
  client: pg.PoolClient,
  agreements?: readonly string[],
): Promise<Map<string, string>> {
  const { rows } =
    agreements === undefined
      ? await client.query<{ agreement: string; zone: string }>(
          'SELECT agreement, zone FROM audit_stats_zones',
        )
      : await client.query<{ agreement: string; zone: string }>(
          'SELECT agreement, zone FROM audit_stats_zones WHERE agreement = ANY($1::text[])',
          [agreements],
        );
  return new Map(rows.map((r) => [r.agreement, r.zone]));
}

/**
 * The upsert of an append's counts, made only if each agreement's zone it was counted in ($6, $7:
 * agreements and their zones as counted, UTC for one not stored) is the stored one; returns the
 * agreements whose stored zone differs, with that zone (none: the counts were added).
 */
const UPSERT_IF_ZONES = `WITH
  used AS (SELECT * FROM unnest($6::text[], $7::text[]) AS u (agreement, zone)),
  stale AS (
    SELECT u.agreement, coalesce(nullif(z.zone, ''), 'UTC') AS zone FROM used u
      LEFT JOIN audit_stats_zones z ON z.agreement = u.agreement
     WHERE coalesce(nullif(z.zone, ''), 'UTC') <> u.zone),
  counts AS (
    INSERT INTO audit_stats (scope, day, agreement, measure, n)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])
     WHERE NOT EXISTS (SELECT 1 FROM stale)
    ON CONFLICT (scope, day, agreement, measure) DO UPDATE SET n = audit_stats.n + excluded.n)
  SELECT agreement, zone FROM stale`;

/**
 * Counts entries just appended, inside their transaction with the log's lock held, when one of them
 * counts: one statement, counting in the zones this instance last saw, and written only if they are
 * still the stored ones (another instance may have changed one); if not, counted again in the stored
 * zones. The zones seen and `dayOf` (the current day's bounds, found once) are kept across appends.
 */
export function statsCounter(): (client: pg.PoolClient, entries: readonly CountedEntry[]) => Promise<void> {
  const dayOf = localDays();
  const seen = new Map<string, string>();
  const tallyOf = (entries: readonly CountedEntry[]) => {
    const tally = new StatsTally(seen, dayOf);
    for (const entry of entries) tally.add(entry);
    return tally;
  };
  return async (client, entries) => {
    const counted = entries.filter((e) => STATS_TYPES.includes(e.type));
    if (counted.length === 0) return;
    // The agreements whose zone decides a day ('' counts in UTC whatever is stored).
    const agreements = [...new Set(counted.map((e) => e.agreementId ?? NO_AGREEMENT))].filter(
      (a) => a !== NO_AGREEMENT,
    );
    const rows = [...tallyOf(counted).rows()];
    const { rows: stale } = await client.query<{ agreement: string; zone: string }>(UPSERT_IF_ZONES, [
      ...countColumns(rows),
      agreements,
      agreements.map((a) => zoneOf(seen, a)),
    ]);
    if (stale.length === 0) return;
    // Stale: learn the stored zones of these agreements (absent ones: not stored, UTC) and count again.
    for (const a of agreements) seen.delete(a);
    for (const [a, zone] of await readZones(client, agreements)) seen.set(a, zone);
    await writeTally(client, tallyOf(counted));
  };
}

/** The stored counts of one scope, ordered as SQLite's (byte order: the columns' collation is "C"). */
export async function readCounts(
  query: <R extends pg.QueryResultRow>(text: string, values: unknown[]) => Promise<pg.QueryResult<R>>,
  q: StatsCountQuery,
): Promise<StatsCount[]> {
  const range = [q.scope, q.fromDay ?? '', q.toDay ?? '~'];
  const { rows } =
    q.agreement === undefined
      ? await query<StatsCount>(
          `SELECT day, agreement, measure, n FROM audit_stats
           WHERE scope = $1 AND day >= $2 AND day <= $3 ORDER BY day, agreement, measure`,
          range,
        )
      : await query<StatsCount>(
          `SELECT day, agreement, measure, n FROM audit_stats
           WHERE scope = $1 AND day >= $2 AND day <= $3 AND agreement = $4 ORDER BY day, measure`,
          [...range, q.agreement],
        );
  return rows;
}

/**
 * Counts from now on under `wanted`, inside a transaction holding the log's lock: first the entries
 * from before the counts were kept (migration 5's backlog), under the zones stored; then each agreement
 * whose zone `wanted` changes gets its new zone and is counted again. Returns the agreements counted again.
 */
export async function useZonesInTx(client: pg.PoolClient, wanted: StatsZones): Promise<string[]> {
  const dayOf = localDays();
  const have = await readZones(client);
  const backlog = (await client.query<{ upto: number }>('SELECT upto FROM audit_stats_backlog')).rows[0]
    ?.upto;
  if (backlog) {
    await countStored(client, have, dayOf, 'seq <= $1', [backlog]);
    await client.query('UPDATE audit_stats_backlog SET upto = 0');
  }
  const changed = changedZones(have, wanted);
  for (const agreement of changed) {
    const zone = wanted.get(agreement) ?? 'UTC';
    await client.query(
      `INSERT INTO audit_stats_zones (agreement, zone) VALUES ($1, $2)
       ON CONFLICT (agreement) DO UPDATE SET zone = excluded.zone`,
      [agreement, zone],
    );
    have.set(agreement, zone);
    // The only removal of counts: this transaction says it is a recount (migration 5's trigger).
    await client.query("SELECT set_config('fsg.stats_recount', 'on', true)");
    await client.query('DELETE FROM audit_stats WHERE agreement = $1', [agreement]);
    await client.query("SELECT set_config('fsg.stats_recount', 'off', true)");
    await countStored(client, have, dayOf, 'agreement_id = $1', [agreement]);
  }
  return changed;
}

/**
 * Adds the counts of the stored entries `where` selects (a fixed fragment, its values bound) under
 * `zones`: read through a cursor in pages, in no particular order (counts add up alike).
 */
async function countStored(
  client: pg.PoolClient,
  zones: StatsZones,
  dayOf: ReturnType<typeof localDays>,
  where: string,
  values: unknown[],
): Promise<void> {
  await client.query(
    `DECLARE fsg_stats_count NO SCROLL CURSOR FOR
       SELECT body FROM audit_log WHERE ${where} AND type = ANY($${values.length + 1}::text[])`,
    [...values, STATS_TYPES],
  );
  for (;;) {
    const { rows } = await client.query<{ body: string }>(`FETCH ${PAGE} FROM fsg_stats_count`);
    const tally = new StatsTally(zones, dayOf);
    for (const row of rows) addStoredBody(tally, row.body);
    await writeTally(client, tally);
    if (rows.length < PAGE) break;
  }
  // (A failure above rolls the transaction back, the cursor with it.)
  await client.query('CLOSE fsg_stats_count');
}
