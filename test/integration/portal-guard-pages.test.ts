/**
 * The API guard's refusals at the portal, answered by the portal's own onProblem: a signed-in browser
 * gets a page, a caller with no session the API's problem+json.
 */
import { createTestGateway, type TestGateway } from '../helpers/gateway';
import { portalSession } from '../helpers/portal-session';

let gw: TestGateway;

beforeAll(async () => {
  gw = await createTestGateway();
});

afterAll(async () => {
  await gw.close();
});

it('shows a signed-in user whose role does not allow the page a 403 page, not problem+json', async () => {
  const { cookie } = await portalSession(gw.http, 'anna');
  const res = await gw.http
    .get('/portal/admin/accreditations')
    .set('Cookie', cookie)
    .set('Accept', 'text/html');
  expect(res.status).toBe(403);
  expect(res.type).toBe('text/html');
  expect(res.text).toContain('Not allowed');
  expect(res.text).toContain('Your role does not allow this action.');
  expect(res.headers['www-authenticate']).toBeUndefined();
});

it('answers a caller with no session and no wish for a page with the API guard’s 401', async () => {
  const res = await gw.http.get('/portal/requests').set('Accept', 'application/json');
  expect(res.status).toBe(401);
  expect(res.type).toBe('application/problem+json');
  expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
});
