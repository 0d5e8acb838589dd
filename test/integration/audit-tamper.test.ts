/**
 * "Done when": entries altered, deleted, inserted, reordered and truncated with plain SQL (an attacker
 * with the database file, who drops the append-only triggers first) and in an export are each detected
 * and pinpointed by the verifier, against the gateway's signed checkpoints.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { buildEntry, canonicalJson, entryBody, entryHash } from '../../src/audit/chain';
import { verifyExportFile, writeExport } from '../../src/audit/export';
import type { Checkpoint } from '../../src/audit/types';
import { CHUNK, verifyLogFast } from '../../src/audit/verify-fast';
import { verifyLog } from '../../src/audit/verify-log';
import { readRawAuditRows, readRawCheckpoints } from '../../src/store/sqlite';
import { answeredRequests, createTestGateway, type TestGateway } from '../helpers/gateway';
import { tamperedCopy } from '../helpers/tamper';

let gw: TestGateway;
let dir: string;
let pristine: string;
let exportFile: string;
let n: number;
let disclosureSeq: number;
/** A checkpoint a partner kept (e.g. from a receipt): the one signed last. */
let kept: Checkpoint;

beforeAll(async () => {
  gw = await createTestGateway();
  await answeredRequests(
    gw,
    4,
    (i) => `NL-2026-00010${i}`,
    (i) => (i % 2 === 0 ? 'approve' : 'decline'),
  );
  kept = (await gw.checkpointer.checkpoint())!;
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

const tampered = (attack: (db: Database.Database) => void): string => tamperedCopy(pristine, dir, attack);

/**
 * The full verifier's report, after checking that the parallel one (verify-fast.ts, in this thread; the
 * worker threads run in test/e2e/audit-cli.test.ts), with and without the deep checks, gives the very
 * same: from its own pass when the log is intact, from the full verifier it falls back to otherwise.
 * Jobs of 4 entries put checkpoints inside jobs and links across them.
 */
async function verify(file: string, external: unknown[] = []) {
  const input = {
    checkpoints: readRawCheckpoints(file),
    external,
    publicKey: gw.checkpointer.signer.publicKey,
  };
  const report = await verifyLog({ rows: readRawAuditRows(file), ...input });
  for (const chunk of [4, CHUNK]) {
    for (const deep of [false, true]) {
      const { scope, fellBack, ...fast } = await verifyLogFast({ file, ...input, threads: 0, chunk, deep });
      expect(fast).toEqual(report);
      expect({ scope, fellBack: fellBack !== undefined }).toEqual({
        scope: report.ok && !deep ? 'chain+merkle' : 'full',
        fellBack: !report.ok,
      });
    }
  }
  return report;
}

const INDEX_TABLES = ['audit_partners', 'audit_hashes'];
/** Moves every row of entry `from` to `to` in the log and its index tables (PKs dodged via negatives). */
function moveSeq(db: Database.Database, from: number, to: number) {
  for (const table of ['audit_log', ...INDEX_TABLES])
    db.prepare('UPDATE ' + table + ' SET seq = ? WHERE seq = ?').run(to, from);
}

describe('tampering with the database (plain SQL)', () => {
  it('verifies the untouched database against every checkpoint', async () => {
    const report = await verify(pristine);
    expect(report).toMatchObject({ ok: true, checked: n, unsigned: 0 });
    expect(report.checkpoints.matched).toBe(report.checkpoints.total);
    expect(report.checkpoints.total).toBeGreaterThanOrEqual(3);
  });

  it('pinpoints an altered entry', async () => {
    const file = tampered((db) =>
      db
        .prepare('UPDATE audit_log SET body = replace(body, ?, ?) WHERE seq = ?')
        .run('"tlp":"AMBER"', '"tlp":"CLEAR"', disclosureSeq),
    );
    expect((await verify(file)).firstBroken).toMatchObject({ seq: disclosureSeq, reason: 'hash-mismatch' });
  });

  it('pinpoints an altered entry whose hash and columns were recomputed', async () => {
    const file = tampered((db) => {
      const row = db.prepare('SELECT body FROM audit_log WHERE seq = ?').get(disclosureSeq) as {
        body: string;
      };
      const body = JSON.parse(row.body);
      body.outcome = 'withheld';
      const text = canonicalJson(body);
      db.prepare('UPDATE audit_log SET body = ?, hash = ?, outcome = ? WHERE seq = ?').run(
        text,
        entryHash(text),
        'withheld',
        disclosureSeq,
      );
    });
    const report = await verify(file);
    expect(report.firstBroken).toMatchObject({ seq: disclosureSeq, reason: 'altered' });
    expect(report.checked).toBe(disclosureSeq - 1);
  });

  it('pinpoints a deleted entry', async () => {
    const s = disclosureSeq + 1;
    const file = tampered((db) => {
      for (const table of [...INDEX_TABLES, 'audit_log'])
        db.prepare('DELETE FROM ' + table + ' WHERE seq = ?').run(s);
    });
    expect((await verify(file)).firstBroken).toMatchObject({ seq: s, reason: 'removed' });
  });

  it('pinpoints a deleted entry when the later ones were renumbered to close the gap', async () => {
    const s = 7;
    const file = tampered((db) => {
      for (const table of [...INDEX_TABLES, 'audit_log'])
        db.prepare('DELETE FROM ' + table + ' WHERE seq = ?').run(s);
      for (let seq = s + 1; seq <= n; seq++) moveSeq(db, seq, seq - 1);
    });
    expect((await verify(file)).firstBroken).toMatchObject({ seq: s, reason: 'removed' });
  });

  it('pinpoints an inserted entry', async () => {
    const s = disclosureSeq;
    const file = tampered((db) => {
      for (let seq = n; seq >= s; seq--) moveSeq(db, seq, seq + 1);
      const prev = db.prepare('SELECT hash, ts FROM audit_log WHERE seq = ?').get(s - 1) as {
        hash: string;
        ts: string;
      };
      const forged = buildEntry(
        {
          type: 'disclosure',
          actor: { userId: 'bram', partnerId: 'boatreg-nl' },
          partners: ['boatreg-nl', 'police-nl'],
          outcome: 'disclosed',
          data: {},
        },
        s,
        prev.ts,
        prev.hash,
      );
      db.prepare(
        `INSERT INTO audit_log (seq, ts, type, actor_user, actor_partner, partners, request_id, agreement_id, outcome, body, prev_hash, hash)
         VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?)`,
      ).run(
        s,
        forged.ts,
        forged.type,
        'bram',
        'boatreg-nl',
        canonicalJson(forged.partners),
        'disclosed',
        forged.body,
        forged.prevHash,
        forged.hash,
      );
      for (const p of forged.partners)
        db.prepare('INSERT INTO audit_partners (partner, seq) VALUES (?, ?)').run(p, s);
    });
    expect((await verify(file)).firstBroken).toMatchObject({ seq: s, reason: 'inserted' });
  });

  it('pinpoints reordered entries', async () => {
    const s = 9;
    const file = tampered((db) => {
      moveSeq(db, s, -1);
      moveSeq(db, s + 1, s);
      moveSeq(db, -1, s + 1);
    });
    expect((await verify(file)).firstBroken).toMatchObject({ seq: s, reason: 'reordered' });
  });

  it('pinpoints a truncated tail, also when the checkpoints were cut too but a partner kept one', async () => {
    const keep = n - 3;
    const cut = (db: Database.Database) => {
      for (const table of [...INDEX_TABLES, 'audit_log'])
        db.prepare('DELETE FROM ' + table + ' WHERE seq > ?').run(keep);
    };
    const file = tampered(cut);
    const report = await verify(file);
    expect(report.firstBroken).toMatchObject({ seq: keep + 1, reason: 'truncated' });
    expect(report.firstBroken?.message).toContain(`#${keep + 1}..#${n}`);

    const thorough = tampered((db) => {
      cut(db);
      db.prepare('DELETE FROM audit_checkpoints WHERE tree_size > ?').run(keep);
    });
    // Without anything kept outside the log the cut cannot be seen: that is what receipts are for.
    expect((await verify(thorough)).ok).toBe(true);
    expect((await verify(thorough, [kept])).firstBroken).toMatchObject({
      seq: keep + 1,
      reason: 'truncated',
    });
  });

  it('pinpoints the first entry of a tail rewritten with every hash recomputed', async () => {
    const s = disclosureSeq;
    const file = tampered((db) => {
      const rows = db.prepare('SELECT seq, body FROM audit_log WHERE seq >= ? ORDER BY seq').all(s) as {
        seq: number;
        body: string;
      }[];
      let prev = (db.prepare('SELECT hash FROM audit_log WHERE seq = ?').get(s - 1) as { hash: string }).hash;
      for (const row of rows) {
        const body = JSON.parse(row.body);
        if (row.seq === s) body.data.recordDigests = [];
        body.prevHash = prev;
        const text = entryBody(body);
        prev = entryHash(text);
        db.prepare('UPDATE audit_log SET body = ?, prev_hash = ?, hash = ? WHERE seq = ?').run(
          text,
          body.prevHash,
          prev,
          row.seq,
        );
      }
    });
    const report = await verify(file);
    expect(report.firstBroken).toMatchObject({ seq: s, reason: 'altered' });
    expect(report.firstBroken?.message).toMatch(/signed/);
  });

  it('names a changed column or index in the default run; the --fast run does not look at them', async () => {
    const partnerIndex = tampered((db) =>
      db.prepare("DELETE FROM audit_partners WHERE seq = ? AND partner = 'police-nl'").run(disclosureSeq),
    );
    const column = tampered((db) =>
      db.prepare("UPDATE audit_log SET agreement_id = 'other' WHERE seq = ?").run(disclosureSeq),
    );
    const keyedHash = tampered((db) =>
      db.prepare('DELETE FROM audit_hashes WHERE seq = ?').run(disclosureSeq),
    );
    for (const file of [partnerIndex, column, keyedHash]) {
      const input = { checkpoints: readRawCheckpoints(file), publicKey: gw.checkpointer.signer.publicKey };
      const full = await verifyLog({ rows: readRawAuditRows(file), ...input });
      expect(full.firstBroken).toMatchObject({ seq: disclosureSeq, reason: 'column-mismatch' });
      const { scope, fellBack, ...deep } = await verifyLogFast({ file, ...input, threads: 0, deep: true });
      expect(deep).toEqual(full);
      expect({ scope, fellBack }).toEqual({
        scope: 'full',
        fellBack: `entry #${disclosureSeq}: column-mismatch`,
      });
      // Hidden from a DPO's filter, yet the bodies, chain and roots are intact: why the default is deep.
      const fast = await verifyLogFast({ file, ...input, threads: 0 });
      expect(fast).toMatchObject({ ok: true, scope: 'chain+merkle', checked: n });
    }
  });

  it('refuses a forged checkpoint', async () => {
    const file = tampered((db) => {
      const forged = { ...kept, treeSize: n + 5, timestamp: new Date().toISOString() };
      db.prepare('INSERT INTO audit_checkpoints (tree_size, ts, body) VALUES (?, ?, ?)').run(
        n + 5,
        forged.timestamp,
        canonicalJson(forged),
      );
    });
    const report = await verify(file);
    expect(report.ok).toBe(false);
    expect(report.checkpoints.invalid).toEqual([
      { treeSize: n + 5, problem: expect.stringMatching(/bad signature/) },
    ]);
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
  const check = (file: string, external?: unknown[]) =>
    verifyExportFile(file, { publicKey: gw.checkpointer.signer.publicKey, external });
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
