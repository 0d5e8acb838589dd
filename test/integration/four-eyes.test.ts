/**
 * Four eyes (`review.fourEyes` on an agreement): a disclosure needs a second responder of the provider,
 * not the one who prepared the answer; the disclosure's log entry names both. Without the setting one
 * responder answers and approves, as before.
 */
import { boatRequest, vesselAnswer, type TestGateway } from '../helpers/gateway';
import { bearerOf, gatewayWithFourEyes } from '../helpers/four-eyes';
import { portalSession } from '../helpers/portal-session';

async function answeredBy(gw: TestGateway, responder: string) {
  const bearer = (user: string) => bearerOf(gw, user);
  const created = await gw.http
    .post('/api/v1/requests')
    .set(await bearer('anna'))
    .send(boatRequest());
  expect(created.status).toBe(201);
  const answer = await gw.http
    .post(`/api/v1/requests/${created.body.id}/answer`)
    .set(await bearer(responder))
    .send(vesselAnswer());
  expect(answer.status).toBe(200);
  const approve = async (user: string) =>
    gw.http
      .post(`/api/v1/requests/${created.body.id}/approve`)
      .set(await bearer(user))
      .send({ previewVersion: answer.body.previewVersion });
  return { id: created.body.id as string, approve };
}

describe('four eyes on an agreement', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await gatewayWithFourEyes(true);
  });
  afterAll(() => gw.close());

  it('the responder who prepared the answer cannot approve it; another responder of the provider can', async () => {
    const { id, approve } = await answeredBy(gw, 'bram');
    const self = await approve('bram');
    expect(self.status).toBe(403);
    expect(self.type).toBe('application/problem+json');
    expect(self.body.type).toMatch(/\/four-eyes-required$/);
    expect((await gw.store.requests.get(id))?.state).toBe('answered');

    const second = await approve('bea');
    expect(second.status).toBe(200);
    expect(second.body.state).toBe('disclosed');
    const disclosure = (await gw.store.audit.read(1, 100_000)).find(
      (e) => e.requestId === id && e.type === 'disclosure',
    )!;
    expect([disclosure.actorPartner, disclosure.actorUser]).toEqual(['boatreg-nl', 'bea']);
    expect(disclosure.data.preparedBy).toEqual({ partnerId: 'boatreg-nl', userId: 'bram' });
  });

  it('the portal tells the preparer that another responder approves', async () => {
    const { id } = await answeredBy(gw, 'bram');
    const session = await portalSession(gw.http, 'bram');
    const page = await gw.http.get(`/portal/requests/${id}`).set('Cookie', session.cookie);
    expect(page.status).toBe(200);
    expect(page.text).toContain(
      'you prepared this answer, so another responder of your organisation must approve it',
    );
  });

  it('a responder of another provider is no second pair of eyes', async () => {
    const { approve } = await answeredBy(gw, 'bea');
    expect((await approve('dirk')).status).toBe(404);
    expect((await approve('bea')).status).toBe(403);
    expect((await approve('bram')).status).toBe(200);
  });

  it("the preparer's name is not shown to the analyst", async () => {
    const { id, approve } = await answeredBy(gw, 'bram');
    expect((await approve('bea')).status).toBe(200);
    const read = await gw.http
      .get(`/api/v1/requests/${id}`)
      .set('Authorization', `Bearer ${await gw.token('anna')}`);
    expect(read.status).toBe(200);
    expect(JSON.stringify(read.body)).not.toContain('bram');
  });
});

describe('without four eyes', () => {
  it('one responder answers and approves, and the entry names no preparer', async () => {
    const gw = await gatewayWithFourEyes(false);
    try {
      const { id, approve } = await answeredBy(gw, 'bram');
      expect((await approve('bram')).status).toBe(200);
      const disclosure = (await gw.store.audit.read(1, 100_000)).find(
        (e) => e.requestId === id && e.type === 'disclosure',
      )!;
      expect(disclosure.data.preparedBy).toBeUndefined();
    } finally {
      await gw.close();
    }
  });
});
