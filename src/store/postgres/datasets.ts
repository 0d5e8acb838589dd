/**
 * Shared datasets in PostgreSQL (migration 4). An upload is written as a generation of its own and
 * published in one small transaction with its log entries (dataset-uploads.ts). Every read here is one
 * statement (or, for a stream, one cursor) that reads the dataset's row in dataset_versions with its
 * records, so it sees the dataset before a publish or after it, never a mix.
 */
import type pg from 'pg';
import type { DatasetRecord, DatasetUpload, Hit } from '../../datasets/types';
import type { DatasetStore } from '../port';
import type { PgContext } from './context';
import { stageUpload, utf8 } from './dataset-uploads';

export { createPgLookups } from './lookups';

/** Rows a stream of records fetches at a time: what it holds in memory, whatever the dataset's size. */
const STREAM_PAGE = 1000;

// A dataset's visible record of a key is its newest in the generations its version row v makes
// visible (base..live): the first of the key's records in the primary key, read backwards from live.

// Every key in every scope, one statement: each (scope, key) one search of the primary key. In the
// order of the keys asked, then of the scopes (bytewise, as SQLite orders them).
const LOOKUP = `SELECT r.provider_id, r.dataset_id, r.body
  FROM unnest($1::bytea[]) WITH ORDINALITY AS k (key, pos)
  CROSS JOIN unnest($2::text[], $3::text[]) AS s (provider_id, dataset_id)
  JOIN dataset_versions v ON v.provider_id = s.provider_id AND v.dataset_id = s.dataset_id
  CROSS JOIN LATERAL (SELECT r.provider_id, r.dataset_id, r.body FROM dataset_records r
    WHERE r.provider_id = v.provider_id AND r.dataset_id = v.dataset_id AND r.identifier_key = k.key
      AND r.added BETWEEN v.base AND v.live
    ORDER BY r.added DESC LIMIT 1) AS r
  ORDER BY k.pos, r.provider_id, r.dataset_id`;
// By reference (dataset_records_ref), each found record then checked to be its key's visible one.
const RESOLVE = `SELECT r.body FROM unnest($3::bytea[]) AS k (ref)
  JOIN dataset_versions v ON v.provider_id = $1 AND v.dataset_id = $2
  CROSS JOIN LATERAL (SELECT r.body FROM dataset_records r
    WHERE r.provider_id = v.provider_id AND r.dataset_id = v.dataset_id AND r.record_ref = k.ref
      AND r.added >= v.base AND r.added = (SELECT n.added FROM dataset_records n
        WHERE n.provider_id = v.provider_id AND n.dataset_id = v.dataset_id
          AND n.identifier_key = r.identifier_key AND n.added <= v.live
        ORDER BY n.added DESC LIMIT 1)
    OFFSET 0) AS r`;
// In primary-key order: the cursor walks the index, and the last of each key's run is its visible record.
const ALL_RECORDS = `SELECT r.identifier_key, r.body FROM dataset_versions v
  JOIN dataset_records r ON r.provider_id = v.provider_id AND r.dataset_id = v.dataset_id
  WHERE v.provider_id = $1 AND v.dataset_id = $2 AND r.added BETWEEN v.base AND v.live
  ORDER BY r.identifier_key, r.added`;
const SIZE = 'SELECT records FROM dataset_versions WHERE provider_id = $1 AND dataset_id = $2';
const LATEST_UPLOAD = `SELECT body FROM dataset_uploads WHERE provider_id = $1 AND dataset_id = $2
  ORDER BY uploaded_at DESC, seq DESC LIMIT 1`;

const fromBody = (row: { body: string }) => JSON.parse(row.body) as DatasetRecord;

interface HitRow {
  provider_id: string;
  dataset_id: string;
  body: string;
}

/** A hit: the record's dataset and reference, none of its values. */
const toHit = (row: HitRow): Hit => {
  const r = fromBody(row);
  return {
    providerId: row.provider_id,
    datasetId: row.dataset_id,
    objectType: r.objectType,
    identifierType: r.identifierType,
    identifierKey: r.identifierKey,
    recordRef: r.recordRef,
  };
};

/** Bytewise, as SQLite's BINARY collation orders UTF-8 text. */
const compareBytes = (a: string, b: string) => Buffer.compare(utf8(a), utf8(b));

export function createPgDatasets(ctx: PgContext): DatasetStore {
  return {
    stage: (scope, mode, uploadId) => stageUpload(ctx, scope, mode, uploadId),

    async lookup(keys, scopes) {
      if (!keys.length || !scopes.length) return [];
      const distinct = [...new Map(scopes.map((s) => [`${s.providerId}\u0000${s.datasetId}`, s])).values()];
      const { rows } = await ctx.query<HitRow>(LOOKUP, [
        keys.map(utf8),
        distinct.map((s) => s.providerId),
        distinct.map((s) => s.datasetId),
      ]);
      return rows.map(toHit);
    },

    async resolve(providerId, datasetId, recordRefs) {
      if (!recordRefs.length) return [];
      const { rows } = await ctx.query<{ body: string }>(RESOLVE, [
        providerId,
        datasetId,
        recordRefs.map(utf8),
      ]);
      return rows
        .map(fromBody)
        .sort(
          (a, b) => compareBytes(a.sourceRef, b.sourceRef) || compareBytes(a.identifierKey, b.identifierKey),
        );
    },

    records: (providerId, datasetId) => streamRecords(ctx, providerId, datasetId),

    async status(providerId, datasetId) {
      const [size, latest] = await Promise.all([
        ctx.query<{ records: number }>(SIZE, [providerId, datasetId]),
        ctx.query<{ body: string }>(LATEST_UPLOAD, [providerId, datasetId]),
      ]);
      return {
        records: size.rows[0]?.records ?? 0,
        lastUpload: latest.rows[0] ? (JSON.parse(latest.rows[0].body) as DatasetUpload) : undefined,
      };
    },
  };
}

/**
 * Every visible record of a dataset, through a cursor on a connection of the stream's own: one
 * snapshot (the generation live when it began, however long its reader takes and whatever is
 * published or swept meanwhile), STREAM_PAGE rows in memory at a time. The connection goes back to
 * the pool when the stream ends or is given up.
 */
async function* streamRecords(
  ctx: PgContext,
  providerId: string,
  datasetId: string,
): AsyncGenerator<DatasetRecord> {
  const client: pg.PoolClient = await ctx.run(() => ctx.pool.connect());
  let broken: Error | undefined;
  try {
    await ctx.run(async () => {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      await client.query(`DECLARE dataset_records_stream NO SCROLL CURSOR FOR ${ALL_RECORDS}`, [
        providerId,
        datasetId,
      ]);
    });
    let previous: { identifier_key: Buffer; body: string } | undefined;
    for (;;) {
      const { rows } = await ctx.run(() =>
        client.query<{ identifier_key: Buffer; body: string }>(
          `FETCH ${STREAM_PAGE} FROM dataset_records_stream`,
        ),
      );
      for (const row of rows) {
        if (previous && !previous.identifier_key.equals(row.identifier_key)) yield fromBody(previous);
        previous = row;
      }
      if (rows.length < STREAM_PAGE) break;
    }
    if (previous) yield fromBody(previous);
  } finally {
    // Read only: ending it changes nothing; a connection that cannot end it is not pooled again.
    await client.query('ROLLBACK').catch((error: Error) => (broken = error));
    client.release(broken);
  }
}
