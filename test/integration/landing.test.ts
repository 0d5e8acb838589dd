/** `GET /`: a browser lands on the portal, an API client is told where the API and the portal are. */
import { createTestGateway, type TestGateway } from '../helpers/gateway';

let gw: TestGateway;
beforeAll(async () => {
  gw = await createTestGateway();
});
afterAll(() => gw?.close());

const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

describe('GET /', () => {
  it('sends a browser on to the portal with a 303', async () => {
    const res = await gw.http.get('/').set('Accept', BROWSER);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/portal/');
  });

  it.each([['application/json'], ['*/*'], ['(none)']])(
    'answers an API client (Accept %s) with JSON naming the API and the portal',
    async (accept) => {
      const req = gw.http.get('/');
      const res = await (accept === '(none)' ? req : req.set('Accept', accept));
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({
        name: 'Five Safes Gateway',
        api: '/api/v1',
        portal: '/portal/',
        transparency: '/transparency',
        health: '/healthz',
        readiness: '/readyz',
      });
    },
  );

  it('needs no token, and the portal it points at is there', async () => {
    const portal = await gw.http.get('/portal/').set('Accept', BROWSER);
    expect(portal.status).toBe(303);
    expect(portal.headers.location).toBe('/portal/sign-in');
  });
});
