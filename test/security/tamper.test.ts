/**
 * The standing tamper suite: every way an attacker holding the database file (the append-only triggers
 * dropped first) can change the log, each named by the verifier: the sequential verifier and the
 * parallel one with its deep checks must name the same entry and reason. Through the command line
 * (`fsg audit verify`, the built CLI) where the default key, the one verdict line and the exit code
 * matter; the DPO's "verify now" and the gateway's own check at start-up refuse the same attacks.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import winston from 'winston';
import Database from 'better-sqlite3';
import type { Checkpoint } from '../../src/audit/types';
import { CHUNK, verifyLogFast } from '../../src/audit/verify-fast';
import { verifyLogFile } from '../../src/audit/verify-file';
import { loadConfig } from '../../src/config/load';
import { assemble } from '../../src/gateway';
import { readRawCheckpoints } from '../../src/store/sqlite';
import { assertBuilt, cliRunner } from '../helpers/cli';
import { answeredRequests, createTestGateway, type TestGateway } from '../helpers/gateway';
import { attacks, tamperedCopy, type Attack } from '../helpers/tamper';

let gw: TestGateway;
let dir: string;
let pristine: string;
/** A data folder holding the gateway's keys (and no database): what the CLI loads by default. */
let dataDir: string;
let attackerPem: string;
const attackerKey = crypto.generateKeyPairSync('ed25519');
let n: number;
let disclosureSeq: number;
/** Tree sizes of the stored checkpoints, ascending. */
let sizes: number[];
/** The newest checkpoint, as a partner keeps it (from a receipt). */
let kept: Checkpoint;

beforeAll(async () => {
  gw = await createTestGateway();
  await answeredRequests(
    gw,
    4,
    (i) => `NL-2026-00030${i}`,
    (i) => (i % 2 === 0 ? 'approve' : 'decline'),
  );
  kept = (await gw.checkpointer.checkpoint())!;
  // Two entries after the newest checkpoint: normal in a live log, reported as not yet signed.
  await gw.store.audit.append([
    { type: 'note', actor: 'system', partners: [], data: { i: 1 } },
    { type: 'note', actor: 'system', partners: [], data: { i: 2 } },
  ]);
  n = (await gw.store.audit.head())!.seq;
  disclosureSeq = (await gw.store.audit.query({ types: ['disclosure'] }, { order: 'asc', limit: 1 }))[0].seq;
  await gw.store.close();

  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-tamper-'));
  pristine = path.join(dir, 'pristine.sqlite');
  fs.copyFileSync(gw.dbFile, pristine);
  sizes = readRawCheckpoints(pristine).map((c) => (JSON.parse(c) as Checkpoint).treeSize);
  dataDir = path.join(dir, 'data');
  fs.cpSync(path.join(gw.dataDir, 'keys'), path.join(dataDir, 'keys'), { recursive: true });
  attackerPem = path.join(dir, 'attacker.pub.pem');
  fs.writeFileSync(attackerPem, attackerKey.publicKey.export({ type: 'spki', format: 'pem' }));
});
afterAll(async () => {
  await gw.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const tampered = (attack: Attack): string => tamperedCopy(pristine, dir, attack);
/** The newest checkpoint size below `seq`, plus one: the first entry not under a genuine signature. */
const afterSignedBelow = (seq: number) => Math.max(0, ...sizes.filter((s) => s < seq)) + 1;

/**
 * The sequential verifier's report, after checking that the parallel one (in this thread; worker threads:
 * test/e2e/verify-threads.test.ts) gives the very same with its deep checks, in jobs of 4 entries
 * (checkpoints inside jobs, links across them) and of the default size; and that its --fast run, when it
 * finds something, names the same.
 */
async function verify(file: string, options: { external?: unknown[]; allowNoCheckpoint?: boolean } = {}) {
  const input = {
    checkpoints: readRawCheckpoints(file),
    external: options.external ?? [],
    publicKey: gw.checkpointer.signer.publicKey,
    allowNoCheckpoint: options.allowNoCheckpoint,
  };
  const report = await verifyLogFile({ file, ...input });
  for (const chunk of [4, CHUNK]) {
    for (const deep of [true, false]) {
      const {
        scope: _s,
        fellBack: _f,
        statistics,
        ...fast
      } = await verifyLogFast({ file, ...input, threads: 0, chunk, deep });
      if (deep || !fast.ok) expect(fast).toEqual(report);
      // The deep run of a log whose entries check out also counts the statistics (none changed here).
      expect(statistics).toEqual(report.ok && deep ? { counts: expect.any(Number) } : undefined);
    }
  }
  return report;
}

describe('every tamper class is named by the verifier', () => {
  it('the untouched log verifies, the entries after the newest checkpoint counted', async () => {
    const report = await verify(pristine);
    expect(report).toMatchObject({ ok: true, entries: n, checked: n, unsigned: 2 });
    expect(report.checkpoints.matched).toBe(sizes.length);
  });

  const cases: [name: string, attack: () => Attack, expected: () => { seq: number; reason: string }][] = [
    [
      'edit a body',
      () => attacks.editBody(disclosureSeq),
      () => ({ seq: disclosureSeq, reason: 'hash-mismatch' }),
    ],
    [
      'edit a body and recompute its hash and columns',
      () => attacks.editAndRehash(disclosureSeq),
      () => ({ seq: disclosureSeq, reason: 'altered' }),
    ],
    [
      'edit a column',
      () => attacks.editColumn(disclosureSeq),
      () => ({ seq: disclosureSeq, reason: 'column-mismatch' }),
    ],
    [
      'edit the partner index (audit_partners)',
      () => attacks.editPartnerIndex(disclosureSeq, 'police-nl'),
      () => ({ seq: disclosureSeq, reason: 'column-mismatch' }),
    ],
    [
      'edit the keyed-hash index (audit_hashes)',
      () => attacks.editHashIndex(disclosureSeq),
      () => ({ seq: disclosureSeq, reason: 'column-mismatch' }),
    ],
    [
      'delete an entry',
      () => attacks.delete(disclosureSeq + 1),
      () => ({ seq: disclosureSeq + 1, reason: 'removed' }),
    ],
    ['swap two entries', () => attacks.swap(9), () => ({ seq: 9, reason: 'reordered' })],
    [
      'insert an entry',
      () => attacks.insert(disclosureSeq),
      () => ({ seq: disclosureSeq, reason: 'inserted' }),
    ],
    [
      'rewrite a tail with every hash recomputed, under the genuine checkpoints',
      () => attacks.rewriteTail(disclosureSeq),
      () => ({ seq: disclosureSeq, reason: 'altered' }),
    ],
    [
      'hole 8: rewrite a tail and its Merkle nodes under checkpoints re-signed with an attacker key',
      () =>
        attacks.rewriteTail(disclosureSeq, {
          tree: true,
          checkpoints: 'forged',
          attackerKey: attackerKey.privateKey,
        }),
      () => ({ seq: afterSignedBelow(disclosureSeq), reason: 'bad-checkpoint' }),
    ],
    [
      'hole 8: rewrite a tail and its Merkle nodes under checkpoints whose signature was removed',
      () => attacks.rewriteTail(disclosureSeq, { tree: true, checkpoints: 'unsigned' }),
      () => ({ seq: afterSignedBelow(disclosureSeq), reason: 'bad-checkpoint' }),
    ],
    [
      'hole 8: a bad signature on one checkpoint',
      () => attacks.badSignature(sizes[1]),
      () => ({ seq: sizes[0] + 1, reason: 'bad-checkpoint' }),
    ],
    [
      'hole 8: delete every checkpoint',
      () => attacks.dropCheckpoints(),
      () => ({ seq: 1, reason: 'no-checkpoint' }),
    ],
    [
      'hole 8: edit a stored Merkle node',
      () => attacks.editNode(2, 1),
      () => ({ seq: 8, reason: 'node-mismatch' }),
    ],
    [
      'hole 8: edit a stored Merkle leaf',
      () => attacks.editNode(0, 4),
      () => ({ seq: 5, reason: 'node-mismatch' }),
    ],
    [
      'hole 8: rewrite the entries after the newest checkpoint (their stored leaves left)',
      () => attacks.rewriteTail(n - 1),
      () => ({ seq: n - 1, reason: 'node-mismatch' }),
    ],
    [
      'hole 8: truncate the tail with its checkpoints, the Merkle nodes left behind',
      () => attacks.truncate(n - 5, { checkpoints: true }),
      () => ({ seq: n - 4, reason: 'truncated' }),
    ],
  ];
  it.each(cases)('%s', async (_name, attack, expected) => {
    const report = await verify(tampered(attack()));
    expect(report.ok).toBe(false);
    expect(report.firstBroken).toMatchObject(expected());
  });

  it('truncate the tail, its checkpoints and its Merkle nodes: named once a partner shows the checkpoint it kept', async () => {
    const file = tampered(attacks.truncate(n - 5, { checkpoints: true, tree: true }));
    // Cut back thoroughly and nothing kept outside the log: no verifier can see it (receipts are for this).
    expect((await verify(file)).ok).toBe(true);
    expect((await verify(file, { external: [kept] })).firstBroken).toMatchObject({
      seq: n - 4,
      reason: 'truncated',
    });
  });

  it('hole 8: no checkpoint at all passes only when explicitly allowed', async () => {
    const report = await verify(tampered(attacks.dropCheckpoints()), { allowNoCheckpoint: true });
    expect(report).toMatchObject({ ok: true, entries: n, unsigned: n });
  });
});

const fsg = cliRunner(() => dataDir);

/** One verdict, the last line, and never "ok" beside "FAILED". */
function expectFailed(res: ReturnType<typeof fsg>, seq: number, reason: string) {
  expect(res.code).toBe(1);
  expect(res.last).toMatch(new RegExp(`^verdict: FAILED at entry #${seq}: ${reason}: `));
  expect(res.out.match(/verdict/g)).toHaveLength(1);
  expect(res.out).not.toMatch(/\bok\b/);
}

describe('hole 8: fsg audit verify checks signatures with the gateway key by default and prints one verdict', () => {
  beforeAll(assertBuilt);

  it('verifies the untouched log with the gateway key of the configuration, without --pubkey', () => {
    const res = fsg(['audit', 'verify', '--db', pristine]);
    expect(res.code).toBe(0);
    expect(res.out).toContain(`signatures checked with key ${gw.checkpointer.signer.keyId}`);
    expect(res.last).toBe(`verdict: ok (${n} entries, ${sizes.length} checkpoints, 2 after the newest)`);
    expect(res.out).not.toMatch(/FAILED/);
  });

  it('fails a tail rewritten under checkpoints forged with another key', () => {
    const file = tampered(
      attacks.rewriteTail(disclosureSeq, {
        tree: true,
        checkpoints: 'forged',
        attackerKey: attackerKey.privateKey,
      }),
    );
    expectFailed(fsg(['audit', 'verify', '--db', file]), afterSignedBelow(disclosureSeq), 'bad-checkpoint');
    expectFailed(
      fsg(['audit', 'verify', '--db', file, '--fast']),
      afterSignedBelow(disclosureSeq),
      'bad-checkpoint',
    );
  });

  it('fails checkpoints whose signature was removed, or is bad, with one FAILED verdict', () => {
    const unsigned = tampered(attacks.rewriteTail(disclosureSeq, { tree: true, checkpoints: 'unsigned' }));
    expectFailed(
      fsg(['audit', 'verify', '--db', unsigned]),
      afterSignedBelow(disclosureSeq),
      'bad-checkpoint',
    );
    const bad = tampered(attacks.badSignature(sizes[1]));
    expectFailed(fsg(['audit', 'verify', '--db', bad]), sizes[0] + 1, 'bad-checkpoint');
  });

  it('pins the key given with --pubkey: checkpoints signed by any other key fail', () => {
    expectFailed(fsg(['audit', 'verify', '--db', pristine, '--pubkey', attackerPem]), 1, 'bad-checkpoint');
  });

  it('fails a log with entries and no checkpoint unless --allow-no-checkpoint', () => {
    const file = tampered(attacks.dropCheckpoints());
    expectFailed(fsg(['audit', 'verify', '--db', file]), 1, 'no-checkpoint');
    const allowed = fsg(['audit', 'verify', '--db', file, '--allow-no-checkpoint']);
    expect(allowed.code).toBe(0);
    expect(allowed.last).toBe(`verdict: ok (${n} entries, 0 checkpoints, ${n} after the newest)`);
  });

  it('checks the stored Merkle nodes in the default run; --fast says it does not', () => {
    const file = tampered(attacks.editNode(2, 1));
    expectFailed(fsg(['audit', 'verify', '--db', file]), 8, 'node-mismatch');
    const fast = fsg(['audit', 'verify', '--db', file, '--fast']);
    expect(fast.code).toBe(0);
    expect(fast.out).toMatch(/NOT checked: .*stored Merkle tree/);
  });

  it('verifies exports as strictly: the gateway key by default, forged checkpoints fail', () => {
    const exported = (db: string) => {
      const out = path.join(dir, `export-${crypto.randomUUID()}.jsonl`);
      expect(fsg(['audit', 'export', '--db', db, '--format', 'jsonl', '--out', out]).code).toBe(0);
      return out;
    };
    const ok = fsg(['audit', 'verify', '--export', exported(tampered(() => undefined))]);
    expect(ok.code).toBe(0);
    expect(ok.last).toMatch(/^verdict: ok \(\d+ entries, \d+ checkpoints, \d+ after the newest\)$/);
    const forged = tampered(
      attacks.rewriteTail(disclosureSeq, {
        tree: true,
        checkpoints: 'forged',
        attackerKey: attackerKey.privateKey,
      }),
    );
    expectFailed(
      fsg(['audit', 'verify', '--export', exported(forged)]),
      afterSignedBelow(disclosureSeq),
      'bad-checkpoint',
    );
    const none = tampered(attacks.dropCheckpoints());
    expectFailed(fsg(['audit', 'verify', '--export', exported(none)]), 1, 'no-checkpoint');
  });

  it('refuses to run without a key to check signatures with', () => {
    const res = fsg(['audit', 'verify', '--db', pristine], { FSG_DATA_DIR: path.join(dir, 'no-keys') });
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/--pubkey/);
  });
});

describe("hole 8: the DPO's verify applies the same strictness", () => {
  let live: TestGateway;
  beforeEach(async () => {
    live = await createTestGateway();
    await answeredRequests(
      live,
      2,
      (i) => `NL-2026-00031${i}`,
      () => 'approve',
    );
  });
  afterEach(() => live.close());

  const change = (attack: Attack) => {
    const db = new Database(live.dbFile);
    try {
      for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as {
        name: string;
      }[])
        db.exec('DROP TRIGGER "' + name + '"');
      attack(db);
    } finally {
      db.close();
    }
  };
  const verifyNow = async () =>
    (await live.http.get('/api/v1/audit/verify').set({ Authorization: `Bearer ${await live.token('sam')}` }))
      .body;

  it('fails a log whose checkpoints were deleted', async () => {
    change(attacks.dropCheckpoints());
    const res = await verifyNow();
    expect(res).toMatchObject({ ok: false, firstBroken: { seq: 1, reason: 'no-checkpoint' } });
    expect(res.verdict).toMatch(/^verdict: FAILED at entry #1: no-checkpoint: /);
  });

  it('fails a log whose stored Merkle node was edited', async () => {
    change(attacks.editNode(1, 0));
    const res = await verifyNow();
    expect(res).toMatchObject({ ok: false, firstBroken: { seq: 2, reason: 'node-mismatch' } });
  });
});

describe('hole 8: the gateway verifies the entries since its last checkpoint before it signs again', () => {
  /** A data folder with the gateway's keys and secrets and `db` as its store. */
  function dataFolder(db: string): string {
    const folder = fs.mkdtempSync(path.join(dir, 'start-'));
    for (const entry of fs.readdirSync(gw.dataDir)) {
      if (!entry.endsWith('.sqlite') && !entry.includes('.sqlite-'))
        fs.cpSync(path.join(gw.dataDir, entry), path.join(folder, entry), { recursive: true });
    }
    fs.copyFileSync(db, path.join(folder, 'gateway.sqlite'));
    return folder;
  }
  const start = (folder: string) =>
    assemble(loadConfig({ FSG_DATA_DIR: folder, FSG_LOG_LEVEL: 'info', FSG_DEMO_DATASETS: 'false' }));
  const counts = (file: string) => {
    const db = new Database(file, { readonly: true });
    try {
      return db
        .prepare(
          'SELECT (SELECT count(*) FROM audit_log) AS entries, (SELECT count(*) FROM audit_checkpoints) AS checkpoints',
        )
        .get();
    } finally {
      db.close();
    }
  };
  let logged: { level: string; message: string; [key: string]: unknown }[];
  beforeEach(() => {
    logged = [];
    jest.spyOn(winston.transports.Console.prototype, 'log').mockImplementation((...args: unknown[]) => {
      logged.push(args[0] as (typeof logged)[number]);
      (args[1] as (() => void) | undefined)?.();
    });
  });
  afterEach(() => jest.restoreAllMocks());

  it('starts on an intact log, logging what it checked, and signs the tail', async () => {
    const folder = dataFolder(pristine);
    const started = await start(folder);
    await started.store.close();
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 'info',
        message: 'audit log verified',
        checked: 2,
        signedSize: sizes[sizes.length - 1],
      }),
    );
  });

  it.each<[string, () => Attack, string]>([
    [
      'a body after the newest checkpoint edited',
      () => attacks.editBody(n, '"i":2', '"i":3'),
      'hash-mismatch',
    ],
    ['the tail after the newest checkpoint rewritten', () => attacks.rewriteTail(n - 1), 'node-mismatch'],
    [
      'the newest checkpoint badly signed',
      () => attacks.badSignature(sizes[sizes.length - 1]),
      'bad-checkpoint',
    ],
    ['every checkpoint deleted', () => attacks.dropCheckpoints(), 'no-checkpoint'],
  ])('refuses to start when %s, and signs nothing', async (_name, attack, reason) => {
    const folder = dataFolder(tampered(attack()));
    const file = path.join(folder, 'gateway.sqlite');
    const before = counts(file);
    await expect(start(folder)).rejects.toThrow(new RegExp(`audit log.*${reason}`));
    expect(counts(file)).toEqual(before);
    const error = logged.find((l) => l.level === 'error');
    expect(error).toMatchObject({ message: 'audit log verification failed at start-up', reason });
  });
});
