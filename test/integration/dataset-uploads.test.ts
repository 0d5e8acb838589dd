/**
 * Uploads staged as a generation of their dataset (dataset-staging.ts), on the main connection and on
 * the lookup writer's thread: written in many short transactions, invisible until one transaction
 * publishes them with their log entry, the dataset as it was when an upload is discarded or broken
 * off, what a new generation hides swept afterwards, one upload per dataset at a time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { DatasetRecord, DatasetUpload } from '../../src/datasets/types';
import type { CanonicalRecord } from '../../src/records/canonical';
import type { Store } from '../../src/store/port';
import type * as SqliteModule from '../../src/store/sqlite';
import type { CommitInfo } from '../../src/store/sqlite';

const CHUNK = 500;
import { writeUpload } from '../../src/store/uploads';
import { uploadMeta } from '../helpers/dataset-upload';

const COMPILED = path.resolve(__dirname, '../../dist/src/store/sqlite/index.js');
if (!fs.existsSync(COMPILED)) throw new Error(`${COMPILED} is missing: run npm run build first`);
// The compiled store, so that its lookup writer finds its compiled worker script.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const compiled = require(COMPILED) as typeof SqliteModule;

const SCOPE = { providerId: 'boatreg-nl', datasetId: 'vessels' };
const KEYS = [SCOPE];

function record(k: number, version = 0): DatasetRecord {
  return {
    identifierKey: `hin:k${k}`,
    identifierType: 'hin',
    objectType: 'boat',
    recordRef: `ref-${k}-v${version}`,
    sourceRef: `src-${k}`,
    linkId: null,
    record: { k, version } as unknown as CanonicalRecord,
  };
}

const range = (from: number, to: number, version = 0) =>
  Array.from({ length: to - from }, (_, i) => record(from + i, version));

const upload = (id: string, mode: DatasetUpload['mode'], records: number) =>
  uploadMeta(id, SCOPE, mode, records);

/** Waits (up to 10 s) for something the background sweep brings about. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  expect(condition()).toBe(true);
}

const event = (id: string) => ({
  type: 'dataset.upload',
  actor: { userId: 'bram', partnerId: SCOPE.providerId },
  partners: [SCOPE.providerId],
  outcome: 'stored',
  data: { uploadId: id },
});

describe.each(['inline', 'thread'] as const)('uploads staged (%s writer)', (uploadWriter) => {
  let dir: string;
  let file: string;
  let store: Store;
  let commits: CommitInfo[];

  const open = () =>
    compiled.openSqliteStore({
      file,
      uploadWriter,
      lookupWriter: 'worker',
      onCommit: (info) => void commits.push(info),
    });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-uploads-'));
    file = path.join(dir, 'gateway.db');
    commits = [];
    store = open();
  });

  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The references a lookup of keys k0..k(n-1) returns, in key order. */
  const refs = async (n: number) =>
    (
      await store.datasets.lookup(
        range(0, n).map((r) => r.identifierKey),
        KEYS,
      )
    ).map((h) => h.recordRef);

  const uploadsLogged = async () =>
    (await store.audit.query({ types: ['dataset.upload'] }, { order: 'asc', limit: 100 })).length;

  /** What another connection sees in the file: every stored row, visible or not. */
  const storedRows = () => {
    const db = new Database(file, { readonly: true });
    try {
      return db.prepare<[], { n: number }>('SELECT count(*) AS n FROM dataset_records').get()!.n;
    } finally {
      db.close();
    }
  };

  it('writes an upload beside the dataset and shows it only when it is published, with its entry', async () => {
    await writeUpload(store.datasets, upload('u1', 'replace', 3), range(0, 3), [event('u1')]);
    expect(await refs(3)).toEqual(['ref-0-v0', 'ref-1-v0', 'ref-2-v0']);

    const staged = await store.datasets.stage(SCOPE, 'replace', 'u2');
    const next = range(1, 1 + 3 * CHUNK, 1);
    await staged.add(next.slice(0, CHUNK));
    await staged.add(next.slice(CHUNK));
    // Written, yet invisible: lookups, references, the records and the size are the old ones.
    expect(await refs(3)).toEqual(['ref-0-v0', 'ref-1-v0', 'ref-2-v0']);
    expect((await store.datasets.resolve(SCOPE.providerId, SCOPE.datasetId, ['ref-1-v1'])).length).toBe(0);
    expect((await store.datasets.status(SCOPE.providerId, SCOPE.datasetId)).records).toBe(3);
    expect(await uploadsLogged()).toBe(1);

    expect(await staged.publish(upload('u2', 'replace', next.length), [event('u2')])).toBe(next.length);
    expect(await refs(3)).toEqual(['ref-1-v1', 'ref-2-v1']);
    expect((await store.datasets.resolve(SCOPE.providerId, SCOPE.datasetId, ['ref-0-v0'])).length).toBe(0);
    const all = [];
    for await (const r of store.datasets.records(SCOPE.providerId, SCOPE.datasetId)) all.push(r.recordRef);
    expect(all).toHaveLength(next.length);
    expect(all.every((ref) => ref.endsWith('-v1'))).toBe(true);
    expect((await store.datasets.status(SCOPE.providerId, SCOPE.datasetId)).records).toBe(next.length);
    expect(await uploadsLogged()).toBe(2);

    // The replaced generation is swept away, in the background.
    await until(() => storedRows() === next.length);
    expect(await refs(3)).toEqual(['ref-1-v1', 'ref-2-v1']);
  });

  it('an upsert shows its records over the ones they replace, keeps the rest, and sweeps the replaced', async () => {
    await writeUpload(store.datasets, upload('u1', 'replace', 4), range(0, 4), [event('u1')]);
    const size = await writeUpload(
      store.datasets,
      upload('u2', 'upsert', 4),
      [record(1, 1), record(5, 1), record(1, 2), record(6, 1)],
      [event('u2')],
    );
    expect(size).toBe(6); // k0..k3, k5, k6: k1 replaced (twice in the upload, the later wins)
    expect(await refs(7)).toEqual(['ref-0-v0', 'ref-1-v2', 'ref-2-v0', 'ref-3-v0', 'ref-5-v1', 'ref-6-v1']);
    const resolved = await store.datasets.resolve(SCOPE.providerId, SCOPE.datasetId, [
      'ref-1-v0',
      'ref-1-v2',
    ]);
    expect(resolved.map((r) => r.recordRef)).toEqual(['ref-1-v2']);
    expect((await store.datasets.status(SCOPE.providerId, SCOPE.datasetId)).records).toBe(6);
    await until(() => storedRows() === 6);
  });

  /** The nice values of this process's threads (Linux's /proc). */
  const threadNices = () =>
    fs.readdirSync('/proc/self/task').map((tid) => {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    });

  it('an upload runs below the requests: its thread is niced to 19, the others are not', async () => {
    const before = threadNices();
    const staged = await store.datasets.stage(SCOPE, 'replace', 'u-nice');
    await staged.add(range(0, CHUNK));
    const during = threadNices();
    await staged.discard();
    expect(before.filter((n) => n === 19)).toHaveLength(0);
    // The thread's own connection, on a thread of its own; inline, the store's thread stays as it was.
    expect(during.filter((n) => n === 19)).toHaveLength(uploadWriter === 'thread' ? 1 : 0);
    expect(during.filter((n) => n === 0).length).toBeGreaterThan(0);
  });

  it('a discarded upload leaves the dataset, its size and the log as they were', async () => {
    await writeUpload(store.datasets, upload('u1', 'replace', 3), range(0, 3), [event('u1')]);
    const staged = await store.datasets.stage(SCOPE, 'replace', 'u2');
    await staged.add(range(0, 2 * CHUNK, 1));
    await staged.discard();
    expect(await refs(3)).toEqual(['ref-0-v0', 'ref-1-v0', 'ref-2-v0']);
    expect((await store.datasets.status(SCOPE.providerId, SCOPE.datasetId)).records).toBe(3);
    expect(await uploadsLogged()).toBe(1);
    expect(storedRows()).toBe(3);
    // And the next upload starts cleanly.
    await writeUpload(store.datasets, upload('u3', 'upsert', 1), [record(9, 3)], [event('u3')]);
    expect((await store.datasets.status(SCOPE.providerId, SCOPE.datasetId)).records).toBe(4);
  });

  it('one upload per dataset at a time; another dataset is not held up', async () => {
    const staged = await store.datasets.stage(SCOPE, 'replace', 'u1');
    await expect(store.datasets.stage(SCOPE, 'upsert', 'u2')).rejects.toMatchObject({ code: 'DATASET_BUSY' });
    const other = await store.datasets.stage(
      { providerId: 'insureco', datasetId: 'theft-claims' },
      'replace',
      'u3',
    );
    await other.discard();
    await staged.publish(upload('u1', 'replace', 0), [event('u1')]);
    const again = await store.datasets.stage(SCOPE, 'upsert', 'u4');
    await again.discard();
  });

  it('a publish that fails (its log entry refused) leaves the dataset as it was', async () => {
    await writeUpload(store.datasets, upload('u1', 'replace', 2), range(0, 2), [event('u1')]);
    const staged = await store.datasets.stage(SCOPE, 'replace', 'u2');
    await staged.add(range(0, 5, 1));
    // An entry the log refuses (its actor names no partner): the publish transaction rolls back.
    const bad = { ...event('u2'), actor: { userId: 'bram' } } as unknown as ReturnType<typeof event>;
    await expect(staged.publish(upload('u2', 'replace', 5), [bad])).rejects.toThrow();
    expect(await refs(5)).toEqual(['ref-0-v0', 'ref-1-v0']);
    expect((await store.datasets.status(SCOPE.providerId, SCOPE.datasetId)).records).toBe(2);
    expect(await uploadsLogged()).toBe(1);
    expect(storedRows()).toBe(2);
  });

  it('an upload cut off before it was published leaves the dataset as it was, and so does what it merged', async () => {
    await writeUpload(store.datasets, upload('u1', 'replace', 2), range(0, 2), [event('u1')]);
    const staged = await store.datasets.stage(SCOPE, 'replace', 'u2');
    await staged.add(range(0, 50, 1));
    await store.close(); // the process goes away mid-upload
    // And suppose it had merged some records already (above the live generation).
    const db = new Database(file);
    db.prepare(
      `INSERT INTO dataset_records (provider_id, dataset_id, identifier_key, added, identifier_type, object_type,
         record_ref, source_ref, link_id, record, upload_id)
       VALUES ('boatreg-nl', 'vessels', 'hin:k9', 2, 'hin', 'boat', 'ref-9-v1', 'src-9', NULL, '{}', 'u2')`,
    ).run();
    db.close();
    store = open();
    expect(await refs(50)).toEqual(['ref-0-v0', 'ref-1-v0']);
    expect(storedRows()).toBe(3);
    await writeUpload(store.datasets, upload('u3', 'upsert', 1), [record(7, 3)], [event('u3')]);
    expect(await refs(50)).toEqual(['ref-0-v0', 'ref-1-v0', 'ref-7-v3']);
    await until(() => storedRows() === 3);
    await store.close(); // every staging file is gone
    expect(fs.readdirSync(path.join(dir, 'staging'))).toEqual([]);
    store = open();
  });

  it('a lookup and its log entry asked while an upload is merged are answered before the upload ends', async () => {
    await writeUpload(store.datasets, upload('u1', 'replace', 2), range(0, 2), [event('u1')]);
    const lookupEntry = () => ({
      type: 'lookup',
      actor: { userId: 'anna', partnerId: 'police-nl' },
      partners: ['police-nl'],
      outcome: 'permit',
      agreementId: 'stolen-boats',
      data: {},
    });
    await store.lookups.create([lookupEntry()]); // the lookup writer's thread is up
    const staged = await store.datasets.stage(SCOPE, 'replace', 'u2');
    const records = range(0, 40 * CHUNK, 1);
    await staged.add(records);
    const order: string[] = [];
    const publishing = staged
      .publish(upload('u2', 'replace', records.length), [event('u2')])
      .then(() => order.push('upload'));
    const reading = store.datasets.lookup(['hin:k1'], KEYS).then((hits) => {
      order.push('lookup');
      return hits.map((h) => h.recordRef);
    });
    const logging = store.lookups.create([lookupEntry()]).then(() => order.push('lookup entry'));
    const [, seen] = await Promise.all([publishing, reading, logging]);
    expect(seen).toEqual(['ref-1-v0']);
    expect(order.at(-1)).toBe('upload');
    expect(await refs(2)).toEqual(['ref-0-v1', 'ref-1-v1']);
  });
});
