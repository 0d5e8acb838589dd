/**
 * The standing fuzz suite (issue 15): property-based (fast-check) hostile input to everything the
 * gateway parses — every JSON body of the route table (schemas/api/*.json and the routes' inline
 * validators), every route's query, the portal's forms, streamed uploads with their content types
 * and encodings, each adapter's input (adapters/*), and the one date reader.
 *
 * Hostile means: lone UTF-16 surrogates, control characters, numbers past what a double holds, deep
 * nesting, prototype keys (__proto__, constructor), wrong types, invalid UTF-8 and percent-escapes.
 * Properties: never a 5xx; a 4xx of the API is problem+json, and its `errors` carry JSON pointers;
 * a JSON body that fails its schema is told where. For adapters: nothing throws, and every row read
 * is mapped or quarantined (counted against the rows the test wrote).
 *
 * Bounded: a fixed seed per property and a few dozen runs each (FSG_PROPERTY_RUNS raises them).
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import fc from 'fast-check';
import type supertest from 'supertest';
import { readDemoUsers } from '../../src/accreditations/demo-seed';
import { PROJECT_ROOT } from '../../src/config/load';
import { exampleFile, exampleFiles } from '../../src/datasets/demo-seed';
import { logTimestamp } from '../../src/http/timestamps';
import { adapters, mapAll } from '../../src/mapping';
import type { Adapter, InputFormat } from '../../src/mapping/types';
import { boatRequest, createTestGateway, vesselAnswer, type TestGateway } from '../helpers/gateway';
import { streamOf } from '../unit/mapping/arbitraries';
import {
  fillPath,
  guardAllows,
  isPortal,
  keyOf,
  registryBody,
  signIn,
  type Anchors,
  type Mounted,
} from './route-table';

const RUNS = Number(process.env.FSG_PROPERTY_RUNS) || 0;
/**
 * A fixed seed per property: a failure is reproduced by the same run; FSG_PROPERTY_RUNS widens it. The
 * HTTP properties collect what they find (every route, every run) and the test lists it at the end.
 */
const params = (numRuns: number, seed: number) => ({ numRuns: RUNS || numRuns, seed });

// ---------------------------------------------------------------------------------------------------
// Hostile values.

const LONE_SURROGATES = ['\uD800', '\uDBFF', '\uDC00', '\uDFFF', 'a\uD800b', '\uDC00\uD800'];
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];
const NASTY = [
  ...LONE_SURROGATES,
  ...PROTOTYPE_KEYS,
  '',
  ' ',
  '\u0000',
  '\u0007\u001b[2J',
  '\r\n',
  '\u2028\u2029',
  '\u202e',
  '\uFEFF',
  '%00',
  '../../etc/passwd',
  '=HYPERLINK("x")',
  '<script>',
  '9'.repeat(400),
  'x'.repeat(3000),
];

/** What a string becomes as UTF-8: lone surrogates turn into U+FFFD (URLs and forms cannot carry them). */
const wellFormed = (s: string) => Buffer.from(s, 'utf8').toString('utf8');

const controlChars = fc
  .array(fc.integer({ min: 0, max: 31 }), { minLength: 1, maxLength: 8 })
  .map((codes) => String.fromCharCode(...codes));
const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(...NASTY),
  controlChars,
  fc.tuple(fc.string({ maxLength: 8 }), fc.constantFrom(...LONE_SURROGATES)).map(([a, b]) => a + b),
);
const hostileNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -0, 5e-324, 2 ** 64, 1e21),
);
const hostileKey = fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS), hostileString);

const hostileJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown; array: unknown[]; object: object }>(
  (tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      hostileString,
      hostileNumber,
      fc.boolean(),
      fc.constant(null),
      tie('array'),
      tie('object'),
    ),
    array: fc.array(tie('value'), { maxLength: 4 }),
    object: fc.dictionary(hostileKey, tie('value'), { maxKeys: 4 }),
  }),
).value;

/** JSON text that no JSON.stringify writes: deep nesting, numbers past a double. */
const oddJsonText = fc.oneof(
  fc
    .tuple(fc.integer({ min: 64, max: 20_000 }), fc.constantFrom('[', '{"a":'))
    .map(([depth, open]) => `${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}`),
  fc
    .constantFrom(
      '1e400',
      '-1e400',
      '123456789012345678901234567890',
      '0.' + '0'.repeat(400) + '1',
      '1' + '0'.repeat(500),
    )
    .map((n) => `{"limit":${n},"vettingLevel":${n},"records":${n}}`),
  fc.constantFrom(
    '{"a":1,"a":2}',
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"x":1}}}',
  ),
);

// ---------------------------------------------------------------------------------------------------
// Mutations of a body the route accepts: the deepest code is reached by input that is nearly right.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path (keys and indexes) to a value inside `value`, the root included. */
function pathsOf(value: Json, at: (string | number)[] = []): (string | number)[][] {
  const out = [at];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...at, i])));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...at, k]));
  }
  return out;
}

interface Mutation {
  pick: number;
  op: 'replace' | 'delete' | 'add';
  key: string;
  value: unknown;
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  pick: fc.nat(),
  op: fc.constantFrom('replace', 'delete', 'add'),
  key: hostileKey,
  value: hostileJson,
});

function mutate(seed: Json, mutations: Mutation[]): unknown {
  let body = structuredClone(seed) as Json;
  for (const m of mutations) {
    const paths = pathsOf(body);
    const where = paths[m.pick % paths.length];
    if (where.length === 0) {
      if (m.op === 'replace') body = m.value as Json;
      continue;
    }
    const parent = where.slice(0, -1).reduce<Json>((node, k) => (node as Record<string, Json>)[k], body);
    const last = where[where.length - 1];
    if (!parent || typeof parent !== 'object') continue;
    const target = parent as Record<string | number, Json>;
    if (m.op === 'delete') delete target[last];
    // defineProperty: `__proto__` becomes an own key, as JSON.parse on the server makes it.
    else if (m.op === 'add' && !Array.isArray(parent)) {
      Object.defineProperty(target, m.key, {
        value: m.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else
      Object.defineProperty(target, last, {
        value: m.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return body;
}

/** A body the route accepts, by method and full path; other routes are fuzzed from nothing. */
function seedBodies(tom: Record<string, unknown>): Record<string, Json> {
  const reason = { reason: 'a reason long enough' };
  const { records } = vesselAnswer();
  return {
    'post /api/v1/lookups': {
      agreementId: 'stolen-boats',
      identifiers: [{ type: 'hin', value: 'NL-HXAB7A33G293' }],
      purpose: 'stolen-property-investigation',
      caseRef: 'NL-2026-000777',
    },
    'post /api/v1/requests': boatRequest() as Json,
    'post /api/v1/requests/:id/answer': { records } as Json,
    'post /api/v1/requests/:id/approve': { reason: 'released', handling: { tlp: 'amber' } },
    'post /api/v1/requests/:id/decline': reason,
    'post /api/v1/requests/:id/outcomes': { kind: 'object-recovered', note: 'found' },
    'post /api/v1/lookups/:lookupId/outcomes': { kind: 'no-value' },
    'put /api/v1/admin/accreditations/:userId': tom as Json,
    'patch /api/v1/admin/accreditations/:userId': { vettingLevel: 2, suspended: false },
    'post /api/v1/admin/accreditations/:userId/suspend': reason,
    'post /api/v1/admin/accreditations/:userId/reinstate': reason,
    'put /api/v1/admin/accreditations/:partnerId/:userId': tom as Json,
    'patch /api/v1/admin/accreditations/:partnerId/:userId': { vettingLevel: 2, suspended: false },
    'post /api/v1/admin/accreditations/:partnerId/:userId/suspend': reason,
    'post /api/v1/admin/accreditations/:partnerId/:userId/reinstate': reason,
    'post /api/v1/admin/accreditations/:partnerId/:userId/role-grants': { role: 'dpo' },
    'post /api/v1/admin/role-grants/:id/reject': reason,
  };
}

const bodyText = (seed: Json) =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .array(mutationArb, { minLength: 1, maxLength: 3 })
        .map((m) => JSON.stringify(mutate(seed, m)) ?? 'null'),
    },
    { weight: 2, arbitrary: hostileJson.map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: oddJsonText },
  );

/** Bytes that are not UTF-8: a surrogate encoded, an overlong slash, a cut sequence, a stray byte. */
const INVALID_UTF8 = [[0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xe2, 0x82], [0xff], [0xfe, 0xff]];

/** The body as bytes: its text, or its text with bytes that are not UTF-8 put in somewhere. */
const bodyBytes = (seed: Json) =>
  fc.oneof(
    { weight: 4, arbitrary: bodyText(seed).map((text) => Buffer.from(text)) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(bodyText(seed), fc.constantFrom(...INVALID_UTF8), fc.nat())
        .map(([text, bad, at]) => {
          const bytes = Buffer.from(text);
          const cut = at % (bytes.length + 1);
          return Buffer.concat([bytes.subarray(0, cut), Buffer.from(bad), bytes.subarray(cut)]);
        }),
    },
  );

const contentTypes = fc.constantFrom(
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/json; charset=koi8-r',
  'text/plain',
  'application/x-www-form-urlencoded',
);

const encodings = fc.constantFrom(
  undefined,
  undefined,
  'gzip',
  'deflate',
  'br',
  'identity',
  'br2',
  'gzip, br',
  'x-gzip',
);
const uploadTypes = fc.constantFrom(
  'text/csv',
  'application/json',
  'application/x-ndjson',
  'application/jsonl',
  'text/plain',
  'application/octet-stream',
  '',
);

function encode(data: Buffer, encoding: string | undefined, intact: boolean): Buffer {
  if (!intact) return data;
  if (encoding === 'gzip' || encoding === 'x-gzip') return zlib.gzipSync(data);
  if (encoding === 'deflate') return zlib.deflateSync(data);
  if (encoding === 'br') return zlib.brotliCompressSync(data);
  return data;
}

// ---------------------------------------------------------------------------------------------------
// What every answer must be.

const JSON_POINTER = /^(\/([^~]|~[01])*)*$/;

/** Never a 5xx; a 4xx of the API is problem+json whose `errors` each carry a pointer and a detail. */
function problemsIn(res: supertest.Response, api: boolean): string[] {
  const out: string[] = [];
  if (res.status >= 500) out.push(`answered ${res.status}`);
  if (!api || res.status < 400) return out;
  if (!/^application\/problem\+json/.test(String(res.headers['content-type'])))
    out.push(`${res.status} not problem+json`);
  const body = res.body as { status?: number; errors?: unknown };
  if (body.status !== res.status) out.push(`problem status ${String(body.status)} for ${res.status}`);
  if (body.errors !== undefined) {
    const errors = body.errors as { pointer?: unknown; detail?: unknown }[];
    const bad =
      !Array.isArray(errors) ||
      errors.length === 0 ||
      errors.some(
        (e) => typeof e.pointer !== 'string' || !JSON_POINTER.test(e.pointer) || typeof e.detail !== 'string',
      );
    if (bad) out.push(`errors without JSON pointers: ${JSON.stringify(errors).slice(0, 200)}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------

let gw: TestGateway;
let anchors: Anchors;
const DEMO_FILE = path.join(PROJECT_ROOT, 'config', 'demo', 'accreditations.yaml');
const users = readDemoUsers(DEMO_FILE);
const tokens = new Map<string, string>();
const sessions = new Map<string, { cookie: string; csrf: string }>();

/** The first demo user the route's guard lets through (so the fuzz reaches the validators). */
function callerFor(mounted: Mounted): string {
  const user = users.find((u) => guardAllows(gw.bundle, mounted, u.roles, u.partnerId));
  return user?.userId ?? 'anna';
}

const partnerOf = (user: string) => users.find((u) => u.userId === user)!.partnerId;

async function sessionOf(user: string, fresh = false) {
  if (fresh || !sessions.has(user)) sessions.set(user, await signIn(gw.http, user, partnerOf(user)));
  return sessions.get(user)!;
}

beforeAll(async () => {
  gw = await createTestGateway();
  for (const u of users) tokens.set(u.userId, await gw.token(u.userId));
  const created = await gw.http
    .post('/api/v1/requests')
    .set('Authorization', `Bearer ${tokens.get('anna')}`)
    .send(boatRequest());
  const checkpoint = await gw.checkpointer.checkpoint();
  const entry = (await gw.store.audit.read(1, 1000)).find((e) => e.requestId === created.body.id);
  anchors = { requestId: created.body.id, seq: entry!.seq, treeSize: checkpoint!.treeSize };
});
afterAll(() => gw?.close());

const api = (): Mounted[] => gw.routes.filter((m) => !isPortal(m) && m.route.guard.kind !== 'public');
const urlOf = (m: Mounted): string => {
  const url = fillPath(m, anchors);
  if (typeof url !== 'string') throw new Error(`${keyOf(m)}: ${url.unknown}`);
  return url;
};

describe('JSON bodies', () => {
  it('no body the API parses (fast lane and express, every schema and inline validator) gets a 5xx or a problem without pointers', async () => {
    const seeds = seedBodies(registryBody(DEMO_FILE, 'tom'));
    const routes = api().filter((m) => m.route.method !== 'get' && m.route.body !== 'stream');
    expect(routes.length).toBeGreaterThanOrEqual(8);
    const found: string[] = [];
    for (const [i, mounted] of routes.entries()) {
      const seed = seeds[keyOf(mounted)] ?? {};
      const auth = `Bearer ${tokens.get(callerFor(mounted))}`;
      await fc.assert(
        fc.asyncProperty(
          bodyBytes(seed),
          contentTypes,
          encodings,
          fc.boolean(),
          async (body, type, encoding, intact) => {
            let req = gw.http[mounted.route.method](urlOf(mounted))
              .set('Authorization', auth)
              .set('Content-Type', type);
            if (encoding) req = req.set('Content-Encoding', encoding);
            const res = await req.send(encode(body, encoding, intact));
            const wrong = problemsIn(res, true);
            // A JSON object sent as JSON that fails its schema is told where.
            const detail = (res.body as { detail?: string }).detail ?? '';
            if (
              res.status === 400 &&
              /body is invalid/.test(detail) &&
              !(res.body as { errors?: unknown }).errors
            ) {
              wrong.push('an invalid body without errors');
            }
            if (wrong.length)
              found.push(
                `${keyOf(mounted)} ${type} ${encoding ?? ''} ${body.toString('utf8', 0, 120)}: ${wrong.join('; ')}`,
              );
          },
        ),
        params(80, 1500 + i),
      );
    }
    expect(found).toEqual([]);
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------------

const QUERY_NAMES = [
  'from',
  'to',
  'partner',
  'user',
  'agreement',
  'request',
  'type',
  'outcome',
  'identifier',
  'subject',
  'cursor',
  'limit',
  'order',
  'after',
  'treeSize',
  'format',
  'adapter',
  'mode',
  'provider',
  'ref',
  'dataset',
];
const RAW_ESCAPES = ['%', '%zz', '%ED%A0%80', '%C0%AF', '%00', '%FF%FE', '%E0%A4%A', '%25', '+'];

/** A query value as sent: percent-encoded well-formed text, or raw escapes that do not decode. */
const queryValue: fc.Arbitrary<string> = fc.oneof(
  hostileString.map((s) => encodeURIComponent(wellFormed(s))),
  fc.constantFrom(...RAW_ESCAPES),
  fc
    .date({ min: new Date(-62198755200000), max: new Date(253402300799999), noInvalidDate: true })
    .map((d) => encodeURIComponent(d.toISOString())),
  fc
    .constantFrom(
      '2026-12-31T23:59:60Z',
      '9999-12-31T23:59:59-05:00',
      '+010000-01-01T00:00:00Z',
      '-1',
      '1e400',
      'NaN',
    )
    .map(encodeURIComponent),
);
const queryString = fc
  .array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom(...QUERY_NAMES, ...PROTOTYPE_KEYS),
        hostileString.map((s) => encodeURIComponent(wellFormed(s))),
      ),
      queryValue,
    ),
    {
      maxLength: 6,
    },
  )
  .map((pairs) => pairs.map(([k, v]) => `${typeof k === 'string' ? k : ''}=${v}`).join('&'));

describe('queries', () => {
  it('no query on any GET route, API or portal, gets a 5xx; the API’s 4xx are problems with pointers', async () => {
    const routes = gw.routes.filter((m) => m.route.method === 'get' && m.route.guard.kind !== 'public');
    const found: string[] = [];
    for (const [i, mounted] of routes.entries()) {
      const user = callerFor(mounted);
      await fc.assert(
        fc.asyncProperty(queryString, async (query) => {
          let req = gw.http.get(`${urlOf(mounted)}?${query}`);
          if (isPortal(mounted)) req = req.set('Cookie', (await sessionOf(user)).cookie);
          else req = req.set('Authorization', `Bearer ${tokens.get(user)}`);
          const wrong = problemsIn(await req, !isPortal(mounted));
          if (wrong.length) found.push(`${keyOf(mounted)}?${query.slice(0, 160)}: ${wrong.join('; ')}`);
        }),
        params(30, 2500 + i),
      );
    }
    expect(found).toEqual([]);
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------------

const formField = fc.tuple(
  fc.oneof(
    fc.constantFrom(
      ...PROTOTYPE_KEYS,
      'reason',
      'identifiers',
      'agreementId',
      'caseRef',
      'purpose',
      'format',
      'from',
      'to',
      'partner',
      'adapter',
      'mode',
      'dataset',
      'fields',
      'roles',
      'vettingLevel',
      'user',
      'token',
    ),
    hostileString,
  ),
  hostileString,
);

describe('portal forms', () => {
  it('no form sent to any portal POST route (with or without a file, prototype keys included) gets a 5xx', async () => {
    const routes = gw.routes.filter((m) => isPortal(m) && m.route.method === 'post');
    const found: string[] = [];
    for (const [i, mounted] of routes.entries()) {
      const user = callerFor(mounted);
      await fc.assert(
        fc.asyncProperty(
          fc.array(formField, { maxLength: 6 }),
          fc.option(fc.uint8Array({ maxLength: 300 }), { nil: undefined }),
          fc.boolean(),
          async (fields, file, withCsrf) => {
            const session = await sessionOf(user);
            let req = gw.http.post(urlOf(mounted)).set('Cookie', session.cookie);
            const all: [string, string][] = [
              ...(withCsrf ? [['_csrf', session.csrf] as [string, string]] : []),
              ...fields,
            ];
            let res: supertest.Response;
            if (file) {
              for (const [k, v] of all) req = req.field(wellFormed(k) || 'x', wellFormed(v));
              res = await req.attach('file', Buffer.from(file), 'upload.csv');
            } else {
              const form = new URLSearchParams();
              for (const [k, v] of all) form.append(wellFormed(k), wellFormed(v));
              res = await req.type('form').send(form.toString());
            }
            // Signed out (sign-out itself, or an expired session): sign in again for the next run.
            if (res.headers.location === '/portal/sign-in') await sessionOf(user, true);
            const wrong = problemsIn(res, false);
            if (wrong.length)
              found.push(`${keyOf(mounted)} ${JSON.stringify(fields).slice(0, 160)}: ${wrong.join('; ')}`);
          },
        ),
        params(25, 3500 + i),
      );
    }
    expect(found).toEqual([]);
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------------

describe('streamed uploads', () => {
  it('no upload (any bytes, content type, content encoding, adapter, mode) gets a 5xx or a bare error', async () => {
    const routes = api().filter((m) => m.route.body === 'stream');
    expect(routes.length).toBeGreaterThanOrEqual(2);
    const sample = fs.readFileSync(path.join(PROJECT_ROOT, 'adapters/boatreg-nl/fixtures/sample.csv'));
    const found: string[] = [];
    for (const [i, mounted] of routes.entries()) {
      const auth = `Bearer ${tokens.get(callerFor(mounted))}`;
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)),
            fc.array(fc.nat(), { maxLength: 6 }).map((cuts) => {
              // The example file with bytes cut out of it: broken rows, quotes, UTF-8.
              let out = sample;
              for (const c of cuts)
                out = Buffer.concat([out.subarray(0, c % out.length), out.subarray((c % out.length) + 1)]);
              return out;
            }),
          ),
          uploadTypes,
          encodings,
          fc.boolean(),
          fc.constantFrom(
            'adapter=boatreg-nl&mode=upsert',
            'adapter=boatreg-nl',
            'adapter=insureco',
            'adapter=__proto__&mode=constructor',
            'adapter=',
            'mode=replace&adapter=boatreg-nl&adapter=x',
          ),
          async (data, type, encoding, intact, query) => {
            let req = gw.http[mounted.route.method](`${urlOf(mounted)}?${query}`).set('Authorization', auth);
            if (type) req = req.set('Content-Type', type);
            if (encoding) req = req.set('Content-Encoding', encoding);
            const res = await req.send(encode(data, encoding, intact));
            const wrong = problemsIn(res, true);
            if (wrong.length)
              found.push(`${keyOf(mounted)}?${query} ${type} ${encoding}: ${wrong.join('; ')}`);
          },
        ),
        params(60, 4500 + i),
      );
    }
    expect(found).toEqual([]);
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------------
// Adapters, in process: rows from each adapter's example files, with fields replaced by hostile
// values, written in each format the adapter reads; and plain garbage.

interface ExampleRows {
  adapter: Adapter;
  /** CSV: the header and the rows' cells; JSON: the rows. */
  csv?: { header: string; rows: string[][] };
  json?: Json[];
}

function splitCsvLine(line: string): string[] {
  // The example files quote nothing; a plain split is their reading.
  return line.split(',');
}

function examplesOf(adapter: Adapter): ExampleRows {
  const out: ExampleRows = { adapter };
  for (const file of exampleFiles(adapter.id)) {
    const text = fs.readFileSync(exampleFile(adapter.id, file), 'utf8');
    if (file.endsWith('.csv')) {
      const [header, ...rows] = text.split(/\r?\n/).filter((l) => l.trim());
      out.csv = { header, rows: rows.map(splitCsvLine) };
    } else if (file.endsWith('.json')) out.json = JSON.parse(text) as Json[];
  }
  return out;
}

const quoteCsv = (cell: string) => `"${cell.replace(/"/g, '""')}"`;

/** Rows of the example file, some cells replaced: the CSV text and how many rows it holds. */
function csvRows(ex: NonNullable<ExampleRows['csv']>) {
  return fc
    .array(fc.tuple(fc.nat(), fc.array(fc.tuple(fc.nat(), hostileString), { maxLength: 4 })), {
      minLength: 1,
      maxLength: 12,
    })
    .map((picks) => {
      const rows = picks.map(([row, changes]) => {
        const cells = [...ex.rows[row % ex.rows.length]];
        for (const [col, value] of changes) cells[col % cells.length] = value;
        return cells.map(quoteCsv).join(',');
      });
      return { text: `${ex.header}\n${rows.join('\n')}\n`, rows: rows.length };
    });
}

/** Elements of the example file, mutated: as a JSON array and as NDJSON. */
function jsonRows(rows: Json[]) {
  return fc
    .array(fc.tuple(fc.nat(), fc.array(mutationArb, { maxLength: 3 })), { minLength: 1, maxLength: 10 })
    .map((picks) => picks.map(([row, m]) => mutate(rows[row % rows.length], m)));
}

/** The rows the runtime reports, checked against the rows written (when the test knows how many). */
async function accounted(
  adapter: Adapter,
  text: string,
  format: InputFormat,
  rows?: number,
): Promise<string | undefined> {
  try {
    const { summary } = await mapAll(adapter, streamOf(text), format);
    if (summary.mapped + summary.quarantined !== summary.read)
      return `mapped + quarantined ≠ read: ${JSON.stringify(summary)}`;
    if (rows !== undefined && summary.read !== rows) return `read ${summary.read} of ${rows} rows written`;
    return undefined;
  } catch (error) {
    return `threw ${(error as Error).name}: ${(error as Error).message}`;
  }
}

describe('adapters', () => {
  const all = [...adapters.values()];

  it('reads the formats of every adapter from its example files', () => {
    expect(all.length).toBeGreaterThanOrEqual(3);
    for (const adapter of all) {
      const ex = examplesOf(adapter);
      const readable = adapter.formats.filter((f) => (f === 'csv' ? ex.csv : ex.json));
      expect([adapter.id, readable.length > 0]).toEqual([adapter.id, true]);
    }
  });

  it.each(all.map((a) => [a.id, a] as const))(
    '%s: hostile rows in every format it reads are each mapped or quarantined, and nothing throws',
    async (_id, adapter) => {
      const ex = examplesOf(adapter);
      const cases: fc.Arbitrary<{ format: InputFormat; text: string; rows: number }>[] = [];
      if (ex.csv && adapter.formats.includes('csv')) {
        cases.push(csvRows(ex.csv).map((c) => ({ format: 'csv' as const, ...c })));
      }
      if (ex.json && adapter.formats.includes('json')) {
        cases.push(
          jsonRows(ex.json).map((r) => ({
            format: 'json' as const,
            text: JSON.stringify(r),
            rows: r.length,
          })),
        );
      }
      if (ex.json && adapter.formats.includes('ndjson')) {
        cases.push(
          jsonRows(ex.json).map((r) => ({
            format: 'ndjson' as const,
            text: r.map((v) => JSON.stringify(v) ?? 'null').join('\n'),
            rows: r.length,
          })),
        );
      }
      expect(cases.length).toBeGreaterThan(0);
      await fc.assert(
        fc.asyncProperty(fc.oneof(...cases), async ({ format, text, rows }) => {
          const problem = await accounted(adapter, text, format, rows);
          if (problem) throw new Error(`${format}: ${problem}\n${text.slice(0, 400)}`);
        }),
        params(100, 5500 + all.indexOf(adapter)),
      );
    },
    60_000,
  );

  it.each(all.map((a) => [a.id, a] as const))(
    '%s: garbage in every format it reads never throws, and NDJSON reads one row per line that is not blank',
    async (_id, adapter) => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...adapter.formats),
          fc.array(
            fc.oneof(
              hostileString,
              hostileJson.map((v) => JSON.stringify(v) ?? ''),
            ),
            { maxLength: 8 },
          ),
          async (format, parts) => {
            const text = parts.map((p) => p.replace(/\n/g, ' ')).join('\n');
            // What the reader will see: UTF-8 (a lone surrogate becomes U+FFFD), blank lines skipped.
            const lines = Buffer.from(text, 'utf8')
              .toString('utf8')
              .split('\n')
              .filter((l) => l.trim() !== '');
            const problem = await accounted(
              adapter,
              text,
              format,
              format === 'ndjson' ? lines.length : undefined,
            );
            if (problem) throw new Error(`${format}: ${problem}\n${text.slice(0, 400)}`);
          },
        ),
        params(100, 6500 + all.indexOf(adapter)),
      );
    },
    60_000,
  );
});

// ---------------------------------------------------------------------------------------------------

describe('the date reader', () => {
  it('gives back any instant of the years 0000–9999 as the log writes it, whatever the offset it is written in', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('0000-01-02T00:00:00Z'),
          max: new Date('9999-12-30T23:59:59.999Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
        (date, offsetMinutes) => {
          const local = new Date(date.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 23);
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          expect(logTimestamp(`${local}${zone}`)).toBe(date.toISOString());
          expect(logTimestamp(date.toISOString())).toBe(date.toISOString());
        },
      ),
      params(300, 7500),
    );
  });

  it('never throws, and answers only timestamps of four-digit years, for any text', () => {
    fc.assert(
      fc.property(
        fc.oneof(hostileString, fc.string({ unit: 'binary-ascii', maxLength: 40 })),
        fc.boolean(),
        (text, allowDate) => {
          const out = logTimestamp(text, { allowDate });
          expect(out === undefined || /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(out)).toBe(true);
        },
      ),
      params(500, 7501),
    );
  });
});
