/**
 * Issue 15, item 10: small holes, each shown by its regression test.
 * a. the data folder, keys, database and WAL are readable by other local users;
 * b. the portal's session cookie loses `Secure` behind a TLS-terminating proxy;
 * c. leap seconds and years past 9999 in date filters (500s, or filters that match nothing);
 * d. bodies whose Content-Encoding does not decode (500s, or an upload read as raw bytes).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import zlib from 'node:zlib';
import winston from 'winston';
import { main } from '../../src/cli';
import { runExport } from '../../src/audit/commands';
import { loadConfig } from '../../src/config/load';
import { assemble } from '../../src/gateway';
import { createTestGateway, type TestGateway } from '../helpers/gateway';
import { portalSession } from '../helpers/portal-session';

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
const modeOf = (file: string) => fs.statSync(file).mode & 0o777;
const octal = (mode: number) => `0${mode.toString(8)}`;

/** A YAML file merged over the defaults (FSG_CONFIG), in a folder of its own. */
function configFile(yaml: string): string {
  const file = path.join(tmp('fsg-holes-config-'), 'site.yaml');
  fs.writeFileSync(file, yaml);
  return file;
}

/** A logger whose lines are kept, as objects. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  const logger = winston.createLogger({
    format: winston.format.json(),
    transports: [new winston.transports.Stream({ stream })],
  });
  return { logger, lines };
}

describe('hole a: the data folder, keys, database and WAL are private to the gateway', () => {
  const privateFiles = (dataDir: string) =>
    [
      ['gateway.sqlite', 0o600],
      ['gateway.sqlite-wal', 0o600],
      ['gateway.sqlite-shm', 0o600],
      ['keys/identifier.key', 0o600],
      ['keys/pseudonym.key', 0o600],
      ['keys/checkpoint.key', 0o600],
      ['keys', 0o700],
      ['.', 0o700],
    ].map(([name, mode]) => [path.join(dataDir, name as string), mode as number] as const);

  async function start(dataDir: string) {
    const config = loadConfig({ FSG_DATA_DIR: dataDir, FSG_LOG_LEVEL: 'silent', FSG_DEMO_DATASETS: 'false' });
    const gateway = await assemble(config);
    // A write, so that the WAL and its shared memory exist.
    await gateway.checkpointer.checkpoint();
    return gateway;
  }

  it('hole a: a new data folder, its keys folder, the database and its -wal/-shm are created 0700/0600', async () => {
    const dataDir = path.join(tmp('fsg-holes-a-'), 'data');
    const gateway = await start(dataDir);
    try {
      for (const [file, mode] of privateFiles(dataDir)) {
        expect([path.relative(dataDir, file), octal(modeOf(file))]).toEqual([
          path.relative(dataDir, file),
          octal(mode),
        ]);
      }
    } finally {
      await gateway.store.close();
      fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
    }
  });

  it('hole a: looser modes on an existing data folder are tightened at start, and logged without personal data', async () => {
    const dataDir = path.join(tmp('fsg-holes-a-'), 'data');
    const first = await start(dataDir);
    await first.store.close();
    // As an older gateway (or a careless operator) left them.
    for (const [file, mode] of privateFiles(dataDir)) {
      if (fs.existsSync(file)) fs.chmodSync(file, mode === 0o700 ? 0o755 : 0o644);
    }
    fs.writeFileSync(path.join(dataDir, 'gateway.sqlite-wal'), '', { flag: 'a' });
    fs.chmodSync(path.join(dataDir, 'gateway.sqlite-wal'), 0o644);

    const config = loadConfig({ FSG_DATA_DIR: dataDir, FSG_LOG_LEVEL: 'silent', FSG_DEMO_DATASETS: 'false' });
    const captured = capturingLogger();
    const gateway = await assemble(config, undefined, captured.logger);
    try {
      for (const [file, mode] of privateFiles(dataDir)) {
        if (fs.existsSync(file)) expect([file, octal(modeOf(file))]).toEqual([file, octal(mode)]);
      }
      const tightened = captured.lines.filter((l) => l.message === 'file mode tightened');
      expect(tightened.map((l) => l.file).sort()).toEqual(
        expect.arrayContaining(['.', 'gateway.sqlite', 'gateway.sqlite-wal', 'keys', 'keys/identifier.key']),
      );
      for (const line of tightened) {
        expect(line).toMatchObject({ level: 'warn', to: expect.stringMatching(/^0[67]00$/) });
        // Names relative to the data folder: no home folder or user name in the log.
        expect(String(line.file)).not.toContain(os.tmpdir());
      }
    } finally {
      await gateway.store.close();
      fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
    }
  });
});

describe('hole b: the portal session cookie is Secure behind a TLS-terminating proxy', () => {
  const cookieOf = async (gw: TestGateway, headers: Record<string, string> = {}) => {
    const res = await gw.http.get('/portal/sign-in').set(headers);
    return String(res.headers['set-cookie']?.[0] ?? '');
  };

  it('hole b: follows X-Forwarded-Proto from a trusted proxy, never from an untrusted peer', async () => {
    const trusted = await createTestGateway({ FSG_TRUST_PROXY: 'loopback' });
    const untrusted = await createTestGateway({ FSG_TRUST_PROXY: '203.0.113.7' });
    try {
      expect(await cookieOf(trusted, { 'X-Forwarded-Proto': 'https' })).toMatch(/; Secure(;|$)/);
      expect(await cookieOf(trusted, { 'X-Forwarded-Proto': 'http' })).not.toMatch(/Secure/);
      expect(await cookieOf(untrusted, { 'X-Forwarded-Proto': 'https' })).not.toMatch(/Secure/);
    } finally {
      await trusted.close();
      await untrusted.close();
    }
  });

  it('hole b: portal.secureCookie always marks the cookie Secure whatever the hop says, also on sign-in and sign-out', async () => {
    const gw = await createTestGateway({ FSG_CONFIG: configFile('portal:\n  secureCookie: always\n') });
    try {
      expect(await cookieOf(gw)).toMatch(/; Secure(;|$)/);
      const form = await gw.http.get('/portal/sign-in');
      const anon = String(form.headers['set-cookie'][0]).split(';')[0];
      const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1];
      const signed = await gw.http
        .post('/portal/sign-in')
        .set('Cookie', anon)
        .type('form')
        .send({ _csrf: csrf, partner: 'police-nl', user: 'anna' });
      expect(String(signed.headers['set-cookie'][0])).toMatch(/; Secure(;|$)/);
      const { cookie, csrf: token } = await portalSession(gw.http, 'anna');
      const out = await gw.http
        .post('/portal/sign-out')
        .set('Cookie', cookie)
        .type('form')
        .send({ _csrf: token });
      expect(String(out.headers['set-cookie'][0])).toMatch(/Max-Age=0.*; Secure(;|$)/);
    } finally {
      await gw.close();
    }
  });

  it('hole b: FSG_PORTAL_SECURE_COOKIE sets it, and a value other than auto or always stops start-up', () => {
    expect(loadConfig({ FSG_PORTAL_SECURE_COOKIE: 'always' }).portal.secureCookie).toBe('always');
    expect(loadConfig({}).portal.secureCookie).toBe('auto');
    expect(() => loadConfig({ FSG_PORTAL_SECURE_COOKIE: 'sometimes' })).toThrow(/portal\.secureCookie/);
  });
});

describe('hole c: dates with a leap second or past year 9999 are refused with a 400 naming the field', () => {
  let gw: TestGateway;
  let dana: string;
  beforeAll(async () => {
    gw = await createTestGateway();
    dana = `Bearer ${await gw.token('dana')}`;
  });
  afterAll(() => gw.close());

  const bad: [field: 'from' | 'to', value: string][] = [
    ['from', '2026-12-31T23:59:60Z'],
    ['to', '2026-12-31T23:59:60Z'],
    ['to', '9999-12-31T23:59:59-05:00'],
    ['from', '9999-12-31T23:30:00-01:00'],
    ['from', '0000-01-01T00:30:00+01:00'],
  ];

  it.each(['/api/v1/audit/events', '/api/v1/audit/stats', '/api/v1/audit/export'])(
    'hole c: %s answers 400 problem+json with the pointer of the bad date',
    async (route) => {
      for (const [field, value] of bad) {
        const res = await gw.http
          .get(`${route}?${field}=${encodeURIComponent(value)}`)
          .set('Authorization', dana);
        expect([value, res.status]).toEqual([value, 400]);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.body.errors).toEqual([{ pointer: `/${field}`, detail: expect.any(String) }]);
      }
      // The last instant before year 10000 is a date like any other.
      const edge = await gw.http
        .get(`${route}?to=${encodeURIComponent('9999-12-31T23:59:59.999Z')}`)
        .set('Authorization', dana);
      expect(edge.status).toBe(200);
    },
  );

  it('hole c: a filter up to 9999-12-31 (with an offset within the year) still finds the entries before it', async () => {
    const res = await gw.http
      .get(`/api/v1/audit/events?to=${encodeURIComponent('9999-12-31T20:00:00-03:00')}`)
      .set('Authorization', dana);
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeGreaterThan(0);
  });

  it('hole c: the portal’s activity filter and export form refuse them with a 400 page', async () => {
    const { cookie, csrf } = await portalSession(gw.http, 'dana');
    for (const value of ['2026-12-31T23:59:60Z', '10000-01-01', '2026-02-30']) {
      const activity = await gw.http
        .get(`/portal/log/activity?from=${encodeURIComponent(value)}`)
        .set('Cookie', cookie)
        .set('Accept', 'text/html');
      expect([value, activity.status]).toEqual([value, 400]);
      expect(activity.text).toContain('From');
      const exported = await gw.http
        .post('/portal/log/export')
        .set('Cookie', cookie)
        .type('form')
        .send({ _csrf: csrf, format: 'jsonl', to: value });
      expect([value, exported.status]).toEqual([value, 400]);
      expect(exported.text).toContain('To');
    }
  });

  it('hole c: fsg audit export --from/--to refuses them with a clear error and exit 2', async () => {
    const db = { kind: 'sqlite' as const, file: gw.dbFile };
    for (const [field, value] of bad) {
      await expect(
        runExport({ format: 'jsonl', [field]: value, db }, process.stdout, () => undefined),
      ).rejects.toThrow(new RegExp(`^--${field}: `));
    }
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await main([
        'node',
        'fsg',
        'audit',
        'export',
        '--format',
        'csv',
        '--db',
        db.file,
        '--to',
        '9999-12-31T23:59:59-05:00',
      ]);
      expect(process.exitCode).toBe(2);
      expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toMatch(/--to: .*9999/);
    } finally {
      process.exitCode = 0;
      stderr.mockRestore();
    }
  });
});

describe('hole d: a body whose Content-Encoding does not decode is a 400 (415 when unsupported), never a 500', () => {
  let gw: TestGateway;
  const auth: Record<string, string> = {};
  const garbage = Buffer.from('this is not compressed at all');
  const truncated = zlib.gzipSync(JSON.stringify({ records: [] })).subarray(0, 12);

  beforeAll(async () => {
    gw = await createTestGateway({
      FSG_CONFIG: configFile('server:\n  uploadLimit: 64kb\n  datasetUploadLimit: 64kb\n'),
    });
    for (const user of ['anna', 'bram']) auth[user] = `Bearer ${await gw.token(user)}`;
  });
  afterAll(() => gw.close());

  const expectProblem = (res: { status: number; headers: Record<string, string> }, status: number) => {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  };

  it.each([
    ['/api/v1/lookups', 'the lookup fast lane hands it to express'],
    ['/api/v1/requests', 'express.json'],
  ])('hole d: POST %s (%s)', async (route) => {
    for (const [encoding, body] of [
      ['gzip', garbage],
      ['gzip', truncated],
      ['deflate', garbage],
      ['br', garbage],
    ] as const) {
      const res = await gw.http
        .post(route)
        .set('Authorization', auth.anna)
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', encoding)
        .send(body);
      expect([encoding, res.status]).toEqual([encoding, 400]);
      expectProblem(res, 400);
    }
    const unknown = await gw.http
      .post(route)
      .set('Authorization', auth.anna)
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'br2')
      .send('{}');
    expectProblem(unknown, 415);
  });

  const csv = fs.readFileSync(path.join(__dirname, '../../adapters/boatreg-nl/fixtures/sample.csv'));

  it('hole d: a streamed dataset upload decodes gzip, refuses garbage (400) and unknown encodings (415), and keeps the dataset', async () => {
    const put = (encoding: string | undefined, body: Buffer) => {
      const req = gw.http
        .put('/api/v1/datasets/vessels/records?adapter=boatreg-nl')
        .set('Authorization', auth.bram)
        .set('Content-Type', 'text/csv');
      return (encoding ? req.set('Content-Encoding', encoding) : req).send(body);
    };
    const plain = await put(undefined, csv);
    expect(plain.status).toBe(200);
    const zipped = await put('gzip', zlib.gzipSync(csv));
    expect(zipped.status).toBe(200);
    expect(zipped.body).toMatchObject({ read: plain.body.read, mapped: plain.body.mapped });
    const brotli = await put('br', zlib.brotliCompressSync(csv));
    expect(brotli.body).toMatchObject({ read: plain.body.read, mapped: plain.body.mapped });

    expectProblem(await put('gzip', garbage), 400);
    expectProblem(await put('deflate', truncated), 400);
    expectProblem(await put('br2', csv), 415);
    expectProblem(await put('gzip, br', zlib.gzipSync(csv)), 415);
    // Decoded bytes count against the upload limit: a small bomb is a 413.
    expectProblem(await put('gzip', zlib.gzipSync(Buffer.alloc(1024 * 1024, 'a'))), 413);
    const status = await gw.http.get('/api/v1/datasets/vessels').set('Authorization', auth.bram);
    expect(status.body).toMatchObject({
      records: plain.body.records,
      lastUpload: { mapped: plain.body.mapped },
    });
  });

  it('hole d: an answer uploaded in the provider’s format with a broken encoding is a 400 problem', async () => {
    const created = await gw.http
      .post('/api/v1/requests')
      .set('Authorization', auth.anna)
      .send({
        agreementId: 'stolen-boats',
        providerId: 'boatreg-nl',
        datasetId: 'vessels',
        identifiers: [{ type: 'hin', value: 'NL-HXAB7A33G293' }],
        fields: ['identifier', 'make'],
        purpose: 'stolen-property-investigation',
        caseRef: 'NL-2026-000321',
      });
    expect(created.status).toBe(201);
    const upload = (encoding: string, body: Buffer) =>
      gw.http
        .post(`/api/v1/requests/${created.body.id}/answer/upload?adapter=boatreg-nl`)
        .set('Authorization', auth.bram)
        .set('Content-Type', 'text/csv')
        .set('Content-Encoding', encoding)
        .send(body);
    expectProblem(await upload('gzip', garbage), 400);
    expectProblem(await upload('compress', csv), 415);
    expect((await upload('gzip', zlib.gzipSync(csv))).status).toBe(200);
  });

  it('hole d: portal forms with a broken encoding are refused, never a 500', async () => {
    const { cookie } = await portalSession(gw.http, 'anna');
    for (const encoding of ['gzip', 'br2']) {
      const res = await gw.http
        .post('/portal/lookup')
        .set('Cookie', cookie)
        .set('Content-Type', 'application/x-www-form-urlencoded')
        .set('Content-Encoding', encoding)
        .send(garbage);
      expect([encoding, res.status >= 400 && res.status < 500]).toEqual([encoding, true]);
    }
  });
});

describe('found by the fuzz suite', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await createTestGateway();
  });
  afterAll(() => gw.close());

  it('fuzz: a form field named after an Object.prototype member (__proto__, constructor) is an ordinary field, not a crash or a 500', async () => {
    const { cookie, csrf } = await portalSession(gw.http, 'anna');
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      // Signed in: the form is read after the guard.
      const urlencoded = await gw.http
        .post('/portal/lookup')
        .set('Cookie', cookie)
        .type('form')
        .send(`_csrf=${encodeURIComponent(csrf)}&${name}=x`);
      expect([name, urlencoded.status]).toEqual([name, 400]);
      const multipart = await gw.http
        .post('/portal/lookup')
        .set('Cookie', cookie)
        .field('_csrf', csrf)
        .field(name, 'x');
      expect([name, multipart.status]).toEqual([name, 400]);
      // Without a session: the sign-in form is read by anyone, and a thrown field handler would take
      // the process down.
      const anonymous = await gw.http.post('/portal/sign-in').field(name, 'x').field('user', 'anna');
      expect([name, anonymous.status]).toEqual([name, 403]);
    }
    expect((await gw.http.get('/healthz')).status).toBe(200);
  });

  it('fuzz: the pointer of an unknown key holding "/" or "~" is a JSON pointer (RFC 6901 escapes)', async () => {
    const dana = `Bearer ${await gw.token('dana')}`;
    const query = await gw.http.get('/api/v1/audit/events?a~b=1&c%2Fd=2').set('Authorization', dana);
    expect(query.status).toBe(400);
    expect(query.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/a~0b', '/c~1d']);
    const body = await gw.http
      .post('/api/v1/lookups')
      .set('Authorization', `Bearer ${await gw.token('anna')}`)
      .send({ 'x/y~z': 1, identifiers: [{ value: 'v' }] });
    expect(body.status).toBe(400);
    const pointers = body.body.errors.map((e: { pointer: string }) => e.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['/x~1y~0z', '/identifiers/0/type']));
  });
});
