/**
 * Durable log appends on PostgreSQL through the store (store.audit.append of log-append's events: the
 * log's lock, the tip read, the hash chain, Merkle nodes, partner and keyed-hash index rows, the
 * statistics' counts; one transaction per append) against raw `pg` inserts of the very same rows
 * (entry, index rows, tree nodes), one transaction (BEGIN, one INSERT statement, COMMIT) per entry as
 * the store made them, into a schema made by the same migrations (same indexes, constraints,
 * triggers), with the same number of concurrent callers on a pool of the same size: no lock, no reads,
 * no log logic. Writers: many concurrent callers, each appending one entry at a time and waiting for it
 * to be durable, as request handlers do. Fresh schemas each round, dropped afterwards.
 */
import type pg from 'pg';
import type { Store } from '../src/store/port';
import { openPgStore } from '../src/store/postgres';
import { openPgPool } from '../src/store/postgres/pool';
import { benchEvent } from './lib/events';
import { PG_URL, requirePostgres, withSchemas } from './lib/pg';
import { msSince } from './lib/stats';
import { row, type Benchmark } from './lib/types';

/** Connections per pool: the store's default. */
export const POOL_SIZE = 10;

/**
 * Appends `entries` of log-append's events from `writers` concurrent callers, one entry at a time each,
 * writer w through stores[w % stores.length]; returns the seconds it took.
 */
export async function appendConcurrently(
  stores: readonly Store[],
  entries: number,
  writers: number,
): Promise<number> {
  // Made before the clock starts, as the baseline's rows are.
  const events = Array.from({ length: entries }, (_, i) => benchEvent(i));
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      const store = stores[w % stores.length];
      while (next < entries) await store.audit.append([events[next++]]);
    }),
  );
  return msSince(started) / 1000;
}

async function appendThroughStore(schema: string, entries: number, writers: number): Promise<number> {
  const store = await openPgStore({ connectionString: PG_URL, schema, max: POOL_SIZE });
  try {
    return await appendConcurrently([store], entries, writers);
  } finally {
    await store.close();
  }
}

/** One entry's rows as the store wrote them: $1..$12 the entry, then its index rows and tree nodes. */
type EntryParams = unknown[];

/** Every row the store wrote for entries 1..entries, as one parameter list per entry. */
async function rowsOf(pool: pg.Pool, entries: number): Promise<EntryParams[]> {
  const raw = async (sql: string) =>
    (await pool.query<unknown[]>({ text: sql, values: [entries], rowMode: 'array' })).rows;
  const plan = (
    await raw(
      `SELECT seq, ts, type, actor_user, actor_partner, partners, request_id, agreement_id, outcome, body,
              prev_hash, hash FROM audit_log WHERE seq <= $1 ORDER BY seq`,
    )
  ).map((entry) => ({ entry, partners: [] as unknown[], hashes: [] as unknown[], nodes: [] as unknown[][] }));
  if (plan.length !== entries) throw new Error(`the store wrote ${plan.length} entries, not ${entries}`);
  const of = (seq: unknown) => plan[Number(seq) - 1];
  for (const [partner, seq] of await raw('SELECT partner, seq FROM audit_partners WHERE seq <= $1'))
    of(seq).partners.push(partner);
  for (const [hash, seq] of await raw('SELECT hash, seq FROM audit_hashes WHERE seq <= $1'))
    of(seq).hashes.push(hash);
  // Node (level, idx) is written with entry (idx + 1) * 2^level.
  for (const [level, idx, hash, seq] of await raw(
    `SELECT level, idx, hash, (idx + 1) * (1::bigint << level) AS seq FROM audit_tree
      WHERE (idx + 1) * (1::bigint << level) <= $1`,
  ))
    of(seq).nodes.push([level, idx, hash]);
  return plan.map((e) => [
    ...e.entry,
    e.partners,
    e.hashes,
    e.nodes.map((n) => n[0]),
    e.nodes.map((n) => n[1]),
    e.nodes.map((n) => n[2]),
  ]);
}

/** An entry's rows in one statement (the index rows' references are checked at its end). */
const INSERT_ENTRY = `WITH
  entry AS (
    INSERT INTO audit_log (seq, ts, type, actor_user, actor_partner, partners, request_id, agreement_id,
                           outcome, body, prev_hash, hash)
    VALUES ($1::bigint, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)),
  partners AS (INSERT INTO audit_partners (partner, seq) SELECT unnest($13::text[]), $1::bigint),
  hashes AS (INSERT INTO audit_hashes (hash, seq) SELECT unnest($14::text[]), $1::bigint)
  INSERT INTO audit_tree (level, idx, hash) SELECT * FROM unnest($15::integer[], $16::bigint[], $17::bytea[])`;

/** The baseline: the same rows, one transaction per entry, from `writers` callers on a pool alike. */
async function insertRaw(
  source: string,
  target: string,
  entries: number,
  writers: number,
): Promise<{ seconds: number; rows: number }> {
  // The same schema (indexes, constraints, triggers) as the store makes it.
  await (await openPgStore({ connectionString: PG_URL, schema: target, max: 1 })).close();
  const read = openPgPool({ connectionString: PG_URL, schema: source, max: 1 });
  const plan = await rowsOf(read, entries).finally(() => read.end());
  const pool = openPgPool({ connectionString: PG_URL, schema: target, max: POOL_SIZE });
  try {
    let next = 0;
    let rows = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: writers }, async () => {
        while (next < plan.length) {
          const params = plan[next++];
          const client = await pool.connect();
          try {
            await client.query('BEGIN');
            await client.query(INSERT_ENTRY, params);
            await client.query('COMMIT');
            rows++;
          } finally {
            client.release();
          }
        }
      }),
    );
    return { seconds: msSince(started) / 1000, rows };
  } finally {
    await pool.end();
  }
}

export const pgLogAppendBenchmark: Benchmark = {
  id: 'pg-log-append',
  title: 'durable log appends on PostgreSQL vs raw pg inserts of the same rows',
  async run(ctx) {
    await requirePostgres();
    const entries = ctx.smoke ? 200 : Number(process.env.BENCH_PG_ENTRIES ?? 2_000);
    const writers = ctx.smoke ? 16 : 64;
    const rounds = ctx.smoke ? 1 : 2;
    ctx.log(`pg-log-append: ${entries} entries from ${writers} concurrent writers, ${rounds} rounds`);
    // Rounds alternate store and baseline (fresh schemas each), so that both meet the disk in the same
    // moods; the figures are totals over the rounds.
    const gatewaySeconds: number[] = [];
    const baselineSeconds: number[] = [];
    for (let round = 0; round < rounds; round++) {
      await withSchemas(2, async ([store, raw]) => {
        gatewaySeconds.push(await appendThroughStore(store, entries, writers));
        const baseline = await insertRaw(store, raw, entries, writers);
        if (baseline.rows !== entries)
          throw new Error(`baseline wrote ${baseline.rows} entries, not ${entries}`);
        baselineSeconds.push(baseline.seconds);
      });
    }
    const total = (seconds: number[]) => seconds.reduce((sum, s) => sum + s, 0);
    return [
      row({
        benchmark: 'pg-log-append',
        figure: 'durable log appends/s on PostgreSQL (one transaction per append)',
        unit: 'entries/s',
        gateway: (entries * rounds) / total(gatewaySeconds),
        baseline: (entries * rounds) / total(baselineSeconds),
        baselineIs: `raw pg INSERTs of the same rows, one transaction per entry, same schema, ${writers} callers, pool of ${POOL_SIZE}`,
        target: { min: 0.5 },
        details: { entries, writers, rounds, poolSize: POOL_SIZE, gatewaySeconds, baselineSeconds },
      }),
    ];
  },
};
