/**
 * The on-disk SeenIdentifiers: a temporary SQLite file (its own folder under the OS temp dir, deleted
 * on close) so that the duplicate check of a very large input runs in bounded memory. Writes are
 * batched in transactions; the connection sees its own uncommitted rows, so lookups stay exact.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { SeenIdentifiers } from '../../mapping/seen';

export interface DiskSeenOptions {
  /** Folder under which the temporary folder is made (default: os.tmpdir()). */
  tmpDir?: string;
  /** Inserts per transaction (default 10,000). */
  batchSize?: number;
  /** SQLite page cache in KiB (default 32,768 = 32 MiB): the memory bound of the set. */
  cacheKiB?: number;
}

export function openDiskSeenIdentifiers(options: DiskSeenOptions = {}): SeenIdentifiers & { file: string } {
  const dir = fs.mkdtempSync(path.join(options.tmpDir ?? os.tmpdir(), 'fsg-seen-'));
  const file = path.join(dir, 'seen.sqlite');
  const batchSize = Math.max(1, options.batchSize ?? 10_000);
  const db = new Database(file);
  let open = true;
  let pending = 0;
  let size = 0;
  try {
    // A scratch file: nothing to recover after a crash, so no journal and no fsync.
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('temp_store = FILE');
    // PRAGMA takes no bound parameters; the value is an integer computed here, never input.
    db.pragma(`cache_size = ${-Math.max(1024, Math.floor(options.cacheKiB ?? 32_768))}`);
    db.exec('CREATE TABLE seen (key TEXT PRIMARY KEY, row INTEGER NOT NULL) WITHOUT ROWID');
  } catch (error) {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const select = db.prepare<[string], { row: number }>('SELECT row FROM seen WHERE key = ?');
  const insert = db.prepare<[string, number]>(
    'INSERT INTO seen (key, row) VALUES (?, ?) ON CONFLICT (key) DO NOTHING',
  );
  const begin = db.prepare('BEGIN');
  // If the process ends without close() (an uncaught error), still leave no scratch file behind.
  const onExit = () => fs.rmSync(dir, { recursive: true, force: true });
  process.once('exit', onExit);
  const commit = db.prepare('COMMIT');

  return {
    file,
    firstRow(key) {
      return select.get(key)?.row;
    },
    add(key, row) {
      if (pending === 0) begin.run();
      size += insert.run(key, row).changes;
      if (++pending >= batchSize) {
        commit.run();
        pending = 0;
      }
    },
    get size() {
      return size;
    },
    close() {
      if (!open) return;
      open = false;
      process.removeListener('exit', onExit);
      try {
        if (pending > 0 && db.inTransaction) commit.run();
      } finally {
        db.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
