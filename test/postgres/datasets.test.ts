/**
 * Issue 18: shared datasets in PostgreSQL, beyond the store contract. A large dataset streams through
 * records() with bounded memory; two instances (pools) never write one dataset at once, and an upload
 * whose instance stopped is taken over once its mark is stale; keys and references keep any text.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import type pg from 'pg';
import type { DatasetRecord, UploadMode } from '../../src/datasets/types';
import type { CanonicalRecord } from '../../src/records/canonical';
import type { Store } from '../../src/store/port';
import { openPgStore } from '../../src/store/postgres';
import { STALE_AFTER_SECONDS } from '../../src/store/postgres/dataset-uploads';
import { uploadMeta } from '../helpers/dataset-upload';
import { describePg, dropSchema, freshSchema, PG_URL, requirePostgres, testPool } from './pg-test';

const BOATS = { providerId: 'boatreg-nl', datasetId: 'vessels' };

const record = (k: string, version = 1, padding = ''): DatasetRecord => ({
  identifierKey: `hin:${k}`,
  identifierType: 'hin',
  objectType: 'boat',
  recordRef: `ref-${k}-v${version}`,
  sourceRef: `src-${k}`,
  linkId: null,
  record: { k, version, padding } as unknown as CanonicalRecord,
});

const upload = (id: string, mode: UploadMode, records: number) => uploadMeta(id, BOATS, mode, records);

/** The collector, for a heap measured without garbage (jest does not expose it). */
function collector(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

describePg('PostgreSQL datasets', () => {
  jest.setTimeout(120_000);

  const schema = freshSchema();
  let first: Store;
  let second: Store;
  let pool: pg.Pool;

  beforeAll(async () => {
    await requirePostgres();
    // Two instances of the gateway: two stores, each with its own pool, on one schema.
    [first, second] = await Promise.all(
      [1, 2].map(() => openPgStore({ connectionString: PG_URL, schema, max: 4 })),
    );
    pool = testPool(schema, { max: 1 });
  });

  afterAll(async () => {
    await Promise.all([first?.close(), second?.close(), pool?.end()]);
    await dropSchema(schema);
  });

  const count = async (store: Store) => {
    let n = 0;
    for await (const _ of store.datasets.records(BOATS.providerId, BOATS.datasetId)) n++;
    return n;
  };

  test('a dataset of 50,000 records streams through records() with bounded memory', async () => {
    const TOTAL = 50_000;
    const padding = 'x'.repeat(1024);
    const staged = await first.datasets.stage(BOATS, 'replace', 'big');
    for (let at = 0; at < TOTAL; at += 5000) {
      await staged.add(
        Array.from({ length: 5000 }, (_, i) => record(String(at + i).padStart(6, '0'), 1, padding)),
      );
    }
    expect(await staged.publish(upload('big', 'replace', TOTAL), [])).toBe(TOTAL);

    const gc = collector();
    gc();
    const before = process.memoryUsage().heapUsed;
    let seen = 0;
    let previous = '';
    let grown = 0;
    for await (const r of second.datasets.records(BOATS.providerId, BOATS.datasetId)) {
      // Each record once, in key order.
      expect(r.identifierKey > previous).toBe(true);
      previous = r.identifierKey;
      if (++seen % 10_000 === 0) {
        gc();
        grown = Math.max(grown, process.memoryUsage().heapUsed - before);
      }
    }
    expect(seen).toBe(TOTAL);
    // The whole dataset is over 50 MB of records; a stream holds one page of them at a time.
    expect(grown).toBeLessThan(16 * 1024 * 1024);
  });

  test('two instances cannot stage one dataset at once; publishing frees it for the other', async () => {
    const a = await first.datasets.stage(BOATS, 'replace', 'a');
    await expect(second.datasets.stage(BOATS, 'upsert', 'b')).rejects.toMatchObject({
      code: 'DATASET_BUSY',
    });
    await expect(first.datasets.stage(BOATS, 'upsert', 'b')).rejects.toMatchObject({
      code: 'DATASET_BUSY',
    });
    // Racing for a free dataset, exactly one instance gets it.
    await a.add([record('a')]);
    expect(await a.publish(upload('a', 'replace', 1), [])).toBe(1);
    const raced = await Promise.allSettled([
      first.datasets.stage(BOATS, 'upsert', 'c'),
      second.datasets.stage(BOATS, 'upsert', 'd'),
    ]);
    const won = raced.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const lost = raced.flatMap((r) => (r.status === 'rejected' ? [r.reason as { code?: string }] : []));
    expect(won).toHaveLength(1);
    expect(lost.map((e) => e.code)).toEqual(['DATASET_BUSY']);
    await won[0].add([record('b')]);
    expect(await won[0].publish(upload('cd', 'upsert', 1), [])).toBe(2);
    expect(await count(second)).toBe(2);
  });

  test('an upload left by a stopped instance is taken over once stale; the one taken over is refused', async () => {
    const left = await first.datasets.stage(BOATS, 'replace', 'left');
    await left.add([record('gone')]);
    await expect(second.datasets.stage(BOATS, 'replace', 'next')).rejects.toMatchObject({
      code: 'DATASET_BUSY',
    });
    // Its instance stopped: nothing renews the mark.
    await pool.query(
      `UPDATE dataset_staging SET touched_at = now() - make_interval(secs => $1) WHERE upload_id = 'left'`,
      [STALE_AFTER_SECONDS + 1],
    );
    const next = await second.datasets.stage(BOATS, 'replace', 'next');
    await expect(left.add([record('late')])).rejects.toThrow(/no longer holds its dataset/);
    await next.add([record('n')]);
    expect(await next.publish(upload('next', 'replace', 1), [])).toBe(1);
    const stale = await first.datasets.stage(BOATS, 'upsert', 'after');
    await stale.discard();
    expect(
      (await first.datasets.lookup(['hin:gone', 'hin:late', 'hin:n'], [BOATS])).map((h) => h.recordRef),
    ).toEqual(['ref-n-v1']);
    // Nothing the upload taken over wrote is left, visible or not.
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM dataset_records WHERE identifier_key = ANY($1::bytea[])`,
      [['hin:gone', 'hin:late'].map((k) => Buffer.from(k))],
    );
    expect(rows[0].n).toBe(0);
  });

  test('an upload taken over is refused at publish too, and leaves the dataset to the new one', async () => {
    const old = await first.datasets.stage(BOATS, 'upsert', 'old');
    await old.add([record('old')]);
    await pool.query(
      `UPDATE dataset_staging SET touched_at = now() - make_interval(secs => $1) WHERE upload_id = 'old'`,
      [STALE_AFTER_SECONDS + 1],
    );
    const fresh = await second.datasets.stage(BOATS, 'upsert', 'fresh');
    await expect(old.publish(upload('old', 'upsert', 1), [])).rejects.toThrow(/no longer holds/);
    await fresh.add([record('fresh')]);
    expect(await fresh.publish(upload('fresh', 'upsert', 1), [])).toBe(2);
    expect(await count(first)).toBe(2);
    expect((await first.datasets.status(BOATS.providerId, BOATS.datasetId)).lastUpload?.id).toBe('fresh');
  });

  test('keys and references keep any text: NUL, astral, separators', async () => {
    const odd = 'a\u0000b ünïcødé 🚤 \u2028 "quoted" \\ back';
    const kept = { ...record('k'), identifierKey: `hin:${odd}`, recordRef: `ref:${odd}`, sourceRef: odd };
    const staged = await first.datasets.stage(BOATS, 'replace', 'odd');
    await staged.add([kept]);
    await staged.publish(upload('odd', 'replace', 1), []);
    expect(await second.datasets.lookup([`hin:${odd}`, 'hin:a'], [BOATS])).toEqual([
      {
        ...BOATS,
        objectType: 'boat',
        identifierType: 'hin',
        identifierKey: kept.identifierKey,
        recordRef: kept.recordRef,
      },
    ]);
    expect(await second.datasets.resolve(BOATS.providerId, BOATS.datasetId, [kept.recordRef])).toEqual([
      kept,
    ]);
    const all: DatasetRecord[] = [];
    for await (const r of second.datasets.records(BOATS.providerId, BOATS.datasetId)) all.push(r);
    expect(all).toEqual([kept]);
  });
});
