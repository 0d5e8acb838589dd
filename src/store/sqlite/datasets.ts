/**
 * Shared datasets and lookups in SQLite. An upload is written as a new generation of its dataset, in
 * short transactions, and published with its log entries in one (dataset-staging.ts).
 */
import fs from 'node:fs';
import type Database from 'better-sqlite3';
import type { DatasetRecord, DatasetUpload, Hit } from '../../datasets/types';
import { DatasetBusyError } from '../dataset-busy';
import type { DatasetStore, LookupStore } from '../port';
import type { AppendInTx } from './audit';
import { createUploadWriter, publishGeneration, type DatasetScope, type Generation } from './dataset-staging';
import type { RunUnit } from './group-commit';
import { createLookupIndex } from './lookup-index';
import type { LookupWriter } from './lookup-writer';
import type { UploadThread } from './upload-thread';
import { createWriteTurns, othersWaiting as isWaiting, type WriteTurns } from './write-turns';

export interface RecordRow {
  identifier_key: string;
  identifier_type: string;
  object_type: string;
  record_ref: string;
  source_ref: string;
  link_id: string | null;
  record: string;
}

/** A record as dataset_records stores it. */
export const fromRow = (r: RecordRow): DatasetRecord => ({
  identifierKey: r.identifier_key,
  identifierType: r.identifier_type,
  objectType: r.object_type,
  recordRef: r.record_ref,
  sourceRef: r.source_ref,
  linkId: r.link_id,
  record: JSON.parse(r.record) as DatasetRecord['record'],
});

/** SQLite's BINARY order of (provider_id, dataset_id): code units compare like UTF-8 bytes for ASCII ids. */
const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byScope = (a: Hit, b: Hit) =>
  compareText(a.providerId, b.providerId) || compareText(a.datasetId, b.datasetId);

/** Starts the writer of one upload (dataset-staging.ts): on a thread of its own, or on this connection. */
export type UploadWriterFactory = (scope: DatasetScope, uploadId: string) => UploadThread;

/** On this thread a transaction blocks the event loop: short ones, with a turn of the loop between. */
const INLINE_BUDGET_MS = 5;

export interface DatasetStoreOptions {
  /** The connection lookups read through (a read-only one of their own; default `db` itself). */
  reader?: Database.Database;
  /**
   * A writing connection of its own for an upload written on this thread (its staging file is attached
   * there); undefined for an in-memory store, whose uploads then use `db`, one at a time.
   */
  openConnection?: () => Database.Database;
  /** Where an upload's staging file goes (default ':memory:'). */
  stagingFileOf?: (uploadId: string) => string;
  /** The writer of each upload (default: on this thread). */
  startWriter?: UploadWriterFactory;
  /** Writers waiting for the write lock (group-commit.ts): an upload written here gives way to them. */
  waiting?: WriteTurns;
  /**
   * A read-only connection of its own for one stream of `records()` (undefined for an in-memory store,
   * whose streams then read on `db` and must be drained without waiting).
   */
  openStreamReader?: () => Database.Database;
}

/** A stream of records gives the event loop a turn after this many rows. */
const RECORDS_PER_TURN = 2048;

export function createDatasets(
  db: Database.Database,
  appendInTx: AppendInTx,
  unit: RunUnit,
  options: DatasetStoreOptions = {},
): DatasetStore & { close(): Promise<void> } {
  const reader = options.reader ?? db;
  const stagingFileOf = options.stagingFileOf ?? (() => ':memory:');
  const turns = options.waiting ?? createWriteTurns();
  const othersWaiting = () => isWaiting(turns);
  const inline: UploadWriterFactory = (scope, uploadId) => {
    const stagingFile = stagingFileOf(uploadId);
    const connection = options.openConnection?.() ?? db;
    const writer = createUploadWriter(connection, scope, {
      stagingFile,
      budgetMs: INLINE_BUDGET_MS,
      othersWaiting,
      turns,
      pause: async () => {
        await new Promise((resolve) => setImmediate(resolve));
        while (othersWaiting()) await new Promise((resolve) => setTimeout(resolve, 1));
      },
    });
    let stopped = false;
    return {
      ...writer,
      async stop() {
        if (stopped) return;
        stopped = true;
        writer.close();
        if (connection !== db) connection.close();
        if (stagingFile !== ':memory:') fs.rmSync(stagingFile, { force: true });
      },
    };
  };
  const writerFor = options.startWriter ?? inline;
  // On `db` itself (an in-memory store) the staging file has one name: one upload at a time in all.
  const holdOf = (scope: DatasetScope) =>
    options.startWriter || options.openConnection ? `${scope.providerId}\u0000${scope.datasetId}` : '*';
  const saveUpload = db.prepare(
    'INSERT INTO dataset_uploads (id, provider_id, dataset_id, uploaded_at, body) VALUES (?, ?, ?, ?, ?)',
  );
  const size = db
    .prepare<[string, string], number>(
      'SELECT records FROM dataset_versions WHERE provider_id = ? AND dataset_id = ?',
    )
    .pluck();
  const latest = db.prepare<[string, string], { body: string }>(
    `SELECT body FROM dataset_uploads WHERE provider_id = ? AND dataset_id = ?
     ORDER BY uploaded_at DESC, rowid DESC LIMIT 1`,
  );
  const index = createLookupIndex(db, reader);
  /** The hits of each key in order (key's position, then provider, dataset): one search per key. */
  const lookupIn = (keys: string[], scopes: { providerId: string; datasetId: string }[]): Hit[] => {
    const hits: Hit[] = [];
    for (const key of keys) {
      const start = hits.length;
      for (const hit of index.find(key)) {
        if (scopes.some((s) => s.providerId === hit.providerId && s.datasetId === hit.datasetId))
          hits.push(hit);
      }
      if (hits.length - start > 1) {
        const mine = hits.splice(start).sort(byScope);
        hits.push(...mine);
      }
    }
    return hits;
  };
  // Every key of one lookup read in one snapshot: an upload published meanwhile is seen by all or none.
  const lookup = reader.transaction(lookupIn);
  // Reference first, then its index (provider, dataset, record_ref): cost independent of dataset size.
  // A record is visible in the dataset's live generations when no newer one of its key is.
  const resolve = db.prepare<[string, string, string], RecordRow>(
    `SELECT r.* FROM json_each(?) AS k
     CROSS JOIN dataset_records AS r INDEXED BY dataset_records_ref
     CROSS JOIN dataset_versions AS v
     WHERE r.provider_id = ? AND r.dataset_id = ? AND r.record_ref = k.value
       AND v.provider_id = r.provider_id AND v.dataset_id = r.dataset_id AND r.added BETWEEN v.base AND v.live
       AND NOT EXISTS (SELECT 1 FROM dataset_records AS n
         WHERE n.provider_id = r.provider_id AND n.dataset_id = r.dataset_id
           AND n.identifier_key = r.identifier_key AND n.added > r.added AND n.added <= v.live)
     ORDER BY r.source_ref, r.identifier_key`,
  );
  // In key order, each key's generations oldest first: the last of a key's run is its visible record.
  const ALL_RECORDS = `SELECT r.* FROM dataset_versions AS v CROSS JOIN dataset_records AS r
     WHERE v.provider_id = ? AND v.dataset_id = ?
       AND r.provider_id = v.provider_id AND r.dataset_id = v.dataset_id AND r.added BETWEEN v.base AND v.live
     ORDER BY r.identifier_key, r.added`;
  const all = db.prepare<[string, string], RecordRow>(ALL_RECORDS);

  const busy = new Set<string>();
  /** The writers of uploads not yet ended (being written, or sweeping): close stops them. */
  const writers = new Set<UploadThread>();

  return {
    async stage(scope, mode, uploadId) {
      const name = holdOf(scope);
      if (busy.has(name)) throw new DatasetBusyError();
      busy.add(name);
      const replace = mode === 'replace';
      let writer: UploadThread | undefined;
      /** Ends the writer, and with it the upload's hold on the dataset. */
      const end = async () => {
        if (writer) {
          writers.delete(writer);
          await writer.stop();
        }
        busy.delete(name);
      };
      let generation: Generation;
      try {
        writer = writerFor(scope, uploadId);
        writers.add(writer);
        generation = await writer.begin(replace);
      } catch (error) {
        await end();
        throw error;
      }
      const active = writer;
      let open = true;
      const close = () => {
        if (!open) throw new Error('this upload was published or discarded');
        open = false;
      };
      const giveUp = async (error: unknown) => {
        await active.discard().catch(() => undefined);
        await end();
        throw error;
      };
      return {
        async add(records) {
          if (!open) throw new Error('this upload was published or discarded');
          await active.append(records);
        },
        async publish(upload, events) {
          close();
          try {
            const records = generation.records + (await active.merge(generation, uploadId));
            const published = await unit(() => {
              if (!publishGeneration(db, scope, generation, replace, records)) return false;
              saveUpload.run(
                upload.id,
                scope.providerId,
                scope.datasetId,
                upload.uploadedAt,
                JSON.stringify(upload),
              );
              appendInTx(events);
              return true;
            });
            if (!published) throw new Error('another generation of this dataset was published meanwhile');
            // What the new generation hides goes in the background; the dataset is free for the next upload.
            busy.delete(name);
            void active
              .sweep(generation.added, replace)
              .catch(() => undefined)
              .finally(() => {
                writers.delete(active);
                void active.stop();
              });
            return records;
          } catch (error) {
            return giveUp(error);
          }
        },
        async discard() {
          if (!open) return;
          open = false;
          await giveUp(undefined).catch(() => undefined);
        },
      };
    },
    async lookup(keys, scopes) {
      if (!keys.length || !scopes.length) return [];
      return lookup(keys, scopes);
    },
    async resolve(providerId, datasetId, recordRefs) {
      if (!recordRefs.length) return [];
      return resolve.all(JSON.stringify(recordRefs), providerId, datasetId).map(fromRow);
    },
    async *records(providerId, datasetId) {
      // A stream reads on a connection of its own: its one SELECT is one snapshot (old generation or
      // new, never a mix) however long its reader takes, the store's connection stays free for writes
      // and other streams meanwhile, and a long stream gives the event loop its turns.
      const own = options.openStreamReader?.();
      try {
        const rows = own ? own.prepare<[string, string], RecordRow>(ALL_RECORDS) : all;
        let previous: RecordRow | undefined;
        let read = 0;
        for (const row of rows.iterate(providerId, datasetId)) {
          if (previous && previous.identifier_key !== row.identifier_key) yield fromRow(previous);
          previous = row;
          if (own && ++read % RECORDS_PER_TURN === 0) await new Promise<void>((done) => setImmediate(done));
        }
        if (previous) yield fromRow(previous);
      } finally {
        own?.close();
      }
    },
    async status(providerId, datasetId) {
      const row = latest.get(providerId, datasetId);
      return {
        records: size.get(providerId, datasetId) ?? 0,
        lastUpload: row ? (JSON.parse(row.body) as DatasetUpload) : undefined,
      };
    },
    async close() {
      await Promise.all([...writers].map((w) => w.stop()));
    },
  };
}

/** `writer`: a worker thread that writes lookups on a connection of its own (lookup-writer.ts). */
export function createLookups(
  db: Database.Database,
  appendInTx: AppendInTx,
  unit: RunUnit,
  writer?: LookupWriter,
): LookupStore {
  // The index of lookup entries alone (schema version 8); INDEXED BY: an error, never a scan, without it.
  const since = db.prepare<[string, string, string, string], { n: number }>(
    `SELECT count(*) AS n FROM audit_log INDEXED BY audit_log_lookups
     WHERE type = 'lookup' AND actor_user = ? AND actor_partner = ? AND agreement_id = ? AND ts >= ?`,
  );
  return {
    async create(events) {
      if (writer) await writer.create(events);
      else await unit(() => appendInTx(events));
    },
    async countSince(partnerId, userId, agreementId, from) {
      return since.get(userId, partnerId, agreementId, from.toISOString())!.n;
    },
  };
}
