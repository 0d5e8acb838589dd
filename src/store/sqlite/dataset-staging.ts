/**
 * Uploads written beside the live dataset, then published in one small transaction (schema version 12).
 *
 * A dataset's records carry the generation that added them (`added`); its row in dataset_versions says
 * which generations readers see (`base`..`live`), and of a key's records in those, the newest. An upload
 * is the next generation, written above `live` where no reader looks, and published with its log entry
 * by one transaction (`live` = it; a replace also sets `base` = it): a reader's statement sees the
 * dataset before that transaction or after it, never a mix.
 *
 * How it is written: the records go first to a staging file of the upload's own (appended as they are
 * mapped, no lock on the store), which is then sorted (an index) and merged into the store in short
 * transactions in the order of each table: the records by key, the lookup index by bucket. Merged in
 * the order they are stored, each step writes a run of neighbouring pages; steps of unsorted records
 * each rewrote pages all over the tables, writing many times the bytes of one transaction
 * (docs/performance.md). Each step gives way when another writer waits for the lock.
 * What the new generation hides (a replace: everything older; an upsert: the records it replaced) is
 * swept afterwards, in the same kind of steps; what an upload that did not finish left above `live`
 * is discarded before the next one starts.
 */
import fs from 'node:fs';
import type Database from 'better-sqlite3';
import { PRIVATE_FILE_MODE } from '../../config/file-modes';
import type { DatasetRecord } from '../../datasets/types';
import { bucketOf, createLookupIndex, type GenerationKey } from './lookup-index';
import { uploadStep, type WriteTurns } from './write-turns';

export interface DatasetScope {
  providerId: string;
  datasetId: string;
}

/** Where a new generation starts: its number, the oldest generation it keeps, the size it starts from. */
export interface Generation {
  added: number;
  /** Records of generations below this one are not part of the new generation (a replace: itself). */
  floor: number;
  /** The dataset's size before the upload's records: the live size for an upsert, 0 for a replace. */
  records: number;
  /** The generation that was live when this one began (publish checks it is still). */
  live: number;
}

export interface UploadWriterOptions {
  /** The staging file (':memory:' for an in-memory store). */
  stagingFile: string;
  /** How long one merge or sweep transaction may run. */
  budgetMs: number;
  /** Whether another writer waits for the store's write lock (a step then commits early). */
  othersWaiting: () => boolean;
  /** Between two transactions: let the others go first. */
  pause: () => Promise<void>;
  /** Turns at the write lock, when other threads write the store (write-turns.ts). */
  turns?: WriteTurns;
}

/** One upload's writer, on a connection of its own (a thread's) or the store's own (inline). */
export interface UploadWriter {
  /** Discards what an earlier upload left, then names the next generation. */
  begin(replace: boolean): Promise<Generation>;
  /** Appends records to the staging file, in the order mapped. */
  append(records: DatasetRecord[]): Promise<void>;
  /** Merges what was appended into the store as `generation`; resolves with the keys new to the dataset. */
  merge(generation: Generation, uploadId: string): Promise<number>;
  /** Removes what `generation` hides once it is published (stops early when `stopping` says so). */
  sweep(added: number, replace: boolean, stopping?: () => boolean): Promise<void>;
  /** Removes what was written above the live generation. */
  discard(): Promise<void>;
  /** Detaches and deletes the staging file. */
  close(): void;
}

interface KeyRow {
  identifier_key: string;
  added: number;
}

interface StagedRow {
  identifier_key: string;
  bucket: number;
  identifier_type: string;
  object_type: string;
  record_ref: string;
  source_ref: string;
  link_id: string | null;
  record: string;
}

/** Rows read per statement inside a step (the clock and the others are looked at between them). */
const READ = 64;

export function createUploadWriter(
  db: Database.Database,
  scope: DatasetScope,
  opts: UploadWriterOptions,
): UploadWriter {
  const { providerId, datasetId } = scope;
  // Made here (raw records: 0600), since a connection opened without create rights attaches none.
  if (opts.stagingFile !== ':memory:') fs.closeSync(fs.openSync(opts.stagingFile, 'a', PRIVATE_FILE_MODE));
  // One upload per connection: its staging file is always `staging` there.
  try {
    db.prepare('ATTACH DATABASE ? AS staging').run(opts.stagingFile);
  } catch (error) {
    if (opts.stagingFile !== ':memory:') fs.rmSync(opts.stagingFile, { force: true });
    throw error;
  }
  // Nothing in the staging file outlives the upload: no journal, no sync.
  db.pragma('staging.journal_mode = OFF');
  db.pragma('staging.synchronous = OFF');
  db.exec(`CREATE TABLE staging.staged (
    seq INTEGER PRIMARY KEY, identifier_key TEXT NOT NULL, bucket INTEGER NOT NULL,
    identifier_type TEXT NOT NULL, object_type TEXT NOT NULL, record_ref TEXT NOT NULL,
    source_ref TEXT NOT NULL, link_id TEXT, record TEXT NOT NULL)`);

  const index = createLookupIndex(db);
  const version = db.prepare<[string, string], { base: number; live: number; records: number }>(
    'SELECT base, live, records FROM dataset_versions WHERE provider_id = ? AND dataset_id = ?',
  );
  const current = () => version.get(providerId, datasetId) ?? { base: 0, live: 0, records: 0 };
  const above = db.prepare<[string, string, number, number], KeyRow>(
    `SELECT identifier_key, added FROM dataset_records INDEXED BY dataset_records_added
     WHERE provider_id = ? AND dataset_id = ? AND added > ? ORDER BY added, identifier_key LIMIT ?`,
  );
  const below = db.prepare<[string, string, number, number], KeyRow>(
    `SELECT identifier_key, added FROM dataset_records INDEXED BY dataset_records_added
     WHERE provider_id = ? AND dataset_id = ? AND added < ? ORDER BY added, identifier_key LIMIT ?`,
  );
  const keysOf = db
    .prepare<[string, string, number, string, number], string>(
      `SELECT identifier_key FROM dataset_records INDEXED BY dataset_records_added
       WHERE provider_id = ? AND dataset_id = ? AND added = ? AND identifier_key > ?
       ORDER BY identifier_key LIMIT ?`,
    )
    .pluck();
  const olderOf = db.prepare<[string, string, string, number], KeyRow>(
    `SELECT identifier_key, added FROM dataset_records
     WHERE provider_id = ? AND dataset_id = ? AND identifier_key = ? AND added < ?`,
  );
  const newestFrom = db
    .prepare<[string, string, string, number], number | null>(
      `SELECT max(added) FROM dataset_records
       WHERE provider_id = ? AND dataset_id = ? AND identifier_key = ? AND added >= ?`,
    )
    .pluck();
  const remove = db.prepare<[string, string, string, number]>(
    'DELETE FROM dataset_records WHERE provider_id = ? AND dataset_id = ? AND identifier_key = ? AND added = ?',
  );
  const insert = db.prepare(
    `INSERT INTO main.dataset_records (provider_id, dataset_id, identifier_key, added, identifier_type,
       object_type, record_ref, source_ref, link_id, record, upload_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const stage = db.prepare(
    `INSERT INTO staging.staged (identifier_key, bucket, identifier_type, object_type, record_ref, source_ref,
       link_id, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const begin = db.prepare('BEGIN IMMEDIATE');
  const beginAppend = db.prepare('BEGIN');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');

  /** One transaction; rolled back when `work` throws. */
  /** Runs `work` in the transaction begun, and commits it (or rolls it back and throws). */
  const committed = <T>(work: () => T): T => {
    try {
      const result = work();
      commit.run();
      return result;
    } catch (error) {
      if (db.inTransaction) rollback.run();
      throw error;
    }
  };
  const inTransaction = <T>(start: Database.Statement, work: () => T): T => {
    start.run();
    return committed(work);
  };
  /** A transaction on the store, marked as an upload step while it holds the lock (the appends lock none). */
  const inWriteTransaction = <T>(work: () => T): T =>
    opts.turns
      ? uploadStep(
          opts.turns,
          () => begin.run(),
          () => committed(work),
        )
      : inTransaction(begin, work);

  /**
   * Runs `some` (true: more to do) in transactions of at most the budget, each ended early when
   * another writer waits, with a pause between them.
   */
  const inSteps = async (some: () => boolean, stopping: () => boolean = () => false) => {
    for (let more = true; more && !stopping();) {
      await opts.pause();
      more = inWriteTransaction(() => {
        const until = performance.now() + opts.budgetMs;
        let left = some();
        while (left && performance.now() < until && !opts.othersWaiting()) left = some();
        return left;
      });
    }
  };

  const drop = (rows: KeyRow[]) => {
    const keys: GenerationKey[] = rows.map((r) => ({ identifierKey: r.identifier_key, added: r.added }));
    index.remove(providerId, datasetId, keys);
    for (const k of keys) remove.run(providerId, datasetId, k.identifierKey, k.added);
    return keys.length;
  };

  // Each key's last staged row (a later row of a key wins), in the order of the table it goes to.
  const byKey = db.prepare<[string, number], StagedRow>(
    `SELECT s.* FROM staging.staged AS s
     WHERE s.identifier_key > ?
       AND s.seq = (SELECT max(t.seq) FROM staging.staged AS t WHERE t.identifier_key = s.identifier_key)
     ORDER BY s.identifier_key LIMIT ?`,
  );
  const byBucket = db.prepare<[number, string, number], StagedRow>(
    `SELECT s.* FROM staging.staged AS s
     WHERE (s.bucket, s.identifier_key) > (?, ?)
       AND s.seq = (SELECT max(t.seq) FROM staging.staged AS t WHERE t.identifier_key = s.identifier_key)
     ORDER BY s.bucket, s.identifier_key LIMIT ?`,
  );

  const discard = () => inSteps(() => drop(above.all(providerId, datasetId, current().live, READ)) === READ);

  return {
    async begin(replace) {
      await discard();
      const { base, live, records } = current();
      const added = live + 1;
      return replace ? { added, floor: added, records: 0, live } : { added, floor: base, records, live };
    },
    async append(records) {
      inTransaction(beginAppend, () => {
        for (const r of records) {
          const { identifierKey: key, identifierType, objectType, recordRef, sourceRef, linkId } = r;
          const json = JSON.stringify(r.record);
          stage.run(key, bucketOf(key), identifierType, objectType, recordRef, sourceRef, linkId, json);
        }
      });
    },
    async merge(generation, uploadId) {
      await opts.pause();
      db.exec(`CREATE INDEX staging.staged_key ON staged (identifier_key, seq);
               CREATE INDEX staging.staged_bucket ON staged (bucket, identifier_key, seq);`);
      const { added, floor } = generation;
      let fresh = 0;
      // The records, by key.
      let key = '';
      await inSteps(() => {
        const rows = byKey.all(key, READ);
        for (const r of rows) {
          // A replace starts empty: each key is new. An upsert's key is new unless the dataset keeps it.
          if (floor === added || newestFrom.get(providerId, datasetId, r.identifier_key, floor) === null)
            fresh++;
          insert.run(
            providerId,
            datasetId,
            r.identifier_key,
            added,
            r.identifier_type,
            r.object_type,
            r.record_ref,
            r.source_ref,
            r.link_id,
            r.record,
            uploadId,
          );
        }
        if (rows.length) key = rows[rows.length - 1].identifier_key;
        return rows.length === READ;
      });
      // The lookup index, by bucket.
      let at: [number, string] = [-1, ''];
      await inSteps(() => {
        const rows = byBucket.all(at[0], at[1], READ);
        index.put(
          providerId,
          datasetId,
          added,
          rows.map((r) => ({
            identifierKey: r.identifier_key,
            identifierType: r.identifier_type,
            objectType: r.object_type,
            recordRef: r.record_ref,
          })),
        );
        if (rows.length) at = [rows[rows.length - 1].bucket, rows[rows.length - 1].identifier_key];
        return rows.length === READ;
      });
      return fresh;
    },
    async sweep(added, replace, stopping) {
      if (added > current().live) return; // never published: discarded before the next upload instead
      // Everything below the base (a replace's, this one or an earlier one whose sweep was cut off).
      await inSteps(() => drop(below.all(providerId, datasetId, current().base, READ)) === READ, stopping);
      if (replace) return;
      // An upsert: the older records of its keys, which its own hide.
      let after = '';
      await inSteps(() => {
        const keys = keysOf.all(providerId, datasetId, added, after, READ);
        for (const key of keys) drop(olderOf.all(providerId, datasetId, key, added));
        if (keys.length) after = keys[keys.length - 1];
        return keys.length === READ;
      }, stopping);
    },
    discard,
    close() {
      if (db.inTransaction) rollback.run();
      db.prepare('DETACH DATABASE staging').run();
    },
  };
}

/**
 * Makes `generation` the dataset's live one, in the caller's transaction (with the upload's log
 * entries). False when another generation was published since it began (nothing changes then).
 */
export function publishGeneration(
  db: Database.Database,
  scope: DatasetScope,
  generation: Generation,
  replace: boolean,
  records: number,
): boolean {
  const row = db
    .prepare<[string, string], { base: number; live: number }>(
      'SELECT base, live FROM dataset_versions WHERE provider_id = ? AND dataset_id = ?',
    )
    .get(scope.providerId, scope.datasetId) ?? { base: 0, live: 0 };
  if (row.live !== generation.live) return false;
  db.prepare(
    `INSERT INTO dataset_versions (provider_id, dataset_id, base, live, records) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (provider_id, dataset_id) DO UPDATE SET
       base = excluded.base, live = excluded.live, records = excluded.records`,
  ).run(scope.providerId, scope.datasetId, replace ? generation.added : row.base, generation.added, records);
  return true;
}
