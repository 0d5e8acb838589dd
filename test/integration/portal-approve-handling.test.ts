/**
 * The responder's approve form in the portal (issue 17): a stricter handling than the agreement's can
 * be chosen there as in the API (a higher TLP, further conditions; the agreement's conditions stay),
 * never a looser one; under four eyes the page tells the preparer that another responder approves.
 */
import { createTestGateway, boatRequest, vesselAnswer, type TestGateway } from '../helpers/gateway';
import { csrfOf, portalSession } from '../helpers/portal-session';

let gw: TestGateway;
beforeAll(async () => {
  gw = await createTestGateway();
});
afterAll(() => gw.close());

async function answered(): Promise<{ id: string; previewVersion: number }> {
  const anna = `Bearer ${await gw.token('anna')}`;
  const bram = `Bearer ${await gw.token('bram')}`;
  const created = await gw.http.post('/api/v1/requests').set('Authorization', anna).send(boatRequest());
  const answer = await gw.http
    .post(`/api/v1/requests/${created.body.id}/answer`)
    .set('Authorization', bram)
    .send(vesselAnswer());
  expect(answer.status).toBe(200);
  return { id: created.body.id, previewVersion: answer.body.previewVersion };
}

/** The approve form posted as a browser would (repeated fields repeated). */
async function approveInPortal(id: string, fields: [string, string][]) {
  const session = await portalSession(gw.http, 'bram');
  const page = await gw.http.get(`/portal/requests/${id}`).set('Cookie', session.cookie);
  expect(page.status).toBe(200);
  const body = new URLSearchParams([['_csrf', csrfOf(page.text)], ...fields]).toString();
  const res = await gw.http
    .post(`/portal/requests/${id}/approve`)
    .set('Cookie', session.cookie)
    .type('form')
    .send(body);
  return { page: page.text, res };
}

const agreedConditions = (page: string) =>
  [...page.matchAll(/name="agreedCondition" value="([^"]+)"/g)].map((m) =>
    m[1].replace(/&#39;|&#x27;/g, "'"),
  );

describe("the responder's handling choice in the portal", () => {
  it('offers the agreed TLP and the stricter ones only, and releases with the stricter handling chosen', async () => {
    const { id, previewVersion } = await answered();
    const session = await portalSession(gw.http, 'bram');
    const page = (await gw.http.get(`/portal/requests/${id}`).set('Cookie', session.cookie)).text;
    const options = [...page.matchAll(/<option value="([A-Z+]+)"/g)].map((m) => m[1]);
    expect(options).toEqual(['AMBER', 'AMBER+STRICT', 'RED']);
    const agreed = agreedConditions(page);
    expect(agreed.length).toBeGreaterThan(0);

    const { res } = await approveInPortal(id, [
      ['previewVersion', String(previewVersion)],
      ['tlp', 'RED'],
      ...agreed.map((c): [string, string] => ['agreedCondition', c]),
      ['conditions', 'Only for case NL-2026-000123.\n\n  Destroy after the hearing.  '],
    ]);
    expect(res.status).toBe(303);
    const stored = await gw.store.requests.get(id);
    expect(stored?.state).toBe('disclosed');
    expect(stored?.preview?.handling).toEqual({
      tlp: 'RED',
      conditions: [...agreed, 'Only for case NL-2026-000123.', 'Destroy after the hearing.'],
    });
    const entry = (await gw.store.audit.read(1, 100_000)).find(
      (e) => e.requestId === id && e.type === 'disclosure',
    );
    expect((entry?.data.handling as { tlp: string }).tlp).toBe('RED');
  });

  it('refuses a looser TLP or a dropped agreed condition, and releases nothing', async () => {
    const { id, previewVersion } = await answered();
    const { page, res: looser } = await approveInPortal(id, [
      ['previewVersion', String(previewVersion)],
      ['tlp', 'GREEN'],
    ]);
    expect(looser.status).toBe(400);
    const { res: dropped } = await approveInPortal(id, [
      ['previewVersion', String(previewVersion)],
      ['tlp', 'AMBER'],
      ...agreedConditions(page)
        .slice(1)
        .map((c): [string, string] => ['agreedCondition', c]),
    ]);
    expect(dropped.status).toBe(400);
    expect((await gw.store.requests.get(id))?.state).toBe('answered');
  });

  it('without a choice the agreement handling applies', async () => {
    const { id, previewVersion } = await answered();
    const { res } = await approveInPortal(id, [['previewVersion', String(previewVersion)]]);
    expect(res.status).toBe(303);
    const stored = await gw.store.requests.get(id);
    expect(stored?.preview?.handling).toEqual(stored?.decision.obligations.handling);
  });
});
