/** Not built yet (issue 18). */
import type { DatasetStore, LookupStore } from '../port';
import type { PgContext } from './context';
import { notBuilt } from './not-built';

export function createPgDatasets(ctx: PgContext): DatasetStore {
  void ctx;
  const stub = notBuilt<DatasetStore>('datasets', ['stage', 'lookup', 'resolve', 'status']);
  return {
    ...stub,
    records: () => ({
      [Symbol.asyncIterator]: () => ({
        next: () => Promise.reject(new Error('PostgreSQL store: datasets.records is not built yet')),
      }),
    }),
  };
}

export function createPgLookups(ctx: PgContext): LookupStore {
  void ctx;
  return notBuilt<LookupStore>('lookups', ['create', 'countSince']);
}
