/**
 * Issue 21, items 3-5 over HTTP: whom to call, overdue requests, outcomes, and the monitoring and
 * evaluation report (its figures and who may read it).
 */
import { screeningEvent } from '../../src/partnership/events';
import { PartnershipRegistry } from '../../src/partnership/registry';
import { quarterOf } from '../../src/partnership/period';
import type { Screening } from '../../src/partnership/types';
import { localDate } from '../../src/time/zones';
import { portalSession } from '../helpers/portal-session';
import {
  boatLookup,
  boatRequest,
  createTestGateway,
  vesselAnswer,
  type TestGateway,
} from '../helpers/gateway';

const HOUR = 3_600_000;
let gw: TestGateway;
const auth = async (user: string) => ({ Authorization: `Bearer ${await gw.token(user)}` });
let disclosedId: string;
let openId: string;

beforeAll(async () => {
  gw = await createTestGateway();
  const anna = await auth('anna');
  const bram = await auth('bram');
  // One disclosed, one left open, one denied (a purpose outside the agreement).
  disclosedId = (await gw.http.post('/api/v1/requests').set(anna).send(boatRequest())).body.id;
  const answer = await gw.http.post(`/api/v1/requests/${disclosedId}/answer`).set(bram).send(vesselAnswer());
  await gw.http
    .post(`/api/v1/requests/${disclosedId}/approve`)
    .set(bram)
    .send({ previewVersion: answer.body.previewVersion })
    .expect(200);
  openId = (
    await gw.http
      .post('/api/v1/requests')
      .set(anna)
      .send(boatRequest({ caseRef: 'NL-2026-000124' }))
  ).body.id;
  await gw.http
    .post('/api/v1/requests')
    .set(anna)
    .send(boatRequest({ purpose: 'marketing' }))
    .expect(403);
  // A table: counted among the requests, apart (the gateway computes it: no provider's response time).
  const table = await gw.http
    .post('/api/v1/requests')
    .set(anna)
    .send({
      agreementId: 'stolen-boats',
      providerId: 'boatreg-nl',
      datasetId: 'vessels',
      purpose: 'stolen-property-investigation',
      caseRef: 'NL-2026-000125',
      query: { type: 'aggregate', groupBy: ['make'], measure: 'count' },
    });
  expect(table.status).toBe(201);
});
afterAll(() => gw.close());

const period = () => quarterOf(localDate(new Date(), 'Europe/Amsterdam')).label;
const report = async (user: string, query = `?period=${period()}`) =>
  gw.http.get(`/api/v1/agreements/stolen-boats/report${query}`).set(await auth(user));

describe('whom to call', () => {
  it('the request view carries both sides’ contacts', async () => {
    const res = await gw.http
      .get(`/api/v1/requests/${openId}`)
      .set(await auth('bram'))
      .expect(200);
    expect(res.body.contacts.requester.contactPoint).toMatchObject({ name: 'Anna de Vries' });
    expect(res.body.contacts.provider.escalation).toMatchObject({ email: 'directie@boatreg.example' });
  });
});

describe('outcomes', () => {
  it('is refused before disclosure (409), to another analyst (404), with a bad kind (400)', async () => {
    const anna = await auth('anna');
    await gw.http
      .post(`/api/v1/requests/${openId}/outcomes`)
      .set(anna)
      .send({ kind: 'owner-traced' })
      .expect(409);
    await gw.http
      .post(`/api/v1/requests/${disclosedId}/outcomes`)
      .set(await auth('tom'))
      .send({ kind: 'owner-traced' })
      .expect(404);
    await gw.http
      .post(`/api/v1/requests/${disclosedId}/outcomes`)
      .set(anna)
      .send({ kind: 'party' })
      .expect(400);
    await gw.http
      .post(`/api/v1/requests/${disclosedId}/outcomes`)
      .set(anna)
      .send({ kind: 'no-value', note: 'x'.repeat(501) })
      .expect(400);
  });

  it('records the analyst’s outcome, lists it, and logs the note only as a digest', async () => {
    const anna = await auth('anna');
    const res = await gw.http
      .post(`/api/v1/requests/${disclosedId}/outcomes`)
      .set(anna)
      .send({ kind: 'object-recovered', note: 'Boat found in Harlingen marina' })
      .expect(201);
    expect(res.body).toMatchObject({
      kind: 'object-recovered',
      source: { kind: 'request', id: disclosedId },
    });
    const list = await gw.http.get(`/api/v1/requests/${disclosedId}/outcomes`).set(anna).expect(200);
    expect(list.body.items).toHaveLength(1);
    const logged = await gw.store.audit.query({ types: ['outcome.recorded'] }, { order: 'asc', limit: 10 });
    expect(logged).toHaveLength(1);
    expect(logged[0].partners.sort()).toEqual(['boatreg-nl', 'police-nl']);
    expect(JSON.stringify(logged[0])).not.toContain('Harlingen');
  });

  it('finds a lookup only for the analyst who made it, and takes no outcome of a lookup without a hit', async () => {
    // No demo datasets here: the lookup has no hit.
    const lookup = await gw.http
      .post('/api/v1/lookups')
      .set(await auth('anna'))
      .send(boatLookup());
    expect(lookup.body.hits).toEqual([]);
    const url = `/api/v1/lookups/${lookup.body.id}/outcomes`;
    await gw.http
      .post(url)
      .set(await auth('tom'))
      .send({ kind: 'owner-traced' })
      .expect(404);
    await gw.http
      .post(url)
      .set(await auth('anna'))
      .send({ kind: 'owner-traced' })
      .expect(409);
  });
});

describe('the report', () => {
  it('counts the period’s activity, denials, outcomes and response times', async () => {
    const res = await report('anna');
    expect(res.status).toBe(200);
    const { activity, outcomes, responseTimes, inForce } = res.body;
    expect(activity.total).toMatchObject({ requests: 4, tables: 1, detailRequests: 3 });
    expect(activity.total.denials).toBe(1);
    expect(activity.total.disclosures).toBe(1);
    expect(activity.total.recordsReleased).toBeGreaterThan(0);
    expect(activity.total.lookups).toBe(1);
    expect(activity.deniedBySafe.project).toBe(1);
    expect(Object.keys(activity.denialReasons).length).toBeGreaterThan(0);
    const boats = outcomes.goals.find((g: { id: string }) => g.id === 'boats-recovered');
    expect(boats).toMatchObject({ target: 5, achieved: 1 });
    const boatreg = responseTimes.providers.find(
      (p: { providerId: string }) => p.providerId === 'boatreg-nl',
    );
    expect(boatreg).toMatchObject({ received: 2, answered: 1, overdue: 0 });
    expect(boatreg.medianHours).not.toBeNull();
    expect(inForce).toMatchObject({ now: true, why: [] });
    // The demo's acceptances by the three parties and the policy load, all at this gateway's start.
    expect(res.body.changes.acceptances.map((a: { partnerId: string }) => a.partnerId).sort()).toEqual([
      'boatreg-nl',
      'insureco',
      'police-nl',
    ]);
    expect(res.body.changes.policyLoads[0]).toMatchObject({ agreementVersion: 4, changed: false });
  });

  it('is read by the parties’ contact points and DPOs, and is no agreement to anyone else', async () => {
    // Contact points, a party's DPO, an escalation contact (legal), the gateway's admin.
    for (const user of ['anna', 'dana', 'bram', 'lotte', 'ada'])
      expect((await report(user)).status).toBe(200);
    for (const user of ['tom', 'dirk']) expect((await report(user)).status).toBe(404);
  });

  it('refuses a period it cannot read (400) and defaults to the current quarter', async () => {
    expect((await report('anna', '?period=2026-Q5')).status).toBe(400);
    expect((await report('anna', '')).body.period.label).toBe(period());
  });

  it('shows a lapsed screening inside the period', async () => {
    const registry = new PartnershipRegistry(gw.store, () => new Date(), Infinity, Buffer.alloc(32, 7));
    const q = quarterOf(localDate(new Date(), 'Europe/Amsterdam'));
    const screening: Screening = {
      partnerId: 'insureco',
      reviewedOn: q.fromDay,
      reviewer: { partnerId: 'gateway', userId: 'ada' },
      outcome: 'cleared',
      conditions: [],
      riskNotes: '',
      contact: { name: 'Iris Smit', email: 'fraud@insureco.example' },
      nextReviewOn: q.fromDay,
    };
    await registry.recordScreenings([screening], [screeningEvent(screening, registry.digest)]);
    const res = await report('bram');
    const insureco = res.body.screening.find((s: { partnerId: string }) => s.partnerId === 'insureco');
    expect(insureco.today).toBe('lapsed');
    const next = new Date(Date.parse(`${q.fromDay}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    expect(insureco.duringPeriod).toContainEqual({ status: 'lapsed', since: next });
  });
});

describe('the portal', () => {
  const page = async (user: string, url: string) => {
    const { cookie } = await portalSession(gw.http, user);
    return gw.http.get(url).set('Cookie', cookie);
  };

  it('shows whom to call on both sides’ request pages', async () => {
    const analyst = await page('anna', `/portal/requests/${openId}`);
    expect(analyst.text).toContain('Whom to call at boatreg-nl');
    expect(analyst.text).toContain('href="mailto:info@boatreg.example"');
    const responder = await page('bram', `/portal/requests/${openId}`);
    expect(responder.text).toContain('Whom to call at police-nl');
    expect(responder.text).toContain('Lotte Vermeer');
  });

  it('records an outcome from the disclosed request page, and lists it', async () => {
    const { cookie, csrf } = await portalSession(gw.http, 'anna');
    const before = await gw.http.get(`/portal/requests/${disclosedId}`).set('Cookie', cookie);
    expect(before.text).toContain('What did this lead to?');
    expect(before.text).toContain(`action="/portal/requests/${disclosedId}/outcomes"`);
    const posted = await gw.http
      .post(`/portal/requests/${disclosedId}/outcomes`)
      .set('Cookie', cookie)
      .type('form')
      .send({ _csrf: csrf, kind: 'owner-traced', note: 'Owner called back' });
    expect(posted.status).toBe(303);
    const after = await gw.http.get(`/portal/requests/${disclosedId}`).set('Cookie', cookie);
    expect(after.text).toContain('owner-traced');
    expect(after.text).toContain('Owner called back');
    // Not before disclosure: no form on the open request.
    expect((await page('anna', `/portal/requests/${openId}`)).text).not.toContain('What did this lead to?');
  });

  it('draws the printable report for its readers, and no agreement for anyone else', async () => {
    const res = await page('dana', `/portal/partnership/reports/stolen-boats?period=${period()}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('<svg');
    expect(res.text).toContain('Print or save as PDF');
    expect(res.text).toContain('class="report-section"');
    expect(res.text).not.toMatch(/<script/i);
    expect((await page('tom', '/portal/partnership/reports/stolen-boats')).status).toBe(404);
    const list = await page('bram', '/portal/partnership/reports');
    expect(list.text).toContain('/portal/partnership/reports/stolen-boats');
    expect(list.text).not.toContain('/portal/partnership/reports/stolen-vehicles');
    expect((await page('bram', '/portal/')).text).toContain('/portal/partnership/reports');
  });
});

describe('overdue', () => {
  it('marks a request past the response time in the provider’s inbox', async () => {
    const bram = await auth('bram');
    const before = await gw.http.get('/api/v1/inbox').set(bram).expect(200);
    expect(before.body.items.find((i: { id: string }) => i.id === openId).overdue).toBe(false);
    gw.advance(73 * HOUR);
    const after = await gw.http.get('/api/v1/inbox').set(bram).expect(200);
    const item = after.body.items.find((i: { id: string }) => i.id === openId);
    expect(item.overdue).toBe(true);
    expect(Date.parse(item.overdueSince) - Date.parse(item.createdAt)).toBe(72 * HOUR);
  });

  it('marks it in the portal’s inbox and counts it on the provider’s contact point’s home page', async () => {
    const { cookie } = await portalSession(gw.http, 'bram');
    const inbox = await gw.http.get('/portal/inbox').set('Cookie', cookie);
    expect(inbox.text).toContain('1 request overdue');
    expect(inbox.text).toContain('Overdue since');
    const home = await gw.http.get('/portal/').set('Cookie', cookie);
    expect(home.text).toContain('1 request overdue');
    const request = await gw.http.get(`/portal/requests/${openId}`).set('Cookie', cookie);
    expect(request.text).toContain('Overdue since');
  });
});
