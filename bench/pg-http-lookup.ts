/**
 * Hit/no-hit lookups over HTTP with the gateway on PostgreSQL against the same gateway on SQLite (the
 * embedded default), measured in the same run: http-lookup's load (the same analysts, tokens, bodies
 * and autocannon settings), each gateway in a child process of its own, the PostgreSQL one on a fresh
 * schema dropped afterwards. Both make every lookup's log entry durable before they answer, each with
 * group commit: SQLite from a writer thread, PostgreSQL in transactions under the log's lock (each one
 * seven round trips: BEGIN, lock, head, frontier, insert, counts, COMMIT).
 */
import { lookupSettings, measureGateway } from './lib/http-load';
import { PG_URL, pgEnv, requirePostgres, withSchemas } from './lib/pg';
import { row, type Benchmark } from './lib/types';

export const pgHttpLookupBenchmark: Benchmark = {
  id: 'pg-http-lookup',
  title: 'hit/no-hit lookup over HTTP on PostgreSQL vs the same on SQLite',
  async run(ctx) {
    await requirePostgres();
    const settings = lookupSettings(ctx.smoke);
    const records = ctx.smoke ? 100 : 10_000;
    const analysts = ctx.smoke ? 10 : 1_000;
    ctx.log(
      `pg-http-lookup: gateways with ${records} records; ${settings.connections} connections, ${settings.duration} s`,
    );
    const pg = await withSchemas(1, ([schema]) =>
      measureGateway(ctx, settings, records, analysts, pgEnv(schema)),
    );
    const sqlite = await measureGateway(ctx, settings, records, analysts);
    const details = {
      settings,
      records,
      analysts,
      postgres: pg.result,
      sqlite: sqlite.result,
      server: new URL(PG_URL).host,
    };
    return [
      row({
        benchmark: 'pg-http-lookup',
        figure: 'hit/no-hit lookups over HTTP on PostgreSQL, requests/s',
        unit: 'req/s',
        gateway: pg.result.requestsPerSecond,
        baseline: sqlite.result.requestsPerSecond,
        baselineIs: 'the same gateway and load on SQLite (the default store), same run',
        target: { min: 0.5 },
        details,
      }),
    ];
  },
};
