/**
 * The log's Merkle tree, keyed-hash index and checkpoints in SQLite: proofs from the stored nodes agree
 * with proofs computed from the entries; checkpoints are signed every N entries, every T seconds and
 * at shutdown; a database from before the tree existed gets its tree on open.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { GENESIS_HASH, buildEntry, canonicalJson, entryHash } from '../../src/audit/chain';
import { checkCheckpoint, createSigner } from '../../src/audit/checkpoint';
import { Checkpointer } from '../../src/audit/checkpointer';
import { verifyExportFile, writeExport } from '../../src/audit/export';
import { consistencyProof, inclusionProof, leafHash, memoryNodes, toHex } from '../../src/audit/merkle';
import type { AuditEventInput } from '../../src/audit/types';
import { verifyLog } from '../../src/audit/verify-log';
import type { Store } from '../../src/store/port';
import { MIGRATIONS, openSqliteStore, readRawAuditRows, readRawCheckpoints } from '../../src/store/sqlite';
import { migrate } from '../../src/store/sqlite/migrations';

let dir: string;
let file: string;
let store: Store;
const signer = createSigner(crypto.generateKeyPairSync('ed25519').privateKey);
const clock = () => new Date('2026-03-01T12:00:00.000Z');

const event = (i: number): AuditEventInput => ({
  type: 'decision',
  actor: { userId: `u${i}`, partnerId: i % 2 ? 'police-nl' : 'police-se' },
  partners: [i % 2 ? 'police-nl' : 'police-se', 'boatreg-nl'],
  requestId: `r${i}`,
  agreementId: 'stolen-boats',
  outcome: 'permit',
  data: { identifierHashes: [entryHash(`vin-${i % 5}`)], subjectHashes: [entryHash(`p-${i}`)] },
});

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-audit-store-'));
  file = path.join(dir, 'gateway.db');
  store = openSqliteStore({ file, now: clock });
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function leaves(): Promise<Buffer[]> {
  const entries = await store.audit.queryStored({}, { order: 'asc', limit: 100_000 });
  return entries.map((e) => leafHash(e.body));
}

const checkpointer = (everyEntries = 1000, everySeconds = 3600) =>
  new Checkpointer({ store, signer, clock, policy: { everyEntries, everySeconds } });

describe('Merkle tree in SQLite', () => {
  it('gives the same inclusion and consistency proofs as the entries themselves, for every size', async () => {
    for (let i = 1; i <= 37; i += 4)
      await store.audit.append([1, 2, 3, 4].map((k) => event(i + k)).slice(0, i === 37 ? 1 : 4));
    const all = await leaves();
    const nodes = memoryNodes(all);
    for (let size = 1; size <= all.length; size++) {
      for (let seq = 1; seq <= size; seq++) {
        expect(await store.audit.inclusionProof(seq, size)).toEqual(
          inclusionProof(nodes, seq - 1, size).map(toHex),
        );
      }
      for (let first = 1; first <= size; first += 3) {
        expect(await store.audit.consistencyProof(first, size)).toEqual(
          consistencyProof(nodes, first, size).map(toHex),
        );
      }
    }
    await expect(store.audit.inclusionProof(1, all.length + 1)).rejects.toThrow(RangeError);
  });

  it('indexes keyed hashes for search and reads pages in both orders', async () => {
    await store.audit.append(Array.from({ length: 12 }, (_, i) => event(i + 1)));
    const hits = await store.audit.query({ keyedHash: entryHash('vin-3') }, { order: 'asc', limit: 100 });
    expect(hits.map((e) => e.seq)).toEqual([3, 8]);
    const scoped = await store.audit.query(
      { keyedHash: entryHash('vin-3'), scopePartner: 'police-nl' },
      { order: 'asc', limit: 100 },
    );
    expect(scoped.map((e) => e.seq)).toEqual([3]);
    const desc = await store.audit.query(
      { scopePartner: 'police-se' },
      { order: 'desc', after: 9, limit: 2 },
    );
    expect(desc.map((e) => e.seq)).toEqual([8, 6]);
    const raw = await store.audit.readRaw(10, 5);
    expect(raw.map((r) => r.seq)).toEqual([11, 12]);
    expect(JSON.parse(raw[0].hash_index!)).toHaveLength(2);
    expect(raw[0].leaf).toEqual(leafHash(raw[0].body!));
  });
});

describe('checkpoints', () => {
  it('signs the head once; nothing new means no new checkpoint', async () => {
    const cp = checkpointer();
    expect(await cp.checkpoint()).toBeUndefined();
    await store.audit.append([event(1), event(2), event(3)]);
    const first = await cp.checkpoint();
    expect(first).toMatchObject({ treeSize: 3, timestamp: clock().toISOString() });
    expect(checkCheckpoint(first, signer.publicKey)).toMatchObject({ ok: true });
    expect(await cp.checkpoint()).toEqual(first);
    const many = await Promise.all([cp.checkpoint(), cp.checkpoint(), cp.checkpoint()]);
    expect(many).toEqual([first, first, first]);
    expect(await store.audit.checkpoints({ limit: 10, order: 'asc' })).toEqual([first]);
    await store.audit.append([event(4)]);
    expect((await cp.covering(3))?.treeSize).toBe(3);
    expect((await cp.covering(4))?.treeSize).toBe(4);
  });

  it('signs every N entries, every T seconds with new entries, and at stop', async () => {
    const cp = checkpointer(3, 1);
    await cp.start();
    const sizes = async () =>
      (await store.audit.checkpoints({ limit: 100, order: 'asc' })).map((c) => c.treeSize);
    const settle = () => new Promise((resolve) => setTimeout(resolve, 30));
    await store.audit.append([event(1), event(2)]);
    await settle();
    expect(await sizes()).toEqual([]);
    await store.audit.append([event(3)]);
    await settle();
    expect(await sizes()).toEqual([3]);
    await store.audit.append([event(4)]);
    await settle();
    expect(await sizes()).toEqual([3]);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await sizes()).toEqual([3, 4]);
    await store.audit.append([event(5)]);
    expect((await cp.stop())?.treeSize).toBe(5);
    expect(await sizes()).toEqual([3, 4, 5]);
    const report = await verifyLog({
      rows: readRawAuditRows(file),
      checkpoints: readRawCheckpoints(file),
      publicKey: signer.publicKey,
    });
    expect(report).toMatchObject({ ok: true, checkpoints: { matched: 3 } });
  });

  it('are append-only in the database', async () => {
    await store.audit.append([event(1)]);
    await checkpointer().checkpoint();
    const other = new Database(file);
    try {
      expect(() => other.prepare('DELETE FROM audit_checkpoints').run()).toThrow(/append-only/);
      expect(() => other.prepare('UPDATE audit_tree SET hash = hash').run()).toThrow(/append-only/);
      expect(() => other.prepare('DELETE FROM audit_hashes').run()).toThrow(/append-only/);
    } finally {
      other.close();
    }
  });
});

describe('a database from before the Merkle tree', () => {
  it('gets its tree and keyed-hash index on open, and verifies', async () => {
    await store.close();
    fs.rmSync(file);
    const old = new Database(file);
    migrate(
      old,
      MIGRATIONS.filter((m) => m.version < 3),
    );
    let prev = GENESIS_HASH;
    for (let seq = 1; seq <= 9; seq++) {
      const e = buildEntry(event(seq), seq, clock().toISOString(), prev);
      old
        .prepare(
          `INSERT INTO audit_log (seq, ts, type, actor_user, actor_partner, partners, request_id, agreement_id, outcome, body, prev_hash, hash)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          seq,
          e.ts,
          e.type,
          e.actorUser,
          e.actorPartner,
          canonicalJson(e.partners),
          e.requestId,
          e.agreementId,
          e.outcome,
          e.body,
          e.prevHash,
          e.hash,
        );
      for (const p of e.partners)
        old.prepare('INSERT INTO audit_partners (partner, seq) VALUES (?, ?)').run(p, seq);
      prev = e.hash;
    }
    old.close();

    store = openSqliteStore({ file, now: clock });
    const all = await leaves();
    expect(await store.audit.inclusionProof(4, 9)).toEqual(inclusionProof(memoryNodes(all), 3, 9).map(toHex));
    expect(
      (await store.audit.query({ keyedHash: entryHash('vin-2') }, { order: 'asc', limit: 10 })).map(
        (e) => e.seq,
      ),
    ).toEqual([2, 7]);
    await store.audit.append([event(10)]);
    await checkpointer().checkpoint();
    const report = await verifyLog({
      rows: readRawAuditRows(file),
      checkpoints: readRawCheckpoints(file),
      publicKey: signer.publicKey,
    });
    expect(report).toMatchObject({ ok: true, checked: 10, checkpoints: { matched: 1 } });
  });
});

describe('export (smoke; the 1,000,000-entry run is bench/audit-export.ts)', () => {
  it('pages through the store and waits for a slow reader: never more than a page is buffered', async () => {
    for (let i = 0; i < 3000; i += 500)
      await store.audit.append(Array.from({ length: 500 }, (_, k) => event(i + k)));
    await checkpointer().checkpoint();
    const out = path.join(dir, 'smoke.jsonl');
    const fd = fs.openSync(out, 'w');
    let maxBuffered = 0;
    let largestChunk = 0;
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _encoding, done) {
        largestChunk = Math.max(largestChunk, chunk.length);
        fs.writeSync(fd, chunk);
        setTimeout(done, 1);
      },
    });
    const write = slow.write.bind(slow);
    slow.write = ((chunk: string, ...rest: never[]) => {
      const ok = write(chunk, ...rest);
      maxBuffered = Math.max(maxBuffered, slow.writableLength);
      return ok;
    }) as typeof slow.write;
    const result = await writeExport(store.audit, slow, {
      format: 'jsonl',
      filter: {},
      upToSeq: 3000,
      exportedAt: clock().toISOString(),
      pageSize: 200,
    });
    await new Promise<void>((resolve) => slow.end(resolve));
    fs.closeSync(fd);
    expect(result).toEqual({ entries: 3000, checkpoints: 1 });
    // Backpressure: the writer never holds more than the page it was just given (and the header line).
    expect(maxBuffered).toBeLessThanOrEqual(largestChunk + 1024);
    expect(largestChunk).toBeLessThan(200 * 2000);
    const verified = await verifyExportFile(out, { publicKey: signer.publicKey });
    expect(verified).toMatchObject({ ok: true, complete: true, entries: 3000 });
  });
});
