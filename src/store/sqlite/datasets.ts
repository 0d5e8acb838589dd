/** Shared datasets and lookups in SQLite. Writes commit with their audit entries in one transaction. */
import type Database from 'better-sqlite3';
import type { AuditEventInput } from '../../audit/types';
import type { DatasetRecord, DatasetUpload, Hit } from '../../datasets/types';
import type { DatasetStore, LookupStore } from '../port';
import type { AppendInTx } from './audit';
import type { RunUnit } from './group-commit';
import { createLookupIndex } from './lookup-index';
import type { LookupWriter } from './lookup-writer';

interface RecordRow {
  identifier_key: string;
  identifier_type: string;
  object_type: string;
  record_ref: string;
  source_ref: string;
  link_id: string | null;
  record: string;
}

const fromRow = (r: RecordRow): DatasetRecord => ({
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

/** `reader`: the connection lookups read through (a read-only one of their own, or `db` itself). */
export function createDatasets(
  db: Database.Database,
  appendInTx: AppendInTx,
  unit: RunUnit,
  reader: Database.Database = db,
): DatasetStore {
  const clear = db.prepare('DELETE FROM dataset_records WHERE provider_id = ? AND dataset_id = ?');
  // A dataset's keys in chunks, for their lookup entries (a statement cannot write while another reads).
  const keysAfter = db
    .prepare<[string, string, string], string>(
      `SELECT identifier_key FROM dataset_records WHERE provider_id = ? AND dataset_id = ? AND identifier_key > ?
       ORDER BY identifier_key LIMIT 10000`,
    )
    .pluck();
  const put = db.prepare(
    `INSERT INTO dataset_records (provider_id, dataset_id, identifier_key, identifier_type, object_type,
       record_ref, source_ref, link_id, record, upload_id)
     VALUES (@providerId, @datasetId, @identifierKey, @identifierType, @objectType, @recordRef, @sourceRef,
       @linkId, @record, @uploadId)
     ON CONFLICT (provider_id, dataset_id, identifier_key) DO UPDATE SET
       identifier_type = excluded.identifier_type, object_type = excluded.object_type,
       record_ref = excluded.record_ref, source_ref = excluded.source_ref, link_id = excluded.link_id,
       record = excluded.record, upload_id = excluded.upload_id`,
  );
  const saveUpload = db.prepare(
    'INSERT INTO dataset_uploads (id, provider_id, dataset_id, uploaded_at, body) VALUES (?, ?, ?, ?, ?)',
  );
  const count = db.prepare<[string, string], { n: number }>(
    'SELECT count(*) AS n FROM dataset_records WHERE provider_id = ? AND dataset_id = ?',
  );
  const latest = db.prepare<[string, string], { body: string }>(
    `SELECT body FROM dataset_uploads WHERE provider_id = ? AND dataset_id = ?
     ORDER BY uploaded_at DESC, rowid DESC LIMIT 1`,
  );
  const index = createLookupIndex(db, reader);
  /** The hits of each key in order (key's position, then provider, dataset): one search per key. */
  const lookup = (keys: string[], scopes: { providerId: string; datasetId: string }[]): Hit[] => {
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
  // Reference first, then its index (provider, dataset, record_ref): cost independent of dataset size.
  const resolve = db.prepare<[string, string, string], RecordRow>(
    `SELECT r.* FROM json_each(?) AS k
     CROSS JOIN dataset_records AS r INDEXED BY dataset_records_ref
     WHERE r.provider_id = ? AND r.dataset_id = ? AND r.record_ref = k.value
     ORDER BY r.source_ref, r.identifier_key`,
  );

  const all = db.prepare<[string, string], RecordRow>(
    'SELECT * FROM dataset_records WHERE provider_id = ? AND dataset_id = ? ORDER BY identifier_key',
  );

  const write = (upload: DatasetUpload, records: DatasetRecord[], events: AuditEventInput[]) => {
    const { providerId, datasetId } = upload;
    if (upload.mode === 'replace') {
      for (let keys = keysAfter.all(providerId, datasetId, ''); keys.length;) {
        index.remove(providerId, datasetId, keys);
        keys = keysAfter.all(providerId, datasetId, keys[keys.length - 1]);
      }
      clear.run(providerId, datasetId);
    }
    index.put(providerId, datasetId, records);
    for (const r of records) {
      put.run({
        providerId,
        datasetId,
        identifierKey: r.identifierKey,
        identifierType: r.identifierType,
        objectType: r.objectType,
        recordRef: r.recordRef,
        sourceRef: r.sourceRef,
        linkId: r.linkId,
        record: JSON.stringify(r.record),
        uploadId: upload.id,
      });
    }
    saveUpload.run(upload.id, providerId, datasetId, upload.uploadedAt, JSON.stringify(upload));
    appendInTx(events);
    return count.get(providerId, datasetId)!.n;
  };

  return {
    write(upload, records, events) {
      return unit(() => write(upload, records, events));
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
      for (const row of all.iterate(providerId, datasetId)) yield fromRow(row);
    },
    async status(providerId, datasetId) {
      const row = latest.get(providerId, datasetId);
      return {
        records: count.get(providerId, datasetId)!.n,
        lastUpload: row ? (JSON.parse(row.body) as DatasetUpload) : undefined,
      };
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
