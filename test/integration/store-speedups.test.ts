/**
 * The lookup and resolve queries were rewritten so that their cost does not grow with the dataset
 * (resolve: a join order fixed by CROSS JOIN, an index named; lookups: the hash-table lookup index of
 * lookup-index.ts, read through a connection of their own): they must return exactly what the plain
 * joins over the records returned, after replacing and upserting uploads too.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { DatasetRecord, DatasetUpload } from '../../src/datasets/types';
import type { CanonicalRecord } from '../../src/records/canonical';
import type { Store } from '../../src/store/port';
import { openSqliteStore } from '../../src/store/sqlite';
import { writeUpload } from '../../src/store/uploads';
import { uploadMeta } from '../helpers/dataset-upload';

let dir: string;
let file: string;
let store: Store;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-speedups-'));
  file = path.join(dir, 'gateway.db');
  store = openSqliteStore({ file });
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const SCOPES = [
  ['boatreg-nl', 'vessels'],
  ['boatreg-nl', 'engines'],
  ['insureco', 'theft-claims'],
  ['autodealers-nl', 'sales-ledger'],
] as const;

const upload = (
  providerId: string,
  datasetId: string,
  records: number,
  mode: DatasetUpload['mode'] = 'replace',
) => uploadMeta(crypto.randomUUID(), { providerId, datasetId }, mode, records, 'test');

/** Dataset s's record of key k; `version` changes its reference and object type. */
function record(s: number, k: number, version = 0): DatasetRecord {
  const [providerId, datasetId] = SCOPES[s];
  return {
    identifierKey: `hin:k${k}`,
    identifierType: 'hin',
    objectType: (k + version) % 2 ? 'boat' : 'boat-engine',
    recordRef: crypto.createHash('sha256').update(`${providerId}/${datasetId}/${k}/${version}`).digest('hex'),
    sourceRef: `src-${k % 7}`,
    linkId: null,
    record: { k } as unknown as CanonicalRecord,
  };
}

async function write(s: number, records: DatasetRecord[], mode: DatasetUpload['mode'] = 'replace') {
  const [providerId, datasetId] = SCOPES[s];
  return writeUpload(store.datasets, upload(providerId, datasetId, records.length, mode), records, [
    { type: 'dataset.upload', actor: 'system', partners: [providerId], data: {} },
  ]);
}

/** Keys k0..k59 spread over the scopes, some in several; each record its own reference. */
async function fill(): Promise<void> {
  for (const s of SCOPES.keys()) {
    const records: DatasetRecord[] = [];
    for (let k = s; k < 60; k += s + 1) records.push(record(s, k));
    await write(s, records);
  }
}

describe('dataset queries', () => {
  it('lookup returns what the plain join returned, in the same order', async () => {
    await fill();
    const db = new Database(file, { readonly: true });
    const plain = db.prepare(
      `SELECT r.provider_id AS providerId, r.dataset_id AS datasetId, r.object_type AS objectType,
         r.identifier_type AS identifierType, r.identifier_key AS identifierKey, r.record_ref AS recordRef
       FROM json_each(?) AS k
       JOIN dataset_records AS r ON r.identifier_key = k.value
       JOIN json_each(?) AS s
         ON r.provider_id = json_extract(s.value, '$.providerId') AND r.dataset_id = json_extract(s.value, '$.datasetId')
       -- Visible: in the dataset's live generations, and no newer one of its key is (dataset-staging.ts).
       JOIN dataset_versions AS v
         ON v.provider_id = r.provider_id AND v.dataset_id = r.dataset_id AND r.added BETWEEN v.base AND v.live
       WHERE NOT EXISTS (SELECT 1 FROM dataset_records AS n
         WHERE n.provider_id = r.provider_id AND n.dataset_id = r.dataset_id AND n.identifier_key = r.identifier_key
           AND n.added > r.added AND n.added <= v.live)
       ORDER BY k.key, r.provider_id, r.dataset_id`,
    );
    const scopes = (...picks: number[]): { providerId: string; datasetId: string }[] =>
      picks.map((i) => ({ providerId: SCOPES[i][0], datasetId: SCOPES[i][1] }));
    const cases: [string[], ReturnType<typeof scopes>][] = [
      [['hin:k0'], scopes(0, 1, 2, 3)],
      [['hin:k12', 'hin:k3', 'hin:nothing', 'hin:k0'], scopes(3, 0, 2)],
      [['hin:k5', 'hin:k6'], scopes(1)],
      [
        ['hin:k59', 'hin:k58', 'hin:k57'],
        [...scopes(0, 2), { providerId: 'nobody', datasetId: 'none' }],
      ],
      [Array.from({ length: 60 }, (_, k) => `hin:k${(k * 7) % 60}`), scopes(2, 1, 0, 3)],
    ];
    const compare = async () => {
      for (const [keys, scope] of cases) {
        const expected = plain.all(JSON.stringify(keys), JSON.stringify(scope));
        expect(expected.length).toBeGreaterThan(0);
        expect(await store.datasets.lookup(keys, scope)).toEqual(expected);
      }
    };
    await compare();
    // A dataset replaced by fewer keys, one with changed and new keys upserted, the first one twice.
    await write(0, [record(0, 3, 1), record(0, 12, 1), record(0, 59, 1)]);
    await write(2, [record(2, 2, 1), record(2, 5, 1), record(2, 0, 1), record(2, 2, 2)], 'upsert');
    await compare();
    db.close();
  });

  it('a replaced dataset leaves the lookups, an upserted record replaces its entry (beyond one chunk)', async () => {
    const scope = [{ providerId: SCOPES[0][0], datasetId: SCOPES[0][1] }];
    const refs = async (keys: number[]) =>
      (
        await store.datasets.lookup(
          keys.map((k) => `hin:k${k}`),
          scope,
        )
      ).map((h) => h.recordRef);
    // More keys than one chunk of the replace's reading (10,000).
    await write(
      0,
      Array.from({ length: 10_500 }, (_, k) => record(0, k)),
    );
    await write(0, [record(0, 1, 1), record(0, 20_000, 1)], 'upsert');
    expect(await refs([0, 1, 20_000, 10_499])).toEqual([
      record(0, 0).recordRef,
      record(0, 1, 1).recordRef,
      record(0, 20_000, 1).recordRef,
      record(0, 10_499).recordRef,
    ]);
    expect(await write(0, [record(0, 2, 2)])).toBe(1);
    expect(await refs([0, 1, 2, 20_000, 10_499])).toEqual([record(0, 2, 2).recordRef]);
  });

  it('resolve returns what the plain join returned, in the same order', async () => {
    await fill();
    const db = new Database(file, { readonly: true });
    const plain = db.prepare<[string, string, string], { record_ref: string; identifier_key: string }>(
      `SELECT r.* FROM json_each(?) AS k
       JOIN dataset_records AS r ON r.provider_id = ? AND r.dataset_id = ? AND r.record_ref = k.value
       ORDER BY r.source_ref, r.identifier_key`,
    );
    const refs = db
      .prepare<[], { ref: string }>(
        "SELECT record_ref AS ref FROM dataset_records WHERE provider_id = 'boatreg-nl'",
      )
      .all()
      .map((r) => r.ref);
    const asked = [...refs.filter((_, i) => i % 3 === 0), 'f'.repeat(64)];
    const expected = plain.all(JSON.stringify(asked), 'boatreg-nl', 'vessels');
    expect(expected.length).toBeGreaterThan(2);
    const resolved = await store.datasets.resolve('boatreg-nl', 'vessels', asked);
    expect(resolved.map((r) => [r.recordRef, r.identifierKey])).toEqual(
      expected.map((r) => [r.record_ref, r.identifier_key]),
    );
    db.close();
  });

  it('a lookup sees an upload as soon as its write is acknowledged', async () => {
    expect(
      await store.datasets.lookup(['hin:k0'], [{ providerId: 'boatreg-nl', datasetId: 'vessels' }]),
    ).toEqual([]);
    await fill();
    expect(
      await store.datasets.lookup(['hin:k0'], [{ providerId: 'boatreg-nl', datasetId: 'vessels' }]),
    ).toHaveLength(1);
  });
});
