/**
 * Hole 4: no caller can make one request write an unbounded log entry. A denial from a caller the
 * registry does not know, or of a request beyond the agreement's limits, keeps a count and one keyed
 * digest of what it named (no keyed hash per identifier, no index rows), and a caller without
 * accreditation learns the reason codes, not the agreement's terms.
 */
import Database from 'better-sqlite3';
import type { Response } from 'supertest';
import { boatRequest, createTestGateway, type TestGateway } from '../helpers/gateway';
import { portalTokenSession } from '../helpers/portal-session';

let gw: TestGateway;
let db: Database.Database;

/** A POST as `user` with a verified token (mallory: a user the registry does not know). */
async function post(path: string, user: string, body: object, mfa = true): Promise<Response> {
  const token = await gw.token(user, { mfa });
  return gw.http.post(path).set('Authorization', `Bearer ${token}`).send(body);
}

/** Many identifiers; the agreements allow 100 per lookup and 25 per request. */
const many = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ type: 'hin', value: `NL-X${String(i).padStart(8, '0')}` }));
const refs = (n: number) => Array.from({ length: n }, (_, i) => `ref-${String(i).padStart(120, '0')}`);

const lookupBody = (identifiers: unknown[], overrides: Record<string, unknown> = {}) => ({
  agreementId: 'stolen-boats',
  identifiers,
  purpose: 'stolen-property-investigation',
  caseRef: 'NL-2026-000321',
  ...overrides,
});

/** The newest log entry of a type: its body's size and how many keyed-hash index rows it has. */
function newest(type: string) {
  const row = db
    .prepare<[string], { seq: number; body: string }>(
      'SELECT seq, body FROM audit_log WHERE type = ? ORDER BY seq DESC LIMIT 1',
    )
    .get(type)!;
  const { n } = db
    .prepare<[number], { n: number }>('SELECT count(*) AS n FROM audit_hashes WHERE seq = ?')
    .get(row.seq)!;
  return { bytes: Buffer.byteLength(row.body), indexRows: n, data: JSON.parse(row.body).data };
}

/** A bounded entry: a few kilobytes at most, whatever the number of identifiers asked about. */
const BOUND = 4096;

/** The newest entry of a type is bounded and adds no index rows. */
function expectCompact(type: string) {
  const entry = newest(type);
  expect(entry.bytes).toBeLessThan(BOUND);
  expect(entry.indexRows).toBe(0);
  expect(entry.data.identifierHashes).toBeUndefined();
  return entry.data;
}

const digestOf = (count: number) => ({ count, digest: expect.stringMatching(/^[0-9a-f]{64}$/) });

/** A 403 that tells an unaccredited caller the reason code and nothing of the agreement. */
function expectCodesOnly(res: Response, idName: string) {
  expect(res.status).toBe(403);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body.reasons).toEqual(['PEOPLE_UNKNOWN_USER']);
  expect(res.body.decision).toBeUndefined();
  expect(res.body[idName]).toMatch(/^[0-9a-f-]{36}$/);
  // No obligations, handling, fields, limits or policy digest.
  for (const term of ['obligations', 'AMBER', 'owner.name', 'policyDigest', 'at most', 'onward'])
    expect(res.text).not.toContain(term);
}

/** The codes of one safe of the full decision a 403 carries. */
const codesOf = (res: Response, safe: string) =>
  res.body.decision.safes[safe].reasons.map((r: { code: string }) => r.code);

beforeAll(async () => {
  gw = await createTestGateway();
  db = new Database(gw.dbFile, { readonly: true, fileMustExist: true });
});
afterAll(async () => {
  db.close();
  await gw.close();
});

describe('hole 4: lookups', () => {
  it('hole 4: a 10,000-identifier lookup from an unknown user writes a bounded entry and no index rows', async () => {
    const res = await post('/api/v1/lookups', 'mallory', lookupBody(many(10_000)));
    expect(res.status).toBe(403);
    const data = expectCompact('lookup');
    expect(data.identifiers).toEqual(digestOf(10_000));
    // Malformed identifiers are counted, not listed one by one.
    expect(data.invalid).toEqual({ count: 10_000, codes: ['HIN_FORMAT'] });
  });

  it('hole 4: the 403 to an unaccredited caller carries reason codes only, not the agreement’s terms', async () => {
    expectCodesOnly(await post('/api/v1/lookups', 'mallory', lookupBody(many(3))), 'lookupId');
  });

  it('hole 4: an over-limit lookup from an accredited analyst is denied and logged compactly', async () => {
    const res = await post('/api/v1/lookups', 'anna', lookupBody(many(10_000)));
    expect(res.status).toBe(403);
    // An accredited analyst gets the full decision, with the limit that failed.
    expect(codesOf(res, 'output')).toContain('OUTPUT_TOO_MANY_IDENTIFIERS');
    expect(expectCompact('lookup').identifiers).toEqual(digestOf(10_000));
  });

  it('hole 4: the digest is keyed and names the list, so the same list gives the same digest', async () => {
    const list = many(200);
    await post('/api/v1/lookups', 'mallory', lookupBody(list));
    const first = newest('lookup').data.identifiers.digest;
    await post('/api/v1/lookups', 'mallory', lookupBody(list));
    expect(newest('lookup').data.identifiers.digest).toBe(first);
    await post('/api/v1/lookups', 'mallory', lookupBody(many(201).slice(1)));
    expect(newest('lookup').data.identifiers.digest).not.toBe(first);
  });

  it('hole 4: a denial within the limits from an accredited analyst still names each identifier', async () => {
    // Refused for want of MFA: a DPO searching for one of these identifiers must still find it.
    const res = await post('/api/v1/lookups', 'anna', lookupBody(many(3)), false);
    expect(res.status).toBe(403);
    const entry = newest('lookup');
    expect(entry.data.identifierHashes).toHaveLength(3);
    expect(entry.indexRows).toBe(3);
  });

  it('hole 4: a lookup under an unknown agreement is logged compactly too (no limit known, none allowed)', async () => {
    const body = lookupBody(many(10_000), { agreementId: 'no-such-agreement' });
    const res = await post('/api/v1/lookups', 'anna', body);
    expect(res.status).toBe(403);
    expect(codesOf(res, 'project')).toEqual(['PROJECT_AGREEMENT_UNKNOWN']);
    expectCompact('lookup');
  });

  it('hole 4: the API caps a lookup at 10,000 identifiers whatever the agreement (400, nothing logged)', async () => {
    const before = newest('lookup');
    const res = await post('/api/v1/lookups', 'mallory', lookupBody(many(10_001)));
    expect(res.status).toBe(400);
    expect(newest('lookup')).toEqual(before);
  });
});

describe('hole 4: detail requests', () => {
  it('hole 4: a 1,000-identifier request with 1,000 references from an unknown user writes a bounded entry', async () => {
    const body = boatRequest({ identifiers: many(1000), recordRefs: refs(1000) });
    const res = await post('/api/v1/requests', 'mallory', body);
    expect(res.status).toBe(403);
    const data = expectCompact('decision');
    expect(data.identifiers).toEqual(digestOf(1000));
    expect(data.recordRefs).toEqual(digestOf(1000));
    // The stored request keeps the counts too, not the lists.
    const stored = await gw.store.requests.get(res.body.requestId);
    expect(Buffer.byteLength(JSON.stringify(stored))).toBeLessThan(2 * BOUND);
  });

  it('hole 4: the 403 to an unaccredited requester carries reason codes only', async () => {
    expectCodesOnly(await post('/api/v1/requests', 'mallory', boatRequest()), 'requestId');
  });

  it('hole 4: an over-limit request from an accredited analyst is denied and logged compactly', async () => {
    const body = boatRequest({ identifiers: many(1000), recordRefs: refs(1000) });
    const res = await post('/api/v1/requests', 'anna', body);
    expect(res.status).toBe(403);
    expect(codesOf(res, 'output')).toContain('OUTPUT_TOO_MANY_RECORDS');
    expect(expectCompact('decision').identifiers).toEqual(digestOf(1000));
  });

  it('hole 4: a request within the limits still names each identifier and reference', async () => {
    const body = boatRequest({ identifiers: many(3), recordRefs: refs(2) });
    expect((await post('/api/v1/requests', 'anna', body)).status).toBe(201);
    const entry = newest('decision');
    expect(entry.data.identifierHashes).toHaveLength(3);
    expect(entry.data.recordRefHashes).toHaveLength(2);
    expect(entry.indexRows).toBe(5);
  });
});

describe('hole 4: the portal', () => {
  it('hole 4: a refused search shows a caller without accreditation the reason codes only', async () => {
    const { cookie, csrf } = await portalTokenSession(gw.http, await gw.token('mallory'));
    const res = await gw.http.post('/portal/lookup').set('Cookie', cookie).type('form').send({
      _csrf: csrf,
      agreementId: 'stolen-boats',
      identifiers: 'vin:1HGCM82633A004352',
      purpose: 'stolen-property-investigation',
      caseRef: 'NL-1',
    });
    expect(res.status).toBe(403);
    expect(res.text).toContain('PEOPLE_UNKNOWN_USER');
    // Not the other safes' findings (an identifier type out of scope, a case reference of the wrong form).
    for (const term of [
      'DATA_IDENTIFIER_TYPE_NOT_IN_SCOPE',
      'PROJECT_CASE_REF_INVALID',
      'Decision under policy',
    ])
      expect(res.text).not.toContain(term);
  });
});
