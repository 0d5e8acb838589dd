/**
 * The PostgreSQL the PG benchmarks run against: BENCH_PG_URL, else FSG_DATABASE_URL, else the local
 * server's `test` database; each run on fresh schemas, dropped afterwards. Where no server answers, a
 * PG benchmark is not run and says so (never a figure made up); where one is required
 * (FSG_REQUIRE_PG=1, as the tests), that is a failure.
 */
import crypto from 'node:crypto';
import { openPgPool } from '../../src/store/postgres/pool';
import { BenchmarkNotRun } from './types';

export const PG_URL =
  process.env.BENCH_PG_URL ?? process.env.FSG_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema of its own for one store of one run. */
export const freshSchema = (): string => `fsg_bench_${crypto.randomBytes(6).toString('hex')}`;

/** The environment that puts a gateway child on `schema`. */
export const pgEnv = (schema: string): NodeJS.ProcessEnv => ({
  FSG_STORE_KIND: 'postgres',
  FSG_DATABASE_URL: PG_URL,
  FSG_DATABASE_SCHEMA: schema,
});

/** Throws BenchmarkNotRun (or, where PostgreSQL is required, an error) when no server answers. */
export async function requirePostgres(): Promise<void> {
  const pool = openPgPool({ connectionString: PG_URL, schema: 'public', max: 1 });
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    const where = new URL(PG_URL);
    if (where.password) where.password = '***';
    const why = `PostgreSQL is not reachable at ${where} (set BENCH_PG_URL): ${(err as Error).message}`;
    if (process.env.FSG_REQUIRE_PG === '1') throw new Error(why, { cause: err });
    throw new BenchmarkNotRun(why);
  } finally {
    await pool.end();
  }
}

/** Drops the schemas and everything in them (names made by freshSchema only). */
export async function dropSchemas(schemas: readonly string[]): Promise<void> {
  const pool = openPgPool({ connectionString: PG_URL, schema: 'public', max: 1 });
  try {
    for (const schema of schemas) {
      if (!/^fsg_bench_[0-9a-f]{12}$/.test(schema)) throw new Error(`not a bench schema: ${schema}`);
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  } finally {
    await pool.end();
  }
}

/** Runs `work` on fresh schemas (`count` of them), dropped afterwards whatever happens. */
export async function withSchemas<T>(count: number, work: (schemas: string[]) => Promise<T>): Promise<T> {
  const schemas = Array.from({ length: count }, freshSchema);
  try {
    return await work(schemas);
  } finally {
    await dropSchemas(schemas);
  }
}
