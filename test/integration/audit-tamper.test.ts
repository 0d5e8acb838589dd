/**
 * "Done when": entries altered, deleted, inserted, reordered and truncated in an export are each
 * detected and pinpointed by the verifier, against the gateway's signed checkpoints; in the database
 * (plain SQL, the append-only triggers dropped) the standing suite does it for every tamper class
 * (test/security/tamper.test.ts), and here the default run's deep checks are set against --fast.
 */
import fs from 'node:fs';
import path from 'node:path';
import { entryBody, entryHash } from '../../src/audit/chain';
import { verifyExportFile, writeExport } from '../../src/audit/export';
import { CHUNK, verifyLogFast } from '../../src/audit/verify-fast';
import { verifyLogFile } from '../../src/audit/verify-file';
import { readRawCheckpoints } from '../../src/store/sqlite';
import { answeredRequests, createTestGateway, type TestGateway } from '../helpers/gateway';
import { attacks, tamperedCopy, type Attack } from '../helpers/tamper';

let gw: TestGateway;
let dir: string;
let pristine: string;
let exportFile: string;
let n: number;
let disclosureSeq: number;

beforeAll(async () => {
  gw = await createTestGateway();
  await answeredRequests(
    gw,
    4,
    (i) => `NL-2026-00010${i}`,
    (i) => (i % 2 === 0 ? 'approve' : 'decline'),
  );
  const kept = (await gw.checkpointer.checkpoint())!;
  n = (await gw.store.audit.head())!.seq;
  expect(kept.treeSize).toBe(n);
  disclosureSeq = (await gw.store.audit.query({ types: ['disclosure'] }, { order: 'asc', limit: 1 }))[0].seq;

  dir = path.join(gw.dataDir, 'tamper');
  fs.mkdirSync(dir);
  exportFile = path.join(dir, 'complete.jsonl');
  const out = fs.createWriteStream(exportFile);
  await writeExport(gw.store.audit, out, {
    format: 'jsonl',
    filter: {},
    upToSeq: n,
    exportedAt: new Date().toISOString(),
  });
  await new Promise<void>((resolve) => out.end(resolve));
  await gw.store.close();
  pristine = path.join(dir, 'pristine.sqlite');
  fs.copyFileSync(gw.dbFile, pristine);
});
afterAll(() => gw.close());

const tampered = (attack: Attack): string => tamperedCopy(pristine, dir, attack);

/**
 * The full verifier's report, after checking that the parallel one (verify-fast.ts, in this thread; the
 * worker threads run in test/e2e/audit-cli.test.ts), with and without the deep checks, gives the very
 * same: from its own pass when the log is intact, from the full verifier it falls back to otherwise.
 * Jobs of 4 entries put checkpoints inside jobs and links across them.
 */
async function verify(file: string) {
  const input = {
    checkpoints: readRawCheckpoints(file),
    publicKey: gw.checkpointer.signer.publicKey,
  };
  const report = await verifyLogFile({ file, ...input });
  for (const chunk of [4, CHUNK]) {
    for (const deep of [false, true]) {
      const { scope, fellBack, statistics, ...fast } = await verifyLogFast({
        file,
        ...input,
        threads: 0,
        chunk,
        deep,
      });
      expect(fast).toEqual(report);
      // The deep run of an intact log also counts the statistics again (they match here).
      expect(statistics).toEqual(report.ok && deep ? { counts: expect.any(Number) } : undefined);
      expect({ scope, fellBack: fellBack !== undefined }).toEqual({
        scope: report.ok && !deep ? 'chain+merkle' : 'full',
        fellBack: !report.ok,
      });
    }
  }
  return report;
}

describe('tampering with the database (plain SQL)', () => {
  // Every tamper class, each named by the verifier: test/security/tamper.test.ts. Here: what the
  // default run checks beyond --fast, and that the parallel run says the same as the sequential one.
  it('verifies the untouched database against every checkpoint', async () => {
    const report = await verify(pristine);
    expect(report).toMatchObject({ ok: true, checked: n, unsigned: 0 });
    expect(report.checkpoints.matched).toBe(report.checkpoints.total);
    expect(report.checkpoints.total).toBeGreaterThanOrEqual(3);
  });

  it('names a changed column, index or Merkle node in the default run; the --fast run does not look at them', async () => {
    const changed = [
      tampered(attacks.editPartnerIndex(disclosureSeq, 'police-nl')),
      tampered(attacks.editColumn(disclosureSeq)),
      tampered(attacks.editHashIndex(disclosureSeq)),
    ];
    const node = tampered(attacks.editNode(0, disclosureSeq - 1));
    for (const [file, reason] of [
      ...changed.map((f) => [f, 'column-mismatch'] as const),
      [node, 'node-mismatch'] as const,
    ]) {
      const input = { checkpoints: readRawCheckpoints(file), publicKey: gw.checkpointer.signer.publicKey };
      const full = await verifyLogFile({ file, ...input });
      expect(full.firstBroken).toMatchObject({ seq: disclosureSeq, reason });
      const { scope, fellBack, ...deep } = await verifyLogFast({ file, ...input, threads: 0, deep: true });
      expect(deep).toEqual(full);
      expect({ scope, fellBack }).toEqual({
        scope: 'full',
        fellBack: `entry #${disclosureSeq}: ${reason === 'node-mismatch' ? 'node' : reason}`,
      });
      // Hidden from a DPO's filter, or from proofs, yet the bodies, chain and roots are intact: why
      // the default is deep.
      const fast = await verifyLogFast({ file, ...input, threads: 0 });
      expect(fast).toMatchObject({ ok: true, scope: 'chain+merkle', checked: n });
    }
  });
});

describe('tampering with a complete JSON Lines export', () => {
  const lines = () => fs.readFileSync(exportFile, 'utf8').trimEnd().split('\n');
  /** Index of entry #seq's line (line 0 is the header). */
  const at = (seq: number) => seq;
  let edits = 0;
  function edited(change: (lines: string[]) => string[]): string {
    const file = path.join(dir, `export-${++edits}.jsonl`);
    fs.writeFileSync(file, change(lines()).join('\n') + '\n');
    return file;
  }
  const check = (file: string) => verifyExportFile(file, { publicKey: gw.checkpointer.signer.publicKey });
  const first = async (file: string) => {
    const r = await check(file);
    const candidates = [r.log?.firstBroken, r.fileProblem].filter(Boolean) as {
      seq: number;
      reason: string;
    }[];
    return { ok: r.ok, first: candidates.sort((a, b) => a.seq - b.seq)[0] };
  };

  it('verifies the untouched export', async () => {
    const r = await check(exportFile);
    expect(r).toMatchObject({ ok: true, complete: true, entries: n });
    expect(r.log!.checkpoints.matched).toBe(r.log!.checkpoints.total);
  });

  it('pinpoints an altered line, with or without its hash recomputed', async () => {
    const s = disclosureSeq;
    const plain = edited((l) => {
      l[at(s)] = l[at(s)].replace('"outcome":"disclosed"', '"outcome":"withheld"');
      return l;
    });
    expect(await first(plain)).toMatchObject({ ok: false, first: { seq: s, reason: 'hash-mismatch' } });
    const careful = edited((l) => {
      const line = JSON.parse(l[at(s)]);
      line.outcome = 'withheld';
      line.hash = entryHash(entryBody(line));
      l[at(s)] = JSON.stringify(line);
      return l;
    });
    expect(await first(careful)).toMatchObject({ ok: false, first: { seq: s, reason: 'altered' } });
  });

  it('pinpoints a deleted, an inserted and a reordered line', async () => {
    const deleted = edited((l) => [...l.slice(0, at(6)), ...l.slice(at(6) + 1)]);
    expect(await first(deleted)).toMatchObject({ first: { seq: 6, reason: 'removed' } });
    const inserted = edited((l) => [...l.slice(0, at(6) + 1), l[at(6)], ...l.slice(at(6) + 1)]);
    expect(await first(inserted)).toMatchObject({ first: { seq: 6, reason: 'inserted' } });
    const reordered = edited((l) => {
      [l[at(8)], l[at(9)]] = [l[at(9)], l[at(8)]];
      return l;
    });
    expect(await first(reordered)).toMatchObject({ first: { seq: 8, reason: 'reordered' } });
  });

  it('pinpoints a truncated export: the file cut, or entries dropped with the counts fixed', async () => {
    const cut = edited((l) => l.slice(0, at(n - 2)));
    expect(await first(cut)).toMatchObject({ ok: false, first: { seq: n - 2, reason: 'truncated' } });
    const fixed = edited((l) => {
      const header = JSON.parse(l[0]);
      header.upToSeq = n - 3;
      const rest = l.slice(at(n) + 1, -1);
      const end = JSON.parse(l[l.length - 1]);
      end.entries = n - 3;
      return [JSON.stringify(header), ...l.slice(1, at(n - 3) + 1), ...rest, JSON.stringify(end)];
    });
    expect(await first(fixed)).toMatchObject({ ok: false, first: { seq: n - 2, reason: 'truncated' } });
  });
});
