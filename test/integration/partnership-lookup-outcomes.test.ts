/**
 * What a hit led to (issue 21, item 4), with the demo datasets loaded so that a lookup hits: the API
 * and the portal's results page, and the report's count of hits and outcomes.
 */
import { boatLookup, createTestGateway, type TestGateway } from '../helpers/gateway';
import { portalSession } from '../helpers/portal-session';

let gw: TestGateway;
const auth = async (user: string) => ({ Authorization: `Bearer ${await gw.token(user)}` });

beforeAll(async () => {
  gw = await createTestGateway({ FSG_DEMO_DATASETS: 'true' });
});
afterAll(() => gw.close());

it('records the analyst’s outcome of a lookup that hit, logged for the providers hit', async () => {
  const lookup = await gw.http
    .post('/api/v1/lookups')
    .set(await auth('anna'))
    .send(boatLookup())
    .expect(200);
  expect(lookup.body.hits.length).toBeGreaterThan(0);
  const url = `/api/v1/lookups/${lookup.body.id}/outcomes`;
  await gw.http
    .post(url)
    .set(await auth('anna'))
    .send({ kind: 'bogus' })
    .expect(400);
  const res = await gw.http
    .post(url)
    .set(await auth('anna'))
    .send({ kind: 'object-recovered', note: 'Engine found at a scrapyard' })
    .expect(201);
  expect(res.body.source).toEqual({ kind: 'lookup', id: lookup.body.id });
  const [entry] = await gw.store.audit.query({ types: ['outcome.recorded'] }, { order: 'asc', limit: 5 });
  const hitBy = lookup.body.hits.map((h: { providerId: string }) => h.providerId);
  expect(entry.partners.sort()).toEqual([...new Set(['police-nl', ...hitBy])].sort());
  expect(JSON.stringify(entry)).not.toContain('scrapyard');

  const report = await gw.http.get('/api/v1/agreements/stolen-boats/report').set(await auth('anna'));
  expect(report.body.activity.total.hits).toBe(lookup.body.hits.length);
  expect(report.body.outcomes.byKind).toEqual({ 'object-recovered': 1 });
});

it('offers the outcome form on the portal’s results page of a lookup that hit', async () => {
  const { cookie, csrf } = await portalSession(gw.http, 'anna');
  const lookup = boatLookup();
  const res = await gw.http.post('/portal/lookup').set('Cookie', cookie).type('form').send({
    _csrf: csrf,
    agreementId: lookup.agreementId,
    identifiers: 'hin:NL-HXAB7A33G293',
    purpose: lookup.purpose,
    caseRef: lookup.caseRef,
  });
  expect(res.status).toBe(200);
  const action = /action="(\/portal\/lookups\/[0-9a-f-]{36}\/outcomes)"/.exec(res.text)?.[1];
  expect(action).toBeDefined();
  const posted = await gw.http
    .post(action!)
    .set('Cookie', cookie)
    .type('form')
    .send({ _csrf: csrf, kind: 'owner-traced' });
  expect([posted.status, posted.headers.location]).toEqual([303, '/portal/lookup']);
});
