/**
 * The parallel verifier on real worker threads (the compiled worker in dist/, as `fsg audit verify`
 * runs it): with small jobs, so that both workers and this thread take some, it gives the same report
 * as the sequential verifier on an intact log and on each kind of tampering, with and without the deep
 * checks.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { canonicalJson, entryHash } from '../../src/audit/chain';
import { createSigner } from '../../src/audit/checkpoint';
import { Checkpointer } from '../../src/audit/checkpointer';
import type * as FastModule from '../../src/audit/verify-fast';
import { verifyLog } from '../../src/audit/verify-log';
import { openSqliteStore, readRawAuditRows, readRawCheckpoints } from '../../src/store/sqlite';
import { tamperedCopy } from '../helpers/tamper';

const ROOT = path.resolve(__dirname, '../..');
const BUILT = path.join(ROOT, 'dist', 'src', 'audit', 'verify-fast.js');
const N = 300;
const signer = createSigner(crypto.generateKeyPairSync('ed25519').privateKey);
let fast: typeof FastModule;
let dir: string;
let pristine: string;

beforeAll(async () => {
  if (!fs.existsSync(BUILT)) throw new Error('Build first: npm test runs `npm run build` before jest.');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  fast = require(BUILT) as typeof FastModule;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-verify-threads-'));
  pristine = path.join(dir, 'log.sqlite');
  const store = openSqliteStore({ file: pristine });
  const checkpointer = new Checkpointer({
    store,
    signer,
    clock: () => new Date(),
    policy: { everyEntries: 1_000_000, everySeconds: 3600 },
  });
  for (let seq = 1; seq <= N; seq++) {
    await store.audit.append([
      {
        type: 'disclosure',
        actor: { userId: 'bram', partnerId: 'boatreg-nl' },
        partners: ['boatreg-nl', 'police-nl'],
        outcome: 'disclosed',
        data: { seq, identifierHashes: [entryHash(`id-${seq}`)] },
      },
    ]);
    if (seq % 37 === 0 || seq === N) await checkpointer.checkpoint();
  }
  await store.close();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const tampered = (attack: (db: Database.Database) => void): string => tamperedCopy(pristine, dir, attack);

async function compare(file: string) {
  const input = { checkpoints: readRawCheckpoints(file), publicKey: signer.publicKey };
  const report = await verifyLog({ rows: readRawAuditRows(file), ...input });
  const workerFile = fast.defaultWorkerFile();
  expect(workerFile).toBeDefined();
  for (const deep of [false, true]) {
    const { scope, fellBack, statistics, ...got } = await fast.verifyLogFast({
      file,
      ...input,
      threads: 2,
      chunk: 8,
      deep,
    });
    expect(got).toEqual(report);
    // The deep run of an intact log also counts the statistics again, on the threads (they match).
    expect(statistics).toEqual(report.ok && deep ? { counts: expect.any(Number) } : undefined);
    expect(scope).toBe(report.ok && !deep ? 'chain+merkle' : 'full');
    expect(fellBack !== undefined).toBe(!report.ok);
  }
  return report;
}

describe('verifyLogFast on worker threads', () => {
  it('agrees with the sequential verifier on an intact log', async () => {
    expect(await compare(pristine)).toMatchObject({ ok: true, checked: N, unsigned: 0 });
  });

  it('agrees on an altered body, a recomputed one, a deleted, a reordered and a truncated entry', async () => {
    const altered = tampered((db) =>
      db.prepare("UPDATE audit_log SET body = replace(body, 'disclosed', 'withheld') WHERE seq = 150").run(),
    );
    expect((await compare(altered)).firstBroken).toMatchObject({ seq: 150, reason: 'hash-mismatch' });

    const recomputed = tampered((db) => {
      const { body } = db.prepare('SELECT body FROM audit_log WHERE seq = 201').get() as { body: string };
      const parsed = JSON.parse(body);
      parsed.outcome = 'withheld';
      const text = canonicalJson(parsed);
      db.prepare("UPDATE audit_log SET body = ?, hash = ?, outcome = 'withheld' WHERE seq = 201").run(
        text,
        entryHash(text),
      );
    });
    expect((await compare(recomputed)).firstBroken).toMatchObject({ seq: 201, reason: 'altered' });

    const deleted = tampered((db) => {
      for (const table of ['audit_partners', 'audit_hashes', 'audit_log'])
        db.prepare('DELETE FROM ' + table + ' WHERE seq = 64').run();
    });
    expect((await compare(deleted)).firstBroken).toMatchObject({ seq: 64, reason: 'removed' });

    const reordered = tampered((db) => {
      const move = (from: number, to: number) => {
        for (const table of ['audit_log', 'audit_partners', 'audit_hashes'])
          db.prepare('UPDATE ' + table + ' SET seq = ? WHERE seq = ?').run(to, from);
      };
      move(99, -1);
      move(100, 99);
      move(-1, 100);
    });
    expect((await compare(reordered)).firstBroken).toMatchObject({ seq: 99, reason: 'reordered' });

    const truncated = tampered((db) => {
      for (const table of ['audit_partners', 'audit_hashes', 'audit_log'])
        db.prepare('DELETE FROM ' + table + ' WHERE seq > 290').run();
    });
    expect((await compare(truncated)).firstBroken).toMatchObject({ seq: 291, reason: 'truncated' });
  });

  it('agrees on a changed index: the deep run names it, the fast one does not look', async () => {
    const file = tampered((db) =>
      db.prepare("DELETE FROM audit_partners WHERE seq = 77 AND partner = 'police-nl'").run(),
    );
    const input = { checkpoints: readRawCheckpoints(file), publicKey: signer.publicKey };
    const { scope, fellBack, ...deep } = await fast.verifyLogFast({
      file,
      ...input,
      threads: 2,
      chunk: 8,
      deep: true,
    });
    expect(deep.firstBroken).toMatchObject({ seq: 77, reason: 'column-mismatch' });
    expect({ scope, fellBack }).toEqual({ scope: 'full', fellBack: 'entry #77: column-mismatch' });
    expect(await fast.verifyLogFast({ file, ...input, threads: 2, chunk: 8 })).toMatchObject({
      ok: true,
      scope: 'chain+merkle',
    });
  });
});
