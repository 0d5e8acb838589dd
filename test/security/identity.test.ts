/**
 * Hole 3 of issue 15: a person is (partner, user), never a user id alone. A token from another
 * partner's issuer with the same `sub` is someone else: not that user's quota, not their accreditation,
 * not their name in the log, and a refusal says nothing about them.
 */
import type { AuditEntry } from '../../src/audit/types';
import { checkPeople } from '../../src/safes/people';
import { baselineScenario, policyEnforcer, toBundle } from '../helpers/bundle-fixture';
import { createTestGateway, type TestGateway } from '../helpers/gateway';

let gw: TestGateway;
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
let tokens: Record<string, string>;

const VIN = '1M8GDM9AXKP042788';
const carRequest = (caseRef: string) => ({
  agreementId: 'stolen-vehicles',
  providerId: 'autodealers-nl',
  datasetId: 'sales-ledger',
  identifiers: [{ type: 'vin', value: VIN }],
  recordRefs: [],
  fields: ['identifier', 'make', 'model'],
  purpose: 'stolen-property-investigation',
  caseRef,
});
const carLookup = (caseRef: string) => ({
  agreementId: 'stolen-vehicles',
  identifiers: [{ type: 'vin', value: VIN }],
  purpose: 'stolen-property-investigation',
  caseRef,
});

beforeAll(async () => {
  gw = await createTestGateway();
  tokens = {
    sven: await gw.token('sven'),
    anna: await gw.token('anna'),
    sam: await gw.token('sam'),
    ada: await gw.token('ada'),
    // Trusted issuers, borrowed names: police-nl's issuer says "sven", police-se's says "tom" and "anna".
    svenAtNl: await gw.token('sven', { partner: 'police-nl' }),
    tomAtSe: await gw.token('tom', { partner: 'police-se' }),
    annaAtSe: await gw.token('anna', { partner: 'police-se' }),
  };
});
afterAll(() => gw.close());

const codes = (safe: { reasons: { code: string }[] }) => safe.reasons.map((r) => r.code);

describe('hole 3: a person is (partner, user)', () => {
  /**
   * The agreement's daily quota (50) of calls to `path` by police-nl's "sven", then one by police-se's
   * sven, which must not find his quota used up.
   */
  async function borrowedQuota(path: string, body: (caseRef: string) => object) {
    for (let i = 0; i < 50; i++) {
      const res = await gw.http.post(path).set(bearer(tokens.svenAtNl)).send(body('NL-2026-000001'));
      expect(res.status).toBe(403);
    }
    return gw.http.post(path).set(bearer(tokens.sven)).send(body('SE-2026-000001'));
  }

  it('hole 3: a police-nl token with the sub of police-se sven does not use up sven’s request quota', async () => {
    const real = await borrowedQuota('/api/v1/requests', carRequest);
    expect(real.status).toBe(201);
    expect(codes(real.body.decision.safes.project)).toEqual([]);
  });

  it('hole 3: … nor sven’s lookup quota', async () => {
    expect((await borrowedQuota('/api/v1/lookups', carLookup)).status).toBe(200);
  });

  it('hole 3: a police-se token with the sub of a police-nl user is not that user, and learns nothing of them', async () => {
    // tom (police-nl) has training 500 days old: none of that may show in a police-se caller's refusal.
    const res = await gw.http
      .post('/api/v1/requests')
      .set(bearer(tokens.tomAtSe))
      .send(carRequest('SE-2026-000002'));
    expect(res.status).toBe(403);
    // An unknown caller is told the codes that say so, and nothing of the agreement.
    expect(res.body.reasons).toEqual(['PEOPLE_UNKNOWN_USER']);
    expect(res.body.decision).toBeUndefined();
    expect(JSON.stringify(res.body)).not.toMatch(/TRAINING|VETTING|PARTNER_MISMATCH|vehicle-crime/);
    // The guard, too, finds no accreditation for (police-se, tom).
    expect((await gw.http.get('/api/v1/requests').set(bearer(tokens.tomAtSe))).status).toBe(403);
  });

  it('hole 3: the log names police-se as the actor partner, and the DPO filters by (partner, user)', async () => {
    const denied = await gw.http
      .post('/api/v1/requests')
      .set(bearer(tokens.annaAtSe))
      .send(carRequest('SE-2026-000003'));
    expect(denied.status).toBe(403);
    const mine = await gw.http
      .post('/api/v1/requests')
      .set(bearer(tokens.anna))
      .send(carRequest('NL-2026-000003'));
    expect(mine.status).toBe(201);

    const entries = (await gw.store.audit.read(1, 100_000)).filter(
      (e) => e.requestId === denied.body.requestId,
    );
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) expect([e.actorPartner, e.actorUser]).toEqual(['police-se', 'anna']);

    const byActor = async (user: string): Promise<AuditEntry[]> => {
      const res = await gw.http
        .get(`/api/v1/audit/events?user=${encodeURIComponent(user)}&limit=1000`)
        .set(bearer(tokens.sam));
      expect(res.status).toBe(200);
      return res.body.items;
    };
    const se = await byActor('police-se:anna');
    const nl = await byActor('police-nl:anna');
    expect(se.map((e) => e.requestId)).toContain(denied.body.requestId);
    expect(se.every((e) => e.actorPartner === 'police-se' && e.actorUser === 'anna')).toBe(true);
    expect(nl.map((e) => e.requestId)).toContain(mine.body.id);
    expect(nl.every((e) => e.actorPartner === 'police-nl' && e.actorUser === 'anna')).toBe(true);

    // A user id alone is ambiguous: refused with a pointer, not guessed.
    const bare = await gw.http.get('/api/v1/audit/events?user=anna').set(bearer(tokens.sam));
    expect(bare.status).toBe(400);
    expect(bare.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(bare.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/user']);
  });

  it('hole 3: the admin API addresses an accreditation by (partner, user)', async () => {
    const admin = bearer(tokens.ada);
    expect((await gw.http.get('/api/v1/admin/accreditations/police-nl/anna').set(admin)).body).toMatchObject({
      partnerId: 'police-nl',
      userId: 'anna',
    });
    expect((await gw.http.get('/api/v1/admin/accreditations/police-se/anna').set(admin)).status).toBe(404);

    // Another anna, at police-se: a second person, whose entry and suspension leave police-nl's anna alone.
    const created = await gw.http
      .put('/api/v1/admin/accreditations/police-se/anna')
      .set(admin)
      .send({
        displayName: 'Anna Berg',
        roles: ['analyst'],
        vettingLevel: 3,
        trainedOn: new Date().toISOString().slice(0, 10),
        expiresOn: '2030-01-01',
        suspended: false,
      });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ partnerId: 'police-se', userId: 'anna', displayName: 'Anna Berg' });
    const suspended = await gw.http
      .post('/api/v1/admin/accreditations/police-se/anna/suspend')
      .set(admin)
      .send({ reason: 'left the force' });
    expect(suspended.status).toBe(200);
    expect(await gw.store.accreditations.get('police-se', 'anna')).toMatchObject({ suspended: true });
    expect(await gw.store.accreditations.get('police-nl', 'anna')).toMatchObject({
      suspended: false,
      displayName: 'Anna de Vries',
    });
    expect((await gw.http.get('/api/v1/requests').set(bearer(tokens.anna))).status).toBe(200);
    expect((await gw.http.get('/api/v1/requests').set(bearer(tokens.annaAtSe))).status).toBe(403);

    const list = await gw.http.get('/api/v1/admin/accreditations').set(admin);
    const annas = list.body.items.filter((u: { userId: string }) => u.userId === 'anna');
    expect(annas.map((u: { partnerId: string }) => u.partnerId).sort()).toEqual(['police-nl', 'police-se']);

    const change = (await gw.store.audit.read(1, 100_000)).filter(
      (e) => e.type === 'accreditation.change' && e.outcome === 'suspend',
    );
    expect(change.at(-1)?.data.subject).toEqual({ partnerId: 'police-se', userId: 'anna' });
  });
});

describe('hole 3: the people safe, defensively', () => {
  it('hole 3: an accreditation of another partner that reaches the people safe yields the mismatch alone', async () => {
    const s = baselineScenario();
    s.ctx.accreditation = {
      ...s.ctx.accreditation!,
      partnerId: 'police-se',
      trainedOn: '2020-01-01',
      vettingLevel: 0,
      suspended: true,
    };
    const result = checkPeople(s.input, s.identity, s.ctx, toBundle(s, await policyEnforcer()));
    expect(result).toEqual({
      outcome: 'fail',
      reasons: [{ code: 'PEOPLE_PARTNER_MISMATCH', message: expect.any(String) }],
    });
  });
});
