/**
 * A question to the partnership over HTTP: it reaches every provider of the agreement as a request
 * decided by the Five Safes; one provider answers "no information", another through the usual preview
 * and approval; what stays unanswered lapses with the agreement's retention; all of it is logged.
 */
import type { AuditEntry } from '../../src/audit/types';
import { createTestGateway, vesselAnswer, type TestGateway } from '../helpers/gateway';
import { boatQuestion, threeProviderBundle } from '../helpers/questions';

const DAY = 24 * 60 * 60 * 1000;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const TEXT = boatQuestion().text;

interface Asked {
  questionId: string;
  requests: { providerId: string; requestId: string; state: string; answer: string }[];
}

async function entries(gw: TestGateway, type: string): Promise<AuditEntry[]> {
  return (await gw.store.audit.read(1, 100_000)).filter((e) => e.type === type);
}

describe('a question to the partnership', () => {
  let gw: TestGateway;
  let anna: string;
  let bram: string;
  let iris: string;
  let asked: Asked;
  const requestOf = (providerId: string) =>
    asked.requests.find((r) => r.providerId === providerId)!.requestId;

  beforeAll(async () => {
    gw = await createTestGateway();
    [anna, bram, iris] = await Promise.all(['anna', 'bram', 'iris'].map((u) => gw.token(u)));
  });
  afterAll(() => gw.close());

  it('reaches both providers of stolen-boats, each a permitted request in its inbox', async () => {
    const res = await gw.http.post('/api/v1/questions').set(auth(anna)).send(boatQuestion());
    expect(res.status).toBe(201);
    asked = res.body;
    expect(res.headers.location).toBe(`/api/v1/questions/${asked.questionId}`);
    expect(asked.requests.map((r) => [r.providerId, r.state]).sort()).toEqual([
      ['boatreg-nl', 'awaiting_provider'],
      ['insureco', 'awaiting_provider'],
    ]);
    for (const [token, provider] of [
      [bram, 'boatreg-nl'],
      [iris, 'insureco'],
    ]) {
      const inbox = await gw.http.get('/api/v1/inbox').set(auth(token));
      const item = inbox.body.items.find((i: { id: string }) => i.id === requestOf(provider));
      expect(item.question).toEqual({ id: asked.questionId, text: TEXT });
    }
  });

  it('asks each provider for its dataset’s allowed fields but personal data', async () => {
    const seen = await gw.http.get(`/api/v1/requests/${requestOf('insureco')}`).set(auth(iris));
    expect(seen.body.datasetId).toBe('theft-claims');
    expect(seen.body.fields).toContain('insuredValue');
    expect(seen.body.question.text).toBe(TEXT);
    const registry = await gw.http.get(`/api/v1/requests/${requestOf('boatreg-nl')}`).set(auth(bram));
    expect(registry.body.fields).toContain('make');
    expect(registry.body.fields.filter((f: string) => f.startsWith('owner.'))).toEqual([]);
  });

  it('lets a provider answer "no information", which the analyst reads as such', async () => {
    const res = await gw.http
      .post(`/api/v1/requests/${requestOf('insureco')}/no-information`)
      .set(auth(iris));
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('declined');
    const question = await gw.http.get(`/api/v1/questions/${asked.questionId}`).set(auth(anna));
    expect(question.status).toBe(200);
    expect(question.body.text).toBe(TEXT);
    const insureco = question.body.requests.find((r: { providerId: string }) => r.providerId === 'insureco');
    expect(insureco).toMatchObject({ state: 'declined', answer: 'no-information' });
    const declines = (await entries(gw, 'request.state')).filter(
      (e) => e.requestId === requestOf('insureco') && e.outcome === 'declined',
    );
    expect(declines.map((e) => e.data.reason)).toEqual(['no-information']);
  });

  it('lets another answer through preview and approval, and the analyst read the disclosure', async () => {
    const id = requestOf('boatreg-nl');
    const answered = await gw.http.post(`/api/v1/requests/${id}/answer`).set(auth(bram)).send(vesselAnswer());
    expect(answered.body.state).toBe('answered');
    const approved = await gw.http
      .post(`/api/v1/requests/${id}/approve`)
      .set(auth(bram))
      .send({ previewVersion: answered.body.previewVersion });
    expect(approved.body.state).toBe('disclosed');
    const read = await gw.http.get(`/api/v1/requests/${id}/disclosure`).set(auth(anna));
    expect(read.status).toBe(200);
    expect(read.body.records.length).toBeGreaterThan(0);
    // No personal data was asked for: none leaves.
    expect(read.body.records[0].make).toBe('Bayliner');
    expect(JSON.stringify(read.body.records)).not.toMatch(/owner|Jan Pietersen/);
    const question = await gw.http.get(`/api/v1/questions/${asked.questionId}`).set(auth(anna));
    expect(question.body.requests.map((r: { answer: string }) => r.answer).sort()).toEqual([
      'disclosed',
      'no-information',
    ]);
  });

  it('logs the question once, with its requests, keyed hashes and the text’s digest only', async () => {
    const [entry] = (await entries(gw, 'question.asked')).filter(
      (e) => e.data.questionId === asked.questionId,
    );
    expect(entry).toBeDefined();
    expect(entry.actorUser).toBe('anna');
    expect(entry.agreementId).toBe('stolen-boats');
    expect(entry.partners.sort()).toEqual(['boatreg-nl', 'insureco', 'police-nl']);
    expect((entry.data.requests as { requestId: string }[]).map((r) => r.requestId).sort()).toEqual(
      asked.requests.map((r) => r.requestId).sort(),
    );
    expect(entry.data.identifierHashes).toHaveLength(1);
    expect(entry.data.textDigest).toMatch(/^[0-9a-f]{64}$/);
    const logged = JSON.stringify(await gw.store.audit.read(1, 100_000));
    expect(logged).not.toContain('Lelystad');
    expect(logged).not.toContain('NL-HXAB7A33G293');
    // Each provider's request was decided and logged as any request.
    const decided = (await entries(gw, 'decision')).map((e) => e.requestId);
    for (const r of asked.requests) expect(decided).toContain(r.requestId);
  });

  it('refuses a text with an e-mail address, a phone number or a hull number (400, naming the text)', async () => {
    for (const text of [
      'Owner is jan@example.nl, ask him',
      'Call the owner on +31 6 1234 5678',
      'Also hull NL-HXAB7A33G293, same owner',
    ]) {
      const res = await gw.http.post('/api/v1/questions').set(auth(anna)).send(boatQuestion({ text }));
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      expect(res.body.errors[0].pointer).toBe('/text');
    }
    const long = await gw.http
      .post('/api/v1/questions')
      .set(auth(anna))
      .send(boatQuestion({ text: 'x'.repeat(501) }));
    expect(long.status).toBe(400);
  });

  it('refuses a non-analyst (403) and shows a question to no other analyst (404)', async () => {
    const responder = await gw.http.post('/api/v1/questions').set(auth(bram)).send(boatQuestion());
    expect(responder.status).toBe(403);
    const sven = await gw.http.get(`/api/v1/questions/${asked.questionId}`).set(auth(await gw.token('sven')));
    expect(sven.status).toBe(404);
    // Same partner, but the question named no team: only anna reads it.
    const tom = await gw.http.get(`/api/v1/questions/${asked.questionId}`).set(auth(await gw.token('tom')));
    expect(tom.status).toBe(404);
  });

  it('shows a question that named a team to that team (as a disclosure is)', async () => {
    const res = await gw.http
      .post('/api/v1/questions')
      .set(auth(anna))
      .send(boatQuestion({ caseRef: 'NL-2026-000779', recipients: { team: 'vehicle-crime' } }));
    const tom = await gw.http
      .get(`/api/v1/questions/${res.body.questionId}`)
      .set(auth(await gw.token('tom')));
    expect(tom.status).toBe(200);
  });

  it('denies each provider’s request by the safes as any request’s, and says so', async () => {
    const res = await gw.http
      .post('/api/v1/questions')
      .set(auth(anna))
      .send(boatQuestion({ caseRef: 'NL-26-1' }));
    expect(res.status).toBe(201);
    expect(res.body.requests).toHaveLength(2);
    for (const r of res.body.requests) {
      expect(r.state).toBe('denied');
      expect(r.decision.failed).toEqual([{ safe: 'project', codes: ['PROJECT_CASE_REF_INVALID'] }]);
    }
    const logged = (await entries(gw, 'question.asked')).find(
      (e) => e.data.questionId === res.body.questionId,
    );
    expect(logged?.outcome).toBe('denied');
    // A denied request reaches no inbox.
    const inbox = await gw.http.get('/api/v1/inbox').set(auth(bram));
    expect(JSON.stringify(inbox.body)).not.toContain(res.body.questionId);
  });

  it('lets what stays open lapse with the agreement’s retention, logged as expired', async () => {
    const res = await gw.http
      .post('/api/v1/questions')
      .set(auth(anna))
      .send(boatQuestion({ caseRef: 'NL-2026-000778' }));
    const open: Asked = res.body;
    gw.advance(29 * DAY);
    await gw.requests.sweepExpired();
    let question = await gw.http.get(`/api/v1/questions/${open.questionId}`).set(auth(anna));
    expect(question.body.requests.map((r: { state: string }) => r.state)).toEqual([
      'awaiting_provider',
      'awaiting_provider',
    ]);
    gw.advance(2 * DAY);
    // In the same sweep: the first question's disclosure (30 days from its approval) and the team's
    // question's two open requests.
    expect(await gw.requests.sweepExpired()).toBe(5);
    question = await gw.http.get(`/api/v1/questions/${open.questionId}`).set(auth(anna));
    expect(question.body.requests.map((r: { state: string }) => r.state)).toEqual(['expired', 'expired']);
    const lapsed = (await entries(gw, 'request.state')).filter(
      (e) => open.requests.some((r) => r.requestId === e.requestId) && e.outcome === 'expired',
    );
    expect(lapsed).toHaveLength(2);
    expect(lapsed.every((e) => e.actorUser === 'system' && e.data.reason === 'question-lapsed')).toBe(true);
    // A lapsed request can no longer be answered.
    const late = await gw.http
      .post(`/api/v1/requests/${open.requests[0].requestId}/no-information`)
      .set(auth(open.requests[0].providerId === 'insureco' ? iris : bram));
    expect(late.status).toBe(409);
  });
});

describe('a question to three providers', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await createTestGateway({ FSG_POLICY_DIR: threeProviderBundle() });
  });
  afterAll(() => gw.close());

  it('reaches every provider of the agreement, and each one’s inbox', async () => {
    const res = await gw.http
      .post('/api/v1/questions')
      .set(auth(await gw.token('anna')))
      .send(boatQuestion());
    expect(res.status).toBe(201);
    const asked: Asked = res.body;
    expect(asked.requests.map((r) => r.providerId).sort()).toEqual([
      'autodealers-nl',
      'boatreg-nl',
      'insureco',
    ]);
    expect(asked.requests.every((r) => r.state === 'awaiting_provider')).toBe(true);
    const inbox = await gw.http.get('/api/v1/inbox').set(auth(await gw.token('dirk')));
    const item = inbox.body.items.find(
      (i: { question?: { id: string } }) => i.question?.id === asked.questionId,
    );
    expect(item).toMatchObject({ datasetId: 'engine-sales' });
  });
});
