/**
 * The lookup fast lane (src/lookups/fast-lane.ts) against the express route it stands in for: the
 * same requests, sent once through the server's handler and once through express alone, must get the
 * same status, the same headers and the same body (ids and times aside), and leave the same kind of
 * log entry; what the lane does not take must reach express untouched.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import supertest from 'supertest';
import { PROJECT_ROOT } from '../../src/config/load';
import { createTestGateway, type TestGateway } from '../helpers/gateway';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g;
/** Headers that differ from one answer to the next whatever serves it. */
const VARYING = new Set(['date', 'x-request-id', 'connection', 'keep-alive']);

interface Sent {
  method?: 'post' | 'get';
  path?: string;
  token?: string | null;
  type?: string;
  body?: string;
  headers?: Record<string, string>;
}

let gw: TestGateway;
let anna: string;
/** A verified token of a user the registry does not know. */
let mallory: string;
let expressHandled = 0;

async function send(http: ReturnType<typeof supertest>, s: Sent) {
  let req = http[s.method ?? 'post'](s.path ?? '/api/v1/lookups');
  if (s.token !== null) req = req.set('Authorization', `Bearer ${s.token ?? anna}`);
  if (s.type !== undefined) req = req.set('Content-Type', s.type);
  // From a trusted proxy that ended TLS, unless the case says otherwise.
  for (const [name, value] of Object.entries(s.headers ?? { 'X-Forwarded-Proto': 'https' }))
    req = req.set(name, value);
  const res = await (s.body === undefined ? req : req.send(s.body));
  const headers = Object.fromEntries(
    Object.entries(res.headers)
      .filter(([name]) => !VARYING.has(name))
      .map(([name, value]) => [name, String(value).replace(UUID, 'ID')]),
  );
  return { status: res.status, headers, body: res.text.replace(UUID, 'ID').replace(TIME, 'TIME') };
}

/** The answer through the server's handler, and whether express served it. */
async function viaHandler(s: Sent) {
  const before = expressHandled;
  const answer = await send(gw.http, s);
  return { answer, express: expressHandled > before };
}

const lookupBody = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    agreementId: 'stolen-boats',
    identifiers: [{ type: 'hin', value: 'nl-hxab7a33g293' }],
    purpose: 'stolen-property-investigation',
    caseRef: 'NL-2026-000321',
    ...overrides,
  });

/** The shipped bundle, with stolen-boats requiring TLS (so the protocol a request came by counts). */
function bundleRequiringTls(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-fast-lane-'));
  fs.cpSync(path.join(PROJECT_ROOT, 'policies'), dir, { recursive: true });
  const edit = (file: string, from: string, to: string) => {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    if (!text.includes(from)) throw new Error(`${file} holds no ${from}`);
    fs.writeFileSync(path.join(dir, file), text.replaceAll(from, to));
  };
  edit('partners.yaml', '../config/demo/', `${path.join(PROJECT_ROOT, 'config', 'demo')}/`);
  edit('agreements/stolen-boats.yaml', 'tlsRequired: false', 'tlsRequired: true');
  return dir;
}

let policyDir: string;

beforeAll(async () => {
  policyDir = bundleRequiringTls();
  gw = await createTestGateway({
    FSG_DEMO_DATASETS: 'true',
    FSG_TRUST_PROXY: 'loopback',
    FSG_POLICY_DIR: policyDir,
  });
  anna = await gw.token('anna');
  mallory = await gw.token('mallory');
  // Counts what reaches express (app.handle, which express's own request handler calls).
  const app = gw.app as unknown as { handle: (...args: unknown[]) => unknown };
  const handle = app.handle.bind(app);
  app.handle = (...args) => {
    expressHandled++;
    return handle(...args);
  };
});
afterAll(async () => {
  await gw.close();
  fs.rmSync(policyDir, { recursive: true, force: true });
});

describe('the lookup fast lane answers as the express route does', () => {
  const json = 'application/json';
  const cases: [string, () => Sent, number][] = [
    ['a hit', () => ({ type: json, body: lookupBody() }), 200],
    [
      'no hit',
      () => ({ type: json, body: lookupBody({ identifiers: [{ type: 'hin', value: 'NL-ZZZ99999A999' }] }) }),
      200,
    ],
    [
      'valid and invalid identifiers (a hull number of the wrong length)',
      () => ({
        type: json,
        body: lookupBody({
          identifiers: [
            { type: 'hin', value: 'NL-HXAB7A33' },
            { type: 'hin', value: 'nl-hxab7a33g293' },
          ],
        }),
      }),
      200,
    ],
    ['a charset in the type', () => ({ type: 'application/json; charset=UTF-8', body: lookupBody() }), 200],
    ['a byte order mark', () => ({ type: json, body: `\ufeff${lookupBody()}` }), 200],
    [
      'a denial (identifier type out of scope)',
      () => ({
        type: json,
        body: lookupBody({ identifiers: [{ type: 'vin', value: '1HGCM82633A004352' }] }),
      }),
      403,
    ],
    [
      'a client address outside the partner networks (trusted proxy)',
      () => ({
        type: json,
        body: lookupBody(),
        headers: { 'X-Forwarded-For': '203.0.113.9', 'X-Forwarded-Proto': 'https' },
      }),
      403,
    ],
    [
      'plain HTTP where the agreement requires TLS',
      () => ({ type: json, body: lookupBody(), headers: {} }),
      403,
    ],
    [
      'a denial to a caller without accreditation (reason codes only)',
      () => ({ token: mallory, type: json, body: lookupBody() }),
      403,
    ],
    [
      'more identifiers than the agreement allows (logged compactly)',
      () => ({
        type: json,
        body: lookupBody({
          identifiers: Array.from({ length: 101 }, (_, i) => ({ type: 'hin', value: `NL-X${i}` })),
        }),
      }),
      403,
    ],
    ['no token', () => ({ token: null, type: json, body: lookupBody() }), 401],
    ['a forged token', () => ({ token: `${anna.slice(0, -4)}AAAA`, type: json, body: lookupBody() }), 401],
    ['a body that is not JSON', () => ({ type: json, body: '{"agreementId": ' }), 400],
    ['JSON that is not an object or array', () => ({ type: json, body: '"stolen-boats"' }), 400],
    ['a body the schema refuses', () => ({ type: json, body: lookupBody({ purpose: 7, extra: true }) }), 400],
    [
      'text that is not well-formed (a lone surrogate)',
      () => ({ type: json, body: lookupBody({ caseRef: '@@' }).replace('@@', '\\udfff') }),
      400,
    ],
  ];

  it.each(cases)('%s', async (_label, sent, status) => {
    const fast = await viaHandler(sent());
    const slow = await send(supertest(gw.app), sent());
    expect(fast.express).toBe(false);
    expect(fast.answer.status).toBe(status);
    expect(fast.answer).toEqual(slow);
  });

  it('logs the lookup as the express route does, under the same partners', async () => {
    await viaHandler({ type: json, body: lookupBody({ caseRef: 'NL-2026-000901' }) });
    await send(supertest(gw.app), { type: json, body: lookupBody({ caseRef: 'NL-2026-000902' }) });
    const entries = (await gw.store.audit.read(1, 100_000)).filter(
      (e) => e.type === 'lookup' && ['NL-2026-000901', 'NL-2026-000902'].includes(e.data.caseRef as string),
    );
    expect(entries).toHaveLength(2);
    const [fast, slow] = entries.map(({ data, partners, outcome, actorUser, actorPartner }) => ({
      partners,
      outcome,
      actorUser,
      actorPartner,
      data: { ...data, lookupId: 'ID', caseRef: 'REF' },
    }));
    expect(fast).toEqual(slow);
    expect(fast.partners).toEqual(['boatreg-nl', 'insureco', 'police-nl']);
  });
});

describe('the request log', () => {
  it('has the same line for a request whichever serves it', async () => {
    const info = jest.spyOn(gw.logger, 'info');
    try {
      for (const sent of [
        { type: 'application/json', body: lookupBody() },
        { token: null, type: 'application/json', body: lookupBody() },
      ]) {
        info.mockClear();
        await viaHandler(sent);
        await send(supertest(gw.app), sent);
        const lines = (info.mock.calls as unknown as [unknown, unknown][])
          .filter(([message]) => message === 'request')
          .map(([, fields]) => ({ ...(fields as Record<string, unknown>), requestId: 'ID', ms: 0 }));
        expect(lines).toHaveLength(2);
        expect(lines[0]).toEqual(lines[1]);
        expect(lines[0]).toMatchObject({ method: 'POST', route: '/api/v1/lookups' });
      }
    } finally {
      info.mockRestore();
    }
  });
});

describe('what the fast lane leaves to express', () => {
  const cases: [string, Sent][] = [
    [
      'a body over the limit',
      { type: 'application/json', body: lookupBody({ caseRef: 'x'.repeat(1_100_000) }) },
    ],
    ['another content type', { type: 'text/plain', body: lookupBody() }],
    ['another charset', { type: 'application/json; charset=latin1', body: lookupBody() }],
    ['a +json type', { type: 'application/merge-patch+json', body: lookupBody() }],
    ['an empty body', { type: 'application/json', body: '' }],
    ['a query string', { path: '/api/v1/lookups?x=1', type: 'application/json', body: lookupBody() }],
    ['a trailing slash', { path: '/api/v1/lookups/', type: 'application/json', body: lookupBody() }],
    ['another letter case', { path: '/API/v1/Lookups', type: 'application/json', body: lookupBody() }],
    ['another method', { method: 'get' }],
    ['another route', { path: '/api/v1/requests', type: 'application/json', body: '{}' }],
  ];

  it.each(cases)('%s', async (_label, sent) => {
    const fast = await viaHandler(sent);
    const slow = await send(supertest(gw.app), sent);
    expect(fast.express).toBe(true);
    expect(fast.answer).toEqual(slow);
  });
});
