/**
 * A lookup answers per identifier (issue 17, item 5): its normalised form and hit / no-hit, or invalid
 * with the validator's codes (never searched, so "no-hit" is never a malformed value); a warned
 * identifier (a European VIN whose position 9 is no check digit) is searched and carries its warning.
 * The same through the fast lane, through express, and on the portal's search page.
 */
import supertest from 'supertest';
import { partnerView } from '../../src/audit/views';
import { createTestGateway, type TestGateway } from '../helpers/gateway';
import { portalSession } from '../helpers/portal-session';

let gw: TestGateway;
let sven: string;

beforeAll(async () => {
  gw = await createTestGateway({ FSG_DEMO_DATASETS: 'true' });
  sven = await gw.token('sven', { mfa: true });
});
afterAll(() => gw.close());

/** In the demo datasets: a valid North American VIN, and a European one without a check digit. */
const VALID_HIT = '1hgcm82633a004352';
const WARNED_HIT = 'WVW ZZZ1JZXW000001';
/** A North American VIN with a wrong check digit, a VIN too short, a valid VIN no one holds. */
const BAD_CHECK_DIGIT = '1HGCM82633A004353';
const TOO_SHORT = '1HGCM8263';
const VALID_MISS = '5YJ3E1EA4KF317001';

const mixed = [
  { type: 'vin', value: BAD_CHECK_DIGIT },
  { type: 'vin', value: VALID_HIT },
  { type: 'vin', value: WARNED_HIT },
  { type: 'vin', value: TOO_SHORT },
  { type: 'vin', value: VALID_MISS },
];

const body = (caseRef: string, identifiers = mixed) => ({
  agreementId: 'stolen-vehicles',
  identifiers,
  purpose: 'stolen-property-investigation',
  caseRef,
});

interface Result {
  query: number;
  type: string;
  normalised: string;
  status: string;
  errors?: { code: string }[];
  warnings?: { code: string }[];
}

const codes = (list?: { code: string }[]) => list?.map((i) => i.code);

function expectMixedResults(results: Result[]) {
  expect(results.map((r) => [r.query, r.normalised, r.status])).toEqual([
    [0, BAD_CHECK_DIGIT, 'invalid'],
    [1, VALID_HIT.toUpperCase(), 'hit'],
    [2, 'WVWZZZ1JZXW000001', 'hit'],
    [3, TOO_SHORT, 'invalid'],
    [4, VALID_MISS, 'no-hit'],
  ]);
  expect(codes(results[0].errors)).toEqual(['VIN_CHECK_DIGIT']);
  expect(codes(results[3].errors)).toEqual(['VIN_LENGTH']);
  expect(codes(results[2].warnings)).toEqual(['VIN_CHECK_DIGIT']);
  expect(results[2].errors).toBeUndefined();
  expect(results[1].errors ?? results[1].warnings).toBeUndefined();
}

describe('POST /api/v1/lookups, per identifier', () => {
  it.each([
    ['the fast lane', () => gw.http],
    ['express', () => supertest(gw.app)],
  ])('answers each identifier through %s', async (_label, http) => {
    const res = await http()
      .post('/api/v1/lookups')
      .set('Authorization', `Bearer ${sven}`)
      .send(body('SE-2026-000501'));
    expect(res.status).toBe(200);
    expectMixedResults(res.body.results as Result[]);
    // The hits array is kept: only the valid and warned identifiers hit, never an invalid one.
    const hitQueries = new Set((res.body.hits as { query: number }[]).map((h) => h.query));
    expect([...hitQueries].sort()).toEqual([1, 2]);
  });

  it('never searches an invalid identifier', async () => {
    // One character off a held VIN: the store is not even asked.
    const spy = jest.spyOn(gw.store.datasets, 'lookup');
    try {
      const res = await gw.http
        .post('/api/v1/lookups')
        .set('Authorization', `Bearer ${sven}`)
        .send(body('SE-2026-000502', [{ type: 'vin', value: BAD_CHECK_DIGIT }]));
      expect(res.status).toBe(200);
      expect(res.body.hits).toEqual([]);
      expect(res.body.results[0].status).toBe('invalid');
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it('decides and logs a lookup of invalid identifiers only, naming their codes, and counts it', async () => {
    const before = await gw.store.lookups.countSince('police-se', 'sven', 'stolen-vehicles', new Date(0));
    await gw.http
      .post('/api/v1/lookups')
      .set('Authorization', `Bearer ${sven}`)
      .send(
        body('SE-2026-000503', [
          { type: 'vin', value: TOO_SHORT },
          { type: 'vin', value: BAD_CHECK_DIGIT },
        ]),
      )
      .expect(200);
    const entry = (await gw.store.audit.read(1, 100_000)).find(
      (e) => e.type === 'lookup' && e.data.caseRef === 'SE-2026-000503',
    );
    expect(entry?.outcome).toBe('permit');
    expect(entry?.data.invalid).toEqual([
      { query: 0, codes: ['VIN_LENGTH'] },
      { query: 1, codes: ['VIN_CHECK_DIGIT'] },
    ]);
    expect(entry?.data.hits).toEqual([]);
    // Codes only: the log never holds the value asked.
    expect(JSON.stringify(entry?.data)).not.toContain(BAD_CHECK_DIGIT);
    const after = await gw.store.lookups.countSince('police-se', 'sven', 'stolen-vehicles', new Date(0));
    expect(after).toBe(before + 1);
  });

  it("keeps which of the requester's identifiers were invalid from a provider's DPO", async () => {
    await gw.http
      .post('/api/v1/lookups')
      .set('Authorization', `Bearer ${sven}`)
      .send(body('SE-2026-000505'))
      .expect(200);
    const entry = (await gw.store.audit.read(1, 100_000)).find(
      (e) => e.type === 'lookup' && e.data.caseRef === 'SE-2026-000505',
    )!;
    expect(entry.data.invalid).toHaveLength(2);
    const view = partnerView(entry, 'autodealers-nl', () => undefined);
    expect(view?.data).not.toHaveProperty('invalid');
    expect(view?.redacted).toContain('data.invalid');
  });
});

describe('the portal search page', () => {
  it('shows each identifier with its normalised form and hit, no hit, invalid (why) or warning', async () => {
    const session = await portalSession(gw.http, 'sven');
    const res = await gw.http
      .post('/portal/lookup')
      .set('Cookie', session.cookie)
      .type('form')
      .send({
        _csrf: session.csrf,
        agreementId: 'stolen-vehicles',
        identifiers: mixed.map((i) => `${i.type}:${i.value}`).join('\n'),
        purpose: 'stolen-property-investigation',
        caseRef: 'SE-2026-000504',
      });
    expect(res.status).toBe(200);
    const rows = [...res.text.matchAll(/<tr>\s*<td>(vin:[^<]*)<\/td>([\s\S]*?)<\/tr>/g)].map((m) => ({
      asked: m[1],
      rest: m[2].replace(/\s+/g, ' '),
    }));
    const row = (value: string) => rows.find((r) => r.asked === `vin:${value}`)?.rest ?? '';
    expect(row(BAD_CHECK_DIGIT)).toContain('Invalid, not searched');
    expect(row(BAD_CHECK_DIGIT)).toContain('VIN check digit does not match');
    expect(row(TOO_SHORT)).toContain('Wrong length for a VIN');
    expect(row(VALID_HIT)).toContain(`<code>${VALID_HIT.toUpperCase()}</code>`);
    expect(row(VALID_HIT)).toMatch(/<td>Hit<\/td>/);
    expect(row(WARNED_HIT)).toMatch(/<td>Hit<\/td>/);
    expect(row(WARNED_HIT)).toContain('Warning: VIN check digit does not match');
    expect(row(VALID_MISS)).toMatch(/<td>No hit<\/td>/);
    expect(res.text).toContain('2 invalid and not searched');
  });
});
