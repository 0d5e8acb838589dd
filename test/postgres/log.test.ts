/**
 * Issue 18: the audit log in PostgreSQL. Appends from several instances (pools) form one chain the
 * verifier finds intact; the stored Merkle nodes give the root of the leaves and proofs that verify;
 * a failed append changes nothing; the rows cannot be changed or removed.
 */
import crypto from 'node:crypto';
import type pg from 'pg';
import type { AuditEventInput, TreeHead } from '../../src/audit/types';
import { createSigner } from '../../src/audit/checkpoint';
import { leafHash, rootOfLeaves, verifyConsistency, verifyInclusion, fromHex } from '../../src/audit/merkle';
import { verifyLog } from '../../src/audit/verify-log';
import { createPgAudit, type PgAudit } from '../../src/store/postgres/audit';
import { migratePg } from '../../src/store/postgres/migrations';
import { describePg, dropSchema, freshSchema, requirePostgres, testPool } from './pg-test';

describePg('the PostgreSQL log', () => {
  jest.setTimeout(60_000);

  const INSTANCES = 3;
  const PER_INSTANCE = 200;
  const TOTAL = INSTANCES * PER_INSTANCE;

  const { publicKey } = crypto.generateKeyPairSync('ed25519');
  const keyed = (text: string) => crypto.createHash('sha256').update(text).digest('hex');

  const note = (instance: number, i: number): AuditEventInput => ({
    type: 'test',
    actor: { userId: `user-${i}`, partnerId: `partner-${instance}` },
    partners: [`partner-${instance}`, 'police-nl'],
    ...(i % 7 === 0 ? { requestId: `r-${instance}-${i}` } : {}),
    data: { instance, i, identifierHashes: [keyed(`${instance}/${i}`)], text: 'a\u0000b 🚤 "q" \\' },
  });

  const schema = freshSchema();
  let pools: pg.Pool[] = [];
  let logs: PgAudit[] = [];

  beforeAll(async () => {
    await requirePostgres();
    pools = Array.from({ length: INSTANCES }, () => testPool(schema));
    await migratePg(pools[0], schema);
    logs = pools.map((pool) => createPgAudit(pool));
  });

  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await dropSchema(schema);
  });

  describe('appends from three instances at once', () => {
    beforeAll(async () => {
      const started = Date.now();
      await Promise.all(
        logs.map((log, instance) =>
          Promise.all(Array.from({ length: PER_INSTANCE }, (_, i) => log.append([note(instance, i)]))),
        ),
      );
      console.log(`${TOTAL} appends from ${INSTANCES} pools: ${Date.now() - started} ms`);
    });

    test('form one chain, seq 1..600 without gap or fork, that the verifier finds intact', async () => {
      const rows = await logs[1].readRaw(0, TOTAL + 10);
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
      expect(new Set(rows.map((r) => r.prev_hash)).size).toBe(TOTAL);
      // Every event of every instance is there once.
      const seen = rows.map((r) => {
        const { data } = JSON.parse(r.body!) as { data: { instance: number; i: number } };
        return `${data.instance}/${data.i}`;
      });
      expect(new Set(seen).size).toBe(TOTAL);

      const report = await verifyLog({ rows, publicKey, allowNoCheckpoint: true });
      expect(report).toMatchObject({ ok: true, entries: TOTAL });
      expect((await logs[2].head())?.seq).toBe(TOTAL);
    });

    test('the verifier notices a stored index that disagrees with a body', async () => {
      // The raw rows carry the partner and keyed-hash indexes: a forged one is caught.
      const rows = await logs[0].readRaw(0, 5);
      rows[2] = { ...rows[2], partner_index: '["someone-else"]' };
      const report = await verifyLog({ rows, publicKey, allowNoCheckpoint: true });
      expect(report.ok).toBe(false);
      expect(report.firstBroken?.seq).toBe(3);
    });

    test('read and head give the entries as appended, body text exact', async () => {
      const [raw] = await logs[0].readRaw(41, 1);
      const [entry] = await logs[0].read(42, 1);
      expect(entry.seq).toBe(42);
      expect(entry.hash).toBe(raw.hash);
      expect(crypto.createHash('sha256').update(raw.body!).digest('hex')).toBe(raw.hash);
      expect((entry.data as { text: string }).text).toBe('a\u0000b 🚤 "q" \\');
      expect(await logs[0].read(TOTAL + 1, 10)).toEqual([]);
    });

    test('the stored nodes give the root of the leaves; proofs from them verify', async () => {
      const rows = await logs[0].readRaw(0, TOTAL);
      const leaves = rows.map((r) => leafHash(r.body!));
      rows.forEach((r, i) => expect(r.leaf).toEqual(leaves[i]));
      for (const size of [1, 2, 3, 255, 256, 257, TOTAL]) {
        expect((await logs[0].treeRoot(size)).equals(rootOfLeaves(leaves.slice(0, size)))).toBe(true);
      }
      const root = rootOfLeaves(leaves);
      for (const seq of [1, 2, 300, 513, TOTAL]) {
        const proof = (await logs[1].inclusionProof(seq, TOTAL)).map((h) => fromHex(h)!);
        expect(verifyInclusion(seq - 1, TOTAL, leaves[seq - 1], proof, root)).toBe(true);
        expect(verifyInclusion(seq - 1, TOTAL, leaves[seq], proof, root)).toBe(false);
      }
      for (const from of [1, 7, 256, 511, TOTAL - 1]) {
        const proof = (await logs[2].consistencyProof(from, TOTAL)).map((h) => fromHex(h)!);
        const old = rootOfLeaves(leaves.slice(0, from));
        expect(verifyConsistency(from, TOTAL, old, root, proof)).toBe(true);
        expect(verifyConsistency(from, TOTAL, rootOfLeaves(leaves.slice(1, from + 1)), root, proof)).toBe(
          false,
        );
      }
      await expect(logs[0].inclusionProof(1, TOTAL + 1)).rejects.toThrow(RangeError);
      await expect(logs[0].consistencyProof(1, TOTAL + 1)).rejects.toThrow(RangeError);
    });

    test('a failing append leaves the log as it was', async () => {
      const before = await logs[0].head();
      const bad: AuditEventInput = { type: 'test', actor: 'system', partners: [], data: { n: Number.NaN } };
      await expect(logs[0].append([note(0, 1000), bad])).rejects.toThrow();
      expect(await logs[1].head()).toEqual(before);
      // The next append continues the chain from the same head.
      const [next] = await logs[1].append([note(1, 1000)]);
      expect(next).toMatchObject({ seq: TOTAL + 1, prevHash: before!.hash });
      const rows = await logs[2].readRaw(0, TOTAL + 10);
      expect(await verifyLog({ rows, publicKey, allowNoCheckpoint: true })).toMatchObject({
        ok: true,
        entries: TOTAL + 1,
      });
    });

    test('an append the database refuses mid-transaction is rolled back whole', async () => {
      // A trigger of the test's refuses one entry of a batch: the insert fails after the lock and the
      // tip were taken, so nothing of the batch stays, and the pool recovers.
      await pools[0].query(
        `CREATE FUNCTION refuse_entry() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
         CREATE TRIGGER refuse_entry BEFORE INSERT ON audit_log FOR EACH ROW
           WHEN (NEW.type = 'refuse-me') EXECUTE FUNCTION refuse_entry();`,
      );
      const before = await logs[0].head();
      const refused: AuditEventInput = { type: 'refuse-me', actor: 'system', partners: ['x'], data: {} };
      try {
        await expect(logs[0].append([note(0, 3000), refused])).rejects.toThrow(/refused by the test/);
      } finally {
        await pools[0].query('DROP TRIGGER refuse_entry ON audit_log; DROP FUNCTION refuse_entry()');
      }
      expect(await logs[0].head()).toEqual(before);
      expect(await logs[0].readRaw(before!.seq, 10)).toEqual([]);
      const [next] = await logs[0].append([note(0, 3001)]);
      expect(next).toMatchObject({ seq: before!.seq + 1, prevHash: before!.hash });
    });

    test('concurrent appends of one instance share transactions (group commit), the entries of each caller together', async () => {
      const before = (await logs[0].head())!.seq;
      const callers = 40;
      const written = await Promise.all(
        Array.from({ length: callers }, (_, i) => logs[0].append([note(0, 4000 + i), note(0, 5000 + i)])),
      );
      for (const [i, entries] of written.entries()) {
        expect(entries.map((e) => (e.data as { i: number }).i)).toEqual([4000 + i, 5000 + i]);
        expect(entries[1].seq).toBe(entries[0].seq + 1);
      }
      expect(new Set(written.flat().map((e) => e.seq)).size).toBe(callers * 2);
      // Rows of one transaction share its xmin: far fewer transactions than callers.
      const { rows } = await pools[0].query<{ n: number }>(
        'SELECT count(DISTINCT xmin::text)::bigint AS n FROM audit_log WHERE seq > $1',
        [before],
      );
      expect(rows[0].n).toBeLessThan(callers / 2);
      const all = await logs[2].readRaw(0, before + callers * 2 + 10);
      expect(await verifyLog({ rows: all, publicKey, allowNoCheckpoint: true })).toMatchObject({
        ok: true,
        entries: before + callers * 2,
      });
    });

    test('an append that fails in a group commit fails alone; the others are written', async () => {
      const before = (await logs[0].head())!.seq;
      const bad: AuditEventInput = { type: 'test', actor: 'system', partners: [], data: { n: Number.NaN } };
      const results = await Promise.allSettled([
        logs[0].append([note(0, 7000)]),
        ...Array.from({ length: 10 }, (_, i) => logs[0].append([note(0, 7100 + i)])),
        logs[0].append([bad]),
        ...Array.from({ length: 10 }, (_, i) => logs[0].append([note(0, 7200 + i)])),
      ]);
      expect(results.map((r) => r.status)).toEqual([
        ...Array<string>(11).fill('fulfilled'),
        'rejected',
        ...Array<string>(10).fill('fulfilled'),
      ]);
      expect((await logs[0].head())!.seq).toBe(before + 21);
      const all = await logs[2].readRaw(0, before + 30);
      expect(await verifyLog({ rows: all, publicKey, allowNoCheckpoint: true })).toMatchObject({
        ok: true,
        entries: before + 21,
      });
    });

    test('onAppend hears the head after the append has committed', async () => {
      const heard: number[] = [];
      const stop = logs[0].onAppend((seq) => heard.push(seq));
      const [entry] = await logs[0].append([note(0, 2000)]);
      await new Promise((resolve) => setImmediate(resolve));
      stop();
      expect(heard).toEqual([entry.seq]);
    });
  });

  test('appends serialise when the server defaults to REPEATABLE READ (the tip is read after the lock)', async () => {
    const other = freshSchema();
    const strict = [testPool(other), testPool(other)];
    try {
      for (const pool of strict) {
        pool.on(
          'connect',
          (client) => void client.query("SET default_transaction_isolation = 'repeatable read'"),
        );
      }
      await migratePg(strict[0], other);
      const both = strict.map((pool) => createPgAudit(pool));
      await Promise.all(
        both.flatMap((log, instance) =>
          Array.from({ length: 40 }, (_, i) => log.append([note(instance, i)])),
        ),
      );
      const rows = await both[0].readRaw(0, 100);
      expect(await verifyLog({ rows, publicKey, allowNoCheckpoint: true })).toMatchObject({
        ok: true,
        entries: 80,
      });
    } finally {
      await Promise.all(strict.map((p) => p.end()));
      await dropSchema(other);
    }
  });

  describe('append-only', () => {
    test.each([
      ['UPDATE audit_log SET outcome = $$x$$ WHERE seq = 1', /audit_log is append-only/],
      ['DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)', /audit_log is append-only/],
      ['TRUNCATE audit_log CASCADE', /append-only/],
      ['DELETE FROM audit_partners', /audit_partners is append-only/],
      ['UPDATE audit_hashes SET hash = $$x$$', /audit_hashes is append-only/],
      ['DELETE FROM audit_tree WHERE level = 0', /audit_tree is append-only/],
    ])('%s is refused', async (sql, message) => {
      const before = await logs[0].readRaw(0, 1_000_000);
      await expect(pools[0].query(sql)).rejects.toThrow(message);
      expect(await logs[0].readRaw(0, 1_000_000)).toEqual(before);
    });
  });

  describe('checkpoints', () => {
    const signer = createSigner(crypto.generateKeyPairSync('ed25519').privateKey);
    const sign = (head: TreeHead) => signer.sign(head, new Date().toISOString());

    test('any instance signs the head once; the log with its checkpoints verifies against the key', async () => {
      const size = (await logs[0].head())!.seq;
      // Three instances checkpoint at once: one head, one signature, one row.
      const made = await Promise.all(logs.map((log) => log.checkpoint(sign)));
      expect(new Set(made.map((c) => c?.signature)).size).toBe(1);
      expect(made[0]).toMatchObject({
        treeSize: size,
        rootHash: (await logs[1].treeRoot(size)).toString('hex'),
      });
      expect(await logs[2].readRawCheckpoints()).toHaveLength(1);
      // Covered: nothing new to sign, the newest comes back.
      expect((await logs[1].checkpoint(sign))?.signature).toBe(made[0]!.signature);

      await logs[1].append([note(9, 1), note(9, 2)]);
      const next = await logs[2].checkpoint(sign);
      expect(next?.treeSize).toBe(size + 2);
      expect((await logs[0].latestCheckpoint())?.treeSize).toBe(size + 2);
      expect((await logs[0].checkpointAt(size))?.signature).toBe(made[0]!.signature);
      expect((await logs[0].checkpoints({ limit: 10, order: 'desc' })).map((c) => c.treeSize)).toEqual([
        size + 2,
        size,
      ]);
      expect(
        (await logs[0].checkpoints({ afterSize: size, limit: 10, order: 'asc' })).map((c) => c.treeSize),
      ).toEqual([size + 2]);

      const rows = await logs[0].readRaw(0, 1_000_000);
      const report = await verifyLog({
        rows,
        checkpoints: await logs[0].readRawCheckpoints(),
        publicKey: signer.publicKey,
      });
      expect(report).toMatchObject({ ok: true, entries: size + 2 });
    });

    test('a signature that does not match the head is refused and nothing is stored', async () => {
      await logs[0].append([note(8, 1)]);
      const before = await logs[0].readRawCheckpoints();
      await expect(logs[0].checkpoint((head) => sign({ ...head, rootHash: '0'.repeat(64) }))).rejects.toThrow(
        'does not match',
      );
      expect(await logs[0].readRawCheckpoints()).toEqual(before);
    });
  });
});
