/**
 * `fsg migrate-store`: a SQLite deployment (a real gateway's: demo datasets, requests answered,
 * approved and declined, lookups, a role grant, a portal session, checkpoints) moved into an empty
 * PostgreSQL schema. The copy verifies with the deployment's key, with the same head and checkpoints,
 * and holds the same state through the port; a second run into the same schema, and a source whose log
 * was tampered with, are refused with nothing written.
 */
import type { KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { readPublicKey } from '../../src/audit/checkpoint';
import { verifyLogFile, verifyTail } from '../../src/audit/verify-file';
import type { DatasetRecord } from '../../src/datasets/types';
import { runMigrateStore } from '../../src/store/migrate-store';
import { openLogReader } from '../../src/store/open';
import type { Store } from '../../src/store/port';
import { openPgStore } from '../../src/store/postgres';
import { openSqliteStore } from '../../src/store/sqlite';
import { openSqliteCopySource } from '../../src/store/sqlite/copy-source';
import supertest from 'supertest';
import { ALL_SCOPE, type StatsCount } from '../../src/audit/stats';
import { loadConfig } from '../../src/config/load';
import { assemble } from '../../src/gateway';
import {
  answeredRequests,
  boatLookup,
  boatRequest,
  createTestGateway,
  type TestGateway,
} from '../helpers/gateway';
import { portalSession } from '../helpers/portal-session';
import { boatQuestion } from '../helpers/questions';
import { attacks, tamperedCopy } from '../helpers/tamper';
import { describePg, dropSchema, freshSchema, PG_URL, requirePostgres, testPool } from './pg-test';

const HIN = 'NL-HXAB7A33G293';

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const found: T[] = [];
  for await (const item of items) found.push(item);
  return found;
}

describePg('fsg migrate-store: SQLite into PostgreSQL', () => {
  jest.setTimeout(60_000);
  const schema = freshSchema();
  const otherSchema = freshSchema();
  const failedSchema = freshSchema();
  let gw: TestGateway;
  let file: string;
  let pubkey: string;
  let publicKey: KeyObject;
  let sqlite: Store;
  let pg: Store;
  let output: string[];
  let code: number;
  let questionId: string;

  const migrate = async (from: string, into: string) => {
    const lines: string[] = [];
    const exit = await runMigrateStore(
      { from, to: `${PG_URL}?schema=${into}`, pubkey },
      (line) => void lines.push(line),
    );
    return { exit, lines };
  };

  beforeAll(async () => {
    await requirePostgres();
    gw = await createTestGateway({ FSG_DEMO_DATASETS: 'true' });
    file = gw.dbFile;
    pubkey = path.join(gw.dataDir, 'keys', 'checkpoint.pub.pem');
    publicKey = readPublicKey(fs.readFileSync(pubkey, 'utf8'));
    // Requests in several states: approved (disclosed), declined, and one waiting.
    await answeredRequests(
      gw,
      2,
      (i) => `NL-2026-00050${i}`,
      (i) => (i === 0 ? 'approve' : 'decline'),
    );
    const anna = { Authorization: `Bearer ${await gw.token('anna')}` };
    expect((await gw.http.post('/api/v1/requests').set(anna).send(boatRequest())).status).toBe(201);
    // A question to the partnership: its requests carry the question's id and text.
    const question = await gw.http.post('/api/v1/questions').set(anna).send(boatQuestion());
    expect(question.status).toBe(201);
    questionId = question.body.questionId;
    for (const caseRef of ['NL-2026-000601', 'NL-2026-000602']) {
      const found = await gw.http.post('/api/v1/lookups').set(anna).send(boatLookup({ caseRef }));
      expect(found.status).toBe(200);
    }
    await gw.store.roleGrants.propose(
      {
        id: 'grant-1',
        subject: { partnerId: 'police-nl', userId: 'tom' },
        role: 'dpo',
        state: 'pending',
        proposer: { partnerId: 'police-nl', userId: 'ada' },
        proposedAt: new Date().toISOString(),
        decidedBy: null,
        decidedAt: null,
        reason: null,
      },
      [{ type: 'role.propose', actor: 'system', partners: ['police-nl'], data: { id: 'grant-1' } }],
    );
    await portalSession(gw.http, 'bram');
    await gw.checkpointer.checkpoint();
    await gw.store.close();

    ({ exit: code, lines: output } = await migrate(file, schema));
    sqlite = openSqliteStore({ file });
    pg = await openPgStore({ connectionString: PG_URL, schema });
  });

  afterAll(async () => {
    await pg?.close();
    await sqlite?.close();
    await dropSchema(schema);
    await dropSchema(otherSchema);
    await dropSchema(failedSchema);
    if (gw) fs.rmSync(gw.dataDir, { recursive: true, force: true });
  });

  it('migrates, and the copy verifies with the same key, head and checkpoints', async () => {
    expect({ code, last: output[output.length - 1] }).toEqual({
      code: 0,
      last: expect.stringMatching(/^done/),
    });
    const source = await verifyLogFile({
      log: await openLogReader({ kind: 'sqlite', file }),
      checkpoints: (await openLogReader({ kind: 'sqlite', file })).rawCheckpoints(),
      publicKey: publicKey,
    });
    const target = openLogReader({ kind: 'postgres', url: PG_URL, schema });
    const copy = await verifyLogFile({
      log: await target,
      checkpoints: (await target).rawCheckpoints(),
      publicKey: publicKey,
    });
    expect(source.ok).toBe(true);
    expect(copy.ok).toBe(true);
    // The copy's log is the source's and one more entry: the migration's own.
    expect(copy.entries).toBe(source.entries + 1);
    expect(copy.checkpoints.latest).toEqual(source.checkpoints.latest);
    expect(copy.checkpoints.total).toBe(source.checkpoints.total);
    const head = (await sqlite.audit.head())!;
    expect(await pg.audit.read(1, head.seq)).toEqual(await sqlite.audit.read(1, head.seq));
    expect(await pg.audit.readRawCheckpoints()).toEqual(await sqlite.audit.readRawCheckpoints());
    const logged = (await pg.audit.head())!;
    expect(logged).toMatchObject({
      seq: head.seq + 1,
      prevHash: head.hash,
      type: 'store.migrate',
      data: { from: 'sqlite', entries: head.seq, headSeq: head.seq, headHash: head.hash },
    });
    // What the gateway checks when it starts on the copy: the entries since the newest checkpoint.
    expect(
      await verifyTail({
        log: await openLogReader({ kind: 'postgres', url: PG_URL, schema }, 'tail'),
        publicKey,
      }),
    ).toMatchObject({ ok: true, headSeq: head.seq + 1 });
    // Proofs from the copied tree: the newest checkpoint's root is what the copy's nodes make.
    const latest = (await pg.audit.latestCheckpoint())!;
    expect(await pg.audit.consistencyProof(1, latest.treeSize)).toEqual(
      await sqlite.audit.consistencyProof(1, latest.treeSize),
    );
    expect(output).toEqual(
      expect.arrayContaining([expect.stringMatching(/^dataset boatreg-nl\/vessels: \d+ records/)]),
    );
  });

  it('copies every request, accreditation, role grant and portal session as it was', async () => {
    for (const partner of ['police-nl', 'boatreg-nl']) {
      expect(await pg.accreditations.list(partner)).toEqual(await sqlite.accreditations.list(partner));
    }
    expect(await pg.accreditations.list()).toEqual(await sqlite.accreditations.list());
    const requests = await sqlite.requests.listByRequester('police-nl');
    expect(new Set(requests.map((r) => r.state))).toEqual(
      new Set(['disclosed', 'declined', 'awaiting_provider']),
    );
    expect(await pg.requests.listByRequester('police-nl')).toEqual(requests);
    for (const r of requests) expect(await pg.requests.get(r.id)).toEqual(r);
    const asked = await sqlite.requests.listByQuestion(questionId);
    expect(asked.map((r) => r.question?.text)).toEqual([boatQuestion().text, boatQuestion().text]);
    expect(await pg.requests.listByQuestion(questionId)).toEqual(asked);
    expect(await pg.roleGrants.list()).toEqual(await sqlite.roleGrants.list());
    // The partnership's ledger (the demo's screenings and acceptances), record for record and numbered alike.
    const screenings = await sqlite.partnership.list('screening');
    expect(screenings.length).toBeGreaterThan(0);
    expect(await pg.partnership.list('screening')).toEqual(screenings);
    expect(await pg.partnership.list('acceptance')).toEqual(await sqlite.partnership.list('acceptance'));
    const pool = testPool(schema, { max: 1 });
    try {
      const { rows } = await pool.query<{ n: number }>('SELECT count(*)::bigint AS n FROM portal_sessions');
      expect(rows[0].n).toBeGreaterThan(0);
      expect(output).toEqual(
        expect.arrayContaining([expect.stringContaining(`${rows[0].n} portal sessions`)]),
      );
    } finally {
      await pool.end();
    }
    // Quotas start from the copied log: the same lookups counted.
    const since = new Date(Date.now() - 86_400_000);
    expect(await pg.lookups.countSince('police-nl', 'anna', 'stolen-boats', since)).toBe(
      await sqlite.lookups.countSince('police-nl', 'anna', 'stolen-boats', since),
    );
  });

  it('copies each dataset: its records, its last upload, and a lookup hits on the copy', async () => {
    const source = openSqliteCopySource(file);
    const datasets = source.datasets();
    source.close();
    expect(datasets.length).toBeGreaterThanOrEqual(3);
    const key = (r: DatasetRecord) => r.identifierKey;
    for (const { providerId, datasetId } of datasets) {
      const mine = (await all(sqlite.datasets.records(providerId, datasetId))).sort((a, b) =>
        key(a) < key(b) ? -1 : 1,
      );
      const copied = (await all(pg.datasets.records(providerId, datasetId))).sort((a, b) =>
        key(a) < key(b) ? -1 : 1,
      );
      expect(copied).toEqual(mine);
      expect(await pg.datasets.status(providerId, datasetId)).toEqual(
        await sqlite.datasets.status(providerId, datasetId),
      );
    }
    const vessel = (await all(sqlite.datasets.records('boatreg-nl', 'vessels'))).find((r) =>
      JSON.stringify(r.record).includes(HIN),
    )!;
    const scopes = datasets.map(({ providerId, datasetId }) => ({ providerId, datasetId }));
    const hits = await pg.datasets.lookup([vessel.identifierKey], scopes);
    expect(hits).toEqual(await sqlite.datasets.lookup([vessel.identifierKey], scopes));
    expect(hits.map((h) => h.providerId)).toContain('boatreg-nl');
    const resolved = await pg.datasets.resolve('boatreg-nl', 'vessels', [vessel.recordRef]);
    expect(resolved).toContainEqual(vessel);
    expect(resolved).toEqual(await sqlite.datasets.resolve('boatreg-nl', 'vessels', [vessel.recordRef]));
  });

  it("a gateway starts on the copy: the DPO's statistics are the source's, and a lookup hits over HTTP", async () => {
    const bySqlite = await sqlite.audit.statsCounts({ scope: ALL_SCOPE });
    expect(bySqlite.length).toBeGreaterThan(0);
    const started = await assemble(
      loadConfig({
        FSG_DATA_DIR: gw.dataDir,
        FSG_LOG_LEVEL: 'silent',
        FSG_DEMO_DATASETS: 'false',
        FSG_STORE_KIND: 'postgres',
        FSG_DATABASE_URL: PG_URL,
        FSG_DATABASE_SCHEMA: schema,
      }),
    );
    try {
      expect(started.store.kind).toBe('postgres');
      const sorted = (counts: StatsCount[]) =>
        counts.map((c) => `${c.agreement}/${c.measure}@${c.day}=${c.n}`).sort();
      const byPg = await started.store.audit.statsCounts({ scope: ALL_SCOPE });
      // The source's counts are all there (the copy adds the migration's and this start's entries).
      expect(sorted(byPg)).toEqual(expect.arrayContaining(sorted(bySqlite)));
      const anna = { Authorization: `Bearer ${await gw.token('anna')}` };
      const found = await supertest(started.handler)
        .post('/api/v1/lookups')
        .set(anna)
        .send(boatLookup({ caseRef: 'NL-2026-000603' }));
      expect(found.status).toBe(200);
      expect(found.body.hits.length).toBeGreaterThan(0);
    } finally {
      await started.store.close();
    }
  });

  it('refuses a second migration into the same schema, and writes nothing', async () => {
    const before = await pg.audit.head();
    const again = await migrate(file, schema);
    expect(again.exit).toBe(1);
    expect(again.lines.join('\n')).toMatch(/refused: the target schema is not empty/);
    expect(await pg.audit.head()).toEqual(before);
  });

  it('refuses a source whose log was tampered with, and creates nothing', async () => {
    // A body changed with its hash and columns recomputed: only the signed checkpoints catch it.
    const bad = tamperedCopy(file, gw.dataDir, attacks.editAndRehash(5));
    const refused = await migrate(bad, otherSchema);
    expect(refused.exit).toBe(1);
    expect(refused.lines.join('\n')).toMatch(
      /verdict: FAILED at entry #5[\s\S]*refused: the source log does not verify/,
    );
    const pool = testPool('public', { max: 1 });
    try {
      const { rows } = await pool.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [
        otherSchema,
      ]);
      expect(rows).toEqual([]);
    } finally {
      await pool.end();
    }
  });

  it('rolls a copy that fails midway back whole, so that a rerun into the same schema succeeds', async () => {
    // A dataset whose stored count its records do not make: found after the log and the state are in.
    const odd = tamperedCopy(file, gw.dataDir, (db) =>
      db.prepare("UPDATE dataset_versions SET records = records + 1 WHERE provider_id = 'boatreg-nl'").run(),
    );
    await expect(migrate(odd, failedSchema)).rejects.toThrow(
      /the copy failed and was rolled back \(the target schema is as it was\): dataset boatreg-nl/,
    );
    const pool = testPool(failedSchema, { max: 1 });
    try {
      for (const table of ['audit_log', 'audit_tree', 'audit_checkpoints', 'requests', 'dataset_records']) {
        const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM ${table}`);
        expect({ table, rows: rows[0].n }).toEqual({ table, rows: 0 });
      }
    } finally {
      await pool.end();
    }
    expect((await migrate(file, failedSchema)).exit).toBe(0);
  });
});
