/**
 * Aggregate requests end to end: decided like every request, computed by the gateway from the
 * provider's shared dataset, protected by statistical disclosure control, released directly or after
 * the provider's approval, and a `review` table released only with a written exception reason.
 */
import { createTestGateway, type TestGateway } from '../helpers/gateway';

let gw: TestGateway;
const tokens: Record<string, string> = {};
const bearer = (user: string) => ({ Authorization: `Bearer ${tokens[user]}` });

/**
 * Insurer claims: 14 Hondas, 11 Volkswagens, 3 Teslas (a small cell), 12 boats by Bayliner. With
 * `insured`, each claim's insured value: one Honda is worth 2,000,000 (the 13 others 10,000), two
 * Volkswagens 500,000 (the 9 others 10,000), the Teslas 30,000, the boats 40,000.
 */
function claims(options: { missingYear?: boolean; insured?: boolean } = {}) {
  const out: object[] = [];
  const vin = (i: number) => `WVWZZZ1JZXW${String(100000 + i)}`;
  const insured = (make: string, n: number) =>
    ({ Honda: n === 0 ? 2_000_000 : 10_000, Volkswagen: n < 2 ? 500_000 : 10_000, Tesla: 30_000 })[make] ??
    40_000;
  const add = (i: number, kind: 'vehicle' | 'boat', make: string, month: string, year: number | undefined) =>
    out.push({
      claimId: `CLM-2026-${String(i).padStart(4, '0')}`,
      insuredObject: {
        kind,
        identifiers:
          kind === 'vehicle'
            ? [
                { scheme: 'VIN', value: vin(i) },
                { scheme: 'PLATE', value: `XX-${String(i).padStart(3, '0')}-A` },
              ]
            : [{ scheme: 'HIN', value: `NL-BAY${String(10000 + i)}A626` }],
        make,
        model: 'M',
        ...(year === undefined ? {} : { year }),
        ...(options.insured ? { insuredValue: insured(make, i - firstOf[make]!) } : {}),
      },
      theft: { date: `2026-${month}-1${i % 9}`, place: 'Utrecht' },
      reportedAt: '2026-06-30T10:00:00Z',
    });
  const firstOf: Record<string, number> = { Honda: 0, Volkswagen: 14, Tesla: 25, Bayliner: 28 };
  let i = 0;
  for (let n = 0; n < 14; n++) add(i++, 'vehicle', 'Honda', n < 7 ? '03' : '04', 2018);
  for (let n = 0; n < 11; n++)
    add(i++, 'vehicle', 'Volkswagen', n < 6 ? '03' : '04', options.missingYear && n === 0 ? undefined : 2020);
  for (let n = 0; n < 3; n++) add(i++, 'vehicle', 'Tesla', '03', 2022);
  for (let n = 0; n < 12; n++) add(i++, 'boat', 'Bayliner', '05', 2019);
  return JSON.stringify(out);
}

async function uploadClaims(body: string) {
  const res = await gw.http
    .put('/api/v1/datasets/theft-claims/records?adapter=insureco&mode=replace')
    .set(bearer('iris'))
    .set('Content-Type', 'application/json')
    .send(body);
  expect(res.status).toBe(200);
  expect(res.body.quarantined).toBe(0);
}

function aggregateRequest(user: string, agreementId: string, query: object, caseRef = 'NL-2026-000777') {
  return gw.http.post('/api/v1/requests').set(bearer(user)).send({
    agreementId,
    providerId: 'insureco',
    datasetId: 'theft-claims',
    purpose: 'stolen-property-investigation',
    caseRef,
    query,
  });
}

/** Anna's table of the sum of `field` by make over the insurer's vehicles (stolen-vehicles). */
const sumByMake = (field: string, caseRef: string) =>
  aggregateRequest(
    'anna',
    'stolen-vehicles',
    { type: 'aggregate', groupBy: ['make'], measure: { sum: field }, objectType: 'vehicle' },
    caseRef,
  );

const cell = (table: { cells: { key: string[]; value: number | null }[] }, ...key: string[]) =>
  table.cells.find((c) => c.key.join('|') === key.join('|'))?.value;

beforeAll(async () => {
  gw = await createTestGateway();
  for (const user of ['anna', 'iris', 'bram']) tokens[user] = await gw.token(user);
  await uploadClaims(claims());
});
afterAll(() => gw.close());

describe('aggregate requests', () => {
  it('releases a protected table at once where the agreement needs no approval', async () => {
    const res = await aggregateRequest('anna', 'stolen-vehicles', {
      type: 'aggregate',
      groupBy: ['make'],
      measure: 'count',
      objectType: 'vehicle',
    });
    expect(res.status).toBe(201);
    expect(res.body.state).toBe('disclosed');
    expect(res.body.decision.obligations.fields).toEqual(['make']);
    const read = await gw.http.get(`/api/v1/requests/${res.body.id}/disclosure`).set(bearer('anna'));
    expect(read.status).toBe(200);
    const { table } = read.body;
    // Rounded to base 5; the 3 Teslas fail the threshold and are suppressed, and so is a complement
    // (the 11 Volkswagens) so the total does not give them away; neither label is published.
    expect(table.dimensions).toEqual([['Honda']]);
    expect(table.hiddenCategories).toEqual([2]);
    expect(cell(table, 'Honda')).toBe(15);
    // The true total (14 + 11 + 3 = 28), rounded on its own like a cell.
    expect(table.margins.total.value).toBe(30);
    expect(JSON.stringify(read.body)).not.toMatch(/Tesla|Volkswagen/);
    expect(read.body.handling.tlp).toBe('AMBER+STRICT');
    expect(JSON.stringify(read.body)).not.toMatch(/contributors/);
  });

  it('holds a table for the provider’s approval where the agreement says so', async () => {
    const res = await aggregateRequest('anna', 'stolen-boats', {
      type: 'aggregate',
      groupBy: ['make', 'theft.date:month'],
      measure: 'count',
      objectType: 'boat',
    });
    expect(res.status).toBe(201);
    expect(res.body.state).toBe('answered');
    const preview = await gw.http.get(`/api/v1/requests/${res.body.id}`).set(bearer('iris'));
    expect(cell(preview.body.preview.table, 'Bayliner', '2026-05')).toBe(10);
    const early = await gw.http.get(`/api/v1/requests/${res.body.id}/disclosure`).set(bearer('anna'));
    expect(early.status).toBe(409);
    const approved = await gw.http
      .post(`/api/v1/requests/${res.body.id}/approve`)
      .set(bearer('iris'))
      .send({ previewVersion: preview.body.previewVersion });
    expect(approved.body.state).toBe('disclosed');
    const read = await gw.http.get(`/api/v1/requests/${res.body.id}/disclosure`).set(bearer('anna'));
    expect(cell(read.body.table, 'Bayliner', '2026-05')).toBe(10);
  });

  it('needs a named responder’s written exception to release a table under review, and logs it', async () => {
    await uploadClaims(claims({ missingYear: true }));
    const res = await sumByMake('year', 'NL-2026-000778');
    expect(res.body.state).toBe('answered');
    const preview = await gw.http.get(`/api/v1/requests/${res.body.id}`).set(bearer('iris'));
    expect(preview.body.preview.outputCheck.outcome).toBe('review');
    expect(preview.body.preview.outputCheck.reasons.map((r: { code: string }) => r.code)).toContain(
      'SDC_MISSING',
    );
    const { previewVersion } = preview.body;
    const bare = await gw.http
      .post(`/api/v1/requests/${res.body.id}/approve`)
      .set(bearer('iris'))
      .send({ previewVersion });
    expect(bare.status).toBe(400);
    expect(bare.body.errors[0].pointer).toBe('/reason');
    const reason = 'One claim lacks a model year; the sum is still not disclosive.';
    const approved = await gw.http
      .post(`/api/v1/requests/${res.body.id}/approve`)
      .set(bearer('iris'))
      .send({ previewVersion, reason });
    expect(approved.body.state).toBe('disclosed');
    const logged = (await gw.store.audit.read(1, 100_000)).filter(
      (e) => e.requestId === res.body.id && e.type === 'disclosure',
    );
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      actorUser: 'iris',
      data: { exceptionReason: reason, kind: 'aggregate', sdc: 'review' },
    });
  });

  it('protects a sum of insured values: dominance and p-ratio suppress the cells a few claims dominate', async () => {
    await uploadClaims(claims({ insured: true }));
    const res = await sumByMake('insuredValue', 'NL-2026-000780');
    expect(res.status).toBe(201);
    expect(res.body.state).toBe('disclosed');
    const preview = await gw.http.get(`/api/v1/requests/${res.body.id}`).set(bearer('iris'));
    // Honda: 2,010,000 of 2,130,000 in the two largest (dominance) and the rest, 120,000, is less than
    // a tenth of the largest (p-ratio); Volkswagen: 1,000,000 of 1,090,000 (dominance); Tesla: 3 claims.
    expect(preview.body.preview.outputCheck.reasons.map((r: { code: string }) => r.code).sort()).toEqual([
      'SDC_DOMINANCE',
      'SDC_P_RATIO',
      'SDC_THRESHOLD',
    ]);
    const read = await gw.http.get(`/api/v1/requests/${res.body.id}/disclosure`).set(bearer('anna'));
    const { table } = read.body;
    expect(table.cells).toEqual([]);
    expect(table.hiddenCategories).toEqual([3]);
    // The total of 28 claims, 3,310,000, is not dominated (2,500,000 in its two largest): published.
    expect(table.margins.total.value).toBe(3_310_000);
    expect(JSON.stringify(read.body)).not.toMatch(/Honda|Tesla|Volkswagen|2000000|2010000/);
  });

  it('denies a table the agreement does not allow, and keeps record fields out of aggregates', async () => {
    const deep = await aggregateRequest('anna', 'stolen-vehicles', {
      type: 'aggregate',
      groupBy: ['make', 'model', 'year'],
      measure: 'count',
    });
    expect(deep.status).toBe(403);
    expect(deep.body.decision.safes.output.reasons.map((r: { code: string }) => r.code)).toEqual([
      'OUTPUT_AGGREGATE_SHAPE_INVALID',
    ]);
    const mixed = await gw.http
      .post('/api/v1/requests')
      .set(bearer('anna'))
      .send({
        agreementId: 'stolen-vehicles',
        providerId: 'insureco',
        datasetId: 'theft-claims',
        purpose: 'stolen-property-investigation',
        caseRef: 'NL-2026-000779',
        fields: ['make'],
        query: { type: 'aggregate', groupBy: ['make'], measure: 'count' },
      });
    expect(mixed.status).toBe(400);
  });
});
