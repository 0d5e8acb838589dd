/**
 * The read-only reader of a stored log for the offline verifiers, selected by `store.kind`: the half
 * of the store factory (open.ts) that src/audit may load. It does not load a writable store, so the
 * verifiers (which the SQLite store itself runs: verifyAll) and this module form no import cycle.
 */
import type { AuditLogReader, LogSource } from './port';
import { openSqliteLogReader } from './sqlite/audit-reader';

/** The store kinds this build can open. */
export const STORE_KINDS = ['sqlite'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** `kind` as a store kind this build has, else a configuration error that names the kinds available. */
export function storeKind(kind: string): StoreKind {
  if ((STORE_KINDS as readonly string[]).includes(kind)) return kind as StoreKind;
  throw new Error(
    `store.kind: unknown store kind ${JSON.stringify(kind)}; the kinds available are ${STORE_KINDS.join(', ')}`,
  );
}

/** The log of `source` as it is, read-only (each read on a connection of its own). */
export function openLogReader(source: LogSource): AuditLogReader {
  switch (storeKind(source.kind)) {
    case 'sqlite':
      return openSqliteLogReader(source.file);
  }
}
