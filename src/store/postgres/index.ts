/**
 * The PostgreSQL store (`store.kind: postgres`): every piece of state in one schema of one database,
 * so that any number of gateway instances can serve any request. Opening it applies the migrations
 * (safe when several instances start at once). The log's rules are src/audit's; this only stores.
 */
import type pg from 'pg';
import type { Store } from '../port';
import { createPgAccreditations } from './accreditations';
import { createPgPartnership } from './partnership';
import { createPgAudit } from './audit';
import { createPgAuditQueries } from './audit-queries';
import { inTransaction, type PgContext } from './context';
import { createPgDatasets, createPgLookups } from './datasets';
import { storeError } from './errors';
import { migratePg } from './migrations';
import { openPgPool, type PgOptions } from './pool';
import { createPgPortalSessions } from './portal-sessions';
import { createPgQuotas } from './quotas';
import { createPgRateLimits } from './rate-limits';
import { createPgRequests } from './requests';
import { createPgRoleGrants } from './role-grants';

export { checkSchemaName, type PgOptions } from './pool';

export interface PgStoreOptions extends PgOptions {
  /** Clock for audit timestamps and updatedAt; tests pin it. */
  now?: () => Date;
}

export async function openPgStore(options: PgStoreOptions): Promise<Store> {
  const { now = () => new Date(), ...connection } = options;
  const pool = openPgPool(connection);
  try {
    await migratePg(pool, connection.schema);
  } catch (err) {
    await pool.end();
    throw err;
  }

  // Work asked for before close is finished before the pool ends; after close, nothing starts.
  const pending = new Set<Promise<unknown>>();
  let closed = false;
  const track = <T>(started: Promise<T>): Promise<T> => {
    pending.add(started);
    const forget = () => void pending.delete(started);
    started.then(forget, forget);
    return started;
  };
  const run = <T>(work: () => Promise<T>): Promise<T> =>
    closed ? Promise.reject(new Error('the store is closed')) : track(work());

  const audit = createPgAudit(pool, now);
  const ctx: PgContext = {
    pool,
    now,
    append: (events) => run(() => audit.append(events)),
    logged: (work) => run(() => audit.logged(work)),
    tx: (work) => run(() => inTransaction(pool, work)),
    query: <R extends pg.QueryResultRow>(text: string, values?: unknown[]) =>
      run(() => pool.query<R>(text, values)),
    run,
  };
  const { logged: _logged, treeRoot: _treeRoot, ...auditMethods } = audit;
  void _logged;
  void _treeRoot;

  const datasets = createPgDatasets(ctx);
  const requests = tracked(track, createPgRequests(ctx));
  const lookups = tracked(track, createPgLookups(ctx));
  return {
    kind: 'postgres',
    accreditations: tracked(track, createPgAccreditations(ctx)),
    roleGrants: tracked(track, createPgRoleGrants(ctx)),
    partnership: tracked(track, createPgPartnership(ctx)),
    requests,
    datasets: tracked(track, {
      ...datasets,
      // The upload's own methods too: a lost connection in an add or a publish is told alike.
      stage: async (...args: Parameters<typeof datasets.stage>) =>
        tracked(track, await datasets.stage(...args)),
    }),
    lookups,
    audit: tracked(track, { ...auditMethods, ...createPgAuditQueries(ctx) }),
    portalSessions: tracked(track, createPgPortalSessions(ctx)),
    quotas: tracked(track, createPgQuotas(ctx, { lookups, requests })),
    rateLimits: createPgRateLimits(ctx),
    async ping() {
      if (closed) return false;
      try {
        await pool.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    // Queries waiting for a connection of the pool.
    queueDepths: () => ({ pool: pool.waitingCount }),
    async close() {
      if (closed) return;
      closed = true;
      while (pending.size > 0) await Promise.allSettled([...pending]);
      await pool.end();
    },
  };
}

/**
 * The same methods, each call's promise counted as pending work, so that close waits for it (a call
 * after close is refused by the context it writes through), and a lost connection told as
 * StoreUnavailableError. Methods that do not return a promise (onAppend, records) are passed through.
 */
function tracked<T extends object>(track: <R>(started: Promise<R>) => Promise<R>, methods: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(methods)) {
    wrapped[name] =
      typeof value === 'function'
        ? (...args: unknown[]) => {
            const result: unknown = (value as (...a: unknown[]) => unknown).apply(methods, args);
            if (result instanceof Promise)
              return track(result.catch((error: unknown) => Promise.reject(storeError(error))));
            return isAsyncIterable(result) ? toldAsStoreErrors(result) : result;
          }
        : value;
  }
  return wrapped as T;
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

/** A stream (a dataset's records) whose lost connection is told as StoreUnavailableError too. */
async function* toldAsStoreErrors<T>(source: AsyncIterable<T>): AsyncIterable<T> {
  try {
    yield* source;
  } catch (error) {
    throw storeError(error);
  }
}
