/**
 * The API's OpenAPI 3.1 description (GET /api/v1/openapi.json), generated from the route table: every
 * schema and $ref in it resolves, every mounted API and health route is in it, and real answers match
 * what it documents. Its reference page (GET /api/docs) runs no script.
 */
import { openApiPath } from '../../src/http/openapi';
import { DOCS_CSP } from '../../src/http/api-docs';
import {
  boatLookup,
  boatRequest,
  createTestGateway,
  vesselAnswer,
  type TestGateway,
} from '../helpers/gateway';
import { documentAjv, documented, schemaPointers, validatorAt, type OpenApiDoc } from '../helpers/openapi';

let gw: TestGateway;
let doc: OpenApiDoc;
let expectDocumented: ReturnType<typeof documented>;
const bearer = async (user: string) => ({ Authorization: `Bearer ${await gw.token(user)}` });

beforeAll(async () => {
  gw = await createTestGateway();
  const res = await gw.http.get('/api/v1/openapi.json');
  expect(res.status).toBe(200);
  doc = res.body as OpenApiDoc;
  expectDocumented = documented(doc);
});
afterAll(() => gw?.close());

type Op = { parameters?: { name: string; in: string }[]; responses: Record<string, { content?: object }> };
const operations = () =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ path, method, op: op as unknown as Op })),
  );

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 whose every schema compiles and every $ref resolves', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toEqual(
      expect.objectContaining({ title: expect.any(String), version: expect.any(String) }),
    );
    const ajv = documentAjv(doc);
    const pointers = schemaPointers(doc);
    expect(pointers.length).toBeGreaterThan(100);
    const broken = pointers.flatMap((pointer) => {
      try {
        validatorAt(ajv, pointer);
        return [];
      } catch (error) {
        return [`${pointer}: ${(error as Error).message}`];
      }
    });
    expect(broken).toEqual([]);
  });

  it('declares each path parameter, a success and a problem document for every refusal', () => {
    const wrong: string[] = [];
    for (const { path, method, op } of operations()) {
      const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      if (declared.join() !== inPath.join())
        wrong.push(`${method} ${path}: path parameters ${declared.join()}`);
      const statuses = Object.keys(op.responses);
      if (!statuses.some((s) => /^2/.test(s))) wrong.push(`${method} ${path}: no success documented`);
      for (const status of statuses.filter((s) => Number(s) >= 400 && path !== '/readyz')) {
        const problem = (op.responses[status].content as Record<string, { schema?: { $ref?: string } }>)?.[
          'application/problem+json'
        ];
        if (problem?.schema?.$ref !== '#/components/schemas/Problem')
          wrong.push(`${method} ${path} ${status}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('documents every mounted route under /api/v1 and the health probes (method and path)', () => {
    const mounted = gw.routes.filter(
      ({ prefix, route }) => prefix === '' || `${prefix}${route.path}`.startsWith('/api/v1/'),
    );
    expect(mounted.length).toBeGreaterThan(35);
    const missing = mounted
      .map(({ prefix, route }) => ({ method: route.method, path: openApiPath(prefix, route.path) }))
      .filter(({ method, path }) => !doc.paths[path]?.[method])
      .map(({ method, path }) => `${method} ${path}`);
    expect(missing).toEqual([]);
  });

  it('describes request bodies with the schemas the routes validate with', () => {
    const ajv = documentAjv(doc);
    const body = validatorAt(
      ajv,
      '/paths/~1api~1v1~1requests/post/requestBody/content/application~1json/schema',
    );
    expect(body(boatRequest())).toBe(true);
    expect(body(boatRequest({ caseRef: '' }))).toBe(false);
  });
});

describe('real answers match the description', () => {
  it('the health probes', async () => {
    expectDocumented(await gw.http.get('/healthz'), 'get', '/healthz');
    expectDocumented(await gw.http.get('/readyz'), 'get', '/readyz');
  });

  it('a lookup (the fast lane), and one whose body is invalid', async () => {
    const anna = await bearer('anna');
    const ok = await gw.http.post('/api/v1/lookups').set(anna).send(boatLookup());
    expect(ok.status).toBe(200);
    expectDocumented(ok, 'post', '/api/v1/lookups');
    const bad = await gw.http
      .post('/api/v1/lookups')
      .set(anna)
      .send(boatLookup({ identifiers: [] }));
    expect(bad.status).toBe(400);
    expectDocumented(bad, 'post', '/api/v1/lookups');
  });

  it('a request created, listed, answered and withdrawn; one refused with its errors; one denied by the Five Safes', async () => {
    const anna = await bearer('anna');
    const created = await gw.http.post('/api/v1/requests').set(anna).send(boatRequest());
    expect(created.status).toBe(201);
    expectDocumented(created, 'post', '/api/v1/requests');
    const invalid = await gw.http.post('/api/v1/requests').set(anna).send({ agreementId: 'stolen-boats' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors.length).toBeGreaterThan(0);
    expectDocumented(invalid, 'post', '/api/v1/requests');
    const denied = await gw.http
      .post('/api/v1/requests')
      .set(anna)
      .send(boatRequest({ purpose: 'curiosity' }));
    expect(denied.status).toBe(403);
    expectDocumented(denied, 'post', '/api/v1/requests');
    const read = await gw.http.get(`/api/v1/requests/${created.body.id}`).set(anna);
    expect(read.status).toBe(200);
    expectDocumented(read, 'get', '/api/v1/requests/{id}');
    const own = await gw.http.get('/api/v1/requests').set(anna);
    expect(own.body.items.length).toBeGreaterThan(0);
    expectDocumented(own, 'get', '/api/v1/requests');
    const bram = await bearer('bram');
    const answered = await gw.http
      .post(`/api/v1/requests/${created.body.id}/answer`)
      .set(bram)
      .send(vesselAnswer());
    expect(answered.status).toBe(200);
    expectDocumented(answered, 'post', '/api/v1/requests/{id}/answer');
    const again = await gw.http.post(`/api/v1/requests/${created.body.id}/withdraw`).set(anna);
    expect(again.status).toBe(200);
    expectDocumented(again, 'post', '/api/v1/requests/{id}/withdraw');
  });

  it('problems: no token (401), no such request (404), a role that may not (403), an invalid query (400)', async () => {
    const none = await gw.http.get('/api/v1/requests');
    expect(none.status).toBe(401);
    expectDocumented(none, 'get', '/api/v1/requests');
    const anna = await bearer('anna');
    const missing = await gw.http.get('/api/v1/requests/not-a-request').set(anna);
    expect(missing.status).toBe(404);
    expectDocumented(missing, 'get', '/api/v1/requests/{id}');
    const notDpo = await gw.http.get('/api/v1/audit/events').set(anna);
    expect(notDpo.status).toBe(403);
    expectDocumented(notDpo, 'get', '/api/v1/audit/events');
    const badQuery = await gw.http.get('/api/v1/audit/events?limit=0').set(await bearer('dana'));
    expect(badQuery.status).toBe(400);
    expectDocumented(badQuery, 'get', '/api/v1/audit/events');
  });

  it('the audit list, and the description itself', async () => {
    const events = await gw.http.get('/api/v1/audit/events').set(await bearer('dana'));
    expect(events.status).toBe(200);
    expect(events.body.items.length).toBeGreaterThan(0);
    expectDocumented(events, 'get', '/api/v1/audit/events');
    expectDocumented(await gw.http.get('/api/v1/openapi.json'), 'get', '/api/v1/openapi.json');
  });

  it('fails an answer the description does not document', async () => {
    const res = await gw.http.get('/healthz');
    expect(() => expectDocumented({ ...res, status: 418 } as typeof res, 'get', '/healthz')).toThrow(
      /status not documented/,
    );
    expect(() =>
      expectDocumented({ ...res, body: { status: 'fine' } } as typeof res, 'get', '/healthz'),
    ).toThrow(/does not match/);
  });
});

describe('the reference page', () => {
  it('is server-rendered HTML under its own CSP, with no script, naming every route', async () => {
    const page = await gw.http.get('/api/docs');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toBe(DOCS_CSP);
    expect(DOCS_CSP).not.toMatch(/script-src|unsafe/);
    expect(page.text).not.toMatch(/<script|\son[a-z]+=/i);
    for (const { path } of operations()) expect(page.text).toContain(`<code>${path}</code>`);
    const css = await gw.http.get('/api/docs/docs.css');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
  });
});
