/**
 * Lookups written by the worker thread (lookup-writer.ts), beside the main connection's writes: one
 * chain and one Merkle tree, nothing acknowledged before its commit, a failing lookup refused alone,
 * the log's listeners told, and what was sent committed when the store closes. The worker runs the
 * compiled build (a worker thread cannot load TypeScript): `npm test` builds it first.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createSigner } from '../../src/audit/checkpoint';
import { StatsTally } from '../../src/audit/stats';
import { localDate } from '../../src/time/zones';
import { verifyLog } from '../../src/audit/verify-log';
import type { TreeHead } from '../../src/audit/types';
import type { Store } from '../../src/store/port';
import type * as SqliteModule from '../../src/store/sqlite';
import type { CommitInfo } from '../../src/store/sqlite';
import { readStoredStats } from '../../src/store/sqlite/audit-stats';
import { event, lookupEvent, REFUSE_ENTRIES } from '../helpers/store-writes';

const COMPILED = path.resolve(__dirname, '../../dist/src/store/sqlite/index.js');
if (!fs.existsSync(COMPILED)) throw new Error(`${COMPILED} is missing: run npm run build first`);
// The compiled store, so that its lookup writer finds its compiled worker script.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const compiled = require(COMPILED) as typeof SqliteModule;

let dir: string;
let file: string;
let commits: CommitInfo[];
let onCommit: (info: CommitInfo) => void;
let store: Store;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-lookup-writer-'));
  file = path.join(dir, 'gateway.db');
  commits = [];
  onCommit = () => undefined;
  store = compiled.openSqliteStore({
    file,
    lookupWriter: 'worker',
    onCommit: (info) => {
      commits.push(info);
      onCommit(info);
    },
  });
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The lookups another connection sees: their ids, from their log entries, in log order. */
function lookupsOnDisk(): string[] {
  return onDisk<{ body: string }>("SELECT body FROM audit_log WHERE type = 'lookup' ORDER BY seq").map(
    (r) => (JSON.parse(r.body) as { data: { lookupId: string } }).data.lookupId,
  );
}

/** What another connection sees. */
function onDisk<T>(sql: string): T[] {
  const reader = new Database(file, { readonly: true });
  try {
    return reader.prepare<[], T>(sql).all();
  } finally {
    reader.close();
  }
}

async function logIsIntact(): Promise<number> {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  const signer = createSigner(privateKey);
  await store.audit.checkpoint((head) => signer.sign(head, new Date().toISOString()));
  const report = await verifyLog({
    rows: compiled.readRawAuditRows(file),
    checkpoints: compiled.readRawCheckpoints(file),
    publicKey,
  });
  expect(report.firstBroken).toBeUndefined();
  expect(report.checkpoints.matched).toBe(1);
  const head = (await store.audit.head())!;
  for (let seq = 1; seq <= head.seq; seq++) await store.audit.inclusionProof(seq, head.seq);
  return head.seq;
}

describe('lookup writer thread', () => {
  it('keeps one chain and one tree while lookups and other writes commit side by side', async () => {
    const n = 150;
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      writes.push(store.lookups.create([lookupEvent(`l${i}`)]));
      if (i % 3 === 0) writes.push(store.audit.append([event(i)]));
      if (i % 10 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await Promise.all(writes);
    expect(lookupsOnDisk()).toHaveLength(n);
    const entries = onDisk<{ seq: number; type: string }>('SELECT seq, type FROM audit_log ORDER BY seq');
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, k) => k + 1));
    expect(entries.filter((e) => e.type === 'lookup')).toHaveLength(n);
    expect(entries.filter((e) => e.type === 'test')).toHaveLength(n / 3);
    // Fewer transactions than writes: the worker batches too.
    expect(commits.length).toBeLessThan(writes.length);
    expect(commits.reduce((sum, c) => sum + c.committed, 0)).toBe(writes.length);
    expect(await logIsIntact()).toBe(entries.length);
  });

  it('acknowledges a lookup only after its transaction has committed', async () => {
    let acknowledged = 0;
    const seenAtCommit: number[] = [];
    onCommit = () => seenAtCommit.push(acknowledged);
    const n = 40;
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        await new Promise<void>((resolve) => setTimeout(resolve, i % 4));
        await store.lookups.create([lookupEvent(`a${i}`)]);
        acknowledged++;
        // Once acknowledged, another connection sees the lookup and its entry.
        expect(lookupsOnDisk()).toContain(`a${i}`);
        const committed = commits.reduce((sum, c) => sum + c.committed, 0);
        expect(committed).toBeGreaterThanOrEqual(acknowledged);
      }),
    );
    let before = 0;
    commits.forEach((c, k) => {
      expect(seenAtCommit[k]).toBe(before);
      before += c.committed;
    });
  });

  it("counts the worker's lookups in the statistics in their own transactions, and a refused one not", async () => {
    const db = new Database(file);
    db.exec(REFUSE_ENTRIES.abort);
    db.close();
    const decided = (id: string, outcome: string, partner = 'police-nl') => ({
      ...lookupEvent(id, partner),
      outcome,
      data: {
        lookupId: id,
        safes: { people: { outcome: outcome === 'deny' ? 'fail' : 'pass', codes: ['X'] } },
      },
    });
    const zone = ['Pacific/Kiritimati', 'Pacific/Pago_Pago'].find(
      (z) => localDate(new Date(), z) !== localDate(new Date(), 'UTC'),
    )!;
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      writes.push(store.lookups.create([decided(`l${i}`, i % 3 ? 'permit' : 'deny')]));
      if (i % 7 === 0 && i < 30) writes.push(store.lookups.create([decided(`r${i}`, 'permit', 'refused')]));
      if (i % 5 === 0)
        writes.push(store.audit.append([{ ...event(i), type: 'decision', outcome: 'permit' }]));
      if (i % 10 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      // Halfway, the main connection counts stolen-boats in another zone (a recount); the worker must
      // count its later lookups in it too. A zone whose date today is not UTC's, so one counted in the
      // zone before would show.
      if (i === 29) {
        await Promise.allSettled(writes);
        await store.audit.useStatsZones(new Map([['stolen-boats', zone]]));
      }
    }
    await Promise.allSettled(writes);
    const reader = new Database(file, { readonly: true });
    try {
      const stored = readStoredStats(reader)!;
      expect(stored.zones).toEqual([['stolen-boats', zone]]);
      const tally = new StatsTally(new Map(stored.zones));
      for (const { body } of reader.prepare<[], { body: string }>('SELECT body FROM audit_log').all()) {
        tally.add(JSON.parse(body));
      }
      expect(stored.counts).toEqual(tally.counts);
      const n = (measure: string) =>
        reader
          .prepare<[string], number>("SELECT sum(n) FROM audit_stats WHERE scope = '*' AND measure = ?")
          .pluck()
          .get(measure);
      expect([n('lookups'), n('permits'), n('denials'), n('safe:people'), n('requests')]).toEqual([
        60,
        40 + 12,
        20,
        20,
        12,
      ]);
    } finally {
      reader.close();
    }
  });

  it('refuses a failing lookup alone', async () => {
    const db = new Database(file);
    db.exec(REFUSE_ENTRIES.abort);
    db.close();
    await store.lookups.create([lookupEvent('first')]);
    const results = await Promise.allSettled([
      store.lookups.create([lookupEvent('a')]),
      store.lookups.create([lookupEvent('refused', 'refused')]),
      store.lookups.create([lookupEvent('b')]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({
      code: 'SQLITE_CONSTRAINT_TRIGGER',
      message: 'refused entry',
    });
    expect(lookupsOnDisk()).toEqual(['first', 'a', 'b']);
    await logIsIntact();
  });

  it("tells the log's listeners of the worker's appends (checkpoints count them)", async () => {
    const heads: number[] = [];
    store.audit.onAppend((seq) => heads.push(seq));
    await Promise.all(Array.from({ length: 5 }, (_, i) => store.lookups.create([lookupEvent(`n${i}`)])));
    await new Promise<void>((resolve) => setTimeout(resolve, 20));
    expect(heads.length).toBeGreaterThan(0);
    expect(Math.max(...heads)).toBe(5);
  });

  it('makes checkpoints through the worker: signed here, stored there, the event loop never blocked', async () => {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
    const signer = createSigner(privateKey);
    const sign = (head: TreeHead) => signer.sign(head, new Date().toISOString());
    await expect(store.audit.checkpoint(sign)).resolves.toBeUndefined(); // an empty log: nothing to sign
    await Promise.all(Array.from({ length: 3 }, (_, i) => store.lookups.create([lookupEvent(`k${i}`)])));
    await store.audit.append([event(1)]);
    // Another process holds the write lock for a while: the checkpoint waits for it off this thread.
    const other = new Database(file);
    other.prepare('BEGIN IMMEDIATE').run();
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 20);
    const made = store.audit.checkpoint(sign);
    await new Promise<void>((resolve) => setTimeout(resolve, 500));
    other.prepare('COMMIT').run();
    other.close();
    const checkpoint = await made;
    clearInterval(ticker);
    // Blocked, the loop would have ticked at most once in those 500 ms.
    expect(ticks).toBeGreaterThanOrEqual(10);
    expect(checkpoint).toMatchObject({ treeSize: 4 });
    // Covered already: the same checkpoint, nothing new stored.
    await expect(store.audit.checkpoint(sign)).resolves.toEqual(checkpoint);
    expect(onDisk<{ n: number }>('SELECT count(*) AS n FROM audit_checkpoints')[0].n).toBe(1);
    const report = await verifyLog({
      rows: compiled.readRawAuditRows(file),
      checkpoints: compiled.readRawCheckpoints(file),
      publicKey,
    });
    expect(report.firstBroken).toBeUndefined();
    expect(report.checkpoints).toMatchObject({ matched: 1, total: 1 });
  });

  it('commits what was sent before the store closes, and refuses lookups after', async () => {
    const pending = Array.from({ length: 20 }, (_, i) => store.lookups.create([lookupEvent(`c${i}`)]));
    await store.close();
    await expect(Promise.all(pending)).resolves.toHaveLength(20);
    expect(lookupsOnDisk()).toHaveLength(20);
    await expect(store.lookups.create([lookupEvent('late')])).rejects.toThrow(/closed/);
  });
});
