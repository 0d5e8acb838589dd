/**
 * The lookup index (schema version 7): what a hit/no-hit lookup returns, in a hash table kept in a
 * rowid table. An identifier key's records, in every dataset, sit in one bucket of consecutive rowids
 * (slots) that starts at a hash of the key, so a lookup is one search of the table's B-tree whatever
 * the number of datasets asked about. A rowid B-tree's interior pages hold only integers (hundreds of
 * children a page), so that search walks 3 pages at a million records and 2–3 at ten thousand; the
 * covering index it replaces (provider, dataset, key, …: whole entries in its interior pages too) took
 * one 4-page search per dataset at a million.
 *
 * Keys whose hashes agree share a bucket, and every read compares the key itself, so a shared bucket
 * only costs a longer scan. The hash is SHA-256's, so no one can make many keys share one on purpose.
 *
 * Entries carry their record's generation (`added`, schema version 12, dataset-staging.ts): an upload
 * writes its entries beside the live ones, and a read returns, per dataset, the newest entry of the
 * generations the dataset's row in dataset_versions makes visible (base..live), read in the same
 * statement, so a lookup sees a dataset before an upload or after it, never half of it.
 */
import crypto from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Hit } from '../../datasets/types';

/** Slots in a bucket: the most datasets one identifier key can be in (with keys that share its bucket). */
export const BUCKET_SLOTS = 1024;

/**
 * The first slot of a key's bucket: 43 bits of the key's SHA-256 times BUCKET_SLOTS, so every slot is
 * an exact JavaScript integer (< 2^53). Stored in the file: a new function needs a migration that
 * rebuilds the table.
 */
export function bucketOf(identifierKey: string): number {
  const digest = crypto.hash('sha256', identifierKey, 'buffer');
  return Math.floor(digest.readUIntBE(0, 6) / 32) * BUCKET_SLOTS;
}

export type IndexedRecord = Omit<Hit, 'providerId' | 'datasetId'>;

export interface LookupIndex {
  /**
   * Adds or replaces the entries of (provider, dataset, key) in generation `added`, a later record of
   * a key over an earlier one. On the writing connection, in its transaction.
   */
  put(providerId: string, datasetId: string, added: number, records: readonly IndexedRecord[]): void;
  /** Removes the entries of these records (before the records are deleted). */
  remove(providerId: string, datasetId: string, entries: readonly GenerationKey[]): void;
  /** The visible entry of a key in each dataset that has one, in slot order. On the reading connection. */
  find(identifierKey: string): Hit[];
}

/** A record of a dataset: its key in one generation. */
export interface GenerationKey {
  identifierKey: string;
  added: number;
}

interface SlotRow {
  slot: number;
  provider_id: string;
  dataset_id: string;
  identifier_key: string;
  added: number;
}

/** `bucket` and `slots`: other hash functions and bucket sizes, for tests that fill a bucket. */
export function createLookupIndex(
  db: Database.Database,
  reader: Database.Database = db,
  bucket: (identifierKey: string) => number = bucketOf,
  slots: number = BUCKET_SLOTS,
): LookupIndex {
  const inBucket = db.prepare<[number, number], SlotRow>(
    `SELECT slot, provider_id, dataset_id, identifier_key, added FROM dataset_lookup
     WHERE slot BETWEEN ? AND ? ORDER BY slot`,
  );
  const insert = db.prepare<[number, string, string, string, string, string, string, number]>(
    `INSERT INTO dataset_lookup (slot, provider_id, dataset_id, identifier_key, object_type, identifier_type,
       record_ref, added)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const update = db.prepare<[string, string, string, number]>(
    'UPDATE dataset_lookup SET object_type = ?, identifier_type = ?, record_ref = ? WHERE slot = ?',
  );
  const drop = db.prepare(
    `DELETE FROM dataset_lookup
     WHERE slot BETWEEN ? AND ? AND provider_id = ? AND dataset_id = ? AND identifier_key = ? AND added = ?`,
  );
  // The bucket's slots first (CROSS JOIN keeps that order), then each entry's dataset generations.
  const entries = reader.prepare<[number, number, string], Hit & { added: number }>(
    `SELECT l.provider_id AS providerId, l.dataset_id AS datasetId, l.object_type AS objectType,
       l.identifier_type AS identifierType, l.identifier_key AS identifierKey, l.record_ref AS recordRef,
       l.added AS added
     FROM dataset_lookup AS l CROSS JOIN dataset_versions AS v
     WHERE l.slot BETWEEN ? AND ? AND l.identifier_key = ?
       AND v.provider_id = l.provider_id AND v.dataset_id = l.dataset_id AND l.added BETWEEN v.base AND v.live
     ORDER BY l.slot`,
  );

  const putAt = (
    first: number,
    providerId: string,
    datasetId: string,
    added: number,
    record: IndexedRecord,
  ) => {
    // The bucket's entries in slot order: this key's own entry in this generation, or the first free slot.
    let free = first;
    for (const row of inBucket.all(first, first + slots - 1)) {
      if (
        row.identifier_key === record.identifierKey &&
        row.added === added &&
        row.provider_id === providerId &&
        row.dataset_id === datasetId
      ) {
        update.run(record.objectType, record.identifierType, record.recordRef, row.slot);
        return;
      }
      if (row.slot === free) free++;
    }
    if (free >= first + slots) {
      throw new Error(`the lookup index has no free slot for an identifier key (${slots} in its bucket)`);
    }
    const { identifierKey, objectType, identifierType, recordRef } = record;
    insert.run(free, providerId, datasetId, identifierKey, objectType, identifierType, recordRef, added);
  };

  /**
   * Positions in the order of their keys' buckets (stable: a key's records keep theirs). Hashed keys
   * land all over the table; in slot order a batch writes each page of it once, not once per key
   * (docs/performance.md).
   */
  const bucketOrder = (keys: readonly string[]) => {
    const buckets = keys.map(bucket);
    const order = keys.map((_, i) => i).sort((a, b) => buckets[a] - buckets[b] || a - b);
    return { buckets, order };
  };

  return {
    put(providerId, datasetId, added, records) {
      const { buckets, order } = bucketOrder(records.map((r) => r.identifierKey));
      for (const i of order) putAt(buckets[i], providerId, datasetId, added, records[i]);
    },
    remove(providerId, datasetId, keys) {
      const { buckets, order } = bucketOrder(keys.map((k) => k.identifierKey));
      for (const i of order) {
        const { identifierKey, added } = keys[i];
        drop.run(buckets[i], buckets[i] + slots - 1, providerId, datasetId, identifierKey, added);
      }
    },
    find(identifierKey) {
      const first = bucket(identifierKey);
      return newestPerDataset(entries.all(first, first + slots - 1, identifierKey));
    },
  };
}

/**
 * A dataset's visible entry of a key is its newest generation's (an upsert's record over the one it
 * replaces, until the older one is swept); in slot order, like the rows. Almost always one row.
 */
function newestPerDataset(rows: (Hit & { added: number })[]): Hit[] {
  const hits: Hit[] = [];
  for (const row of rows) {
    const superseded =
      rows.length > 1 &&
      rows.some(
        (other) =>
          other.added > row.added && other.providerId === row.providerId && other.datasetId === row.datasetId,
      );
    if (superseded) continue;
    const { added: _added, ...hit } = row;
    hits.push(hit);
  }
  return hits;
}
