/**
 * The portal's request-scoped routes, without a browser: another partner's user learns nothing about a
 * request, a session is needed for every guarded route, and every POST needs its CSRF token.
 */
import { boatRequest, createTestGateway, vesselAnswer, type TestGateway } from '../helpers/gateway';
import { portalSession } from '../helpers/portal-session';

let gw: TestGateway;
let openId: string;
let disclosedId: string;
const CASE = 'NL-2026-000998';

const session = (user: string) => portalSession(gw.http, user);

beforeAll(async () => {
  gw = await createTestGateway();
  const anna = { Authorization: `Bearer ${await gw.token('anna')}` };
  const bram = { Authorization: `Bearer ${await gw.token('bram')}` };
  const create = () =>
    gw.http
      .post('/api/v1/requests')
      .set(anna)
      .send(boatRequest({ caseRef: CASE }));
  disclosedId = (await create()).body.id;
  const answer = await gw.http.post(`/api/v1/requests/${disclosedId}/answer`).set(bram).send(vesselAnswer());
  await gw.http
    .post(`/api/v1/requests/${disclosedId}/approve`)
    .set(bram)
    .send({ previewVersion: answer.body.previewVersion });
  openId = (await create()).body.id;
});
afterAll(() => gw.close());

const CALLS: [method: 'get' | 'post', path: string][] = [
  ['get', '/portal/requests/:id'],
  ['get', '/portal/requests/:id/disclosure'],
  ['get', '/portal/requests/:id/disclosure.csv'],
  ['get', '/portal/requests/:id/receipt'],
  ['post', '/portal/requests/:id/answer'],
  ['post', '/portal/requests/:id/answer-shared'],
  ['post', '/portal/requests/:id/approve'],
  ['post', '/portal/requests/:id/decline'],
  ['post', '/portal/requests/:id/no-information'],
  ['post', '/portal/requests/:id/withdraw'],
  ['post', '/portal/requests/:id/outcomes'],
];

it('covers every request-scoped portal route', () => {
  const scoped = gw.routes
    .filter(({ prefix, route }) => prefix === '/portal' && route.path.startsWith('/requests/:id'))
    .map(({ route }) => `${route.method} /portal${route.path}`);
  expect(scoped.sort()).toEqual(CALLS.map(([m, p]) => `${m} ${p}`).sort());
});

it.each(['sven', 'dirk', 'iris', 'dana', 'sam', 'ada'])(
  '%s learns nothing about another partner’s request through the portal',
  async (user) => {
    const { cookie, csrf } = await session(user);
    for (const id of [disclosedId, openId]) {
      for (const [method, path] of CALLS) {
        const res = await gw.http[method](path.replace(':id', id))
          .set('Cookie', cookie)
          .type('form')
          .send(method === 'post' ? { _csrf: csrf, reason: 'not ours to answer', previewVersion: '1' } : {});
        expect([user, path, [403, 404].includes(res.status)]).toEqual([user, path, true]);
        for (const secret of [CASE, 'NL-HXAB7A33G293', 'psn_', 'stolen-boats', id])
          expect(res.text).not.toContain(secret);
      }
    }
  },
);

it('redirects a browser without a session to sign-in and refuses a POST without its CSRF token', async () => {
  const browser = await gw.http.get('/portal/requests').set('Accept', 'text/html');
  expect([browser.status, browser.headers.location]).toEqual([303, '/portal/sign-in']);
  const { cookie } = await session('bram');
  const res = await gw.http
    .post(`/portal/requests/${openId}/decline`)
    .set('Cookie', cookie)
    .type('form')
    .send({ reason: 'no token here' });
  expect(res.status).toBe(403);
  const still = await gw.http
    .get(`/api/v1/requests/${openId}`)
    .set('Authorization', `Bearer ${await gw.token('bram')}`);
  expect(still.body.state).toBe('awaiting_provider');
  // The portal's CSP, and the session cookie's attributes.
  const page = await gw.http.get('/portal/sign-in');
  expect(page.headers['content-security-policy']).toMatch(
    /default-src 'none'.*script-src 'self'.*style-src 'self'/,
  );
  expect(String(page.headers['set-cookie'][0])).toMatch(/HttpOnly; SameSite=Strict/);
});

it('offers a responder the example files of its own adapters only', async () => {
  const bram = await session('bram');
  const inbox = await gw.http.get(`/portal/requests/${openId}`).set('Cookie', bram.cookie);
  expect(inbox.text).toContain('href="/portal/samples/boatreg-nl/sample.csv"');
  const file = await gw.http.get('/portal/samples/boatreg-nl/sample.csv').set('Cookie', bram.cookie);
  expect(file.status).toBe(200);
  expect(file.headers['content-disposition']).toContain('boatreg-nl-sample.csv');
  expect(file.text.split('\n')[0]).toMatch(/hull/i);
  for (const path of [
    '/portal/samples/boatreg-nl/broken.csv',
    '/portal/samples/boatreg-nl/..%2F..%2Fpackage.json',
    '/portal/samples/autodealers-nl/sample.csv',
  ]) {
    expect((await gw.http.get(path).set('Cookie', bram.cookie)).status).toBe(404);
  }
  const dirk = await session('dirk');
  expect((await gw.http.get('/portal/samples/boatreg-nl/sample.csv').set('Cookie', dirk.cookie)).status).toBe(
    404,
  );
  const anna = await session('anna');
  expect((await gw.http.get('/portal/samples/boatreg-nl/sample.csv').set('Cookie', anna.cookie)).status).toBe(
    403,
  );
});

it('checks a decline’s and a suspension’s reason as the API does', async () => {
  const bram = await session('bram');
  const short = await gw.http
    .post(`/portal/requests/${openId}/decline`)
    .set('Cookie', bram.cookie)
    .type('form')
    .send({ _csrf: bram.csrf, reason: 'no' });
  expect(short.status).toBe(400);
  expect(short.text).toMatch(/\/reason: must NOT have fewer than 3 characters/);
  const ada = await session('ada');
  const long = await gw.http
    .post('/portal/admin/accreditations/police-nl/tom/suspend')
    .set('Cookie', ada.cookie)
    .type('form')
    .send({ _csrf: ada.csrf, reason: 'x'.repeat(501) });
  expect(long.status).toBe(400);
  expect(long.text).toMatch(/\/reason: must NOT have more than 500 characters/);
});
