/**
 * The store factory: `store.kind` of the configuration selects the store (`sqlite` today; any other kind
 * is a configuration error naming the kinds available). The gateway (gateway.ts) and the `fsg audit`
 * commands open their store here; the offline verifiers read through openLogReader (log-reader.ts).
 */
import type { Store } from './port';
import { openSqliteStore, type SqliteStoreOptions } from './sqlite';
import { storeKind } from './log-reader';

export { STORE_KINDS, openLogReader, storeKind, type StoreKind } from './log-reader';

/** Which store and where: `store.kind` and the store's location (a SQLite file today). */
export interface StoreSelection {
  kind: string;
  file: string;
}

/** What a store is opened with besides where it is (the SQLite store's options today). */
export type OpenStoreOptions = Omit<SqliteStoreOptions, 'file'>;

export function openStore(selection: StoreSelection, options: OpenStoreOptions = {}): Store {
  switch (storeKind(selection.kind)) {
    case 'sqlite':
      return openSqliteStore({ ...options, file: selection.file });
  }
}
