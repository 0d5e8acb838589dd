/**
 * Two gateway instances on one PostgreSQL against one, shown without a target: (1) hit/no-hit lookups
 * over HTTP, two gateway children on one schema with http-lookup's load shared between them (the same
 * connections in all) against one child with all of it; (2) log appends, two stores (two pools) on one
 * schema with the writers shared between them against one store with all of them. Every append of any
 * instance queues on the log's one lock, and here the instances, PostgreSQL and the load generator
 * share the machine's cores: the figure says what a second instance costs or brings on this machine.
 */
import type { Store } from '../src/store/port';
import { openPgStore } from '../src/store/postgres';
import {
  checkAnswers,
  lookupBodies,
  lookupSettings,
  measureTogether,
  requestsFor,
  startGatewayChild,
} from './lib/http-load';
import { PG_URL, pgEnv, requirePostgres, withSchemas } from './lib/pg';
import { row, type BenchContext, type Benchmark, type ResultRow } from './lib/types';
import { appendConcurrently, POOL_SIZE } from './pg-log-append';

/** Lookups/s of one gateway, then of two on the same schema (the second started after the first's run). */
async function lookups(ctx: BenchContext, schema: string) {
  const settings = lookupSettings(ctx.smoke);
  const records = ctx.smoke ? 100 : 10_000;
  const analysts = ctx.smoke ? 10 : 1_000;
  const bodies = lookupBodies(records);
  const env = pgEnv(schema);
  const first = startGatewayChild(ctx, records, analysts, { env, logName: 'gateway-1.log' });
  try {
    const a = await first.first;
    await checkAnswers(a.url, a.tokens[0], bodies);
    const targetA = { url: a.url, requests: requestsFor(a.tokens, bodies) };
    const one = await measureTogether([targetA], settings);
    // The second instance: the same work folder (the same checkpoint key), the store as seeded.
    const second = startGatewayChild(ctx, records, analysts, {
      env: { ...env, BENCH_SEED: '0' },
      logName: 'gateway-2.log',
    });
    try {
      const b = await second.first;
      await checkAnswers(b.url, b.tokens[0], bodies);
      const two = await measureTogether(
        [targetA, { url: b.url, requests: requestsFor(b.tokens, bodies) }],
        settings,
      );
      return { settings, records, one, two };
    } finally {
      await second.stop();
    }
  } finally {
    await first.stop();
  }
}

/** Appends/s from one store, then from two on another schema, `writers` callers in all. */
async function appends(ctx: BenchContext, schemas: string[]) {
  const entries = ctx.smoke ? 200 : Number(process.env.BENCH_PG_ENTRIES ?? 10_000);
  const writers = ctx.smoke ? 16 : 64;
  const open = (schema: string) => openPgStore({ connectionString: PG_URL, schema, max: POOL_SIZE });
  const timed = async (stores: Store[]) => {
    try {
      return await appendConcurrently(stores, entries, writers);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  };
  const one = await timed([await open(schemas[0])]);
  const two = await timed([await open(schemas[1]), await open(schemas[1])]);
  return { entries, writers, poolSize: POOL_SIZE, one: entries / one, two: entries / two };
}

export const pgInstancesBenchmark: Benchmark = {
  id: 'pg-instances',
  title: 'two gateway instances on one PostgreSQL vs one (shown, no target)',
  async run(ctx) {
    await requirePostgres();
    ctx.log(
      'pg-instances: lookups over HTTP through one gateway, then two; log appends from one pool, then two',
    );
    const http = await withSchemas(1, ([schema]) => lookups(ctx, schema));
    const log = await withSchemas(2, (schemas) => appends(ctx, schemas));
    const rows: ResultRow[] = [
      row({
        benchmark: 'pg-instances',
        figure: 'lookups over HTTP on PostgreSQL, two gateways vs one, requests/s',
        unit: 'req/s',
        gateway: http.two.requestsPerSecond,
        baseline: http.one.requestsPerSecond,
        baselineIs: 'one gateway on the same PostgreSQL with the same load (connections), same run',
        target: {},
        details: http,
      }),
      row({
        benchmark: 'pg-instances',
        figure: 'log appends on PostgreSQL, two pools vs one, entries/s',
        unit: 'entries/s',
        gateway: log.two,
        baseline: log.one,
        baselineIs: `one store (pool of ${POOL_SIZE}) with the same ${log.writers} writers, same run`,
        target: {},
        details: log,
      }),
    ];
    return rows;
  },
};
