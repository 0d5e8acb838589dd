/**
 * Hole 4: no caller can make one request write an unbounded log entry. A denial from a caller the
 * registry does not know, or of a request beyond the agreement's limits, keeps a count and one keyed
 * digest of what it named (no keyed hash per identifier, no index rows), and a caller outside the
 * agreement learns the reason codes that put them outside it, not the agreement's terms.
 */
import Database from 'better-sqlite3';
import { boatRequest, createTestGateway, type TestGateway } from '../helpers/gateway';
import { csrfOf } from '../helpers/portal-session';

let gw: TestGateway;
let db: Database.Database;
const bearer = async (user: string, mfa = true) => ({
  Authorization: `Bearer ${await gw.token(user, { mfa })}`,
});

/** Far more identifiers than any agreement allows (the API's own cap). */
const many = (n: number, type = 'hin') =>
  Array.from({ length: n }, (_, i) => ({ type, value: `NL-X${String(i).padStart(8, '0')}` }));

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

beforeAll(async () => {
  gw = await createTestGateway();
  db = new Database(gw.dbFile, { readonly: true, fileMustExist: true });
});
afterAll(async () => {
  db.close();
  await gw.close();
});

const lookupBody = (identifiers: unknown[], overrides: Record<string, unknown> = {}) => ({
  agreementId: 'stolen-boats',
  identifiers,
  purpose: 'stolen-property-investigation',
  caseRef: 'NL-2026-000321',
  ...overrides,
});

describe('hole 4: lookups', () => {
  it('hole 4: a 10,000-identifier lookup from an unknown user writes a bounded entry and no index rows', async () => {
    const res = await gw.http
      .post('/api/v1/lookups')
      .set(await bearer('mallory'))
      .send(lookupBody(many(10_000)));
    expect(res.status).toBe(403);
    const entry = newest('lookup');
    expect(entry.bytes).toBeLessThan(BOUND);
    expect(entry.indexRows).toBe(0);
    expect(entry.data.identifierHashes).toBeUndefined();
    expect(entry.data.identifiers).toEqual({
      count: 10_000,
      digest: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('hole 4: the 403 to an unaccredited caller carries reason codes only, not the agreement’s terms', async () => {
    const res = await gw.http
      .post('/api/v1/lookups')
      .set(await bearer('mallory'))
      .send(lookupBody(many(3)));
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.reasons).toEqual(['PEOPLE_UNKNOWN_USER']);
    expect(res.body.decision).toBeUndefined();
    expect(res.body.lookupId).toMatch(/^[0-9a-f-]{36}$/);
    // Nothing of the agreement: no obligations, handling, fields, limits or policy digest.
    for (const term of ['obligations', 'AMBER', 'owner.name', 'policyDigest', 'at most', 'onward'])
      expect(res.text).not.toContain(term);
  });

  it('hole 4: an over-limit lookup from an accredited analyst is denied and logged compactly', async () => {
    const res = await gw.http
      .post('/api/v1/lookups')
      .set(await bearer('anna'))
      .send(lookupBody(many(10_000)));
    expect(res.status).toBe(403);
    // A party's analyst may see the agreement's terms: the full decision, with the limit that failed.
    expect(res.body.decision.safes.output.reasons.map((r: { code: string }) => r.code)).toContain(
      'OUTPUT_TOO_MANY_IDENTIFIERS',
    );
    const entry = newest('lookup');
    expect(entry.bytes).toBeLessThan(BOUND);
    expect(entry.indexRows).toBe(0);
    expect(entry.data.identifiers.count).toBe(10_000);
  });

  it('hole 4: the digest is keyed and names the list, so the same list gives the same digest', async () => {
    const list = many(200);
    await gw.http
      .post('/api/v1/lookups')
      .set(await bearer('mallory'))
      .send(lookupBody(list));
    const first = newest('lookup').data.identifiers.digest;
    await gw.http
      .post('/api/v1/lookups')
      .set(await bearer('mallory'))
      .send(lookupBody(list));
    expect(newest('lookup').data.identifiers.digest).toBe(first);
    await gw.http
      .post('/api/v1/lookups')
      .set(await bearer('mallory'))
      .send(lookupBody(many(201).slice(1)));
    expect(newest('lookup').data.identifiers.digest).not.toBe(first);
  });

  it('hole 4: a denial within the limits from an accredited analyst still names each identifier', async () => {
    // Refused for want of MFA: a DPO searching for one of these identifiers must still find it.
    const res = await gw.http
      .post('/api/v1/lookups')
      .set(await bearer('anna', false))
      .send(lookupBody(many(3)));
    expect(res.status).toBe(403);
    const entry = newest('lookup');
    expect(entry.data.identifierHashes).toHaveLength(3);
    expect(entry.indexRows).toBe(3);
  });

  it('hole 4: a lookup under an unknown agreement is logged compactly too (no limit known, none allowed)', async () => {
    const res = await gw.http
      .post('/api/v1/lookups')
      .set(await bearer('anna'))
      .send(lookupBody(many(10_000), { agreementId: 'no-such-agreement' }));
    expect(res.status).toBe(403);
    expect(res.body.decision.safes.project.reasons).toEqual([
      expect.objectContaining({ code: 'PROJECT_AGREEMENT_UNKNOWN' }),
    ]);
    const entry = newest('lookup');
    expect(entry.bytes).toBeLessThan(BOUND);
    expect(entry.indexRows).toBe(0);
  });

  it('hole 4: the API caps a lookup at 10,000 identifiers whatever the agreement (400, nothing logged)', async () => {
    const before = newest('lookup');
    const res = await gw.http
      .post('/api/v1/lookups')
      .set(await bearer('mallory'))
      .send(lookupBody(many(10_001)));
    expect(res.status).toBe(400);
    expect(newest('lookup')).toEqual(before);
  });
});

describe('hole 4: detail requests', () => {
  const refs = (n: number) => Array.from({ length: n }, (_, i) => `ref-${String(i).padStart(120, '0')}`);

  it('hole 4: a 1,000-identifier request with 1,000 references from an unknown user writes a bounded entry', async () => {
    const res = await gw.http
      .post('/api/v1/requests')
      .set(await bearer('mallory'))
      .send(boatRequest({ identifiers: many(1000), recordRefs: refs(1000) }));
    expect(res.status).toBe(403);
    const entry = newest('decision');
    expect(entry.bytes).toBeLessThan(BOUND);
    expect(entry.indexRows).toBe(0);
    expect(entry.data.identifiers).toEqual({ count: 1000, digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(entry.data.recordRefs).toEqual({ count: 1000, digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // The stored request keeps the counts too, not the lists.
    const stored = await gw.store.requests.get(res.body.requestId);
    expect(Buffer.byteLength(JSON.stringify(stored))).toBeLessThan(2 * BOUND);
  });

  it('hole 4: the 403 to an unaccredited requester carries reason codes only', async () => {
    const res = await gw.http
      .post('/api/v1/requests')
      .set(await bearer('mallory'))
      .send(boatRequest());
    expect(res.status).toBe(403);
    expect(res.body.reasons).toEqual(['PEOPLE_UNKNOWN_USER']);
    expect(res.body.decision).toBeUndefined();
    expect(res.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
    for (const term of ['obligations', 'AMBER', 'owner.name', 'policyDigest', 'at most', 'onward'])
      expect(res.text).not.toContain(term);
  });

  it('hole 4: an over-limit request from an accredited analyst is denied and logged compactly', async () => {
    const res = await gw.http
      .post('/api/v1/requests')
      .set(await bearer('anna'))
      .send(boatRequest({ identifiers: many(1000), recordRefs: refs(1000) }));
    expect(res.status).toBe(403);
    expect(res.body.decision.safes.output.reasons.map((r: { code: string }) => r.code)).toContain(
      'OUTPUT_TOO_MANY_RECORDS',
    );
    const entry = newest('decision');
    expect(entry.bytes).toBeLessThan(BOUND);
    expect(entry.indexRows).toBe(0);
    expect(entry.data.identifiers.count).toBe(1000);
  });

  it('hole 4: a request within the limits still names each identifier and reference', async () => {
    const res = await gw.http
      .post('/api/v1/requests')
      .set(await bearer('anna'))
      .send(boatRequest({ identifiers: many(3), recordRefs: refs(2) }));
    expect(res.status).toBe(201);
    const entry = newest('decision');
    expect(entry.data.identifierHashes).toHaveLength(3);
    expect(entry.data.recordRefHashes).toHaveLength(2);
    expect(entry.indexRows).toBe(5);
  });
});

describe('hole 4: the portal', () => {
  it('hole 4: a refused search shows a caller without accreditation the reason codes only', async () => {
    const form = await gw.http.get('/portal/sign-in');
    const anon = String(form.headers['set-cookie'][0]).split(';')[0];
    const signed = await gw.http
      .post('/portal/sign-in')
      .set('Cookie', anon)
      .type('form')
      .send({ _csrf: csrfOf(form.text), token: await gw.token('mallory') });
    expect(signed.status).toBe(303);
    const cookie = String(signed.headers['set-cookie'][0]).split(';')[0];
    const home = await gw.http.get('/portal/').set('Cookie', cookie);
    const res = await gw.http
      .post('/portal/lookup')
      .set('Cookie', cookie)
      .type('form')
      .send({
        _csrf: csrfOf(home.text),
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
