/**
 * Partner screening over HTTP: an admin of the gateway records a partner's due diligence; a refused or
 * lapsed partner takes part in no exchange (the project safe's reason codes, a lookup's notSearched);
 * every screening is logged; DPOs read the history in their scope.
 */
import { boatLookup, boatRequest, createTestGateway, type TestGateway } from '../helpers/gateway';

let gw: TestGateway;
const tokens: Record<string, string> = {};
const auth = (user: string) => ({ Authorization: `Bearer ${tokens[user]}` });

const DAY_MS = 24 * 60 * 60 * 1000;
/** How far the test moved the gateway's clock. */
let moved = 0;
const day = (offsetDays: number) =>
  new Date(Date.now() + moved + offsetDays * DAY_MS).toISOString().slice(0, 10);

function screening(overrides: Record<string, unknown> = {}) {
  return {
    reviewedOn: day(0),
    outcome: 'cleared',
    conditions: [],
    riskNotes: 'Sanctions lists checked; no adverse media.',
    contact: { name: 'Partnership desk', email: 'desk@partner.example', phone: '+31 20 555 0000' },
    nextReviewOn: day(365),
    ...overrides,
  };
}

const insurecoRequest = () =>
  boatRequest({
    providerId: 'insureco',
    datasetId: 'theft-claims',
    fields: ['identifier', 'linkId', 'objectType', 'status', 'make', 'model'],
  });

const projectCodes = (body: { decision: { safes: { project: { reasons: { code: string }[] } } } }) =>
  body.decision.safes.project.reasons.map((r) => r.code);

const record = (partnerId: string, body: object, user = 'ada') =>
  gw.http.post(`/api/v1/partners/${partnerId}/screenings`).set(auth(user)).send(body);

beforeAll(async () => {
  gw = await createTestGateway();
  for (const user of ['anna', 'ada', 'dana', 'sam', 'bram', 'ruben']) tokens[user] = await gw.token(user);
});
afterAll(async () => gw?.close());

describe('recording a screening', () => {
  it('refuses a refused partner: a request to insureco is denied and a lookup leaves it out', async () => {
    const before = await gw.http.post('/api/v1/requests').set(auth('anna')).send(insurecoRequest());
    expect(before.status).toBe(201);

    const refused = await record(
      'insureco',
      screening({ outcome: 'refused', riskNotes: 'Open fraud inquiry.' }),
    );
    expect(refused.status).toBe(201);
    expect(refused.body.standing).toMatchObject({ partnerId: 'insureco', status: 'refused' });
    expect(refused.body.items[0].record).toMatchObject({
      outcome: 'refused',
      reviewer: { partnerId: 'gateway', userId: 'ada' },
    });

    const denied = await gw.http.post('/api/v1/requests').set(auth('anna')).send(insurecoRequest());
    expect(denied.status).toBe(403);
    expect(projectCodes(denied.body)).toContain('PROJECT_PARTNER_NOT_CLEARED');
    // boatreg-nl is still cleared: its requests go on.
    const boatreg = await gw.http.post('/api/v1/requests').set(auth('anna')).send(boatRequest());
    expect(boatreg.status).toBe(201);

    const lookup = await gw.http.post('/api/v1/lookups').set(auth('anna')).send(boatLookup());
    expect(lookup.status).toBe(200);
    const log = await gw.http.get('/api/v1/audit/events?type=lookup').set(auth('sam'));
    expect(log.body.items[0].data.notSearched).toEqual([
      { providerId: 'insureco', code: 'PROJECT_PARTNER_NOT_CLEARED' },
    ]);
  });

  it('lapses a clearance past its next review: the next request is denied with the lapse', async () => {
    const cleared = await record('boatreg-nl', screening({ nextReviewOn: day(5) }));
    expect(cleared.status).toBe(201);
    expect(cleared.body.standing.status).toBe('cleared');
    expect((await gw.http.post('/api/v1/requests').set(auth('anna')).send(boatRequest())).status).toBe(201);

    gw.advance(7 * DAY_MS);
    moved += 7 * DAY_MS;
    const lapsed = await gw.http.post('/api/v1/requests').set(auth('anna')).send(boatRequest());
    expect(lapsed.status).toBe(403);
    expect(projectCodes(lapsed.body)).toContain('PROJECT_PARTNER_SCREENING_LAPSED');
    const history = await gw.http.get('/api/v1/partners/boatreg-nl/screenings').set(auth('ada'));
    expect(history.body.standing).toMatchObject({
      status: 'lapsed',
      nextReviewOn: cleared.body.standing.nextReviewOn,
    });

    // A new screening with conditions clears it again.
    const again = await record(
      'boatreg-nl',
      screening({ outcome: 'cleared-with-conditions', conditions: ['Quarterly access review'] }),
    );
    expect(again.body.standing).toMatchObject({
      status: 'cleared-with-conditions',
      conditions: ['Quarterly access review'],
    });
    // The clock moved past anna's sign-in (the setting safe): the project safe is what this is about.
    const cleared2 = await gw.http.post('/api/v1/requests').set(auth('anna')).send(boatRequest());
    expect(cleared2.body.decision.safes.project).toMatchObject({ outcome: 'pass', reasons: [] });
    expect(again.body.items.map((s: { record: { outcome: string } }) => s.record.outcome)).toEqual([
      'cleared-with-conditions',
      'cleared',
      // The demo's seeded clearance, oldest.
      'cleared',
    ]);
  });

  it('logs each screening as partner.screening, without its notes or contact', async () => {
    const log = await gw.http.get('/api/v1/audit/events?type=partner.screening').set(auth('sam'));
    const mine = log.body.items.filter((e: { actor: unknown }) => JSON.stringify(e).includes('"ada"'));
    expect(
      mine.map((e: { outcome: string; data: { partnerId: string } }) => [e.data.partnerId, e.outcome]),
    ).toEqual([
      ['boatreg-nl', 'cleared-with-conditions'],
      ['boatreg-nl', 'cleared'],
      ['insureco', 'refused'],
    ]);
    expect(JSON.stringify(log.body)).not.toContain('Open fraud inquiry');
    expect(JSON.stringify(log.body)).not.toContain('desk@partner.example');
  });

  it('lets only the gateway’s admins record one', async () => {
    for (const user of ['anna', 'dana', 'sam', 'ruben']) {
      expect((await record('insureco', screening(), user)).status).toBe(403);
    }
  });

  it('answers 404 for an unknown partner', async () => {
    expect((await record('nobody', screening())).status).toBe(404);
  });

  it('refuses bad input with a pointer per problem', async () => {
    const bad = await record(
      'insureco',
      screening({
        outcome: 'cleared-with-conditions',
        conditions: [],
        contact: { name: '', email: 'not an email' },
        extra: true,
      }),
    );
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    const pointers = bad.body.errors.map((e: { pointer: string }) => e.pointer);
    expect(pointers).toEqual(
      expect.arrayContaining(['/conditions', '/contact/name', '/contact/email', '/extra']),
    );

    const dates = await record('insureco', screening({ reviewedOn: day(0), nextReviewOn: day(0) }));
    expect(dates.status).toBe(400);
    expect(dates.body.errors).toEqual([{ pointer: '/nextReviewOn', detail: 'must be after reviewedOn' }]);
    const far = await record('insureco', screening({ nextReviewOn: day(3 * 366 + 1) }));
    expect(far.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/nextReviewOn']);
    const future = await record('insureco', screening({ reviewedOn: day(10), nextReviewOn: day(20) }));
    expect(future.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/reviewedOn']);
  });
});

describe('reading screenings', () => {
  it('shows a partner’s DPO its own partner’s history only', async () => {
    const own = await gw.http.get('/api/v1/partners/police-nl/screenings').set(auth('dana'));
    expect(own.status).toBe(200);
    expect(own.body.standing).toMatchObject({ partnerId: 'police-nl', status: 'cleared' });
    expect((await gw.http.get('/api/v1/partners/insureco/screenings').set(auth('dana'))).status).toBe(404);
    const all = await gw.http.get('/api/v1/partnership/screenings').set(auth('dana'));
    expect(all.body.items.map((s: { partnerId: string }) => s.partnerId)).toEqual(['police-nl']);
  });

  it('shows the supervisor’s DPO and the gateway’s admins every partner', async () => {
    for (const user of ['sam', 'ada']) {
      const insureco = await gw.http.get('/api/v1/partners/insureco/screenings').set(auth(user));
      expect(insureco.status).toBe(200);
      expect(insureco.body.standing.status).toBe('refused');
      const all = await gw.http.get('/api/v1/partnership/screenings').set(auth(user));
      const standing = Object.fromEntries(
        all.body.items.map((s: { partnerId: string; status: string }) => [s.partnerId, s.status]),
      );
      expect(standing).toMatchObject({
        insureco: 'refused',
        'boatreg-nl': 'cleared-with-conditions',
        'police-nl': 'cleared',
      });
    }
  });

  it('is refused to those who are neither', async () => {
    for (const user of ['anna', 'bram', 'ruben']) {
      expect((await gw.http.get('/api/v1/partnership/screenings').set(auth(user))).status).toBe(403);
    }
  });
});
