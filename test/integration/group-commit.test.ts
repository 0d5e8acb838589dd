/**
 * Group commit in the SQLite store: concurrent writes share one transaction (one fsync), each in its
 * own savepoint, so a failing write is rolled back alone; nothing is acknowledged before the
 * transaction holding it has committed; entries keep the order of the calls.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import crypto from 'node:crypto';
import { createSigner } from '../../src/audit/checkpoint';
import { verifyChain } from '../../src/audit/verify';
import { verifyLog } from '../../src/audit/verify-log';
import type { Store } from '../../src/store/port';
import { event, lookupEvent, REFUSE_ENTRIES } from '../helpers/store-writes';
import {
  openSqliteStore,
  readRawAuditRows,
  readRawCheckpoints,
  type CommitInfo,
} from '../../src/store/sqlite';

let dir: string;
let file: string;
let commits: CommitInfo[];
let onCommit: (info: CommitInfo) => void;
let store: Store;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-group-'));
  file = path.join(dir, 'gateway.db');
  commits = [];
  onCommit = () => undefined;
  store = openSqliteStore({
    file,
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

/** Installs a REFUSE_ENTRIES trigger through another connection (the store sees the new schema). */
function refuseEntries(mode: keyof typeof REFUSE_ENTRIES): void {
  const db = new Database(file);
  try {
    db.exec(REFUSE_ENTRIES[mode]);
  } finally {
    db.close();
  }
}

/** What another connection sees: the entries that are on disk, in seq order. */
function committedEntries(): { seq: number; data: Record<string, unknown> }[] {
  const reader = new Database(file, { readonly: true });
  try {
    return reader
      .prepare<[], { seq: number; body: string }>('SELECT seq, body FROM audit_log ORDER BY seq')
      .all()
      .map((r) => ({ seq: r.seq, data: (JSON.parse(r.body) as { data: Record<string, unknown> }).data }));
  } finally {
    reader.close();
  }
}

async function chainIsIntact(): Promise<void> {
  const report = await verifyChain(readRawAuditRows(file));
  expect(report.firstBroken).toBeUndefined();
  expect(report.ok).toBe(true);
}

/** The chain, and the Merkle tree the store kept (from memory) against a checkpoint signed now. */
async function logIsIntact(): Promise<void> {
  await chainIsIntact();
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  const signer = createSigner(privateKey);
  await store.audit.checkpoint((head) => signer.sign(head, new Date().toISOString()));
  const report = await verifyLog({
    rows: readRawAuditRows(file),
    checkpoints: readRawCheckpoints(file),
    publicKey,
  });
  expect(report.firstBroken).toBeUndefined();
  expect(report.checkpoints.matched).toBe(1);
  const head = await store.audit.head();
  // Every entry's inclusion proof comes from the stored nodes.
  for (let seq = 1; seq <= head!.seq; seq++) await store.audit.inclusionProof(seq, head!.seq);
}

describe('group commit', () => {
  it('flushes many concurrent writes in fewer transactions than writes, in the order they were asked', async () => {
    const n = 200;
    const written = await Promise.all(Array.from({ length: n }, (_, i) => store.audit.append([event(i)])));
    expect(commits.length).toBeGreaterThanOrEqual(1);
    expect(commits.length).toBeLessThan(n);
    expect(commits.reduce((sum, c) => sum + c.committed, 0)).toBe(n);
    // The order of the log is the order of the calls.
    expect(written.map(([entry]) => entry.data.i)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(written.map(([entry]) => entry.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(committedEntries().map((e) => e.data.i)).toEqual(Array.from({ length: n }, (_, i) => i));
    await logIsIntact();
  });

  it('mixes different writes in one transaction', async () => {
    await Promise.all([
      store.audit.append([event(0)]),
      store.lookups.create([lookupEvent('l1')]),
      store.accreditations.put(
        {
          userId: 'anna',
          partnerId: 'police-nl',
          displayName: 'Anna',
          roles: ['analyst'],
          vettingLevel: 3,
          trainedOn: '2026-01-01',
          expiresOn: '2027-01-01',
          suspended: false,
        },
        [event(1)],
      ),
    ]);
    expect(commits).toEqual([{ committed: 3, failed: 0 }]);
    expect(committedEntries().map((e) => e.seq)).toEqual([1, 2, 3]);
    await chainIsIntact();
  });

  it('rolls a failing write back alone and rejects only its promise', async () => {
    refuseEntries('abort');
    await store.lookups.create([lookupEvent('first')]);
    commits = [];
    const results = await Promise.allSettled([
      store.lookups.create([lookupEvent('a')]),
      // The trigger refuses it after its entry's row was written.
      store.lookups.create([lookupEvent('refused', 'refused')]),
      store.audit.append([event(7)]),
      // A compare-and-set that finds nothing to change: resolves undefined and logs nothing.
      store.requests.transition('nope', ['awaiting_provider'], { state: 'answered' }, () => {
        throw new Error('not reached: no such request');
      }),
      store.lookups.create([lookupEvent('b')]),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/refused entry/);
    expect(commits).toEqual([{ committed: 4, failed: 1 }]);
    // The failed unit's entry is gone and left no gap: the chain goes on from the one before.
    expect(committedEntries().map((e) => e.data.lookupId ?? e.data.i)).toEqual(['first', 'a', 7, 'b']);
    expect(committedEntries().map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    await logIsIntact();
  });

  it('rolls back two failing writes of one transaction alone, the second under its savepoint', async () => {
    refuseEntries('abort');
    await store.lookups.create([lookupEvent('first')]);
    commits = [];
    const results = await Promise.allSettled([
      store.audit.append([event(1)]),
      store.lookups.create([lookupEvent('again-1', 'refused')]),
      store.audit.append([event(2)]),
      store.lookups.create([lookupEvent('again-2', 'refused')]),
      store.audit.append([event(3)]),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect(commits).toEqual([{ committed: 3, failed: 2 }]);
    expect(committedEntries().map((e) => e.data.lookupId ?? e.data.i)).toEqual(['first', 1, 2, 3]);
    await logIsIntact();
  });

  it('undoes the change of a unit that throws after writing it', async () => {
    const db = new Database(file);
    db.prepare(
      `INSERT INTO requests (id, agreement_id, provider_id, dataset_id, requester_user, requester_partner, state,
         created_at, updated_at, input, decision, record_digests)
       VALUES ('r1', 'stolen-boats', 'boatreg-nl', 'vessels', 'anna', 'police-nl', 'awaiting_provider',
         '2026-06-15T10:00:00.000Z', '2026-06-15T10:00:00.000Z', '{}', '{}', '[]')`,
    ).run();
    db.close();
    const results = await Promise.allSettled([
      store.audit.append([event(1)]),
      store.requests.transition('r1', ['awaiting_provider'], { state: 'withdrawn' }, () => {
        throw new Error('boom');
      }),
      store.audit.append([event(2)]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await store.requests.get('r1'))?.state).toBe('awaiting_provider');
    expect(committedEntries().map((e) => e.data.i)).toEqual([1, 2]);
    await chainIsIntact();
  });

  it('re-runs the others when SQLite aborts the whole transaction for one unit', async () => {
    refuseEntries('rollback');
    const results = await Promise.allSettled([
      store.lookups.create([lookupEvent('a')]),
      store.audit.append([event(1)]),
      store.lookups.create([lookupEvent('boom', 'refused')]),
      store.lookups.create([lookupEvent('c')]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[2] as PromiseRejectedResult).reason)).toMatch(/refused entry/);
    expect(committedEntries().map((e) => e.data.lookupId ?? e.data.i)).toEqual(['a', 1, 'c']);
    expect(commits).toEqual([{ committed: 3, failed: 1 }]);
    await logIsIntact();
  });

  it('acknowledges nothing before the transaction holding it has committed', async () => {
    const acknowledged: number[] = [];
    const seenAtCommit: number[][] = [];
    // The hook runs right after COMMIT: no write of that transaction may have been acknowledged yet.
    onCommit = () => seenAtCommit.push([...acknowledged]);
    const n = 50;
    const check = async (i: number) => {
      await store.audit.append([event(i)]);
      acknowledged.push(i);
      // Once acknowledged, another connection sees the entry: it is on disk, not in a transaction.
      expect(committedEntries().some((e) => e.data.i === i)).toBe(true);
    };
    // Five waves of ten concurrent writes; a wave starts once the one before has had a write
    // acknowledged, so there are several transactions however slow the machine is (timers are not).
    const checks: Promise<void>[] = [];
    for (let wave = 0; wave < 5; wave++) {
      const writes = Array.from({ length: n / 5 }, (_, j) => check(wave * (n / 5) + j));
      checks.push(...writes);
      await Promise.race(writes);
    }
    await Promise.all(checks);
    expect(commits.length).toBeGreaterThanOrEqual(5);
    expect(commits.length).toBeLessThan(n);
    // At each commit, only the writes of earlier transactions had been acknowledged.
    let before = 0;
    commits.forEach((c, k) => {
      expect(seenAtCommit[k].length).toBe(before);
      before += c.committed;
    });
    await chainIsIntact();
  });

  it('commits what is queued when the store is closed', async () => {
    const pending = store.audit.append([event(1)]);
    await store.close();
    await expect(pending).resolves.toHaveLength(1);
    expect(committedEntries()).toHaveLength(1);
  });

  it('continues the chain after another connection appended to the same file', async () => {
    await store.audit.append([event(1)]);
    const other = openSqliteStore({ file });
    await other.audit.append([event(2)]);
    await other.close();
    await store.audit.append([event(3)]);
    expect(committedEntries().map((e) => e.data.i)).toEqual([1, 2, 3]);
    await logIsIntact();
  });
});
