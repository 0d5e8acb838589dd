/**
 * The detail-request lifecycle end to end over HTTP: permit, a denial for each safe alone, answer,
 * preview, approve, read, decline, withdraw, expiry and purge; the log verifies afterwards.
 */
import { verifyChain } from '../../src/audit/verify';
import { readRawAuditRows } from '../../src/store/sqlite';
import { boatRequest, createTestGateway, vesselAnswer, type TestGateway } from '../helpers/gateway';

const DAY = 24 * 60 * 60 * 1000;
let gw: TestGateway;
let anna: string;
let bram: string;

beforeAll(async () => {
  gw = await createTestGateway();
  anna = await gw.token('anna');
  bram = await gw.token('bram');
});
afterAll(() => gw.close());

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const failing = (decision: { safes: Record<string, { outcome: string }> }) =>
  Object.entries(decision.safes)
    .filter(([, r]) => r.outcome === 'fail')
    .map(([safe]) => safe);

async function create(token: string, body: object) {
  return gw.http.post('/api/v1/requests').set(auth(token)).send(body);
}

describe('detail request lifecycle', () => {
  let requestId: string;

  it('permits a request that passes all five safes and puts it in the provider inbox', async () => {
    const res = await create(anna, boatRequest());
    expect(res.status).toBe(201);
    expect(res.body.state).toBe('awaiting_provider');
    expect(res.body.decision.outcome).toBe('permit');
    expect(res.body.decision.policyDigest).toBe(gw.bundle.digest);
    expect(res.body.decision.obligations.pseudonymise).toEqual(['owner.name']);
    requestId = res.body.id;

    const inbox = await gw.http.get('/api/v1/inbox').set(auth(bram));
    expect(inbox.status).toBe(200);
    expect(inbox.body.items.map((i: { id: string }) => i.id)).toContain(requestId);
    const seen = await gw.http.get(`/api/v1/requests/${requestId}`).set(auth(bram));
    expect(seen.body).toMatchObject({ purpose: 'stolen-property-investigation', caseRef: 'NL-2026-000123' });
    expect(seen.body.legalBasis).toMatch(/GDPR/);
    expect(seen.body.decision).toBeUndefined();
  });

  it.each([
    ['people', async () => create(await gw.token('tom'), boatRequest()), 'PEOPLE_TRAINING_OUTDATED'],
    ['project', async () => create(anna, boatRequest({ caseRef: 'NL-26-123' })), 'PROJECT_CASE_REF_INVALID'],
    [
      'setting',
      async () => create(await gw.token('anna', { mfa: false }), boatRequest()),
      'SETTING_MFA_REQUIRED',
    ],
    [
      'data',
      async () => create(anna, boatRequest({ fields: ['identifier', 'owner.address'] })),
      'DATA_FIELD_NOT_ALLOWED',
    ],
    [
      'output',
      async () =>
        create(
          anna,
          boatRequest({
            identifiers: Array.from({ length: 26 }, (_, i) => ({
              type: 'hin',
              value: `NL-HXAB7${String(i).padStart(4, '0')}G293`,
            })),
          }),
        ),
      'OUTPUT_TOO_MANY_RECORDS',
    ],
  ])('denies a request failing the %s safe alone, stores and explains it', async (safe, send, code) => {
    const res = await send();
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(failing(res.body.decision)).toEqual([safe]);
    expect(res.body.decision.safes[safe].reasons.map((r: { code: string }) => r.code)).toContain(code);
    expect(res.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const inbox = await gw.http.get('/api/v1/inbox').set(auth(bram));
    expect(inbox.body.items.map((i: { id: string }) => i.id)).not.toContain(res.body.requestId);
    const stored = await gw.store.requests.get(res.body.requestId);
    expect(stored?.state).toBe('denied');
  });

  it('answers with a preview of exactly what will leave, approves, and lets the analyst read it', async () => {
    const answer = await gw.http
      .post(`/api/v1/requests/${requestId}/answer`)
      .set(auth(bram))
      .send(vesselAnswer());
    expect(answer.status).toBe(200);
    expect(answer.body.state).toBe('answered');
    expect(answer.body.preview.outputCheck.outcome).toBe('pass');
    const preview = answer.body.preview.records;
    expect(preview).toHaveLength(3);
    // Minimised: colour, year and postcode were not asked for; owner.name is pseudonymised.
    expect(preview[0]).not.toHaveProperty('colour');
    expect(preview[0].owner).toEqual({ name: expect.stringMatching(/^psn_[A-Za-z0-9_-]{22}$/) });
    expect(JSON.stringify(answer.body)).not.toContain('Jan Pietersen');
    expect(new Set(preview.map((r: { linkId: string }) => r.linkId))).toEqual(new Set(['vessel-8841']));

    const approved = await gw.http
      .post(`/api/v1/requests/${requestId}/approve`)
      .set(auth(bram))
      .send({ previewVersion: answer.body.previewVersion });
    expect(approved.status).toBe(200);
    expect(approved.body.state).toBe('disclosed');
    expect(approved.body.recordDigests).toHaveLength(3);

    const read = await gw.http.get(`/api/v1/requests/${requestId}/disclosure`).set(auth(anna));
    expect(read.status).toBe(200);
    expect(read.body.records).toEqual(preview);
    expect(read.body.handling.tlp).toBe('AMBER');
    expect(Date.parse(read.body.expiresAt) - Date.now()).toBeGreaterThan(29 * DAY);

    const again = await gw.http
      .post(`/api/v1/requests/${requestId}/approve`)
      .set(auth(bram))
      .send({ previewVersion: answer.body.previewVersion });
    expect(again.status).toBe(409);
  });

  it('withholds an answer that fails the output check on the actual records', async () => {
    const created = await create(anna, boatRequest({ caseRef: 'NL-2026-000124' }));
    const stranger = {
      ...vesselAnswer().records[0],
      sourceRef: 'BR-1',
      linkId: 'other',
      identifier: { type: 'hin', value: 'NL-ZZZ11111A999' },
    };
    const res = await gw.http
      .post(`/api/v1/requests/${created.body.id}/answer`)
      .set(auth(bram))
      .send({ records: [stranger] });
    expect(res.body.state).toBe('withheld');
    expect(res.body.preview.outputCheck.reasons.map((r: { code: string }) => r.code)).toEqual([
      'OUTPUT_RECORD_NOT_REQUESTED',
    ]);
    expect(res.body.preview.records).toEqual([]);
    const approve = await gw.http
      .post(`/api/v1/requests/${created.body.id}/approve`)
      .set(auth(bram))
      .send({ previewVersion: res.body.previewVersion });
    expect(approve.status).toBe(409);
    // The responder corrects the answer and it can be released.
    const fixed = await gw.http
      .post(`/api/v1/requests/${created.body.id}/answer`)
      .set(auth(bram))
      .send(vesselAnswer());
    expect(fixed.body.state).toBe('answered');
  });

  it('rejects a malformed answer with every problem and its pointer', async () => {
    const created = await create(anna, boatRequest({ caseRef: 'NL-2026-000125' }));
    const bad = {
      records: [{ sourceRef: 'x', objectType: 'spaceship', status: 'stolen', identifier: { type: 'hin' } }],
    };
    const res = await gw.http.post(`/api/v1/requests/${created.body.id}/answer`).set(auth(bram)).send(bad);
    expect(res.status).toBe(400);
    const pointers = res.body.errors.map((e: { pointer: string }) => e.pointer);
    expect(pointers).toEqual(
      expect.arrayContaining(['/records/0/objectType', '/records/0/identifier/value']),
    );
    expect((await gw.store.requests.get(created.body.id))?.state).toBe('awaiting_provider');
  });

  it('lets the responder decline with a reason', async () => {
    const created = await create(anna, boatRequest({ caseRef: 'NL-2026-000126' }));
    const noReason = await gw.http
      .post(`/api/v1/requests/${created.body.id}/decline`)
      .set(auth(bram))
      .send({});
    expect(noReason.status).toBe(400);
    const res = await gw.http
      .post(`/api/v1/requests/${created.body.id}/decline`)
      .set(auth(bram))
      .send({ reason: 'Vessel not in our register' });
    expect(res.body.state).toBe('declined');
    const read = await gw.http.get(`/api/v1/requests/${created.body.id}/disclosure`).set(auth(anna));
    expect(read.status).toBe(409);
    const mine = await gw.http.get(`/api/v1/requests/${created.body.id}`).set(auth(anna));
    expect(mine.body.declineReason).toBe('Vessel not in our register');
  });

  it('lets the analyst withdraw, after which the provider can no longer answer', async () => {
    const created = await create(anna, boatRequest({ caseRef: 'NL-2026-000127' }));
    const res = await gw.http.post(`/api/v1/requests/${created.body.id}/withdraw`).set(auth(anna));
    expect(res.body.state).toBe('withdrawn');
    const answer = await gw.http
      .post(`/api/v1/requests/${created.body.id}/answer`)
      .set(auth(bram))
      .send(vesselAnswer());
    expect(answer.status).toBe(409);
    const inbox = await gw.http.get('/api/v1/inbox').set(auth(bram));
    expect(inbox.body.items.map((i: { id: string }) => i.id)).not.toContain(created.body.id);
  });

  it('lists the analyst’s own requests with their states', async () => {
    const res = await gw.http.get('/api/v1/requests').set(auth(anna));
    const states = res.body.items.map((i: { state: string }) => i.state);
    expect(states).toEqual(
      expect.arrayContaining([
        'disclosed',
        'denied',
        'declined',
        'withdrawn',
        'answered',
        'awaiting_provider',
      ]),
    );
  });

  it('expires the disclosure: 410 for the analyst, payload purged by the sweep, digests kept', async () => {
    gw.advance(31 * DAY);
    const read = await gw.http.get(`/api/v1/requests/${requestId}/disclosure`).set(auth(anna));
    expect(read.status).toBe(410);
    expect(await gw.requests.sweepExpired()).toBe(1);
    const stored = await gw.store.requests.get(requestId);
    expect(stored).toMatchObject({ state: 'expired', disclosure: null, preview: null });
    expect(stored?.recordDigests).toHaveLength(3);
    expect(await gw.requests.sweepExpired()).toBe(0);
  });

  it('has logged every step in a chain that verifies, with no raw identifiers or personal data', async () => {
    const report = await verifyChain(readRawAuditRows(gw.dbFile));
    expect(report.ok).toBe(true);
    const entries = await gw.store.audit.read(1, 10_000);
    expect(report.checked).toBe(entries.length);
    const types = entries.filter((e) => e.requestId === requestId).map((e) => `${e.type}:${e.outcome}`);
    expect(types).toEqual([
      'decision:permit',
      'request.state:awaiting_provider',
      'request.state:answered',
      'request.state:disclosed',
      'disclosure:disclosed',
      'disclosure.read:read',
      'request.state:expired',
      'purge:purged',
    ]);
    const denials = entries.filter((e) => e.type === 'decision' && e.outcome === 'deny');
    expect(denials).toHaveLength(5);
    const text = JSON.stringify(entries);
    for (const secret of ['NL-HXAB7A33G293', 'US-BMA45678H485', 'Jan Pietersen', '1011 AB'])
      expect(text).not.toContain(secret);
  });
});
