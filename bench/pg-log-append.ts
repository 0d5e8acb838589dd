/**
 * Durable log appends on PostgreSQL through the store (store.audit.append of log-append's events: the
 * log's lock, the tip read, the hash chain, Merkle nodes, partner and keyed-hash index rows, the
 * statistics' counts; group commit) against raw `pg` inserts of the very same rows (entry, index rows,
 * tree nodes) in the very same transactions the store made (BEGIN, one INSERT statement, COMMIT each;
 * told apart by the rows' xmin), into a schema made by the same migrations (same indexes, constraints,
 * triggers), from the same number of concurrent callers on a pool of the same size: no lock, no reads,
 * no log logic, so the transactions run side by side where the store's queue on the log's lock.
 * Writers: many concurrent callers, each appending one entry at a time and waiting for it to be
 * durable, as request handlers do. Fresh schemas each round, dropped afterwards.
 */
import type pg from 'pg';
import type { Store } from '../src/store/port';
import { openPgStore } from '../src/store/postgres';
import { INSERT_ROWS } from '../src/store/postgres/audit';
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

/**
 * One transaction's rows as the store wrote them: the entries' columns ($1..$12, one array each), then
 * their index rows and tree nodes.
 */
type TransactionParams = unknown[][];

/** Every row the store wrote for entries 1..entries, as one parameter list per transaction it made. */
async function transactionsOf(pool: pg.Pool, entries: number): Promise<TransactionParams[]> {
  const raw = async (sql: string) =>
    (await pool.query<unknown[]>({ text: sql, values: [entries], rowMode: 'array' })).rows;
  const plan = (
    await raw(
      `SELECT seq, ts, type, actor_user, actor_partner, partners, request_id, agreement_id, outcome, body,
              prev_hash, hash, xmin::text FROM audit_log WHERE seq <= $1 ORDER BY seq`,
    )
  ).map((entry) => ({
    entry: entry.slice(0, 12),
    xmin: entry[12],
    partners: [] as unknown[][],
    hashes: [] as unknown[][],
    nodes: [] as unknown[][],
  }));
  if (plan.length !== entries) throw new Error(`the store wrote ${plan.length} entries, not ${entries}`);
  const of = (seq: unknown) => plan[Number(seq) - 1];
  for (const [partner, seq] of await raw('SELECT partner, seq FROM audit_partners WHERE seq <= $1'))
    of(seq).partners.push([partner, seq]);
  for (const [hash, seq] of await raw('SELECT hash, seq FROM audit_hashes WHERE seq <= $1'))
    of(seq).hashes.push([hash, seq]);
  // Node (level, idx) is written with entry (idx + 1) * 2^level.
  for (const [level, idx, hash, seq] of await raw(
    `SELECT level, idx, hash, (idx + 1) * (1::bigint << level) AS seq FROM audit_tree
      WHERE (idx + 1) * (1::bigint << level) <= $1`,
  ))
    of(seq).nodes.push([level, idx, hash]);
  // A transaction's entries are consecutive and share its xmin.
  const transactions: (typeof plan)[] = [];
  for (const e of plan) {
    const last = transactions[transactions.length - 1];
    if (last && last[0].xmin === e.xmin) last.push(e);
    else transactions.push([e]);
  }
  return transactions.map((t) => {
    const all = (pick: (e: (typeof plan)[number]) => unknown[][]) => t.flatMap(pick);
    const column = (rows: unknown[][], i: number) => rows.map((r) => r[i]);
    const [partners, hashes, nodes] = [all((e) => e.partners), all((e) => e.hashes), all((e) => e.nodes)];
    return [
      ...Array.from({ length: 12 }, (_, i) => t.map((e) => e.entry[i])),
      column(partners, 0),
      column(partners, 1),
      column(hashes, 0),
      column(hashes, 1),
      column(nodes, 0),
      column(nodes, 1),
      column(nodes, 2),
    ];
  });
}

/** The baseline: the same rows in the same transactions, from `writers` callers on a pool alike. */
async function insertRaw(
  source: string,
  target: string,
  entries: number,
  writers: number,
): Promise<{ seconds: number; rows: number; transactions: number }> {
  // The same schema (indexes, constraints, triggers) as the store makes it.
  await (await openPgStore({ connectionString: PG_URL, schema: target, max: 1 })).close();
  const read = openPgPool({ connectionString: PG_URL, schema: source, max: 1 });
  const plan = await transactionsOf(read, entries).finally(() => read.end());
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
            // The store's own statement for a transaction's rows.
            await client.query(INSERT_ROWS, params);
            await client.query('COMMIT');
            rows += params[0].length;
          } finally {
            client.release();
          }
        }
      }),
    );
    return { seconds: msSince(started) / 1000, rows, transactions: plan.length };
  } finally {
    await pool.end();
  }
}

export const pgLogAppendBenchmark: Benchmark = {
  id: 'pg-log-append',
  title: 'durable log appends on PostgreSQL vs raw pg inserts of the same rows',
  async run(ctx) {
    await requirePostgres();
    const entries = ctx.smoke ? 200 : Number(process.env.BENCH_PG_ENTRIES ?? 10_000);
    const writers = ctx.smoke ? 16 : 64;
    const rounds = ctx.smoke ? 1 : 2;
    ctx.log(`pg-log-append: ${entries} entries from ${writers} concurrent writers, ${rounds} rounds`);
    // Rounds alternate store and baseline (fresh schemas each), so that both meet the disk in the same
    // moods; the figures are totals over the rounds.
    const gatewaySeconds: number[] = [];
    const baselineSeconds: number[] = [];
    const transactions: number[] = [];
    for (let round = 0; round < rounds; round++) {
      await withSchemas(2, async ([store, raw]) => {
        gatewaySeconds.push(await appendThroughStore(store, entries, writers));
        const baseline = await insertRaw(store, raw, entries, writers);
        if (baseline.rows !== entries)
          throw new Error(`baseline wrote ${baseline.rows} entries, not ${entries}`);
        baselineSeconds.push(baseline.seconds);
        transactions.push(baseline.transactions);
      });
    }
    const total = (seconds: number[]) => seconds.reduce((sum, s) => sum + s, 0);
    return [
      row({
        benchmark: 'pg-log-append',
        figure: 'durable log appends/s on PostgreSQL (group commit)',
        unit: 'entries/s',
        gateway: (entries * rounds) / total(gatewaySeconds),
        baseline: (entries * rounds) / total(baselineSeconds),
        baselineIs: `raw pg INSERTs of the same rows in the same transactions, same schema, ${writers} callers, pool of ${POOL_SIZE}`,
        target: { min: 0.5 },
        details: {
          entries,
          writers,
          rounds,
          poolSize: POOL_SIZE,
          transactions,
          gatewaySeconds,
          baselineSeconds,
        },
      }),
    ];
  },
};
