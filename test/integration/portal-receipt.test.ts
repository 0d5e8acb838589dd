/**
 * The portal's receipt download: the analyst (from their disclosure page) and the responder (from the
 * request page after approval) get the disclosure's receipt as a JSON attachment that verifies offline;
 * guarded like the request page, under the portal's strict CSP.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readPublicKey } from '../../src/audit/checkpoint';
import { verifyReceipt } from '../../src/audit/receipts';
import { boatRequest, createTestGateway, vesselAnswer, type TestGateway } from '../helpers/gateway';
import { portalSession } from '../helpers/portal-session';

let gw: TestGateway;
let id: string;

beforeAll(async () => {
  gw = await createTestGateway();
  const anna = { Authorization: `Bearer ${await gw.token('anna')}` };
  const bram = { Authorization: `Bearer ${await gw.token('bram')}` };
  id = (await gw.http.post('/api/v1/requests').set(anna).send(boatRequest())).body.id;
  const answer = await gw.http.post(`/api/v1/requests/${id}/answer`).set(bram).send(vesselAnswer());
  const approved = await gw.http
    .post(`/api/v1/requests/${id}/approve`)
    .set(bram)
    .send({ previewVersion: answer.body.previewVersion });
  expect(approved.status).toBe(200);
});
afterAll(() => gw.close());

async function download(user: string, page: string) {
  const { cookie } = await portalSession(gw.http, user);
  const shown = await gw.http.get(page).set('Cookie', cookie);
  expect(shown.status).toBe(200);
  expect(shown.text).toContain(`href="/portal/requests/${id}/receipt" download`);
  return gw.http.get(`/portal/requests/${id}/receipt`).set('Cookie', cookie);
}

describe('the portal receipt download', () => {
  const publicKey = () =>
    readPublicKey(fs.readFileSync(path.join(gw.dataDir, 'keys', 'checkpoint.pub.pem'), 'utf8'));

  it.each([
    ['anna', 'the analyst', () => `/portal/requests/${id}/disclosure`],
    ['bram', 'the responder', () => `/portal/requests/${id}`],
  ])('gives %s (%s) an attachment that verifies offline', async (user, _who, page) => {
    const res = await download(user, page());
    expect(res.status).toBe(200);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="receipt-${id}.json"`);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['content-security-policy']).toMatch(/default-src 'none'|script-src 'self'/);
    expect(res.headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(verifyReceipt(res.text, publicKey())).toMatchObject({
      ok: true,
      type: 'disclosure',
      requestId: id,
    });
  });

  it('is refused to a user of neither side and to no session', async () => {
    const { cookie } = await portalSession(gw.http, 'sven');
    const other = await gw.http.get(`/portal/requests/${id}/receipt`).set('Cookie', cookie);
    expect([403, 404]).toContain(other.status);
    expect(other.headers['content-disposition']).toBeUndefined();
    const none = await gw.http.get(`/portal/requests/${id}/receipt`);
    expect(none.headers['content-disposition']).toBeUndefined();
    expect(none.text).not.toContain('"fsg.receipt/v1"');
  });
});
