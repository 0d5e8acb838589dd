/**
 * The store factory: `store.kind` of the configuration selects the store (`sqlite`, the embedded
 * default, or `postgres`). The gateway (gateway.ts) and the `fsg` commands open their store here; the
 * offline verifiers read through openLogReader (log-reader.ts).
 */
import path from 'node:path';
import type { GatewayConfig } from '../config/load';
import { DEFAULT_PG_SCHEMA } from './log-reader';
import type { LogSource, Store } from './port';
import { openPgStore } from './postgres';
import { openSqliteStore, type SqliteStoreOptions } from './sqlite';

export {
  DEFAULT_PG_SCHEMA,
  STORE_KINDS,
  describeStore,
  isStoreUrl,
  openLogReader,
  storeAt,
  storeKind,
  type StoreKind,
} from './log-reader';

/**
 * What a store is opened with besides where it is: the clock and the statistics' zones for any store,
 * the rest SQLite's (ignored by PostgreSQL); `poolSize`, PostgreSQL's connections.
 */
export type OpenStoreOptions = Omit<SqliteStoreOptions, 'file'> & { poolSize?: number };

export async function openStore(source: LogSource, options: OpenStoreOptions = {}): Promise<Store> {
  switch (source.kind) {
    case 'sqlite':
      return openSqliteStore({ ...options, file: source.file });
    case 'postgres': {
      const store = await openPgStore({
        connectionString: source.url,
        schema: source.schema,
        ...(options.poolSize ? { max: options.poolSize } : {}),
        ...(options.now ? { now: options.now } : {}),
      });
      if (options.statsZones) await store.audit.useStatsZones(options.statsZones);
      return store;
    }
  }
}

export function storeFile(config: GatewayConfig): string {
  return path.resolve(config.dataDir, config.store.file);
}

/** The configured store: its kind and where it is. */
export function storeSource(config: GatewayConfig): LogSource {
  const { kind, url, schema } = config.store;
  if (kind === 'postgres') {
    // The schema validates `url` as present for postgres; a caller's config object may not have.
    if (!url) throw new Error('store.url (FSG_DATABASE_URL) is required when store.kind is postgres');
    return { kind, url, schema: schema ?? DEFAULT_PG_SCHEMA };
  }
  return { kind, file: storeFile(config) };
}
