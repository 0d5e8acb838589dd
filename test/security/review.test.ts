/**
 * Review of issue 15 as merged: what an attacker with any partner's token, or a curious partner DPO or
 * admin, could still get past the Five Safes, and what a crash could do to the start-up check. Each test
 * is named after its hole (R1…), and each such test failed on the code as merged; the SIGKILL test
 * found no hole and stands guard.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AuditEntry } from '../../src/audit/types';
import type { Identity } from '../../src/auth/identity';
import { issueDemoToken } from '../../src/auth/demo-tokens';
import { loadConfig } from '../../src/config/load';
import { assemble } from '../../src/gateway';
import type { Agreement } from '../../src/policy/types';
import { memoryQuotas, takeDailyQuota, type QuotaKey } from '../../src/quotas/daily-quotas';
import { startOfLocalDay } from '../../src/time/zones';
import { openSqliteStore } from '../../src/store/sqlite';
import { assertBuilt } from '../helpers/cli';
import { serveGateway } from '../helpers/serve';
import { boatRequest, createTestGateway, type TestGateway } from '../helpers/gateway';
import { portalSession, portalTokenSession } from '../helpers/portal-session';

let gw: TestGateway;
const auth: Record<string, { Authorization: string }> = {};
const DAY_MS = 86_400_000;
const dayFromNow = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString().slice(0, 10);

/** A person in the registry with `roles` (and their token), beside the demo's users. */
async function accredit(partnerId: string, userId: string, roles: string[]): Promise<void> {
  await gw.store.accreditations.put(
    {
      userId,
      partnerId,
      displayName: `${userId} (${partnerId})`,
      roles: roles as never,
      vettingLevel: 3,
      trainedOn: dayFromNow(-10),
      expiresOn: dayFromNow(300),
      suspended: false,
    },
    [],
  );
  const token = await issueDemoToken({
    userId,
    partner: gw.bundle.partners.get(partnerId)!,
    bundleDir: gw.bundle.dir,
    audience: loadConfig({}).auth.audience,
    ttlSeconds: 3600,
    mfa: true,
  });
  auth[userId] = { Authorization: `Bearer ${token}` };
}

beforeAll(async () => {
  gw = await createTestGateway({ FSG_DEMO_DATASETS: 'true' });
  for (const user of ['anna', 'dana', 'ada', 'ben'])
    auth[user] = { Authorization: `Bearer ${await gw.token(user)}` };
  await accredit('boatreg-nl', 'bea', ['dpo']);
  await accredit('insureco', 'ines', ['dpo']);
  await accredit('gateway', 'cara', ['admin']);
  await accredit('autodealers-nl', 'dora', ['dpo']);
}, 30_000);
afterAll(() => gw.close());

describe('hole R1: the portal’s forms show the agreements only to those who may use them', () => {
  const FORMS = [
    '/portal/lookup',
    '/portal/requests/new',
    '/portal/requests/new?agreement=stolen-boats&dataset=boatreg-nl/vessels',
  ];
  /** What the forms tell of an agreement: its id, title, case-reference form, datasets and fields. */
  const TERMS = ['stolen-boats', 'stolen-vehicles', 'agreed form', '\\d{4}', 'vessels', 'classification'];

  /** Every form refused to the session, with none of the terms. */
  async function expectNoForms(cookie: string): Promise<void> {
    for (const form of FORMS) {
      const res = await gw.http.get(form).set('Cookie', cookie).set('Accept', 'text/html');
      expect(res.status).toBe(403);
      for (const term of TERMS) expect(res.text).not.toContain(term);
    }
  }

  it('hole R1: a validly-tokened caller without accreditation sees no agreement, case-reference form or dataset', async () => {
    const mallory = await gw.token('mallory', { partner: 'police-nl' });
    await expectNoForms((await portalTokenSession(gw.http, mallory)).cookie);
  });

  it('hole R1: an accredited user of the partner who may not search or request (its DPO) sees none either', async () => {
    await expectNoForms((await portalSession(gw.http, 'dana')).cookie);
  });

  it('the analyst still gets the forms', async () => {
    const { cookie } = await portalSession(gw.http, 'anna');
    for (const form of FORMS) {
      const res = await gw.http.get(form).set('Cookie', cookie);
      expect(res.status).toBe(200);
      expect(res.text).toContain('stolen-boats');
    }
  });
});

describe("hole R2/R3: a provider DPO's view of a lookup keeps the hashes of its own hits only", () => {
  /** Hits boatreg-nl and insureco (both hold it), then boatreg-nl alone. */
  const BOTH = 'NL-HXAB7A33G293';
  const BOATREG_ONLY = 'DE-SEA00042F212';
  let whole: AuditEntry & { redacted?: string[] };

  const lookups = async (user: string, query = ''): Promise<(AuditEntry & { redacted?: string[] })[]> => {
    const res = await gw.http.get(`/api/v1/audit/events?type=lookup&outcome=permit${query}`).set(auth[user]);
    expect(res.status).toBe(200);
    return res.body.items;
  };
  const hashes = (entry: AuditEntry) => entry.data.identifierHashes as string[];

  beforeAll(async () => {
    const res = await gw.http
      .post('/api/v1/lookups')
      .set(auth.anna)
      .send({
        agreementId: 'stolen-boats',
        purpose: 'stolen-property-investigation',
        caseRef: 'NL-2026-000778',
        identifiers: [
          { type: 'hin', value: BOTH },
          { type: 'hin', value: BOATREG_ONLY },
        ],
      });
    expect(res.status).toBe(200);
    expect(res.body.hits.filter((h: { query: number }) => h.query === 1)).toEqual([
      expect.objectContaining({ providerId: 'boatreg-nl' }),
    ]);
    [whole] = await lookups('dana');
    expect(hashes(whole)).toHaveLength(2);
  });

  it("hole R2: a provider's DPO does not see the keyed hash of an identifier that did not hit it", async () => {
    const [mine] = await lookups('ines');
    expect(mine.seq).toBe(whole.seq);
    expect(hashes(mine)).toEqual([hashes(whole)[0]]);
    expect(mine.data.hits).toEqual([expect.objectContaining({ providerId: 'insureco', query: 0 })]);
    expect(mine.redacted).toEqual(['partners', 'data.hits', 'data.identifierHashes', 'data.invalid']);
    for (const format of ['jsonl', 'csv']) {
      const exported = await gw.http.get(`/api/v1/audit/export?format=${format}`).set(auth.ines);
      expect(exported.status).toBe(200);
      expect(exported.text).toContain(hashes(whole)[0]);
      expect(exported.text).not.toContain(hashes(whole)[1]);
    }
    // The provider both identifiers hit sees both, each hit naming its place in the shorter list.
    const [bea] = await lookups('bea');
    expect(hashes(bea)).toEqual(hashes(whole));
    expect((bea.data.hits as { query: number }[]).map((h) => h.query).sort()).toEqual([0, 1]);
  });

  it("hole R3: a provider DPO's identifier search finds a lookup only through an identifier that hit its partner", async () => {
    const search = (user: string, value: string) =>
      lookups(user, `&identifier=${encodeURIComponent(`hin:${value}`)}`).then((items) =>
        items.map((e) => e.seq),
      );
    expect(await search('ines', BOATREG_ONLY)).toEqual([]);
    expect(await search('ines', BOTH)).toContain(whole.seq);
    expect(await search('bea', BOATREG_ONLY)).toContain(whole.seq);
    expect(await search('dana', BOATREG_ONLY)).toContain(whole.seq);
  });
});

describe('hole R7: a request to a partner outside its agreement does not reach that partner’s DPO', () => {
  it('hole R7: the log entries of a request naming a provider that is no party to the agreement name the requester only', async () => {
    const sent = [
      { by: auth.anna, caseRef: 'NL-2026-000781' },
      {
        by: { Authorization: `Bearer ${await gw.token('mallory', { partner: 'police-nl' })}` },
        caseRef: 'NL-2026-000782',
      },
    ];
    const ids: string[] = [];
    for (const { by, caseRef } of sent) {
      const res = await gw.http
        .post('/api/v1/requests')
        .set(by)
        .send(boatRequest({ providerId: 'autodealers-nl', caseRef }));
      expect(res.status).toBe(403);
      ids.push(res.body.requestId);
    }
    const seen = await gw.http.get('/api/v1/audit/events?limit=1000').set(auth.dora);
    expect(seen.status).toBe(200);
    for (const term of [...ids, ...sent.map((s) => s.caseRef)]) expect(seen.text).not.toContain(term);
    // The requester's DPO sees both.
    const own = await gw.http.get('/api/v1/audit/events?limit=1000').set(auth.dana);
    for (const id of ids) expect(own.text).toContain(id);
  });
});

describe('hole R4: a role grant is approved by two admins who both still are, to an active person', () => {
  const propose = (by: string, partnerId: string, userId: string, role: string) =>
    gw.http
      .post(`/api/v1/admin/accreditations/${partnerId}/${userId}/role-grants`)
      .set(auth[by])
      .send({ role });
  const approve = (by: string, id: string) =>
    gw.http.post(`/api/v1/admin/role-grants/${id}/approve`).set(auth[by]).send({});
  const rolesOf = async (partnerId: string, userId: string) =>
    (await gw.store.accreditations.get(partnerId, userId))?.roles;
  const setAdmin = async (userId: string, admin: boolean) => {
    const entry = (await gw.store.accreditations.get('gateway', userId))!;
    await gw.store.accreditations.put({ ...entry, roles: admin ? ['admin'] : [] }, []);
  };

  it('hole R4: a grant whose proposer has lost admin since cannot be approved', async () => {
    await accredit('police-nl', 'piet', ['analyst']);
    const proposed = await propose('ben', 'police-nl', 'piet', 'dpo');
    expect(proposed.status).toBe(201);
    await setAdmin('ben', false);
    try {
      const res = await approve('cara', proposed.body.id);
      expect(res.status).toBe(409);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(await rolesOf('police-nl', 'piet')).toEqual(['analyst']);
      expect((await gw.store.roleGrants.get(proposed.body.id))?.state).toBe('pending');
    } finally {
      await setAdmin('ben', true);
    }
  });

  it('hole R4: no privileged role is proposed to, or approved for, a suspended person', async () => {
    await accredit('police-nl', 'joost', ['analyst']);
    const proposed = await propose('ada', 'police-nl', 'joost', 'dpo');
    expect(proposed.status).toBe(201);
    const suspended = await gw.http
      .post('/api/v1/admin/accreditations/police-nl/joost/suspend')
      .set(auth.ben)
      .send({ reason: 'under investigation' });
    expect(suspended.status).toBe(200);
    expect((await approve('ben', proposed.body.id)).status).toBe(409);
    expect(await rolesOf('police-nl', 'joost')).toEqual(['analyst']);
    expect((await propose('ada', 'police-nl', 'joost', 'admin')).status).toBe(409);
  });

  it('hole R4: an approver whose admin is revoked while the approval is on its way grants nothing', async () => {
    await accredit('police-nl', 'kees', ['analyst']);
    const proposed = await propose('ada', 'police-nl', 'kees', 'dpo');
    expect(proposed.status).toBe(201);
    const grants = gw.store.roleGrants;
    const decide = grants.decide.bind(grants);
    // The revocation commits after the approver passed the guard, before the approval's transaction.
    grants.decide = async (...args) => {
      await setAdmin('cara', false);
      return decide(...args);
    };
    try {
      const res = await approve('cara', proposed.body.id);
      expect(res.status).toBe(403);
      expect(await rolesOf('police-nl', 'kees')).toEqual(['analyst']);
      expect((await gw.store.roleGrants.get(proposed.body.id))?.state).toBe('pending');
    } finally {
      grants.decide = decide;
      await setAdmin('cara', true);
    }
  });
});

describe("hole R5: a quota's day begins at local midnight also on the days the clocks change", () => {
  const AMSTERDAM = 'Europe/Amsterdam';

  it.each([
    // 25 October 2026: 03:00 CEST becomes 02:00 CET at 01:00 UTC; the day began at 22:00 UTC (CEST).
    ['autumn, before the change', '2026-10-25T00:30:00Z', '2026-10-24T22:00:00.000Z'],
    ['autumn, after the change', '2026-10-25T10:00:00Z', '2026-10-24T22:00:00.000Z'],
    // 29 March 2026: 02:00 CET becomes 03:00 CEST at 01:00 UTC; the day began at 23:00 UTC (CET).
    ['spring, before the change', '2026-03-29T00:30:00Z', '2026-03-28T23:00:00.000Z'],
    ['spring, after the change', '2026-03-29T10:00:00Z', '2026-03-28T23:00:00.000Z'],
    ['an ordinary day', '2026-07-01T10:00:00Z', '2026-06-30T22:00:00.000Z'],
  ])('hole R5: %s', (_name, now, start) => {
    expect(startOfLocalDay(new Date(now), AMSTERDAM).toISOString()).toBe(start);
  });

  it('hole R5: the uses of the first hours still count after the clocks went back', async () => {
    const agreement = { id: 'stolen-boats', timezone: AMSTERDAM } as Agreement;
    const anna = { partnerId: 'police-nl', userId: 'anna' } as Identity;
    let now = new Date('2026-10-24T22:30:00Z'); // 00:30 CEST
    // The store's count: the uses written since the key's day began, as countSince counts them.
    const written: Date[] = [];
    const count = async (key: QuotaKey) => written.filter((at) => at >= key.since).length;
    const quotas = memoryQuotas(count, () => now);
    const use = async () => {
      const taken = await takeDailyQuota(quotas, anna, agreement, true, now);
      written.push(now);
      taken!.settle();
      return taken!.before;
    };
    expect([await use(), await use(), await use()]).toEqual([0, 1, 2]);
    now = new Date('2026-10-25T10:00:00Z'); // 11:00 CET, the same local day
    expect(await use()).toBe(3);
  });
});

describe('hole R6: a first start stopped before it signed does not stop the gateway starting again', () => {
  const folders: string[] = [];
  afterAll(() => folders.forEach((f) => fs.rmSync(f, { recursive: true, force: true })));

  /** A data folder whose log holds `entries` and no checkpoint, as a start killed before signing leaves it. */
  async function crashed(entries: Parameters<ReturnType<typeof openSqliteStore>['audit']['append']>[0]) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-crashed-'));
    folders.push(dataDir);
    const config = loadConfig({ FSG_DATA_DIR: dataDir, FSG_LOG_LEVEL: 'silent', FSG_DEMO_DATASETS: 'false' });
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const store = openSqliteStore({ file: path.join(dataDir, config.store.file), lookupWriter: 'inline' });
    await store.audit.append(entries);
    await store.close();
    return () => assemble(config);
  }

  it("hole R6: a log holding only a start's own entries and no checkpoint is signed, not refused", async () => {
    const start = await crashed([
      { type: 'policy.load', actor: 'system', partners: ['police-nl'], outcome: 'loaded', data: {} },
      { type: 'accreditation.change', actor: 'system', partners: ['police-nl'], outcome: 'create', data: {} },
    ]);
    const started = await start();
    try {
      const latest = await started.store.audit.latestCheckpoint();
      expect(latest?.treeSize).toBeGreaterThanOrEqual(3);
    } finally {
      await started.store.close();
    }
  });

  it("a log with anyone else's entry and no checkpoint is still refused", async () => {
    const start = await crashed([
      { type: 'policy.load', actor: 'system', partners: ['police-nl'], outcome: 'loaded', data: {} },
      {
        type: 'lookup',
        actor: { partnerId: 'police-nl', userId: 'anna' },
        partners: ['police-nl'],
        outcome: 'permit',
        data: {},
      },
    ]);
    await expect(start()).rejects.toThrow(/audit log.*no-checkpoint/);
  });
});

describe('hole R6: a kill during writes', () => {
  it('a gateway killed (SIGKILL) while lookups are being written starts again on its log', async () => {
    assertBuilt();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-killed-'));
    try {
      const { child, listening, exited } = serveGateway({
        FSG_DATA_DIR: dataDir,
        FSG_DEMO_DATASETS: 'true',
        FSG_CHECKPOINT_EVERY_ENTRIES: '64',
      });
      const url = await listening;
      let answered = 0;
      let killed = false;
      const body = JSON.stringify({
        agreementId: 'stolen-boats',
        purpose: 'stolen-property-investigation',
        caseRef: 'NL-2026-000779',
        identifiers: [{ type: 'hin', value: 'NL-HXAB7A33G293' }],
      });
      const worker = async () => {
        while (!killed) {
          const res = await fetch(`${url}/api/v1/lookups`, {
            method: 'POST',
            headers: { ...auth.anna, 'Content-Type': 'application/json' },
            body,
          }).catch(() => undefined);
          await res?.arrayBuffer().catch(() => undefined);
          // Killed with lookups in flight: some of them are in the writer's transaction.
          if (res && ++answered === 150) {
            killed = true;
            child.kill('SIGKILL');
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      await exited;

      const started = await assemble(
        loadConfig({ FSG_DATA_DIR: dataDir, FSG_LOG_LEVEL: 'silent', FSG_DEMO_DATASETS: 'true' }),
      );
      try {
        const head = await started.store.audit.head();
        expect(head!.seq).toBeGreaterThan(150);
        expect((await started.store.audit.latestCheckpoint())!.treeSize).toBe(head!.seq);
      } finally {
        await started.store.close();
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
