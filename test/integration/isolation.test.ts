/**
 * Every route declares its guard, and every request-scoped route is scoped to the caller's partner:
 * another partner's user gets 404 or 403 and learns nothing about the request.
 */
import { boatRequest, createTestGateway, vesselAnswer, type TestGateway } from '../helpers/gateway';

let gw: TestGateway;
const tokens: Record<string, string> = {};
let disclosedId: string;
let openId: string;
const CASE = 'NL-2026-000999';

beforeAll(async () => {
  gw = await createTestGateway();
  for (const user of ['anna', 'bram', 'sven', 'dirk', 'iris', 'dana', 'sam', 'ada'])
    tokens[user] = await gw.token(user);
  const auth = { Authorization: `Bearer ${tokens.anna}` };
  const bramAuth = { Authorization: `Bearer ${tokens.bram}` };
  disclosedId = (
    await gw.http
      .post('/api/v1/requests')
      .set(auth)
      .send(boatRequest({ caseRef: CASE }))
  ).body.id;
  const answer = await gw.http
    .post(`/api/v1/requests/${disclosedId}/answer`)
    .set(bramAuth)
    .send(vesselAnswer());
  await gw.http
    .post(`/api/v1/requests/${disclosedId}/approve`)
    .set(bramAuth)
    .send({ previewVersion: answer.body.previewVersion });
  openId = (
    await gw.http
      .post('/api/v1/requests')
      .set(auth)
      .send(boatRequest({ caseRef: CASE }))
  ).body.id;
});
afterAll(() => gw.close());

const ROUTE_CALLS: [method: 'get' | 'post', path: string, body?: object][] = [
  ['get', '/api/v1/requests/:id'],
  ['get', '/api/v1/requests/:id/disclosure'],
  ['post', '/api/v1/requests/:id/answer', vesselAnswer()],
  ['post', '/api/v1/requests/:id/approve', { previewVersion: 1 }],
  ['post', '/api/v1/requests/:id/decline', { reason: 'not ours to answer' }],
  ['post', '/api/v1/requests/:id/withdraw'],
  ['post', '/api/v1/requests/:id/no-information'],
  ['post', '/api/v1/requests/:id/answer/upload?adapter=boatreg-nl', vesselAnswer()],
  ['post', '/api/v1/requests/:id/answer/shared'],
  ['get', '/api/v1/requests/:id/receipt'],
  ['get', '/api/v1/requests/:id/outcomes'],
  ['post', '/api/v1/requests/:id/outcomes', { kind: 'owner-traced' }],
];

describe('route guards', () => {
  it('declares a guard on every route, public only for the root, health probes, the API description, the transparency report, the portal sign-in (OIDC too) and assets', () => {
    for (const { route } of gw.routes) expect(route.guard).toBeDefined();
    const open = gw.routes
      .filter(({ route }) => route.guard.kind === 'public')
      .map(({ route }) => route.path);
    // The portal's OpenID Connect sign-in: its start and the provider's answer come before any session.
    expect(open.sort()).toEqual([
      '/',
      '/assets/:name',
      '/docs',
      '/docs/docs.css',
      '/healthz',
      '/oidc/callback',
      '/readyz',
      '/sign-in',
      '/sign-in',
      '/sign-in/oidc/:partnerId',
      '/transparency',
      '/transparency',
      '/transparency/transparency.css',
      '/v1/openapi.json',
    ]);
  });

  it('answers 401 problem+json without a token on every non-public route', async () => {
    for (const { prefix, route } of gw.routes.filter(({ route }) => route.guard.kind !== 'public')) {
      const res = await gw.http[route.method](
        `${prefix}${route.path.replace(':id', openId).replace(':userId', 'anna')}`,
      );
      expect([route.path, res.status]).toEqual([route.path, 401]);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    }
  });

  it('refuses tokens that are not bearer tokens of a trusted issuer', async () => {
    const forged = `${tokens.anna.slice(0, -4)}AAAA`;
    for (const header of ['Basic YW5uYTpwdw==', `Bearer ${forged}`, 'Bearer not-a-token']) {
      const res = await gw.http.get('/api/v1/requests').set('Authorization', header);
      expect(res.status).toBe(401);
      expect(JSON.stringify(res.body)).not.toContain(forged);
    }
  });
});

describe('partner isolation', () => {
  // The portal's request-scoped routes are covered by test/e2e/portal-isolation.test.ts.
  it('covers every request-scoped route', () => {
    const scoped = gw.routes
      .filter(({ prefix, route }) => prefix === '/api/v1' && route.path.startsWith('/requests/:id'))
      .map(({ prefix, route }) => `${route.method} ${prefix}${route.path}`);
    const covered = ROUTE_CALLS.map(([method, path]) => `${method} ${path.split('?')[0]}`);
    expect(scoped.sort()).toEqual(covered.sort());
  });

  // sven: another police force; dirk: a provider not addressed; iris: a provider of the same agreement;
  // dana: anna's own partner's DPO (not the requester); ada: the operator's admin.
  const outsiders = ['sven', 'dirk', 'iris', 'dana', 'sam', 'ada'];

  it.each(outsiders)(
    '%s learns nothing about another partner’s requests on any request route',
    async (user) => {
      for (const id of [disclosedId, openId]) {
        for (const [method, path, body] of ROUTE_CALLS) {
          const res = await gw.http[method](path.replace(':id', id))
            .set('Authorization', `Bearer ${tokens[user]}`)
            .send(body);
          expect([user, path, [403, 404].includes(res.status)]).toEqual([user, path, true]);
          const text = JSON.stringify(res.body);
          for (const secret of [CASE, 'NL-HXAB7A33G293', 'psn_', 'stolen-boats', id])
            expect(text).not.toContain(secret);
        }
      }
      const list = await gw.http.get('/api/v1/requests').set('Authorization', `Bearer ${tokens[user]}`);
      expect(JSON.stringify(list.body)).not.toContain(CASE);
      const inbox = await gw.http.get('/api/v1/inbox').set('Authorization', `Bearer ${tokens[user]}`);
      expect(JSON.stringify(inbox.body)).not.toContain(CASE);
    },
  );

  it('does not let the provider read the disclosure or the requester approve it', async () => {
    const asBram = await gw.http
      .get(`/api/v1/requests/${disclosedId}/disclosure`)
      .set('Authorization', `Bearer ${tokens.bram}`);
    expect(asBram.status).toBe(403);
    const asAnna = await gw.http
      .post(`/api/v1/requests/${openId}/approve`)
      .set('Authorization', `Bearer ${tokens.anna}`)
      .send({ previewVersion: 1 });
    expect(asAnna.status).toBe(403);
  });

  it('lets only the operator’s admin manage accreditations, and logs each change', async () => {
    for (const user of ['anna', 'bram', 'dana', 'sam']) {
      const res = await gw.http
        .get('/api/v1/admin/accreditations')
        .set('Authorization', `Bearer ${tokens[user]}`);
      expect(res.status).toBe(403);
    }
    const ada = { Authorization: `Bearer ${tokens.ada}` };
    const list = await gw.http.get('/api/v1/admin/accreditations').set(ada);
    expect(list.body.items.map((u: { userId: string }) => u.userId)).toContain('tom');
    const suspended = await gw.http
      .post('/api/v1/admin/accreditations/autodealers-nl/dirk/suspend')
      .set(ada)
      .send({ reason: 'left the company' });
    expect(suspended.body.suspended).toBe(true);
    const blocked = await gw.http.get('/api/v1/inbox').set('Authorization', `Bearer ${tokens.dirk}`);
    expect(blocked.status).toBe(403);
    const patched = await gw.http
      .patch('/api/v1/admin/accreditations/autodealers-nl/dirk')
      .set(ada)
      .send({ vettingLevel: 2, suspended: false });
    expect(patched.body).toMatchObject({ vettingLevel: 2, suspended: false, partnerId: 'autodealers-nl' });
    const bad = await gw.http
      .patch('/api/v1/admin/accreditations/autodealers-nl/dirk')
      .set(ada)
      .send({ vettingLevel: 7 });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].pointer).toBe('/vettingLevel');
    const changes = (await gw.store.audit.read(1, 10_000)).filter(
      (e) => e.type === 'accreditation.change' && e.actorUser === 'ada',
    );
    expect(changes.map((e) => e.data.action)).toEqual(['suspend: left the company', 'update']);
  });
});

describe('operations', () => {
  it('answers health and readiness probes with the policy digest', async () => {
    expect((await gw.http.get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await gw.http.get('/readyz');
    expect(ready.body).toMatchObject({ status: 'ready', policyDigest: gw.bundle.digest });
  });

  it('puts a request id and security headers on every response, and problem+json on errors', async () => {
    const res = await gw.http.get('/nowhere');
    expect(res.status).toBe(404);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.body).toMatchObject({ status: 404, title: 'Not found' });
  });

  it('rejects malformed and oversized JSON with problem+json and no stack trace', async () => {
    const auth = { Authorization: `Bearer ${tokens.anna}`, 'Content-Type': 'application/json' };
    const bad = await gw.http.post('/api/v1/requests').set(auth).send('{"agreementId": ');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).not.toMatch(/at .*\.(ts|js):\d+/);
    const big = await gw.http
      .post('/api/v1/requests')
      .set(auth)
      .send(JSON.stringify({ purpose: 'x'.repeat(2_000_000) }));
    expect(big.status).toBe(413);
    const unknown = await gw.http
      .post('/api/v1/requests')
      .set(auth)
      .send({ ...boatRequest(), extra: 1 });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([
      { pointer: '/extra', detail: 'must NOT have additional properties' },
    ]);
  });
});
