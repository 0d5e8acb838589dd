/**
 * What every PostgreSQL sub-store is built from: the pool, the clock, and the two ways to write. A
 * logged write (`logged`) runs in one transaction under the log's lock with its entries; any other
 * write (`tx`) in a transaction of its own. Every query and transaction goes through `run`, so that
 * closing the store waits for the writes already asked for and refuses new ones.
 */
import type pg from 'pg';
import type { AuditEntry, AuditEventInput } from '../../audit/types';
import type { LoggedAppend } from './audit';

export interface PgContext {
  pool: pg.Pool;
  now: () => Date;
  /** Log entries and nothing else: they share a transaction with other such appends (group commit). */
  append(events: AuditEventInput[]): Promise<AuditEntry[]>;
  /** A change and its log entries, committed together or not at all. */
  logged<T>(work: (client: pg.PoolClient, append: LoggedAppend) => Promise<T>): Promise<T>;
  /** A change without log entries, in one transaction. */
  tx<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  /** One statement on a pooled connection (its own transaction). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
  /** Tracks any other work against the pool (a stream's reads), so that close waits for it. */
  run<T>(work: () => Promise<T>): Promise<T>;
}

/** Runs `work` in one READ COMMITTED transaction on a pooled connection; a broken connection is not pooled again. */
const BEGIN = 'BEGIN ISOLATION LEVEL READ COMMITTED';

export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient, first?: pg.QueryResult[]) => Promise<T>,
  /** Statements (no parameters) to run right after BEGIN, in the same round trip; `work` gets their results. */
  first?: string,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    // Several statements in one simple query answer with one result each (BEGIN's first).
    const began = (await client.query(first ? `${BEGIN}; ${first}` : BEGIN)) as unknown;
    try {
      const done = await work(client, first ? (began as pg.QueryResult[]).slice(1) : undefined);
      await client.query('COMMIT');
      return done;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollback: Error) => (broken = rollback));
      throw err;
    }
  } finally {
    client.release(broken);
  }
}
