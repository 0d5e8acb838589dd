/**
 * The lookup index's hash table (lookup-index.ts): entries of keys that share a bucket, slots freed and
 * taken again, a full bucket refused, and a version-6 file's records indexed by the migration (uploads
 * through the store: store-speedups.test.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  BUCKET_SLOTS,
  bucketOf,
  createLookupIndex,
  type IndexedRecord,
} from '../../src/store/sqlite/lookup-index';
import { LATEST_VERSION, MIGRATIONS, migrate } from '../../src/store/sqlite/migrations';
import { openSqliteStore } from '../../src/store/sqlite';

let db: Database.Database;

beforeEach(() => {
  db = new Database(':memory:');
  migrate(db);
  // The datasets these tests use, their generation 0 live (dataset-staging.ts).
  const live = db.prepare(
    'INSERT INTO dataset_versions (provider_id, dataset_id, base, live, records) VALUES (?, ?, 0, 0, 0)',
  );
  for (const [provider, dataset] of [
    ['boatreg-nl', 'vessels'],
    ['boatreg-nl', 'engines'],
    ['insureco', 'theft-claims'],
    ['a', 'd'],
    ['b', 'd'],
    ['c', 'd'],
  ]) {
    live.run(provider, dataset);
  }
});

afterEach(() => db.close());

const entry = (identifierKey: string, recordRef = `ref-${identifierKey}`): IndexedRecord => ({
  identifierKey,
  identifierType: 'hin',
  objectType: 'boat',
  recordRef,
});

const slots = () =>
  db
    .prepare<[], { slot: number; provider_id: string; identifier_key: string }>(
      'SELECT slot, provider_id, identifier_key FROM dataset_lookup ORDER BY slot',
    )
    .all();

describe('bucketOf', () => {
  it('starts a bucket at an exact integer, the same for the same key and apart for others', () => {
    const keys = Array.from({ length: 2000 }, (_, i) => `hin:NL${i}`);
    const buckets = keys.map(bucketOf);
    for (const b of buckets) {
      expect(Number.isSafeInteger(b + BUCKET_SLOTS - 1)).toBe(true);
      expect(b % BUCKET_SLOTS).toBe(0);
      expect(b).toBeGreaterThanOrEqual(0);
    }
    expect(keys.map(bucketOf)).toEqual(buckets);
    expect(new Set(buckets).size).toBe(keys.length);
  });
});

describe('lookup index', () => {
  it('keeps keys that share a bucket apart, and one entry per (provider, dataset, key)', () => {
    // Every key in bucket 100, four slots: only the key comparison tells them apart.
    const index = createLookupIndex(db, db, () => 100, 4);
    index.put('boatreg-nl', 'vessels', 0, [entry('hin:a')]);
    index.put('insureco', 'theft-claims', 0, [entry('hin:a')]);
    index.put('boatreg-nl', 'vessels', 0, [entry('hin:b')]);
    index.put('boatreg-nl', 'vessels', 0, [entry('hin:a', 'ref-new')]);
    expect(slots()).toEqual([
      { slot: 100, provider_id: 'boatreg-nl', identifier_key: 'hin:a' },
      { slot: 101, provider_id: 'insureco', identifier_key: 'hin:a' },
      { slot: 102, provider_id: 'boatreg-nl', identifier_key: 'hin:b' },
    ]);
    expect(index.find('hin:a').map((h) => [h.providerId, h.datasetId, h.recordRef])).toEqual([
      ['boatreg-nl', 'vessels', 'ref-new'],
      ['insureco', 'theft-claims', 'ref-hin:a'],
    ]);
    expect(index.find('hin:b')).toEqual([
      {
        providerId: 'boatreg-nl',
        datasetId: 'vessels',
        objectType: 'boat',
        identifierType: 'hin',
        identifierKey: 'hin:b',
        recordRef: 'ref-hin:b',
      },
    ]);
    expect(index.find('hin:c')).toEqual([]);
  });

  it('removes only the named dataset’s entries, and takes the first free slot again', () => {
    const index = createLookupIndex(db, db, () => 0, 4);
    index.put('boatreg-nl', 'vessels', 0, [entry('hin:a')]);
    index.put('insureco', 'theft-claims', 0, [entry('hin:a')]);
    index.put('boatreg-nl', 'vessels', 0, [entry('hin:b')]);
    index.remove('boatreg-nl', 'vessels', [
      { identifierKey: 'hin:a', added: 0 },
      { identifierKey: 'hin:nothing', added: 0 },
    ]);
    expect(slots().map((s) => s.slot)).toEqual([1, 2]);
    index.put('boatreg-nl', 'engines', 0, [entry('hin:c')]);
    index.put('boatreg-nl', 'engines', 0, [entry('hin:d')]);
    expect(slots().map((s) => [s.slot, s.identifier_key])).toEqual([
      [0, 'hin:c'],
      [1, 'hin:a'],
      [2, 'hin:b'],
      [3, 'hin:d'],
    ]);
  });

  it('puts a batch in bucket order, the later record of a key over the earlier', () => {
    // Buckets 0, 8 and 16 by the key's last character.
    const index = createLookupIndex(db, db, (key) => (key.charCodeAt(key.length - 1) % 3) * 8, 8);
    const keys = ['hin:a', 'hin:b', 'hin:c', 'hin:d', 'hin:e', 'hin:f'];
    index.put('boatreg-nl', 'vessels', 0, [
      ...keys.map((k) => entry(k)),
      entry('hin:b', 'ref-b2'),
      entry('hin:e', 'ref-e2'),
      entry('hin:b', 'ref-b3'),
    ]);
    expect(slots().map((s) => [s.slot, s.identifier_key])).toEqual([
      [0, 'hin:c'],
      [1, 'hin:f'],
      [8, 'hin:a'],
      [9, 'hin:d'],
      [16, 'hin:b'],
      [17, 'hin:e'],
    ]);
    expect(keys.flatMap((k) => index.find(k).map((h) => h.recordRef))).toEqual([
      'ref-hin:a',
      'ref-b3',
      'ref-hin:c',
      'ref-hin:d',
      'ref-e2',
      'ref-hin:f',
    ]);
  });

  it('finds, per dataset, the newest entry of the generations its dataset_versions row makes visible', () => {
    const index = createLookupIndex(db, db, () => 0, 8);
    const setVersion = db.prepare(
      "UPDATE dataset_versions SET base = ?, live = ? WHERE provider_id = 'boatreg-nl' AND dataset_id = 'vessels'",
    );
    index.put('boatreg-nl', 'vessels', 0, [entry('hin:a', 'gen-0')]);
    index.put('boatreg-nl', 'vessels', 1, [entry('hin:a', 'gen-1')]);
    index.put('insureco', 'theft-claims', 0, [entry('hin:a', 'claim')]);
    const refs = () => index.find('hin:a').map((h) => h.recordRef);
    // Generation 1 is being written: nobody sees it.
    expect(refs()).toEqual(['gen-0', 'claim']);
    setVersion.run(0, 1); // an upsert published: the newer entry hides the older
    expect(refs()).toEqual(['gen-1', 'claim']);
    index.put('boatreg-nl', 'vessels', 2, [entry('hin:b', 'gen-2')]);
    setVersion.run(2, 2); // a replace without hin:a published: nothing of the older generations
    expect(refs()).toEqual(['claim']);
    expect(index.find('hin:b').map((h) => h.recordRef)).toEqual(['gen-2']);
    expect(index.find('hin:a')[0]).not.toHaveProperty('added');
  });

  it('refuses an entry when its bucket is full, and changes nothing', () => {
    const index = createLookupIndex(db, db, () => 0, 2);
    index.put('a', 'd', 0, [entry('hin:a')]);
    index.put('b', 'd', 0, [entry('hin:a')]);
    expect(() => index.put('c', 'd', 0, [entry('hin:a')])).toThrow(/no free slot/);
    expect(slots()).toHaveLength(2);
    // Replacing an entry of a full bucket still works.
    index.put('b', 'd', 0, [entry('hin:a', 'ref-2')]);
    expect(index.find('hin:a').map((h) => h.recordRef)).toEqual(['ref-hin:a', 'ref-2']);
  });
});

describe('migration to version 7', () => {
  it('indexes the records a version-6 file holds and drops the indexes lookups searched', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-lookup-index-'));
    const file = path.join(dir, 'v6.db');
    try {
      const old = new Database(file);
      migrate(
        old,
        MIGRATIONS.filter((m) => m.version <= 6),
      );
      const put = old.prepare(
        `INSERT INTO dataset_records (provider_id, dataset_id, identifier_key, identifier_type, object_type,
           record_ref, source_ref, link_id, record, upload_id)
         VALUES (?, ?, ?, 'hin', 'boat', ?, 'src', NULL, '{}', 'u1')`,
      );
      // More than one chunk of the migration's reading (10,000), a key in two datasets.
      old.transaction(() => {
        for (let i = 0; i < 10_050; i++) put.run('boatreg-nl', 'vessels', `hin:k${i}`, `r${i}`);
        put.run('insureco', 'theft-claims', 'hin:k7', 'claim-7');
      })();
      old.close();

      const store = openSqliteStore({ file });
      try {
        const scopes = [
          { providerId: 'boatreg-nl', datasetId: 'vessels' },
          { providerId: 'insureco', datasetId: 'theft-claims' },
        ];
        const hits = await store.datasets.lookup(['hin:k7', 'hin:k10049', 'hin:k10050'], scopes);
        expect(hits.map((h) => [h.identifierKey, h.providerId, h.recordRef])).toEqual([
          ['hin:k7', 'boatreg-nl', 'r7'],
          ['hin:k7', 'insureco', 'claim-7'],
          ['hin:k10049', 'boatreg-nl', 'r10049'],
        ]);
      } finally {
        await store.close();
      }
      const migrated = new Database(file, { readonly: true });
      expect(migrated.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
      expect(migrated.prepare('SELECT count(*) AS n FROM dataset_lookup').get()).toEqual({ n: 10_051 });
      const names = migrated
        .prepare<[], { name: string }>('SELECT name FROM sqlite_master')
        .all()
        .map((n) => n.name);
      expect(names).toContain('dataset_records_ref');
      expect(names).not.toContain('dataset_records_lookup');
      expect(names).not.toContain('dataset_records_key');
      migrated.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
