/**
 * Hole 5: approval commits exactly the preview the responder last saw. Each answer gives the preview a
 * new version; approve names the version it approves, and the store's compare-and-set covers it, so a
 * re-answer that lands between the responder's look and the approval cannot be released unseen.
 */
import type { RequestStore } from '../../src/store/port';
import { boatRequest, createTestGateway, vesselAnswer, type TestGateway } from '../helpers/gateway';

let gw: TestGateway;
const auth: Record<string, { Authorization: string }> = {};

beforeAll(async () => {
  gw = await createTestGateway();
  for (const user of ['anna', 'bram']) auth[user] = { Authorization: `Bearer ${await gw.token(user)}` };
});
afterAll(() => gw.close());

let caseNo = 500;
/** A request by anna, answered once by bram with the vessel's three records. */
async function answered() {
  const created = await gw.http
    .post('/api/v1/requests')
    .set(auth.anna)
    .send(boatRequest({ caseRef: `NL-2026-000${caseNo++}` }));
  expect(created.status).toBe(201);
  const answer = await gw.http
    .post(`/api/v1/requests/${created.body.id}/answer`)
    .set(auth.bram)
    .send(vesselAnswer());
  expect(answer.status).toBe(200);
  return { id: created.body.id as string, answer: answer.body };
}

/** A second answer: the vessel's first record alone (a different preview). */
const reAnswer = (id: string) =>
  gw.http
    .post(`/api/v1/requests/${id}/answer`)
    .set(auth.bram)
    .send({ records: vesselAnswer().records.slice(0, 1) });

const approve = (id: string, body: object) =>
  gw.http.post(`/api/v1/requests/${id}/approve`).set(auth.bram).send(body);

/** The log entries of one request, by type. */
async function entries(id: string, type: string) {
  return (await gw.store.audit.read(1, 100_000)).filter((e) => e.requestId === id && e.type === type);
}

describe('hole 5: a re-answer racing an approve', () => {
  it('hole 5: a re-answer landing between the approve’s read and its write is not released', async () => {
    const { id, answer } = await answered();
    expect(answer.previewVersion).toEqual(expect.any(Number));

    // Interleave explicitly: when the approve reaches the store, a re-answer commits first.
    const requests = gw.store.requests as RequestStore;
    const transition = requests.transition.bind(requests);
    let reAnswered: Awaited<ReturnType<typeof reAnswer>> | undefined;
    requests.transition = async (...args: Parameters<RequestStore['transition']>) => {
      if (args[2].state === 'disclosed' && !reAnswered) reAnswered = await reAnswer(id);
      return transition(...args);
    };
    let res;
    try {
      res = await approve(id, { previewVersion: answer.previewVersion });
    } finally {
      requests.transition = transition;
    }

    expect(reAnswered?.status).toBe(200);
    expect(reAnswered?.body.previewVersion).not.toBe(answer.previewVersion);
    expect(res.status).toBe(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.previewVersion).toBe(reAnswered?.body.previewVersion);
    const stored = await gw.store.requests.get(id);
    expect(stored?.state).toBe('answered');
    expect(stored?.disclosure).toBeNull();
    expect(await entries(id, 'disclosure')).toHaveLength(0);

    // Approving what was shown last releases exactly that.
    const ok = await approve(id, { previewVersion: reAnswered?.body.previewVersion });
    expect(ok.status).toBe(200);
    const read = await gw.http.get(`/api/v1/requests/${id}/disclosure`).set(auth.anna);
    expect(read.body.records).toEqual(reAnswered?.body.preview.records);
    expect(read.body.records).toHaveLength(1);
  });

  it('hole 5: approving a preview that was replaced is a 409, and nothing leaves', async () => {
    const { id, answer } = await answered();
    const second = await reAnswer(id);
    const res = await approve(id, { previewVersion: answer.previewVersion });
    expect(res.status).toBe(409);
    expect(res.body.previewVersion).toBe(second.body.previewVersion);
    expect((await gw.store.requests.get(id))?.state).toBe('answered');
    expect(await entries(id, 'disclosure')).toHaveLength(0);
  });

  it('hole 5: an approval must name the preview it approves (400 with a pointer)', async () => {
    const { id } = await answered();
    const res = await approve(id, {});
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ pointer: '/previewVersion' })]);
    expect((await gw.store.requests.get(id))?.state).toBe('answered');
  });

  it('hole 5: the provider’s view of the request carries the preview’s version', async () => {
    const { id, answer } = await answered();
    const view = await gw.http.get(`/api/v1/requests/${id}`).set(auth.bram);
    expect(view.body.previewVersion).toBe(answer.previewVersion);
    const second = await reAnswer(id);
    expect(second.body.previewVersion).toBeGreaterThan(answer.previewVersion);
    const again = await gw.http.get(`/api/v1/requests/${id}`).set(auth.bram);
    expect(again.body.previewVersion).toBe(second.body.previewVersion);
  });
});
