/**
 * The `fsg audit` commands as a DPO or a partner runs them: the built CLI in a child process.
 * verify (database, export, external checkpoint), export (JSON Lines, CSV), verify-receipt, checkpoint,
 * and the checkpoint signed when `fsg serve` shuts down.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { receiptText } from '../../src/audit/receipts';
import { readRawCheckpoints } from '../../src/store/sqlite';
import { countStoredLog } from '../../src/store/sqlite/audit-stats';
import { assertBuilt, CLI, cliRunner, ROOT, keepSignedLog } from '../helpers/cli';
import { boatRequest, createTestGateway, vesselAnswer } from '../helpers/gateway';

let dir: string;
let db: string;
let pubkey: string;
let receiptFile: string;
let disclosureSeq: number;

const fsg = cliRunner(() => path.join(dir, 'data'));

beforeAll(async () => {
  assertBuilt();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-audit-cli-'));
  const gw = await createTestGateway();
  const anna = { Authorization: `Bearer ${await gw.token('anna')}` };
  const bram = { Authorization: `Bearer ${await gw.token('bram')}` };
  const id = (await gw.http.post('/api/v1/requests').set(anna).send(boatRequest())).body.id;
  const answer = await gw.http.post(`/api/v1/requests/${id}/answer`).set(bram).send(vesselAnswer());
  await gw.http
    .post(`/api/v1/requests/${id}/approve`)
    .set(bram)
    .send({ previewVersion: answer.body.previewVersion });
  // The analyst keeps the receipt: a partner's own copy of a signed checkpoint.
  const receipt = (await gw.http.get(`/api/v1/requests/${id}/receipt`).set(anna)).body;
  disclosureSeq = receipt.seq;
  receiptFile = path.join(dir, 'receipt.json');
  fs.writeFileSync(receiptFile, receiptText(receipt));
  await gw.store.audit.append([{ type: 'note', actor: 'system', partners: [], data: {} }]);
  ({ db, pubkey } = await keepSignedLog(gw, dir));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('fsg audit', () => {
  it('prints help for the audit commands', () => {
    const res = fsg(['audit', '--help']);
    expect(res.code).toBe(0);
    for (const command of ['verify', 'export', 'verify-receipt', 'checkpoint'])
      expect(res.out).toContain(`  ${command}`);
  });

  it('verify checks a database against its signed checkpoints with the pinned key', () => {
    const res = fsg(['audit', 'verify', '--db', db, '--pubkey', pubkey]);
    expect(res.code).toBe(0);
    expect(res.out).toMatch(/^\d+ entries verified; head #\d+ [0-9a-f]{64}\n/);
    expect(res.out).toMatch(/checkpoints: (\d+) of \1 reproduced/);
    expect(res.out).toContain('signatures checked with key');
    expect(res.out).toMatch(/\nverdict: ok \(\d+ entries, \d+ checkpoints, 0 after the newest\)\n$/);
    // Piped, no progress line: the progress is for a terminal only.
    expect(res.err).toBe('');
    // No key pinned and none configured (this data folder has no gateway yet): no verification at all.
    const unpinned = fsg(['audit', 'verify', '--db', db]);
    expect(unpinned.code).toBe(2);
    expect(unpinned.err).toMatch(/give --pubkey/);
  });

  it('verify --fast checks the chain and the roots on worker threads and says what it skipped', () => {
    const res = fsg(['audit', 'verify', '--db', db, '--pubkey', pubkey, '--fast']);
    expect(res.code).toBe(0);
    const full = fsg(['audit', 'verify', '--db', db, '--pubkey', pubkey]);
    // Same verdict, head and checkpoints as the full run; plus what --fast did not look at, less the
    // statistics (counted again by the full run only).
    expect(res.out.split('\n').filter((l) => !l.startsWith('--fast'))).toEqual(
      full.out.split('\n').filter((l) => !l.startsWith('statistics:')),
    );
    expect(full.out).toMatch(/\nstatistics: the \d+ stored counts are what the entries make\n/);
    expect(res.out).toContain('NOT checked: canonical form of the bodies, the columns');
    expect(fsg(['audit', 'verify', '--export', db, '--fast']).err).toMatch(/--fast verifies a database/);
  });

  it('verify --fast names an altered entry and a truncated log as the full run does', () => {
    const altered = path.join(dir, 'altered.sqlite');
    fs.copyFileSync(db, altered);
    const sql = new Database(altered);
    sql.exec('DROP TRIGGER audit_log_no_update');
    const change = sql.prepare('UPDATE audit_log SET body = replace(body, ?, ?) WHERE seq = ?');
    expect(change.run('"tlp":"AMBER"', '"tlp":"CLEAR"', disclosureSeq).changes).toBe(1);
    sql.close();
    const res = fsg(['audit', 'verify', '--db', altered, '--pubkey', pubkey, '--fast']);
    expect(res.code).toBe(1);
    expect(res.out).toContain(`the parallel check stopped (entry #${disclosureSeq}: hash)`);
    expect(res.out).toContain(`verdict: FAILED at entry #${disclosureSeq}: hash-mismatch: `);
    const full = fsg(['audit', 'verify', '--db', altered, '--pubkey', pubkey]);
    expect(res.out).toContain(full.out);
  });

  it('verify-receipt checks a receipt offline, and fails once a byte of it changes', () => {
    const ok = fsg(['audit', 'verify-receipt', receiptFile, '--pubkey', pubkey]);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(
      new RegExp(`^ok: entry #${disclosureSeq} \\(disclosure, request [0-9a-f-]{36}\\) is in the log`),
    );
    const bytes = fs.readFileSync(receiptFile);
    const i = bytes.indexOf('"rootHash":"') + 20;
    bytes[i] = bytes[i] === 0x61 ? 0x62 : 0x61;
    const bad = path.join(dir, 'bad-receipt.json');
    fs.writeFileSync(bad, bytes);
    const res = fsg(['audit', 'verify-receipt', bad, '--pubkey', pubkey]);
    expect(res.code).toBe(1);
    expect(res.out).toMatch(/^FAILED: /);
  });

  it('export writes JSON Lines that verify, and a deleted line is named', () => {
    const file = path.join(dir, 'log.jsonl');
    const res = fsg(['audit', 'export', '--db', db, '--format', 'jsonl', '--out', file]);
    expect(res.code).toBe(0);
    // Its one line, and no progress (piped: the progress is for a terminal only).
    expect(res.err).toMatch(/^exported \d+ entries and \d+ checkpoints[^\n\r]*\n$/);
    const ok = fsg(['audit', 'verify', '--export', file, '--pubkey', pubkey]);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('complete export of');

    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const cut = path.join(dir, 'cut.jsonl');
    fs.writeFileSync(cut, [...lines.slice(0, 4), ...lines.slice(5)].join('\n'));
    const bad = fsg(['audit', 'verify', '--export', cut, '--pubkey', pubkey]);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('verdict: FAILED at entry #4: removed: ');
  });

  it('export writes CSV to standard output, filtered by partner and time', () => {
    const res = fsg([
      'audit',
      'export',
      '--db',
      db,
      '--format',
      'csv',
      '--partner',
      'boatreg-nl',
      '--from',
      '2000-01-01',
    ]);
    expect(res.code).toBe(0);
    const rows = res.out.trimEnd().split('\r\n');
    expect(rows[0]).toBe(
      'seq,ts,type,actor_user,actor_partner,partners,request_id,agreement_id,outcome,data,prev_hash,hash,redacted',
    );
    expect(rows.length).toBeGreaterThan(3);
    expect(rows.slice(1).every((r) => r.includes('boatreg-nl'))).toBe(true);
    expect(fsg(['audit', 'export', '--db', db, '--format', 'csv', '--from', 'someday']).err).toMatch(
      /--from/,
    );
  });

  it('verify names a truncated log, even with its checkpoints cut too: from the tree nodes left, or a receipt a partner kept', () => {
    const file = path.join(dir, 'truncated.sqlite');
    fs.copyFileSync(db, file);
    let sql = new Database(file);
    sql.pragma('foreign_keys = OFF');
    for (const trigger of [
      'audit_log_no_delete',
      'audit_partners_no_delete',
      'audit_hashes_no_delete',
      'audit_checkpoints_no_delete',
    ])
      sql.exec('DROP TRIGGER ' + trigger);
    for (const table of ['audit_partners', 'audit_hashes', 'audit_log'])
      sql.prepare('DELETE FROM ' + table + ' WHERE seq >= ?').run(disclosureSeq);
    sql.prepare('DELETE FROM audit_checkpoints WHERE tree_size >= ?').run(disclosureSeq);
    sql.close();
    const left = fsg(['audit', 'verify', '--db', file, '--pubkey', pubkey]);
    expect(left.code).toBe(1);
    expect(left.out).toContain(`verdict: FAILED at entry #${disclosureSeq}: truncated: `);
    expect(left.out).toContain('stored Merkle tree has a node over entries');
    // The tree cut back too.
    sql = new Database(file);
    sql.exec('DROP TRIGGER audit_tree_no_delete');
    sql.prepare('DELETE FROM audit_tree WHERE (idx + 1) * (1 << level) >= ?').run(disclosureSeq);
    sql.close();
    // The statistics still count the entries cut off.
    const counted = fsg(['audit', 'verify', '--db', file, '--pubkey', pubkey]);
    expect(counted.code).toBe(1);
    expect(counted.out).toMatch(/\nverdict: FAILED: statistics: the stored count of \w+ on /);
    // Counted again without them too: only what a partner kept outside the log shows it.
    sql = new Database(file);
    sql.exec('DROP TRIGGER audit_stats_no_delete');
    sql.exec('DELETE FROM audit_stats');
    countStoredLog(
      sql,
      new Map(sql.prepare<[], [string, string]>('SELECT * FROM audit_stats_zones').raw().all()),
    );
    sql.close();
    expect(fsg(['audit', 'verify', '--db', file, '--pubkey', pubkey]).code).toBe(0);
    const res = fsg(['audit', 'verify', '--db', file, '--pubkey', pubkey, '--checkpoint', receiptFile]);
    expect(res.code).toBe(1);
    expect(res.out).toContain(`verdict: FAILED at entry #${disclosureSeq}: truncated: `);
    const fast = fsg([
      'audit',
      'verify',
      '--db',
      file,
      '--pubkey',
      pubkey,
      '--checkpoint',
      receiptFile,
      '--fast',
    ]);
    expect(fast.code).toBe(1);
    expect(fast.out).toContain(`verdict: FAILED at entry #${disclosureSeq}: truncated: `);
  });

  // A real process starts, the demo's datasets seeded first: its own waits are the limit, not jest's 5 s.
  it('serve signs a checkpoint at shutdown, and checkpoint and verify work on the configured store', async () => {
    const env = {
      PATH: process.env.PATH,
      FSG_DATA_DIR: path.join(dir, 'data'),
      FSG_PORT: '0',
      FSG_LOG_LEVEL: 'silent',
    };
    const child = spawn(process.execPath, [CLI, 'serve'], { cwd: ROOT, env });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start: ${out}`)), 20_000);
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (/curl .*\n/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const store = path.join(dir, 'data', 'gateway.sqlite');
    const checkpoints = readRawCheckpoints(store).map((c) => JSON.parse(c));
    const head = new Database(store, { readonly: true })
      .prepare('SELECT max(seq) AS n FROM audit_log')
      .get() as { n: number };
    expect(checkpoints[checkpoints.length - 1].treeSize).toBe(head.n);

    const verified = fsg(['audit', 'verify']);
    expect(verified.code).toBe(0);
    expect(verified.out).toContain('signatures checked with key');
    expect(verified.out).toMatch(/this run is logged as entry #\d+/);
    const signed = fsg(['audit', 'checkpoint']);
    expect(signed.code).toBe(0);
    expect(JSON.parse(signed.out)).toMatchObject({ type: 'fsg.checkpoint/v1', treeSize: head.n + 1 });
  }, 60_000);
});
