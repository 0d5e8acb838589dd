/**
 * Subject access (GDPR Art. 15) over HTTP: a disclosure made through the demo flow and a released
 * table are found for their data subject, by identifier and by name and date of birth, with the
 * partner, purpose, legal basis, agreement version and expiry the log holds; scoped like the DPO's
 * other searches; refused to others; and itself logged without the value asked about.
 */
import { portalSession } from '../helpers/portal-session';
import { answeredRequests, boatLookup, createTestGateway, type TestGateway } from '../helpers/gateway';

const DAY = 24 * 60 * 60 * 1000;
let gw: TestGateway;
const tokens: Record<string, string> = {};
const bearer = (user: string) => ({ Authorization: `Bearer ${tokens[user]}` });
const sar = (user: string, body: object) =>
  gw.http.post('/api/v1/audit/subject-access').set(bearer(user)).send(body);

const HIN = { type: 'hin', value: 'NL-HXAB7A33G293' };
/** The owner in vesselAnswer (test/helpers/gateway.ts). */
const JAN = { name: 'Jan Pietersen', dateOfBirth: '1970-04-02' };
/** The dealers' 12 buyers of a Volkswagen, Vera Vos 0 among them: a table of them passes disclosure control. */
const vin = (i: number) => `WVWZZZ1JZXW${String(500000 + i)}`;
const LEDGER =
  'vin,engine_number,engine_make,plate,make,model,colour,year,buyer_name,buyer_dob,buyer_postcode,sale_date\n' +
  Array.from(
    { length: 12 },
    (_, i) => `${vin(i)},,,,Volkswagen,M,black,2015,Vera Vos ${i},1985-02-${10 + i},3512 AB,2024-01-15\n`,
  ).join('');

let disclosureId: string;
let tableId: string;

/** A DPO for police-se, a partner the disclosure does not name, and one for the dealers. */
async function accreditDpo(userId: string, partnerId: string) {
  const dana = (await gw.store.accreditations.get('police-nl', 'dana'))!;
  await gw.store.accreditations.put({ ...dana, userId, partnerId }, []);
  tokens[userId] = await gw.token(userId, { partner: partnerId });
}

beforeAll(async () => {
  gw = await createTestGateway();
  for (const user of ['anna', 'bram', 'dirk', 'dana', 'sam']) tokens[user] = await gw.token(user);
  await accreditDpo('signe', 'police-se');
  await accreditDpo('dora', 'autodealers-nl');
  expect((await gw.http.post('/api/v1/lookups').set(bearer('anna')).send(boatLookup())).status).toBe(200);
  // One boat request by anna, answered with Jan Pietersen's vessel by bram and approved.
  await answeredRequests(
    gw,
    1,
    () => 'NL-2026-000123',
    () => 'approve',
  );
  const [disclosed] = await gw.store.requests.listByRequester('police-nl', 'anna');
  expect(disclosed.state).toBe('disclosed');
  disclosureId = disclosed.id;
  const upload = await gw.http
    .put('/api/v1/datasets/sales-ledger/records?adapter=autodealers-nl&mode=replace')
    .set(bearer('dirk'))
    .set('Content-Type', 'text/csv')
    .send(LEDGER);
  expect(upload.status).toBe(200);
  const table = await gw.http
    .post('/api/v1/requests')
    .set(bearer('anna'))
    .send({
      agreementId: 'stolen-vehicles',
      providerId: 'autodealers-nl',
      datasetId: 'sales-ledger',
      purpose: 'stolen-property-investigation',
      caseRef: 'NL-2026-000555',
      query: { type: 'aggregate', groupBy: ['make'], measure: 'count', objectType: 'vehicle' },
    });
  expect(table.body.state).toBe('disclosed');
  tableId = table.body.id;
  const lookup = await gw.http
    .post('/api/v1/lookups')
    .set(bearer('anna'))
    .send(boatLookup({ agreementId: 'stolen-vehicles', identifiers: [{ type: 'vin', value: vin(3) }] }));
  expect(lookup.body.hits).toHaveLength(1);
}, 30_000);
afterAll(() => gw.close());

describe('subject access', () => {
  it('finds the disclosure by identifier, with partner, purpose, legal basis, version and expiry', async () => {
    const res = await sar('dana', { identifier: HIN });
    expect(res.status).toBe(200);
    const agreement = gw.bundle.agreements.get('stolen-boats')!;
    expect(res.body.disclosures).toEqual([
      expect.objectContaining({
        requestId: disclosureId,
        kind: 'records',
        matchedBy: 'identifier',
        recipients: [{ partnerId: 'police-nl', userId: 'anna' }],
        providerId: 'boatreg-nl',
        agreementId: 'stolen-boats',
        agreementVersion: agreement.version,
        policyDigest: gw.bundle.digest,
        purpose: 'stolen-property-investigation',
        caseRef: 'NL-2026-000123',
        legalBasis: { text: agreement.legalBasis, version: agreement.version },
        purgedAt: null,
      }),
    ]);
    const [found] = res.body.disclosures;
    expect(Date.parse(found.expiresAt) - Date.now()).toBeGreaterThan(29 * DAY);
    const proof = await gw.http.get(`/api/v1/audit/proof/${found.seqs.disclosure}`).set(bearer('dana'));
    expect(proof.status).toBe(200);
    // The lookup and the request that named the hull number, each by whom and when.
    expect(res.body.searches.map((s: { kind: string }) => s.kind).sort()).toEqual(['lookup', 'request']);
    // No dataset of this gateway holds it (no demo seed): a lookup that did not hit.
    expect(res.body.searches.find((s: { kind: string }) => s.kind === 'lookup')).toMatchObject({
      by: { partnerId: 'police-nl', userId: 'anna' },
      hit: false,
    });
    expect(res.body.scope).toBe('police-nl');
  });

  it('finds it by name and date of birth; a different date of birth does not', async () => {
    const res = await sar('sam', JAN);
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('all');
    expect(res.body.disclosures).toEqual([
      expect.objectContaining({
        requestId: disclosureId,
        matchedBy: 'name-and-birth',
        providerId: 'boatreg-nl',
      }),
    ]);
    // By name alone the log's older hash still matches: reported as a possible namesake.
    const other = await sar('sam', { ...JAN, dateOfBirth: '1971-04-02' });
    expect(other.body.disclosures).toEqual([
      expect.objectContaining({ requestId: disclosureId, matchedBy: 'name-only' }),
    ]);
    expect((await sar('sam', { name: 'Nobody Here', dateOfBirth: '1970-04-02' })).body.disclosures).toEqual(
      [],
    );
  });

  it('finds a released table by its contributor, and through the dataset’s owner of an identifier', async () => {
    const byName = await sar('dora', { name: 'Vera Vos 3', dateOfBirth: '1985-02-13' });
    expect(byName.body.tables).toEqual([
      expect.objectContaining({
        requestId: tableId,
        kind: 'table',
        matchedBy: 'name-and-birth',
        providerId: 'autodealers-nl',
        datasetId: 'sales-ledger',
        recipients: [{ partnerId: 'police-nl', userId: 'anna' }],
      }),
    ]);
    expect(byName.body.tables[0].seqs.subjects).toHaveLength(1);
    const byVin = await sar('dora', { identifier: { type: 'vin', value: vin(3) } });
    expect(byVin.body.tables).toEqual([
      expect.objectContaining({ requestId: tableId, matchedBy: 'owner-in-dataset' }),
    ]);
    // The dealers' DPO sees the lookup that hit its ledger, not the hull number's.
    expect(byVin.body.searches).toEqual([
      expect.objectContaining({ kind: 'lookup', hit: true, by: { partnerId: 'police-nl', userId: 'anna' } }),
    ]);
    // The requester's DPO never learns whether a person is in the provider's data.
    expect((await sar('dana', { name: 'Vera Vos 3', dateOfBirth: '1985-02-13' })).body.tables).toEqual([]);
  });

  it('says when the records were purged', async () => {
    gw.advance(31 * DAY);
    expect(await gw.requests.sweepExpired()).toBeGreaterThanOrEqual(1);
    const res = await sar('dana', { identifier: HIN });
    const [found] = res.body.disclosures;
    expect(found.purgedAt).toEqual(expect.any(String));
    expect(found.seqs.purge).toBeGreaterThan(found.seqs.disclosure);
  });

  it('shows another partner’s DPO nothing of the disclosure', async () => {
    const res = await sar('signe', { identifier: HIN });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ scope: 'police-se', disclosures: [], tables: [], searches: [] });
    expect((await sar('signe', JAN)).body.disclosures).toEqual([]);
  });

  it('refuses anyone who is not a DPO', async () => {
    for (const user of ['anna', 'bram']) {
      const res = await sar(user, { identifier: HIN });
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it.each([
    [{}, ''],
    [{ identifier: HIN, ...JAN }, ''],
    [{ name: 'Jan Pietersen' }, ''],
    [{ identifier: { type: 'hin', value: 'NOT A HIN' } }, '/identifier/value'],
    [{ identifier: { type: 'shoe-size', value: '42' } }, '/identifier/type'],
    [{ name: 'Jan', dateOfBirth: '1970-02-30' }, '/dateOfBirth'],
    [{ name: 'Jan', dateOfBirth: '2 April 1970' }, '/dateOfBirth'],
  ])('answers %j with a 400 problem naming the field', async (body, pointer) => {
    const res = await sar('dana', body);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    if (pointer) expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
  });

  it('logs each report with the query’s keyed hash, never the value', async () => {
    const res = await sar('dana', JAN);
    const logged = (await gw.store.audit.read(1, 100_000)).filter((e) => e.type === 'subject-access.report');
    const entry = logged.find((e) => e.seq === res.body.seq)!;
    expect(entry).toMatchObject({
      actorPartner: 'police-nl',
      actorUser: 'dana',
      partners: ['police-nl'],
      data: {
        searched: { kind: 'person', hash: res.body.query.hash },
        matches: { disclosures: 1, tables: 0 },
      },
    });
    const all = JSON.stringify(logged);
    for (const raw of ['Jan Pietersen', 'jan pietersen', '1970-04-02', 'HXAB7A33G293', 'Vera Vos']) {
      expect(all).not.toContain(raw);
    }
    expect(JSON.stringify(res.body)).not.toMatch(/Pietersen|1970-04-02/);
  });
});

describe('the subject access page', () => {
  it('takes the form and draws the report, printable, linked from the DPO’s navigation', async () => {
    const dana = await portalSession(gw.http, 'dana');
    const form = await gw.http.get('/portal/log/subject-access').set('Cookie', dana.cookie);
    expect(form.status).toBe(200);
    expect(form.text).toContain('href="/portal/log/subject-access"');
    expect(form.text).toContain('name="identifierValue"');
    const page = await gw.http
      .post('/portal/log/subject-access')
      .set('Cookie', dana.cookie)
      .type('form')
      .send({
        _csrf: dana.csrf,
        identifierType: HIN.type,
        identifierValue: HIN.value,
        name: '',
        dateOfBirth: '',
      });
    expect(page.status).toBe(200);
    expect(page.text).toContain(disclosureId);
    expect(page.text).toContain('stolen-property-investigation (case NL-2026-000123)');
    expect(page.text).toContain(`stolen-boats, version ${gw.bundle.agreements.get('stolen-boats')!.version}`);
    expect(page.text).toContain('TLP:AMBER');
    expect(page.text).toMatch(/hit\/no-hit lookup/);
    // The value asked about is not echoed: the page carries its keyed hash only.
    expect(page.text).not.toContain(HIN.value);
  });

  it('searches by name and date of birth, and names a bad field', async () => {
    const sam = await portalSession(gw.http, 'sam');
    const page = await gw.http
      .post('/portal/log/subject-access')
      .set('Cookie', sam.cookie)
      .type('form')
      .send({ _csrf: sam.csrf, identifierType: 'hin', identifierValue: '', ...JAN });
    expect(page.status).toBe(200);
    expect(page.text).toContain(disclosureId);
    expect(page.text).toContain('by name and date of birth');
    const bad = await gw.http
      .post('/portal/log/subject-access')
      .set('Cookie', sam.cookie)
      .type('form')
      .send({ _csrf: sam.csrf, identifierType: 'hin', identifierValue: 'NOT A HIN' });
    expect(bad.status).toBe(400);
    const anna = await portalSession(gw.http, 'anna');
    expect((await gw.http.get('/portal/log/subject-access').set('Cookie', anna.cookie)).status).toBe(403);
  });
});
