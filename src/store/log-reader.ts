/**
 * The read-only reader of a stored log for the offline verifiers, selected by `store.kind`: the half
 * of the store factory (open.ts) that src/audit may load. It does not load a writable store, so the
 * verifiers (which the SQLite store itself runs: verifyAll) and this module form no import cycle.
 */
import type { AuditChunkRows, AuditLogReader, LogSource } from './port';
import { openPgLogReader } from './postgres/audit-reader';
import { checkSchemaName } from './postgres/pool';
import { openChunkRows, openSqliteLogReader } from './sqlite/audit-reader';

/** The store kinds this build can open. */
export const STORE_KINDS = ['sqlite', 'postgres'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** The schema a PostgreSQL store keeps its objects in when none is named. */
export const DEFAULT_PG_SCHEMA = 'fsg';

/** `kind` as a store kind this build has, else a configuration error that names the kinds available. */
export function storeKind(kind: string): StoreKind {
  if ((STORE_KINDS as readonly string[]).includes(kind)) return kind as StoreKind;
  throw new Error(
    `store.kind: unknown store kind ${JSON.stringify(kind)}; the kinds available are ${STORE_KINDS.join(', ')}`,
  );
}

/** Whether a store named on a command line is a PostgreSQL URL (else it is a SQLite file). */
export const isStoreUrl = (location: string): boolean => /^postgres(ql)?:\/\//i.test(location);

/**
 * A store named on a command line: a postgres:// (or postgresql://) URL, whose `schema` parameter
 * names the schema (default fsg) and is not passed on to the driver, or else a SQLite file.
 */
export function storeAt(location: string): LogSource {
  if (!isStoreUrl(location)) return { kind: 'sqlite', file: location };
  const url = new URL(location);
  const schema = checkSchemaName(url.searchParams.get('schema') ?? DEFAULT_PG_SCHEMA);
  url.searchParams.delete('schema');
  return { kind: 'postgres', url: url.toString(), schema };
}

/** How a store is named to a person: the file, or the database and schema without a password. */
export function describeStore(source: LogSource): string {
  if (source.kind === 'sqlite') return source.file;
  const url = new URL(source.url);
  if (url.password) url.password = '***';
  // The driver also takes the password as a query parameter.
  for (const name of [...url.searchParams.keys()]) {
    if (/pass/i.test(name)) url.searchParams.set(name, '***');
  }
  return `${url.toString()} (schema ${source.schema})`;
}

/**
 * The log of `source` as it is, read-only. `tail`: only what checking the entries after the newest
 * checkpoint needs (a PostgreSQL reader loads the stored tree up front; a SQLite one reads as it goes).
 */
export async function openLogReader(
  source: LogSource,
  scope: 'all' | 'tail' = 'all',
): Promise<AuditLogReader> {
  switch (source.kind) {
    case 'sqlite':
      return openSqliteLogReader(source.file);
    case 'postgres':
      return openPgLogReader(source, scope);
  }
}

/** A job reader of the parallel verifier (a worker's: SQLite files only). */
export function openChunkReader(source: LogSource, deep: boolean): AuditChunkRows {
  if (source.kind !== 'sqlite') throw new Error('the parallel verifier reads SQLite files only');
  return openChunkRows(source.file, deep);
}
