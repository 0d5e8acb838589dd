/**
 * An upload to a shared dataset in PostgreSQL (migration 4): the generations of SQLite's
 * dataset-staging.ts, without its staging files. The upload's records go straight into
 * dataset_records as its own generation, above the live one where no reader looks; publishing is one
 * small transaction (the dataset's dataset_versions row, the upload, its log entries); what the new
 * generation hides is swept afterwards.
 *
 * One upload per dataset at a time, across instances: the busy mark is the dataset's row in
 * dataset_staging, taken by stage, renewed by every add, removed by publish or discard. An instance
 * that stops mid-upload leaves its mark; once untouched for STALE_AFTER_SECONDS the next stage takes
 * it over and removes what that upload wrote. The upload taken over is refused at its next add or at
 * publish (each checks its mark in its own transaction), so two writers never share a dataset.
 */
import type pg from 'pg';
import type { AuditEventInput } from '../../audit/types';
import type { DatasetRecord, DatasetUpload, UploadMode } from '../../datasets/types';
import { DatasetBusyError } from '../dataset-busy';
import type { StagedUpload } from '../port';
import type { PgContext } from './context';

export interface DatasetScope {
  providerId: string;
  datasetId: string;
}

/** A mark not renewed for this long belongs to an upload whose instance stopped: stage takes it over. */
export const STALE_AFTER_SECONDS = 600;

/** Records per INSERT statement (an add of more is several statements in its one transaction). */
const INSERT_CHUNK = 2000;

/** Keys and references as stored: their UTF-8 bytes (a NUL is a byte like any other there). */
export const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

interface Version {
  base: number;
  live: number;
  records: number;
}

// The dataset's mark, if any, locked (an add renewing it finishes first), and whether it is stale.
const MARK = `SELECT added, touched_at < now() - make_interval(secs => $3) AS stale FROM dataset_staging
  WHERE provider_id = $1 AND dataset_id = $2 FOR UPDATE`;
// None returned when another instance marked the dataset meanwhile.
const NEW_MARK = `INSERT INTO dataset_staging (provider_id, dataset_id, upload_id, added, touched_at)
  VALUES ($1, $2, $3, nextval('dataset_generations'), now())
  ON CONFLICT (provider_id, dataset_id) DO NOTHING RETURNING added`;
const TAKE_MARK = `UPDATE dataset_staging
  SET upload_id = $3, added = nextval('dataset_generations'), touched_at = now()
  WHERE provider_id = $1 AND dataset_id = $2 RETURNING added`;
const RENEW_MARK = `UPDATE dataset_staging SET touched_at = now()
  WHERE provider_id = $1 AND dataset_id = $2 AND added = $3`;
const DROP_MARK = 'DELETE FROM dataset_staging WHERE provider_id = $1 AND dataset_id = $2 AND added = $3';
const VERSION = 'SELECT base, live, records FROM dataset_versions WHERE provider_id = $1 AND dataset_id = $2';
// A later record of a key in the same upload replaces the earlier one.
const INSERT_RECORDS = `INSERT INTO dataset_records (provider_id, dataset_id, identifier_key, added, record_ref, body)
  SELECT $1, $2, k, $3, r, b FROM unnest($4::bytea[], $5::bytea[], $6::text[]) AS t (k, r, b)
  ON CONFLICT (provider_id, dataset_id, identifier_key, added)
  DO UPDATE SET record_ref = excluded.record_ref, body = excluded.body`;
// A generation's number is unique across datasets: its records are found by it alone (dataset_records_added).
const GENERATION_SIZE = 'SELECT count(*)::bigint AS n FROM dataset_records WHERE added = $1';
const REMOVE_GENERATIONS = 'DELETE FROM dataset_records WHERE added = ANY($1::bigint[])';
// A given-up upload's records, unless it was published after all (a commit whose answer was lost).
const REMOVE_UNPUBLISHED = `DELETE FROM dataset_records WHERE added = $3 AND NOT EXISTS
  (SELECT 1 FROM dataset_uploads WHERE provider_id = $1 AND dataset_id = $2 AND added = $3)`;
// Keys of the upload that no visible record of the dataset has.
const NEW_KEYS = `SELECT count(*)::bigint AS n FROM dataset_records r
  WHERE r.added = $1 AND NOT EXISTS (SELECT 1 FROM dataset_records o
    WHERE o.provider_id = r.provider_id AND o.dataset_id = r.dataset_id
      AND o.identifier_key = r.identifier_key AND o.added BETWEEN $2 AND $3)`;
const PUBLISH_VERSION = `INSERT INTO dataset_versions (provider_id, dataset_id, base, live, records)
  VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (provider_id, dataset_id) DO UPDATE
    SET base = excluded.base, live = excluded.live, records = excluded.records`;
const SAVE_UPLOAD = `INSERT INTO dataset_uploads (id, provider_id, dataset_id, added, uploaded_at, body)
  VALUES ($1, $2, $3, $4, $5, $6)`;
// The published generations a replace hides (all below its base).
const GENERATIONS_BELOW = `SELECT added FROM dataset_uploads
  WHERE provider_id = $1 AND dataset_id = $2 AND added < $3`;
// An upsert's hidden records: the older records of its keys.
const REMOVE_REPLACED = `DELETE FROM dataset_records o USING dataset_records n
  WHERE n.added = $1 AND o.provider_id = n.provider_id AND o.dataset_id = n.dataset_id
    AND o.identifier_key = n.identifier_key AND o.added < n.added`;

const ended = () => new Error('this upload was published or discarded');
const lostMark = () =>
  new Error(
    'this upload no longer holds its dataset: it was idle too long and another upload took its place',
  );

/** Each key's last record (a later record of a key wins), in the order of their last appearance. */
function lastOfEachKey(records: readonly DatasetRecord[]): DatasetRecord[] {
  // Keyed as stored: lone surrogates become U+FFFD in UTF-8, so keys that differ only there are one.
  const byKey = new Map<string, DatasetRecord>();
  for (const r of records) {
    const key = r.identifierKey.toWellFormed();
    byKey.delete(key);
    byKey.set(key, r);
  }
  return [...byKey.values()];
}

/** Starts an upload (DatasetStore.stage): refused with DatasetBusyError while another holds the dataset. */
export async function stageUpload(
  ctx: PgContext,
  scope: DatasetScope,
  mode: UploadMode,
  uploadId: string,
): Promise<StagedUpload> {
  const { providerId, datasetId } = scope;
  const dataset = [providerId, datasetId];
  const started = await ctx.tx(async (client) => {
    const mark = (
      await client.query<{ added: number; stale: boolean }>(MARK, [...dataset, STALE_AFTER_SECONDS])
    ).rows[0];
    if (mark && !mark.stale) return undefined;
    let taken: pg.QueryResult<{ added: number }>;
    if (mark) {
      // Its instance stopped mid-upload: what it wrote goes, and the mark is this upload's.
      await client.query(REMOVE_GENERATIONS, [[mark.added]]);
      taken = await client.query(TAKE_MARK, [...dataset, uploadId]);
    } else {
      taken = await client.query(NEW_MARK, [...dataset, uploadId]);
      if (taken.rows.length === 0) return undefined;
    }
    // Read with the mark held: no other upload publishes this dataset until it is given back.
    const version = (await client.query<Version>(VERSION, dataset)).rows[0] ?? {
      base: 0,
      live: 0,
      records: 0,
    };
    return { added: taken.rows[0].added, version };
  });
  if (!started) throw new DatasetBusyError();
  const { added, version } = started;
  const generation = [...dataset, added];
  const replace = mode === 'replace';
  let open = true;

  /** Removes what this upload wrote, and its mark if it still has it. */
  const removeWritten = () =>
    ctx.tx(async (client) => {
      await client.query(REMOVE_UNPUBLISHED, generation);
      await client.query(DROP_MARK, generation);
    });

  /** The dataset's size once published: the upload alone (replace), or the live records and its new keys. */
  const sizeAfter = async () => {
    if (replace) return (await ctx.query<{ n: number }>(GENERATION_SIZE, [added])).rows[0].n;
    const fresh = await ctx.query<{ n: number }>(NEW_KEYS, [added, version.base, version.live]);
    return version.records + fresh.rows[0].n;
  };

  /** What the published generation hides, in the background (close waits for it); invisible meanwhile. */
  const sweep = () => {
    void ctx
      .tx(async (client) => {
        const below = await client.query<{ added: number }>(GENERATIONS_BELOW, [
          ...dataset,
          replace ? added : version.base,
        ]);
        await client.query(REMOVE_GENERATIONS, [below.rows.map((r) => r.added)]);
        if (!replace) await client.query(REMOVE_REPLACED, [added]);
      })
      .catch(() => undefined);
  };

  return {
    async add(records) {
      if (!open) throw ended();
      const latest = lastOfEachKey(records);
      await ctx.tx(async (client) => {
        if ((await client.query(RENEW_MARK, generation)).rowCount === 0) throw lostMark();
        for (let at = 0; at < latest.length; at += INSERT_CHUNK) {
          const chunk = latest.slice(at, at + INSERT_CHUNK);
          await client.query(INSERT_RECORDS, [
            ...generation,
            chunk.map((r) => utf8(r.identifierKey)),
            chunk.map((r) => utf8(r.recordRef)),
            chunk.map((r) => JSON.stringify(r)),
          ]);
        }
      });
    },
    async publish(upload: DatasetUpload, events: AuditEventInput[]) {
      if (!open) throw ended();
      open = false;
      let records: number;
      try {
        records = await sizeAfter();
        await ctx.logged(async (client, append) => {
          if ((await client.query(DROP_MARK, generation)).rowCount === 0) throw lostMark();
          const current = await client.query<Version>(`${VERSION} FOR UPDATE`, dataset);
          if ((current.rows[0]?.live ?? 0) !== version.live) {
            throw new Error('another upload of this dataset was published meanwhile');
          }
          await client.query(PUBLISH_VERSION, [...dataset, replace ? added : version.base, added, records]);
          await client.query(SAVE_UPLOAD, [
            upload.id,
            ...dataset,
            added,
            upload.uploadedAt,
            JSON.stringify(upload),
          ]);
          await append(events);
        });
      } catch (error) {
        await removeWritten().catch(() => undefined);
        throw error;
      }
      sweep();
      return records;
    },
    async discard() {
      if (!open) return;
      open = false;
      // A failure leaves the mark and the rows: the next stage takes the mark over once it is stale,
      // and removes the rows of its generation.
      await removeWritten().catch(() => undefined);
    },
  };
}
