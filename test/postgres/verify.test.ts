/**
 * Issue 18: `fsg audit verify --db postgres://…?schema=…` verifies a PostgreSQL log (the sequential
 * verifier over a reader loaded in one snapshot), and a log changed behind the gateway's back fails,
 * naming the entry; the start-up check (the tail since the newest checkpoint) reads it the same way.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSigner } from '../../src/audit/checkpoint';
import { runVerify } from '../../src/audit/commands';
import type { AuditEventInput, TreeHead } from '../../src/audit/types';
import { verifyTail } from '../../src/audit/verify-file';
import { openLogReader, storeAt } from '../../src/store/open';
import type { Store } from '../../src/store/port';
import { openPgStore } from '../../src/store/postgres';
import { describePg, dropSchema, freshSchema, PG_URL, requirePostgres, testPool } from './pg-test';

describePg('fsg audit verify on a PostgreSQL log', () => {
  jest.setTimeout(60_000);
  const schema = freshSchema();
  const url = `${PG_URL}?schema=${schema}`;
  const { privateKey } = crypto.generateKeyPairSync('ed25519');
  const signer = createSigner(privateKey);
  const sign = (head: TreeHead) => signer.sign(head, new Date().toISOString());
  let dir: string;
  let pubkey: string;
  let store: Store;

  const note = (i: number): AuditEventInput => ({
    type: 'test',
    actor: { userId: `u${i}`, partnerId: 'police-nl' },
    partners: ['police-nl', 'insureco'],
    data: { i, identifierHashes: [crypto.createHash('sha256').update(String(i)).digest('hex')] },
  });

  const verify = async (): Promise<{ code: number; lines: string[] }> => {
    const lines: string[] = [];
    const code = await runVerify({ db: url, pubkey, dataDir: '' }, (l) => lines.push(l));
    return { code, lines };
  };

  beforeAll(async () => {
    await requirePostgres();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-pg-verify-'));
    pubkey = path.join(dir, 'checkpoint.pub.pem');
    fs.writeFileSync(pubkey, signer.publicKey.export({ type: 'spki', format: 'pem' }));
    store = await openPgStore({ connectionString: PG_URL, schema });
    for (let i = 0; i < 40; i++) await store.audit.append([note(i), note(i + 1000)]);
    await store.audit.checkpoint(sign);
    for (let i = 40; i < 45; i++) await store.audit.append([note(i)]);
  });

  afterAll(async () => {
    await store.close();
    await dropSchema(schema);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('verifies the whole log: chain, tree, indexes and the checkpoint, noting the unsigned tail', async () => {
    const { code, lines } = await verify();
    expect(code).toBe(0);
    expect(lines.join('\n')).toMatch(/^85 entries verified; head #85 [0-9a-f]{64}$/m);
    expect(lines.join('\n')).toMatch(/checkpoints: 1 of 1 reproduced; the newest signs 80 entries/);
    expect(lines.join('\n')).toMatch(/5 entries are after the newest checkpoint/);
    expect(lines[lines.length - 1]).toMatch(/^verdict: ok/);
  });

  it('the start-up check reads only the tail after the newest checkpoint, and passes it', async () => {
    const log = await openLogReader(storeAt(url), 'tail');
    const report = await verifyTail({ log, publicKey: signer.publicKey });
    expect(report.ok).toBe(true);
    expect(report.entries).toBe(85);
  });

  it('fails an entry changed behind the gateway, naming it, in the full run and in the tail check', async () => {
    const pool = testPool(schema, { max: 1 });
    try {
      // The owner can lift the append-only triggers: the chain and the checkpoint are what catch it.
      await pool.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
      const changed = await pool.query(
        `UPDATE audit_log SET body = replace(body, '"u41"', '"u49"') WHERE seq = 82 AND body LIKE '%"u41"%'`,
      );
      expect(changed.rowCount).toBe(1);
    } finally {
      await pool.end();
    }
    const { code, lines } = await verify();
    expect(code).toBe(1);
    expect(lines.join('\n')).toMatch(/before entry #82/);
    expect(lines[lines.length - 1]).toMatch(/^verdict: FAILED at entry #82/);
    const tail = await verifyTail({
      log: await openLogReader(storeAt(url), 'tail'),
      publicKey: signer.publicKey,
    });
    expect(tail.ok).toBe(false);
    expect(tail.firstBroken?.seq).toBe(82);
  });
});
