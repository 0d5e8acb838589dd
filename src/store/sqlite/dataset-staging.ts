/**
 * Uploads written beside the live dataset, in short transactions (schema version 12).
 *
 * A dataset's records carry the generation that added them (`added`); its row in dataset_versions says
 * which generations readers see (`base`..`live`), and of a key's records in those, the newest. An
 * upload is the next generation: its records are written in chunks (each a short transaction of its
 * own, so lookups and other writes take turns with it) above `live`, where no reader looks, and one
 * small transaction publishes it with its log entry (`live` = it; a replace also sets `base` = it). A
 * reader's statement sees the dataset before that transaction or after it, never a mix. What the new
 * generation hides (a replace: everything older; an upsert: the records it replaced) is swept
 * afterwards, again in chunks; what a failed or interrupted upload left above `live` is discarded
 * before the next one starts.
 *
 * Every function here runs inside one transaction of the connection it was made for (the main one, or
 * the lookup writer thread's), so each is one bounded unit of work.
 */
import type Database from 'better-sqlite3';
import type { DatasetRecord } from '../../datasets/types';
import { createLookupIndex, type GenerationKey } from './lookup-index';

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

/** One unit of staging work, as data (it may be sent to the lookup writer's thread). */
export type StagingStep =
  | { kind: 'begin'; scope: DatasetScope; replace: boolean }
  | { kind: 'discard'; scope: DatasetScope; limit: number }
  | {
      kind: 'put';
      scope: DatasetScope;
      generation: Generation;
      uploadId: string;
      records: DatasetRecord[];
      /** Stop taking records once this long has passed, or when asked to (at least a few are written). */
      budgetMs: number;
    }
  | { kind: 'sweep'; scope: DatasetScope; added: number; replace: boolean; after: string; limit: number };

/** What a put step did: how many of its records it wrote (the first ones), how many keys were new. */
export interface PutResult {
  written: number;
  fresh: number;
}

/**
 * begin → Generation; discard → records removed; put → PutResult; sweep → where the next sweep step
 * starts (null: done).
 */
export type StagingResult = Generation | PutResult | number | string | null;

interface KeyRow {
  identifier_key: string;
  added: number;
}

export interface DatasetStaging {
  /** `interrupted`: whether other writes are waiting for this connection (a put step then ends early). */
  run(step: StagingStep, interrupted?: () => boolean): StagingResult;
  /**
   * Makes `generation` the dataset's live one (in the caller's transaction, with its log entries).
   * False when another generation was published since it began (nothing changes then).
   */
  publish(scope: DatasetScope, generation: Generation, replace: boolean, records: number): boolean;
}

export function createDatasetStaging(db: Database.Database): DatasetStaging {
  const index = createLookupIndex(db);
  const version = db.prepare<[string, string], { base: number; live: number; records: number }>(
    'SELECT base, live, records FROM dataset_versions WHERE provider_id = ? AND dataset_id = ?',
  );
  const newest = db
    .prepare<[string, string], number | null>(
      'SELECT max(added) FROM dataset_records WHERE provider_id = ? AND dataset_id = ?',
    )
    .pluck();
  const above = db.prepare<[string, string, number, number], KeyRow>(
    `SELECT identifier_key, added FROM dataset_records INDEXED BY dataset_records_added
     WHERE provider_id = ? AND dataset_id = ? AND added > ? LIMIT ?`,
  );
  const below = db.prepare<[string, string, number, number], KeyRow>(
    `SELECT identifier_key, added FROM dataset_records INDEXED BY dataset_records_added
     WHERE provider_id = ? AND dataset_id = ? AND added < ? LIMIT ?`,
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
  const put = db.prepare(
    `INSERT INTO dataset_records (provider_id, dataset_id, identifier_key, added, identifier_type, object_type,
       record_ref, source_ref, link_id, record, upload_id)
     VALUES (@providerId, @datasetId, @identifierKey, @added, @identifierType, @objectType, @recordRef,
       @sourceRef, @linkId, @record, @uploadId)
     ON CONFLICT (provider_id, dataset_id, identifier_key, added) DO UPDATE SET
       identifier_type = excluded.identifier_type, object_type = excluded.object_type,
       record_ref = excluded.record_ref, source_ref = excluded.source_ref, link_id = excluded.link_id,
       record = excluded.record, upload_id = excluded.upload_id`,
  );
  const setVersion = db.prepare<[string, string, number, number, number]>(
    `INSERT INTO dataset_versions (provider_id, dataset_id, base, live, records) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (provider_id, dataset_id) DO UPDATE SET
       base = excluded.base, live = excluded.live, records = excluded.records`,
  );

  const current = (scope: DatasetScope) =>
    version.get(scope.providerId, scope.datasetId) ?? { base: 0, live: 0, records: 0 };

  const drop = (scope: DatasetScope, rows: KeyRow[]) => {
    const keys: GenerationKey[] = rows.map((r) => ({ identifierKey: r.identifier_key, added: r.added }));
    index.remove(scope.providerId, scope.datasetId, keys);
    for (const k of keys) remove.run(scope.providerId, scope.datasetId, k.identifierKey, k.added);
    return keys.length;
  };

  const begin = (scope: DatasetScope, replace: boolean): Generation => {
    const { base, live, records } = current(scope);
    const top = newest.get(scope.providerId, scope.datasetId) ?? 0;
    // Left above `live` by an upload that did not finish: discard it first (the caller does, in chunks).
    if (top > live) throw new Error('begin a generation only after discarding what is above the live one');
    const added = live + 1;
    return replace ? { added, floor: added, records: 0, live } : { added, floor: base, records, live };
  };

  return {
    run(step, interrupted = () => false) {
      const { providerId, datasetId } = step.scope;
      switch (step.kind) {
        case 'begin':
          return begin(step.scope, step.replace);
        case 'discard':
          return drop(step.scope, above.all(providerId, datasetId, current(step.scope).live, step.limit));
        case 'put': {
          const { added, floor } = step.generation;
          const until = performance.now() + step.budgetMs;
          let fresh = 0;
          let written = 0;
          // A few records at a time between looks at the clock; the index takes each few as a batch.
          while (
            written < step.records.length &&
            (written === 0 || (performance.now() < until && !interrupted()))
          ) {
            const few = step.records.slice(written, written + 16);
            for (const r of few) {
              // Already in this upload (a later row of the key wins), or replacing a record it keeps: same size.
              if (newestFrom.get(providerId, datasetId, r.identifierKey, floor) === null) fresh++;
              put.run({
                providerId,
                datasetId,
                identifierKey: r.identifierKey,
                added,
                identifierType: r.identifierType,
                objectType: r.objectType,
                recordRef: r.recordRef,
                sourceRef: r.sourceRef,
                linkId: r.linkId,
                record: JSON.stringify(r.record),
                uploadId: step.uploadId,
              });
            }
            index.put(providerId, datasetId, added, few);
            written += few.length;
          }
          return { written, fresh };
        }
        case 'sweep': {
          const { base, live } = current(step.scope);
          if (step.added > live) return null; // never published: discarded before the next upload instead
          if (step.replace) {
            // Everything below the base (this replace's, or a later one's) is hidden.
            const rows = below.all(providerId, datasetId, base, step.limit);
            drop(step.scope, rows);
            return rows.length < step.limit ? null : '';
          }
          // An upsert: the older records of its keys, which its own hide.
          const keys = keysOf.all(providerId, datasetId, step.added, step.after, step.limit);
          for (const key of keys) drop(step.scope, olderOf.all(providerId, datasetId, key, step.added));
          return keys.length < step.limit ? null : keys[keys.length - 1];
        }
      }
    },
    publish(scope, generation, replace, records) {
      if (current(scope).live !== generation.live) return false;
      const base = replace ? generation.added : current(scope).base;
      setVersion.run(scope.providerId, scope.datasetId, base, generation.added, records);
      return true;
    },
  };
}
