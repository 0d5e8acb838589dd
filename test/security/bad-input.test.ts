/**
 * Issue 16: the gateway holds up under bad input.
 * 1. Text that cannot be stored exactly (a lone UTF-16 surrogate, sent as a JSON escape) made one
 *    request enough to break the log: the denial was logged, SQLite stored the column as UTF-8 with
 *    U+FFFD while the hashed body kept the surrogate, and `fsg audit verify` failed at that entry.
 *    Refused at every edge (a; path parameters that do not decode were a 500 too), made well-formed
 *    in the log itself (b), and properties over any text through the log's API and the HTTP API (c).
 * 2. A header block over node's limit got a bare 431 from node, a malformed request line a bare 400.
 * 3. A busy database (SQLITE_BUSY, SQLITE_LOCKED and their extended codes) was a 500.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { createPrivateKey } from 'node:crypto';
import fc from 'fast-check';
import { SignJWT, type JWTPayload } from 'jose';
import supertest from 'supertest';
import type { AuditEventInput } from '../../src/audit/types';
import { PROJECT_ROOT } from '../../src/config/load';
import { createGatewayServer } from '../../src/http/server';
import { NOT_WELL_FORMED } from '../../src/http/well-formed';
import { verifyLogFast } from '../../src/audit/verify-fast';
import { verifyLogFile, verifyTail } from '../../src/audit/verify-file';
import { readRawCheckpoints } from '../../src/store/sqlite';
import { boatRequest, createTestGateway, type TestGateway } from '../helpers/gateway';
import { copyOfDemo, edit as editFile, problemsOf } from '../helpers/bundle-copy';
import { portalSession } from '../helpers/portal-session';

let gw: TestGateway;
let anna: string;

// A gateway of its own for each test: a log broken by one test must not fail the next.
beforeEach(async () => {
  gw = await createTestGateway();
  anna = `Bearer ${await gw.token('anna')}`;
});
afterEach(() => gw?.close());

/**
 * What `fsg audit verify` decides of the gateway's database: the parallel verifier (in this thread)
 * with its deep checks, and the sequential one that names a finding, which must agree.
 */
async function verifyLog() {
  await gw.checkpointer.checkpoint();
  const input = {
    file: gw.dbFile,
    checkpoints: readRawCheckpoints(gw.dbFile),
    external: [],
    publicKey: gw.checkpointer.signer.publicKey,
  };
  const report = await verifyLogFile(input);
  const {
    scope: _s,
    fellBack: _f,
    statistics,
    ...fast
  } = await verifyLogFast({ ...input, threads: 0, deep: true });
  expect(fast).toEqual(report);
  // The deep run also counts the DPO's statistics again: they agree with the stored counts.
  expect(statistics).toEqual(report.ok ? { counts: expect.any(Number) } : undefined);
  return report;
}

/** 'ok', or the first finding as the verifier names it. */
const verdict = (report: Awaited<ReturnType<typeof verifyLogFile>>) =>
  report.ok ? 'ok' : JSON.stringify(report.firstBroken);

/**
 * The entries since the newest checkpoint, as the gateway checks them at start-up (verify-file.ts
 * verifyTail: the full verifier's checks, anchored in that signed checkpoint); then a new checkpoint,
 * so that a property's runs each check their own entries, not the whole log again.
 */
async function verifyNewEntries() {
  const report = await verifyTail({ file: gw.dbFile, publicKey: gw.checkpointer.signer.publicKey });
  await gw.checkpointer.checkpoint();
  return report;
}

const headSeq = async () => (await gw.store.audit.head())?.seq ?? 0;

const LOOKUP = {
  agreementId: 'stolen-boats',
  identifiers: [{ type: 'hin', value: 'NL-HXAB7A33G293' }],
  purpose: 'stolen-property-investigation',
  caseRef: 'NL-2026-000123',
};

/** A JSON body as text, with `\udfff` (a lone low surrogate, as a JSON escape) in place of `@@`. */
const withSurrogate = (body: object) => JSON.stringify(body).replace('@@', '\\udfff');

describe('issue 16.1: one request cannot make the log fail verification', () => {
  // The providerId case verified before (a provider outside the agreement is in no column of the
  // entry), but the denial was logged and the request stored with text SQLite cannot hold as sent.
  it.each([
    ['a lookup', '/api/v1/lookups', '/agreementId', { ...LOOKUP, agreementId: '@@' }],
    ['a detail request', '/api/v1/requests', '/agreementId', boatRequest({ agreementId: '@@' })],
    ['a detail request', '/api/v1/requests', '/providerId', boatRequest({ providerId: '@@' })],
  ])(
    '%s (%s) with "\\udfff" at %s is a 400 naming the field, nothing logged; the log verifies',
    async (_label, url, pointer, body) => {
      const before = await headSeq();
      const res = await gw.http
        .post(url)
        .set('Authorization', anna)
        .set('Content-Type', 'application/json')
        .send(withSurrogate(body));
      // Whatever the answer, the log verifies (it failed with column-mismatch at the denial's entry).
      expect(verdict(await verifyLog())).toBe('ok');
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.errors).toEqual([{ pointer, detail: expect.stringMatching(/well-formed/) }]);
      expect(await headSeq()).toBe(before);
    },
  );
});

describe('issue 18: a NUL, which PostgreSQL cannot keep, is refused at the edge whatever the store', () => {
  it.each([
    ['a lookup', '/api/v1/lookups', '/caseRef', { ...LOOKUP, caseRef: 'NL-2026-000123\u0000' }],
    ['a detail request', '/api/v1/requests', '/purpose', boatRequest({ purpose: 'stolen\u0000' })],
    [
      'a detail request',
      '/api/v1/requests',
      '/identifiers/0/value',
      boatRequest({ identifiers: [{ type: 'hin', value: 'NL\u0000' }] }),
    ],
  ])(
    '%s (%s) with a NUL at %s is a 400 naming the field, nothing logged',
    async (_label, url, pointer, body) => {
      const before = await headSeq();
      const res = await gw.http.post(url).set('Authorization', anna).send(body);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.errors).toEqual([{ pointer, detail: expect.stringMatching(/NUL character/) }]);
      expect(await headSeq()).toBe(before);
    },
  );

  it('a query parameter with a NUL is refused too', async () => {
    const dana = `Bearer ${await gw.token('dana')}`;
    const res = await gw.http.get('/api/v1/audit/events?agreement=stolen%00boats').set('Authorization', dana);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].detail).toMatch(/NUL character/);
  });
});

/** A token of police-nl's demo issuer with these claims over anna's (signed with the issuer's key). */
function tokenWith(claims: JWTPayload): Promise<string> {
  const key = createPrivateKey(fs.readFileSync(path.join(PROJECT_ROOT, 'config/demo/police-nl.key.pem')));
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: 'https://idp.police-nl.demo',
    aud: 'five-safes-gateway',
    sub: 'anna',
    iat: now,
    exp: now + 600,
    auth_time: now,
    amr: ['pwd', 'otp'],
    ...claims,
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
    .sign(key);
}

describe('issue 16.1: text that cannot be stored exactly is refused wherever it comes in', () => {
  it.each([
    ['sub', { sub: '\udfff' }],
    ['sub (a pair, then a lone one)', { sub: 'anna\ud83d\ude00\ud800' }],
    ['amr', { amr: ['pwd', 'otp', '\udc00'] }],
    ['acr', { acr: '\ud800' }],
    ['claim the gateway does not read', { name: { given: '\udfff' } }],
  ])(
    'a token with a %s that is not well-formed is a 401, nothing logged; the log verifies',
    async (_label, claims) => {
      const token = `Bearer ${await tokenWith(claims)}`;
      const before = await headSeq();
      const lookup = await gw.http.post('/api/v1/lookups').set('Authorization', token).send(LOOKUP);
      const request = await gw.http.post('/api/v1/requests').set('Authorization', token).send(boatRequest());
      expect(verdict(await verifyLog())).toBe('ok');
      expect([lookup.status, request.status]).toEqual([401, 401]);
      expect(lookup.body.detail).toBe('The token could not be verified.');
      expect(await headSeq()).toBe(before);
    },
  );

  it('a well-formed token of the same shape is still accepted (the check refuses only what it must)', async () => {
    const res = await gw.http
      .post('/api/v1/lookups')
      .set('Authorization', `Bearer ${await tokenWith({ sub: 'anna', name: { given: 'Änna 😀' } })}`)
      .send(LOOKUP);
    expect(res.status).toBe(200);
  });

  it('a portal form field sent as UTF-16 with a lone surrogate is refused naming the field, nothing logged; the log verifies', async () => {
    const { cookie, csrf } = await portalSession(gw.http, 'anna');
    const boundary = 'xBOUNDARYx';
    const part = (name: string, value: Buffer, type = 'text/plain; charset=utf-8') =>
      Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\nContent-Type: ${type}\r\n\r\n`,
        ),
        value,
        Buffer.from('\r\n'),
      ]);
    const body = Buffer.concat([
      part('_csrf', Buffer.from(csrf)),
      // U+DFFF alone, as UTF-16LE: busboy decodes a part in the charset it names.
      part('agreementId', Buffer.from([0xff, 0xdf]), 'text/plain; charset=utf-16le'),
      part('identifiers', Buffer.from('hin:NL-HXAB7A33G293')),
      part('purpose', Buffer.from('stolen-property-investigation')),
      part('caseRef', Buffer.from('NL-2026-000123')),
      Buffer.from(`--${boundary}--\r\n`),
    ]);
    const before = await headSeq();
    const res = await gw.http
      .post('/portal/lookup')
      .set('Cookie', cookie)
      .set('Content-Type', `multipart/form-data; boundary=${boundary}`)
      .send(body);
    expect(verdict(await verifyLog())).toBe('ok');
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/agreementId: is not well-formed/);
    expect(await headSeq()).toBe(before);
  });

  it('an NDJSON upload row holding a lone surrogate is quarantined with its row and field; the others are mapped', async () => {
    const bram = `Bearer ${await gw.token('bram')}`;
    const rows = JSON.parse(
      fs.readFileSync(path.join(PROJECT_ROOT, 'adapters/boatreg-nl/fixtures/sample.json'), 'utf8'),
    ) as Record<string, unknown>[];
    const lines = [
      JSON.stringify(rows[0]),
      JSON.stringify({ ...rows[1], make: '@@' }).replace('@@', '\\udfff'),
    ];
    const res = await gw.http
      .put('/api/v1/datasets/vessels/records?adapter=boatreg-nl&mode=upsert')
      .set('Authorization', bram)
      .set('Content-Type', 'application/x-ndjson')
      .send(lines.join('\n'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ read: 2, mapped: 1, quarantined: 1 });
    expect(res.body.quarantine).toEqual([
      {
        row: 2,
        line: 2,
        field: 'make',
        code: 'TEXT_NOT_WELL_FORMED',
        message: expect.stringMatching(/well-formed/),
      },
    ]);
    expect(verdict(await verifyLog())).toBe('ok');
  });

  it.each(['/api/v1/requests/%FF', '/api/v1/requests/%ED%BF%BF', '/portal/requests/%FF'])(
    'a path parameter that is not percent-encoded UTF-8 (%s) is a 400 problem, not a 500, and is not echoed',
    async (url) => {
      const res = await gw.http.get(url).set('Authorization', anna);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.text).not.toMatch(/%FF|%ED/i);
    },
  );
});

describe('issue 16.1: the policy bundle', () => {
  it('an agreement file holding a lone surrogate (a YAML "\\udfff" escape) does not load: file and path named', () => {
    const dir = copyOfDemo();
    editFile(path.join(dir, 'agreements/stolen-boats.yaml'), /^title: .*$/m, 'title: "Stolen \\udfff boats"');
    expect(problemsOf(dir)).toEqual([`agreements/stolen-boats.yaml: /title: ${NOT_WELL_FORMED}`]);
  });
});

describe('issue 16.1b: the log cannot be made to disagree with itself', () => {
  it('an append with lone surrogates in every field verifies, and reads back as it was returned', async () => {
    const [written] = await gw.store.audit.append([
      {
        type: 'note\udfff',
        actor: { userId: '\udfff', partnerId: 'p\ud800' },
        partners: ['\udc00x', 'police-nl'],
        requestId: 'r\ud800',
        agreementId: '\udfff',
        outcome: '\ud800\ud800',
        data: { 'k\udfff': ['\udfff', { '\ud800': 'a\u0000b' }], ok: 'fine 😀' },
      },
    ]);
    expect(verdict(await verifyLog())).toBe('ok');
    expect(await gw.store.audit.head()).toEqual(written);
    // Made well-formed, each lone surrogate one U+FFFD; what was well-formed is kept.
    expect(written).toMatchObject({
      type: 'note\ufffd',
      actorUser: '\ufffd',
      actorPartner: 'p\ufffd',
      partners: ['police-nl', '\ufffdx'],
      agreementId: '\ufffd',
      outcome: '\ufffd\ufffd',
      data: { 'k\ufffd': ['\ufffd', { '\ufffd': 'a\u0000b' }], ok: 'fine 😀' },
    });
  });
});

// ---------------------------------------------------------------------------------------------------
// 1c. Properties: whatever text reaches the log, through its append API or through the HTTP API, the
// real verifier says ok. Fixed seeds; FSG_PROPERTY_RUNS widens them.

const RUNS = Number(process.env.FSG_PROPERTY_RUNS) || 0;
/** endOnFailure: a log once broken stays broken, so shrinking would only report later runs. */
const params = (numRuns: number, seed: number) => ({ numRuns: RUNS || numRuns, seed, endOnFailure: true });

/** Any UTF-16 code units: lone surrogates (high, low, reversed pairs), NUL and other controls. */
const codeUnits = fc
  .array(fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0xd800, max: 0xdfff })), {
    maxLength: 12,
  })
  .map((units) => String.fromCharCode(...units));
/** Full Unicode and raw code units, the usual suspects, and now and then a very long string. */
const anyText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 16 }) },
  { weight: 4, arbitrary: codeUnits },
  {
    weight: 2,
    arbitrary: fc.constantFrom('\udfff', '\ud800', '\udc00\ud800', '\u0000', 'a\u0000b', '😀', '\\udfff', ''),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 10_000, max: 60_000 }), codeUnits)
      .map(([n, tail]) => 'x'.repeat(n) + tail),
  },
);
const anyJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    anyText,
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(anyText, tie('value'), { maxKeys: 3 }),
  ),
})).value;

const anyEvent: fc.Arbitrary<AuditEventInput> = fc.record(
  {
    type: anyText,
    actor: fc.oneof(fc.constant('system' as const), fc.record({ userId: anyText, partnerId: anyText })),
    partners: fc.array(anyText, { maxLength: 4 }),
    requestId: anyText,
    agreementId: anyText,
    outcome: anyText,
    data: fc.dictionary(anyText, anyJson, { maxKeys: 4 }),
  },
  { requiredKeys: ['type', 'actor', 'partners', 'data'] },
);

describe('issue 16.1c: no text makes the log fail verification', () => {
  it('entries of any text through the append API verify, and read back as they were returned', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anyEvent, { minLength: 1, maxLength: 3 }), async (events) => {
        const written = await gw.store.audit.append(events);
        expect(await gw.store.audit.read(written[0].seq, written.length)).toEqual(written);
        expect(verdict(await verifyNewEntries())).toBe('ok');
      }),
      params(60, 16_100),
    );
    expect(verdict(await verifyLog())).toBe('ok');
  }, 120_000);

  /** One of the seed's fields replaced by any text (or any JSON): deep enough to be decided and logged. */
  const alter = (seed: Record<string, unknown>) =>
    fc
      .tuple(fc.constantFrom(...Object.keys(seed)), fc.oneof(anyText, anyJson), fc.nat(), anyText)
      .map(([field, value, at, text]) => {
        const body = structuredClone(seed);
        const old = body[field];
        // A list keeps its shape with one string inside replaced, or is replaced whole.
        if (Array.isArray(old) && old.length > 0 && at % 2 === 0) {
          const i = at % old.length;
          old[i] = typeof old[i] === 'object' ? { ...(old[i] as object), value: text } : text;
        } else body[field] = value;
        return body;
      });

  it('lookups and detail requests of any text, through the fast lane and through express, and tokens of any subject, leave a log that verifies', async () => {
    const lookupSeed = { ...LOOKUP } as Record<string, unknown>;
    const requestSeed = boatRequest({ recordRefs: ['ref-1'] }) as Record<string, unknown>;
    const viaExpress = supertest(gw.app);
    await fc.assert(
      fc.asyncProperty(
        alter(lookupSeed),
        alter(requestSeed),
        fc.boolean(),
        fc.option(anyText, { nil: undefined }),
        async (lookup, request, express, sub) => {
          const http = express ? viaExpress : gw.http;
          const token = `Bearer ${sub === undefined ? await gw.token('anna') : await tokenWith({ sub })}`;
          const answers = [
            await http.post('/api/v1/lookups').set('Authorization', token).send(lookup),
            await http.post('/api/v1/requests').set('Authorization', token).send(request),
          ];
          expect(answers.map((a) => a.status).filter((status) => status >= 500)).toEqual([]);
          expect(verdict(await verifyNewEntries())).toBe('ok');
        },
      ),
      params(60, 16_200),
    );
    expect(verdict(await verifyLog())).toBe('ok');
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------------

/** What a listening gateway answers to these raw bytes: status, headers (lower-case names), body. */
async function rawExchange(
  bytes: string,
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const server = createGatewayServer(gw).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const text = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1', () =>
        socket.end(bytes),
      );
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
      socket.on('error', reject);
    });
    const [head, ...rest] = text.split('\r\n\r\n');
    const [statusLine, ...lines] = head.split('\r\n');
    const headers = Object.fromEntries(
      lines.map((line) => [
        line.slice(0, line.indexOf(':')).toLowerCase(),
        line.slice(line.indexOf(':') + 1).trim(),
      ]),
    );
    return { status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('issue 16.2: what node cannot parse gets a problem document, and nothing of it is echoed', () => {
  it('a header block over the limit is a 431 problem', async () => {
    const secret = 'SECRET-HEADER-VALUE-'.repeat(1200);
    const res = await rawExchange(`GET /healthz HTTP/1.1\r\nHost: gateway\r\nX-Big: ${secret}\r\n\r\n`);
    expect(res.status).toBe(431);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.body));
    expect(res.headers).toMatchObject({ 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    expect(JSON.parse(res.body)).toEqual({
      type: 'https://five-safes-gateway.example/problems/request-header-fields-too-large',
      title: 'Request header fields too large',
      status: 431,
      detail: expect.any(String),
      instance: `urn:fsg:request-id:${res.headers['x-request-id']}`,
    });
    expect(res.body).not.toContain('SECRET');
  });

  it.each([
    ['a malformed request line', 'GET /SECRET-PATH?token=SECRET HTTP/1.1 extra\r\n\r\n'],
    ['a method node does not know', 'SECRET /x HTTP/1.1\r\nHost: gateway\r\n\r\n'],
    ['a header without a colon', 'GET /healthz HTTP/1.1\r\nHost: gateway\r\nSECRET-LINE\r\n\r\n'],
  ])('%s is a 400 problem', async (_label, bytes) => {
    const res = await rawExchange(bytes);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(JSON.parse(res.body)).toMatchObject({
      type: 'https://five-safes-gateway.example/problems/bad-request',
      title: 'Bad request',
      status: 400,
    });
    expect(res.body).not.toContain('SECRET');
    expect(JSON.stringify(res.headers)).not.toContain('SECRET');
  });

  it('a request that parses is still answered by the gateway on the same server', async () => {
    const res = await rawExchange('GET /healthz HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n');
    expect(res.status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------------

/** What better-sqlite3 throws when the database stays locked past busy_timeout (the SQL in its message). */
const sqliteError = (code: string) =>
  Object.assign(new Error('database is locked: UPDATE requests SET state = ? WHERE id = ?'), {
    name: 'SqliteError',
    code,
  });

describe('issue 16.3: a busy database is a 503 with Retry-After, never a 500', () => {
  /** The answer's status, Retry-After and problem type, with the warnings logged meanwhile. */
  async function answered(
    send: () => Promise<{ status: number; headers: Record<string, string>; body: unknown }>,
  ) {
    const warn = jest.spyOn(gw.logger, 'warn');
    try {
      const res = await send();
      const { type, status } = res.body as { type?: string; status?: number };
      return {
        status: res.status,
        retryAfter: res.headers['retry-after'],
        type: type ?? res.headers['content-type'],
        problemStatus: status,
        warnings: warn.mock.calls.map((call) => JSON.stringify(call)),
      };
    } finally {
      warn.mockRestore();
    }
  }

  const unavailable = (code: string) => ({
    status: 503,
    retryAfter: '1',
    type: 'https://five-safes-gateway.example/problems/unavailable',
    problemStatus: 503,
    warnings: [expect.stringContaining(`"code":"${code}"`)],
  });

  it.each(['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED'])(
    'a lookup whose write finds the database %s: the same 503 through the fast lane and express',
    async (code) => {
      jest.spyOn(gw.store.lookups, 'create').mockRejectedValue(sqliteError(code));
      const send = (http: ReturnType<typeof supertest>) => () =>
        http.post('/api/v1/lookups').set('Authorization', anna).send(LOOKUP);
      const fast = await answered(send(gw.http));
      const viaExpress = await answered(send(supertest(gw.app)));
      expect(fast).toEqual(unavailable(code));
      expect(viaExpress).toEqual(unavailable(code));
      expect(fast.warnings.join()).not.toMatch(/UPDATE|database is locked/);
    },
  );

  it('an express route (a request read) whose store is SQLITE_LOCKED_SHAREDCACHE: 503 problem; the portal page: 503 page', async () => {
    jest.spyOn(gw.store.requests, 'get').mockRejectedValue(sqliteError('SQLITE_LOCKED_SHAREDCACHE'));
    const api = await answered(() =>
      gw.http.get('/api/v1/requests/00000000-0000-4000-8000-000000000000').set('Authorization', anna),
    );
    expect(api).toEqual(unavailable('SQLITE_LOCKED_SHAREDCACHE'));

    const { cookie } = await portalSession(gw.http, 'anna');
    const page = await answered(() =>
      gw.http.get('/portal/requests/00000000-0000-4000-8000-000000000000').set('Cookie', cookie),
    );
    expect(page).toMatchObject({ status: 503, retryAfter: '1', type: 'text/html; charset=utf-8' });
    expect(page.warnings).toEqual([expect.stringContaining('"code":"SQLITE_LOCKED_SHAREDCACHE"')]);
  });

  it('another SQLite error (SQLITE_CORRUPT) is still a bare 500 without Retry-After', async () => {
    jest.spyOn(gw.store.requests, 'get').mockRejectedValue(sqliteError('SQLITE_CORRUPT'));
    const res = await gw.http
      .get('/api/v1/requests/00000000-0000-4000-8000-000000000000')
      .set('Authorization', anna);
    expect(res.status).toBe(500);
    expect(res.headers['retry-after']).toBeUndefined();
  });
});
