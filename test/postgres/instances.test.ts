/**
 * Issue 18, item 4 and 5: three gateway processes on one PostgreSQL database (one schema), sharing a
 * data folder's keys (the deployment's checkpoint key and secrets, distributed to every instance).
 * A daily quota is one count across them; a request created on the first is answered on the second,
 * approved on the third and read on the first; under lookups and requests on all three at once, the
 * third is killed with SIGKILL; the other two keep serving; afterwards every acknowledged lookup and
 * request is in the database and `fsg audit verify --db postgres://…` finds the one log intact.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { issueDemoToken } from '../../src/auth/demo-tokens';
import { loadConfig } from '../../src/config/load';
import { loadBundle } from '../../src/policy/load';
import type { Bundle } from '../../src/policy/types';
import { openPgStore } from '../../src/store/postgres';
import { assertBuilt, CLI, ROOT } from '../helpers/cli';
import { boatLookup, boatRequest, vesselAnswer } from '../helpers/gateway';
import { serveGateway, type Served } from '../helpers/serve';
import { describePg, dropSchema, freshSchema, PG_URL, requirePostgres, testPool } from './pg-test';

describePg('three gateway instances on one PostgreSQL', () => {
  jest.setTimeout(180_000);
  const schema = freshSchema();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-instances-'));
  const env = {
    FSG_DATA_DIR: dataDir,
    FSG_STORE_KIND: 'postgres',
    FSG_DATABASE_URL: PG_URL,
    FSG_DATABASE_SCHEMA: schema,
    FSG_CHECKPOINT_EVERY_ENTRIES: '64',
  };
  const served: Served[] = [];
  const urls: string[] = [];
  let bundle: Bundle;
  const tokens: Record<string, string> = {};

  const token = (userId: string, partnerId: string) =>
    issueDemoToken({
      userId,
      partner: bundle.partners.get(partnerId)!,
      bundleDir: bundle.dir,
      audience: loadConfig({}).auth.audience,
      ttlSeconds: 3600,
      mfa: true,
    });

  const call = async (base: string, method: string, route: string, user: string, body?: unknown) => {
    const res = await fetch(`${base}/api/v1${route}`, {
      method,
      headers: {
        Authorization: `Bearer ${tokens[user]}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  const lookup = (i: number) => boatLookup({ caseRef: `NL-2026-${String(700000 + i).padStart(6, '0')}` });

  beforeAll(async () => {
    await requirePostgres();
    assertBuilt();
    bundle = await loadBundle(path.join(ROOT, 'policies'));
    for (const [user, partner] of [
      ['anna', 'police-nl'],
      ['bram', 'boatreg-nl'],
      ['sven', 'police-se'],
    ])
      tokens[user] = await token(user, partner);
    // The first start creates the keys, the schema and the demo data; the others join it.
    served.push(serveGateway({ ...env, FSG_DEMO_DATASETS: 'true' }));
    urls.push(await served[0].listening);
    for (let i = 1; i < 3; i++) served.push(serveGateway({ ...env, FSG_DEMO_DATASETS: 'false' }));
    urls.push(...(await Promise.all(served.slice(1).map((s) => s.listening))));
  });

  afterAll(async () => {
    for (const s of served) s.child.kill('SIGTERM');
    await Promise.all(served.map((s) => s.exited));
    await dropSchema(schema);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('a daily quota is one count across the instances: 60 lookups at once, exactly 50 permitted', async () => {
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => call(urls[i % 3], 'POST', '/lookups', 'anna', lookup(i))),
    );
    const permitted = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 403);
    expect(permitted).toHaveLength(50);
    expect(refused).toHaveLength(10);
    for (const r of refused) expect(JSON.stringify(r.body)).toMatch(/QUOTA/);
  });

  it('a request created on the first is answered on the second, approved on the third, read on the first', async () => {
    const created = await call(urls[0], 'POST', '/requests', 'anna', boatRequest());
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const answered = await call(urls[1], 'POST', `/requests/${id}/answer`, 'bram', vesselAnswer());
    expect(answered.status).toBe(200);
    const approved = await call(urls[2], 'POST', `/requests/${id}/approve`, 'bram', {
      previewVersion: answered.body.previewVersion,
    });
    expect(approved.status).toBe(200);
    expect(approved.body.state).toBe('disclosed');
    const read = await call(urls[0], 'GET', `/requests/${id}/disclosure`, 'anna');
    expect(read.status).toBe(200);
    expect(read.body.records).toEqual((answered.body.preview as { records: unknown }).records);
    // Approving again on another instance: one disclosure, a 409.
    const again = await call(urls[1], 'POST', `/requests/${id}/approve`, 'bram', {
      previewVersion: answered.body.previewVersion,
    });
    expect(again.status).toBe(409);
  });

  it('one instance killed with SIGKILL under load: nothing acknowledged is lost, the others serve, the log verifies', async () => {
    const lookupIds = new Set<string>();
    const requestIds = new Set<string>();
    let killed = false;
    let afterKill = 0;
    let n = 0;
    const worker = async (instance: number, kind: 'lookup' | 'request') => {
      for (let round = 0; round < 40; round++) {
        if (killed && instance === 2) return;
        const i = n++;
        const res =
          kind === 'lookup'
            ? await call(urls[instance], 'POST', '/lookups', 'sven', {
                ...lookup(i),
                caseRef: `SE-2026-${String(800000 + i).padStart(6, '0')}`,
              }).catch(() => undefined)
            : await call(
                urls[instance],
                'POST',
                '/requests',
                'anna',
                boatRequest({ caseRef: `NL-2026-${String(900000 + i).padStart(6, '0')}` }),
              ).catch(() => undefined);
        if (!res) continue;
        // An answer is an acknowledgement: a permit or a denial, each with its record.
        const id = (res.body.id ?? res.body.lookupId ?? res.body.requestId) as string | undefined;
        if (res.status === 200 || res.status === 201 || res.status === 403) {
          expect(id).toEqual(expect.any(String));
          (kind === 'lookup' ? lookupIds : requestIds).add(id!);
          if (killed) afterKill++;
        }
        if (!killed && lookupIds.size + requestIds.size >= 60) {
          killed = true;
          served[2].child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(
      [0, 1, 2].flatMap((instance) => [worker(instance, 'lookup'), worker(instance, 'request')]),
    );
    await served[2].exited;
    expect(killed).toBe(true);
    expect(afterKill).toBeGreaterThan(0);

    const store = await openPgStore({ connectionString: PG_URL, schema, max: 2 });
    try {
      for (const id of requestIds) expect((await store.requests.get(id))?.id).toBe(id);
    } finally {
      await store.close();
    }
    const pool = testPool(schema, { max: 1 });
    try {
      const { rows } = await pool.query<{ id: string }>(
        `SELECT body::json -> 'data' ->> 'lookupId' AS id FROM audit_log WHERE type = 'lookup'`,
      );
      const logged = new Set(rows.map((r) => r.id));
      const missing = [...lookupIds].filter((id) => !logged.has(id));
      expect(missing).toEqual([]);
    } finally {
      await pool.end();
    }

    const verified = spawnSync(
      process.execPath,
      [
        CLI,
        'audit',
        'verify',
        '--db',
        `${PG_URL}?schema=${schema}`,
        '--pubkey',
        path.join(dataDir, 'keys', 'checkpoint.pub.pem'),
      ],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH, FSG_LOG_LEVEL: 'silent' },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(verified.stdout).toMatch(/^verdict: ok/m);
    expect(verified.status).toBe(0);
  });
});
