/** The default store: one SQLite file through better-sqlite3. */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Store } from '../port';
import { createAccreditations } from './accreditations';
import { createAudit } from './audit';
import { createDatasets, createLookups } from './datasets';
import { migrate } from './migrations';
import { createRequests } from './requests';

export { readRawAuditRows, readRawCheckpoints } from './audit';
export { LATEST_VERSION, MIGRATIONS } from './migrations';

export interface SqliteStoreOptions {
  /** Path of the database file (its folder is created), or ':memory:'. */
  file: string;
  /** Clock for audit timestamps and updatedAt; tests pin it. */
  now?: () => Date;
}

export function openSqliteStore(opts: SqliteStoreOptions): Store {
  const now = opts.now ?? (() => new Date());
  if (opts.file !== ':memory:' && !opts.file.startsWith('file:')) {
    fs.mkdirSync(path.dirname(path.resolve(opts.file)), { recursive: true });
  }
  const db = new Database(opts.file);
  try {
    // busy_timeout first: switching to WAL itself waits for a lock another process may hold.
    db.pragma('busy_timeout = 5000');
    // WAL lets the verifier and readers run beside the writer; FULL makes a commit survive power loss,
    // which a log that promises "no change without its entry" needs.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }

  const audit = createAudit(db, now);
  return {
    kind: 'sqlite',
    accreditations: createAccreditations(db, audit.appendInTx),
    requests: createRequests(db, audit.appendInTx, now),
    datasets: createDatasets(db, audit.appendInTx),
    lookups: createLookups(db, audit.appendInTx),
    audit: audit.store,
    async ping() {
      try {
        return db.prepare('SELECT 1 AS ok').get() !== undefined;
      } catch {
        return false;
      }
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
