/**
 * Four eyes on tables: under `review.fourEyes` a table the gateway computed needs two responders of
 * the provider. The first approval names its approver (with their exception reason and handling) on a
 * new preview version and releases nothing; another responder releases it, and the disclosure entry
 * names both. A responder cannot replace the gateway's table with records of their own.
 */
import { bearerOf, fourEyesBundle, gatewayWithFourEyes } from '../helpers/four-eyes';
import { createTestGateway, type TestGateway } from '../helpers/gateway';
import { csrfOf, portalSession, portalTokenSession } from '../helpers/portal-session';

/** Insurer claims for 12 Bayliner boats, each insured for 40,000; one claim's value is missing. */
function boatClaims(): string {
  return JSON.stringify(
    Array.from({ length: 12 }, (_, i) => ({
      claimId: `CLM-2026-${String(500 + i).padStart(4, '0')}`,
      insuredObject: {
        kind: 'boat',
        identifiers: [{ scheme: 'HIN', value: `NL-BAY${String(20000 + i)}A626` }],
        make: 'Bayliner',
        model: 'M',
        year: 2019,
        ...(i === 0 ? {} : { insuredValue: 40_000 }),
      },
      theft: { date: `2026-05-1${i % 9}`, place: 'Utrecht' },
      reportedAt: '2026-06-30T10:00:00Z',
    })),
  );
}

async function gatewayWithClaims(fourEyes: boolean): Promise<TestGateway> {
  const gw = await gatewayWithFourEyes(fourEyes);
  const upload = await gw.http
    .put('/api/v1/datasets/theft-claims/records?adapter=insureco&mode=replace')
    .set(await bearerOf(gw, 'iris'))
    .set('Content-Type', 'application/json')
    .send(boatClaims());
  expect(upload.status).toBe(200);
  expect(upload.body.quarantined).toBe(0);
  return gw;
}

let caseNo = 0;
/**
 * Anna's table of the insurer's boats by make under stolen-boats (providerApproval): a count passes
 * the output check, a sum of insured values goes to review (one value is missing).
 */
async function heldTable(gw: TestGateway, measure: 'count' | 'sum' = 'count') {
  const created = await gw.http
    .post('/api/v1/requests')
    .set(await bearerOf(gw, 'anna'))
    .send({
      agreementId: 'stolen-boats',
      providerId: 'insureco',
      datasetId: 'theft-claims',
      purpose: 'stolen-property-investigation',
      caseRef: `NL-2026-${String(700000 + ++caseNo)}`,
      query: {
        type: 'aggregate',
        groupBy: ['make'],
        measure: measure === 'count' ? 'count' : { sum: 'insuredValue' },
        objectType: 'boat',
      },
    });
  expect(created.status).toBe(201);
  expect(created.body.state).toBe('answered');
  const id = created.body.id as string;
  const stored = (await gw.store.requests.get(id))!;
  expect(stored.preview?.table).toBeDefined();
  expect(stored.preview?.outputCheck.outcome).toBe(measure === 'count' ? 'pass' : 'review');
  expect(stored.previewVersion).toBe(1);
  return id;
}

async function approve(gw: TestGateway, id: string, user: string, body: Record<string, unknown>) {
  return gw.http
    .post(`/api/v1/requests/${id}/approve`)
    .set(await bearerOf(gw, user))
    .send(body);
}

async function entriesOf(gw: TestGateway, id: string, type: string) {
  return (await gw.store.audit.read(1, 100_000)).filter((e) => e.requestId === id && e.type === type);
}

const IRIS = { partnerId: 'insureco', userId: 'iris' };
const agreedConditions = [
  "No onward disclosure without the provider's permission.",
  "Not for use in judicial proceedings without the provider's permission.",
];

let gw: TestGateway;
beforeAll(async () => {
  gw = await gatewayWithClaims(true);
}, 30_000);
afterAll(() => gw.close());

describe('four eyes on a table', () => {
  it('the first approval names its approver on a new preview version, logs it and releases nothing', async () => {
    const id = await heldTable(gw);
    const first = await approve(gw, id, 'iris', { previewVersion: 1 });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({
      id,
      state: 'answered',
      previewVersion: 2,
      awaiting: 'second-approval',
      preparedBy: IRIS,
    });
    const stored = (await gw.store.requests.get(id))!;
    expect(stored.state).toBe('answered');
    expect(stored.previewVersion).toBe(2);
    expect(stored.preview?.preparedBy).toEqual(IRIS);
    expect(stored.disclosure).toBeNull();
    const logged = (await entriesOf(gw, id, 'request.state')).filter((e) => e.data.from === 'answered');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      actorPartner: 'insureco',
      actorUser: 'iris',
      outcome: 'answered',
      data: { from: 'answered', to: 'answered', step: 'first-approval', handling: { tlp: 'AMBER' } },
    });
    expect(await entriesOf(gw, id, 'disclosure')).toHaveLength(0);
    const early = await gw.http.get(`/api/v1/requests/${id}/disclosure`).set(await bearerOf(gw, 'anna'));
    expect(early.status).toBe(409);
  });

  it('the first approver cannot release it too, and a stale page releases nothing', async () => {
    const id = await heldTable(gw);
    expect((await approve(gw, id, 'iris', { previewVersion: 1 })).status).toBe(202);
    const again = await approve(gw, id, 'iris', { previewVersion: 2 });
    expect(again.status).toBe(403);
    expect(again.type).toBe('application/problem+json');
    expect(again.body.type).toMatch(/\/four-eyes-required$/);
    // ivo's page still shows version 1: the table as first approved is version 2.
    const stale = await approve(gw, id, 'ivo', { previewVersion: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body.previewVersion).toBe(2);
    const stored = (await gw.store.requests.get(id))!;
    expect([stored.state, stored.previewVersion, stored.disclosure]).toEqual(['answered', 2, null]);
    expect(await entriesOf(gw, id, 'disclosure')).toHaveLength(0);
  });

  it('a stale page cannot make the first approval either', async () => {
    const id = await heldTable(gw);
    expect((await approve(gw, id, 'iris', { previewVersion: 1 })).status).toBe(202);
    // ivo approves the version he saw before iris's approval: no second first approval over hers.
    const stale = await approve(gw, id, 'ivo', { previewVersion: 1 });
    expect(stale.status).toBe(409);
    expect((await gw.store.requests.get(id))?.preview?.preparedBy).toEqual(IRIS);
  });

  it('another responder of the provider releases it; the disclosure entry names both', async () => {
    const id = await heldTable(gw);
    expect((await approve(gw, id, 'iris', { previewVersion: 1 })).status).toBe(202);
    expect((await approve(gw, id, 'bea', { previewVersion: 2 })).status).toBe(404);
    const second = await approve(gw, id, 'ivo', { previewVersion: 2 });
    expect(second.status).toBe(200);
    expect(second.body.state).toBe('disclosed');
    expect(second.body.receipt).not.toBeNull();
    const [disclosure] = await entriesOf(gw, id, 'disclosure');
    expect([disclosure.actorPartner, disclosure.actorUser]).toEqual(['insureco', 'ivo']);
    expect(disclosure.data.preparedBy).toEqual(IRIS);
    expect(disclosure.data.kind).toBe('aggregate');
    const read = await gw.http.get(`/api/v1/requests/${id}`).set(await bearerOf(gw, 'anna'));
    expect(read.status).toBe(200);
    expect(JSON.stringify(read.body)).not.toContain('iris');
    const table = await gw.http.get(`/api/v1/requests/${id}/disclosure`).set(await bearerOf(gw, 'anna'));
    expect(table.status).toBe(200);
    expect(table.body.table.dimensions).toEqual([['Bayliner']]);
  });

  it('a table under review takes both reasons, and logs each with its name', async () => {
    const id = await heldTable(gw, 'sum');
    const bare = await approve(gw, id, 'iris', { previewVersion: 1 });
    expect(bare.status).toBe(400);
    expect(bare.body.errors[0].pointer).toBe('/reason');
    const firstReason = 'One claim has no insured value; the sum by make is not disclosive.';
    expect((await approve(gw, id, 'iris', { previewVersion: 1, reason: firstReason })).status).toBe(202);
    const [first] = (await entriesOf(gw, id, 'request.state')).filter((e) => e.data.from === 'answered');
    expect(first).toMatchObject({
      actorUser: 'iris',
      data: { step: 'first-approval', exceptionReason: firstReason },
    });
    expect((await gw.store.requests.get(id))?.preview?.preparedReason).toBe(firstReason);

    const unreasoned = await approve(gw, id, 'ivo', { previewVersion: 2 });
    expect(unreasoned.status).toBe(400);
    expect(unreasoned.body.errors[0].pointer).toBe('/reason');
    const secondReason = 'Checked: twelve boats of one make, no single claim dominates.';
    const second = await approve(gw, id, 'ivo', { previewVersion: 2, reason: secondReason });
    expect(second.status).toBe(200);
    const [disclosure] = await entriesOf(gw, id, 'disclosure');
    expect(disclosure).toMatchObject({
      actorUser: 'ivo',
      data: {
        sdc: 'review',
        exceptionReason: secondReason,
        preparedBy: IRIS,
        preparedReason: firstReason,
      },
    });
  });

  it('the second approver may keep the first approver’s stricter handling, never loosen it', async () => {
    const id = await heldTable(gw);
    const red = { tlp: 'RED', conditions: [...agreedConditions, 'Only for case work.'] };
    expect((await approve(gw, id, 'iris', { previewVersion: 1, handling: red })).status).toBe(202);
    expect((await gw.store.requests.get(id))?.preview?.handling).toEqual(red);
    // Until something is released the analyst sees the agreement's handling, not a first approval's.
    const asAnalyst = await gw.http.get(`/api/v1/requests/${id}`).set(await bearerOf(gw, 'anna'));
    expect(asAnalyst.body.handling.tlp).toBe('AMBER');
    const anna = await portalSession(gw.http, 'anna');
    const analystPage = await gw.http.get(`/portal/requests/${id}`).set('Cookie', anna.cookie);
    expect(analystPage.text).toContain('<dd>TLP:AMBER</dd>');
    expect(analystPage.text).not.toContain('TLP:RED');
    const amber = await approve(gw, id, 'ivo', {
      previewVersion: 2,
      handling: { tlp: 'AMBER', conditions: red.conditions },
    });
    expect(amber.status).toBe(400);
    expect(amber.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/handling/tlp']);
    const dropped = await approve(gw, id, 'ivo', {
      previewVersion: 2,
      handling: { tlp: 'RED', conditions: agreedConditions },
    });
    expect(dropped.status).toBe(400);
    expect((await gw.store.requests.get(id))?.state).toBe('answered');
    const kept = await approve(gw, id, 'ivo', { previewVersion: 2, handling: red });
    expect(kept.status).toBe(200);
    expect(kept.body.handling.tlp).toBe('RED');
    const [disclosure] = await entriesOf(gw, id, 'disclosure');
    expect(disclosure.data.handling).toEqual(red);
    const released = await gw.http.get(`/api/v1/requests/${id}`).set(await bearerOf(gw, 'anna'));
    expect(released.body.handling.tlp).toBe('RED');
  });

  it('the first approver is told another responder releases it; the second sees who approved first', async () => {
    const id = await heldTable(gw, 'sum');
    const iris = await portalSession(gw.http, 'iris');
    const page = await gw.http.get(`/portal/requests/${id}`).set('Cookie', iris.cookie);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Approve (first of two)');
    const reason = 'The missing value does not identify anyone.';
    const posted = await gw.http
      .post(`/portal/requests/${id}/approve`)
      .set('Cookie', iris.cookie)
      .type('form')
      .send({
        _csrf: csrfOf(page.text),
        previewVersion: '1',
        reason,
        tlp: 'RED',
        agreedCondition: agreedConditions,
      });
    expect(posted.status).toBe(303);
    const after = await gw.http.get(`/portal/requests/${id}`).set('Cookie', iris.cookie);
    expect(after.text).toContain(
      'First approval recorded: another responder of your organisation releases it.',
    );
    expect(after.text).toContain(
      'you approved this table first, so another responder of your organisation releases it',
    );
    expect(after.text).not.toContain('Approve (first of two)');
    expect((await gw.store.requests.get(id))?.state).toBe('answered');

    const ivo = await portalTokenSession(gw.http, (await bearerOf(gw, 'ivo')).Authorization.slice(7));
    const second = await gw.http.get(`/portal/requests/${id}`).set('Cookie', ivo.cookie);
    expect(second.status).toBe(200);
    expect(second.text).toContain(`first approved by iris (reason: ${reason}; handling TLP:RED)`);
    expect(second.text).not.toContain('Approve (first of two)');

    // The second responder's form starts from the first approval's handling: sent as it is, it releases.
    const selected = /<option value="([^"]+)" selected>/.exec(second.text)![1];
    const kept = [...second.text.matchAll(/name="agreedCondition" value="([^"]+)"/g)].map((m) =>
      m[1].replace(/&#39;/g, "'"),
    );
    expect(selected).toBe('RED');
    const released = await gw.http
      .post(`/portal/requests/${id}/approve`)
      .set('Cookie', ivo.cookie)
      .type('form')
      .send({
        _csrf: csrfOf(second.text),
        previewVersion: /name="previewVersion" value="(\d+)"/.exec(second.text)![1],
        reason: 'Checked again: no one is identified.',
        tlp: selected,
        agreedCondition: kept,
      });
    expect(released.status).toBe(303);
    const done = await gw.store.requests.get(id);
    expect(done?.state).toBe('disclosed');
    expect(done?.preview?.handling?.tlp).toBe('RED');
  });
});

describe('a table is computed by the gateway, never answered', () => {
  it('refuses an answer with records, shared records or an upload, and keeps the table', async () => {
    const id = await heldTable(gw);
    const iris = await bearerOf(gw, 'iris');
    const records = await gw.http
      .post(`/api/v1/requests/${id}/answer`)
      .set(iris)
      .send({
        records: [
          {
            sourceRef: 'CLM-2026-0500',
            objectType: 'boat',
            status: 'stolen',
            identifier: { type: 'hin', value: 'NL-BAY20000A626' },
            make: 'Bayliner',
          },
        ],
      });
    const shared = await gw.http.post(`/api/v1/requests/${id}/answer/shared`).set(iris);
    const upload = await gw.http
      .post(`/api/v1/requests/${id}/answer/upload?adapter=insureco`)
      .set(iris)
      .set('Content-Type', 'application/json')
      .send(boatClaims());
    for (const res of [records, shared, upload]) {
      expect(res.status).toBe(409);
      expect(res.type).toBe('application/problem+json');
      expect(res.body.detail).toMatch(/computed by the gateway/);
    }
    const stored = (await gw.store.requests.get(id))!;
    expect([stored.state, stored.previewVersion]).toEqual(['answered', 1]);
    expect(stored.preview?.table).toBeDefined();
  });
});

describe('without four eyes', () => {
  it('one responder approves a table and it is released', async () => {
    const plain = await gatewayWithClaims(false);
    try {
      const id = await heldTable(plain);
      const approved = await approve(plain, id, 'iris', { previewVersion: 1 });
      expect(approved.status).toBe(200);
      expect(approved.body.state).toBe('disclosed');
      const [disclosure] = await entriesOf(plain, id, 'disclosure');
      expect(disclosure.actorUser).toBe('iris');
      expect(disclosure.data.preparedBy).toBeUndefined();
    } finally {
      await plain.close();
    }
  }, 30_000);
});

describe('four eyes where the agreement needs no provider approval for tables', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    // stolen-vehicles releases a passing table at once (providerApproval: false), unless four eyes; the
    // demo's claims make one that passes.
    gw = await createTestGateway({
      FSG_POLICY_DIR: fourEyesBundle(true, 'stolen-vehicles'),
      FSG_DEMO_DATASETS: 'true',
    });
  });
  afterAll(() => gw.close());

  it('holds a passing table for two responders instead of releasing it with no one’s approval', async () => {
    const res = await gw.http
      .post('/api/v1/requests')
      .set('Authorization', `Bearer ${await gw.token('anna')}`)
      .send({
        agreementId: 'stolen-vehicles',
        providerId: 'insureco',
        datasetId: 'theft-claims',
        purpose: 'stolen-property-investigation',
        caseRef: 'NL-2026-000990',
        query: { type: 'aggregate', groupBy: ['make'], measure: 'count', objectType: 'vehicle' },
      });
    expect(res.status).toBe(201);
    expect(res.body.state).toBe('answered');
    expect(
      (await gw.store.audit.read(1, 100_000)).filter(
        (e) => e.requestId === res.body.id && e.type === 'disclosure',
      ),
    ).toEqual([]);
  });
});
