/**
 * The PostgreSQL the tests run against (FSG_TEST_PG, default the local server's `test` database), a
 * fresh schema per run, and its removal. (pg-test.ts adds describePg, which probes the server.)
 */
import crypto from 'node:crypto';
import { openPgPool, type PgOptions } from '../../src/store/postgres/pool';

export const PG_URL = process.env.FSG_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

export const freshSchema = (): string => `fsg_test_${crypto.randomBytes(6).toString('hex')}`;

export function testPool(schema: string, over: Partial<PgOptions> = {}) {
  return openPgPool({ connectionString: PG_URL, schema, ...over });
}

/** Throws with a clear message when the server does not answer. */
export async function requirePostgres(): Promise<void> {
  const pool = testPool('public', { max: 1 });
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${PG_URL.replace(/:[^:@/]*@/, ':***@')} (set FSG_TEST_PG): ` +
        (err as Error).message,
      { cause: err },
    );
  } finally {
    await pool.end();
  }
}

/** Drops a test schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const pool = testPool('public', { max: 1 });
  try {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await pool.end();
  }
}
