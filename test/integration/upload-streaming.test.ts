/**
 * A large upload over HTTP (issue 16): its records are written out while the file still arrives (to
 * the upload's staging file, then merged into the store) and stay invisible until the upload is
 * published; lookups meanwhile see the dataset as it was and are answered. (The old path held the
 * whole file in memory, then wrote it in one transaction that blocked the event loop: nothing was
 * written before the body ended.)
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { generateBoatreg } from '../../bench/generate-boatreg';
import { createTestGateway, type TestGateway } from '../helpers/gateway';

let gw: TestGateway;
let server: http.Server;
let port: number;
let bram: string;
let anna: string;
let csv: string;

const SAMPLE = path.resolve(__dirname, '../../adapters/boatreg-nl/fixtures/sample.csv');
const SAMPLE_HIN = 'NLBEN12345C818';

jest.setTimeout(60_000);

beforeAll(async () => {
  gw = await createTestGateway();
  bram = await gw.token('bram');
  anna = await gw.token('anna');
  const file = path.join(gw.dataDir, 'big.csv');
  await generateBoatreg({ rows: 6000, out: file, seed: 7 });
  csv = fs.readFileSync(file, 'utf8');
  server = http.createServer(gw.handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await gw.close();
});

/** Whether a lookup of `hin` hits boatreg-nl's vessels. */
async function hits(hin: string): Promise<boolean> {
  const res = await gw.http
    .post('/api/v1/lookups')
    .set('Authorization', `Bearer ${anna}`)
    .send({
      agreementId: 'stolen-boats',
      purpose: 'stolen-property-investigation',
      caseRef: 'NL-2026-000321',
      identifiers: [{ type: 'hin', value: hin }],
    });
  expect(res.status).toBe(200);
  return res.body.hits.some((h: { providerId: string }) => h.providerId === 'boatreg-nl');
}

/** Rows in the file's dataset_records, visible or not (another connection, as an observer). */
function storedRows(): number {
  const db = new Database(gw.dbFile, { readonly: true });
  try {
    return db.prepare<[], { n: number }>('SELECT count(*) AS n FROM dataset_records').get()!.n;
  } finally {
    db.close();
  }
}

/** Records appended to the staging files of uploads under way (dataset-staging.ts). */
function stagedRows(): number {
  const dir = path.join(path.dirname(gw.dbFile), 'staging');
  let n = 0;
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    const db = new Database(path.join(dir, name), { readonly: true });
    try {
      n += db.prepare<[], { n: number }>('SELECT count(*) AS n FROM staged').get()?.n ?? 0;
    } catch {
      // Not created yet.
    } finally {
      db.close();
    }
  }
  return n;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

it('writes a streamed upload as it arrives, shows it only once it is complete, and lookups go on', async () => {
  const first = await gw.http
    .put('/api/v1/datasets/vessels/records?adapter=boatreg-nl&mode=replace')
    .set('Authorization', `Bearer ${bram}`)
    .set('Content-Type', 'text/csv')
    .send(fs.readFileSync(SAMPLE, 'utf8'));
  expect(first.status).toBe(200);
  expect(await hits(SAMPLE_HIN)).toBe(true);
  const before = storedRows();

  const lines = csv.split('\n');
  const newHin = lines[1].split(',')[2].split(';')[0];
  expect(await hits(newHin)).toBe(false);
  const half = lines.slice(0, lines.length / 2).join('\n') + '\n';
  const rest = lines.slice(lines.length / 2).join('\n');

  const answer = new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'PUT',
        path: '/api/v1/datasets/vessels/records?adapter=boatreg-nl&mode=replace',
        headers: { Authorization: `Bearer ${bram}`, 'Content-Type': 'text/csv' },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.write(half);
    // The second half only once the first is being written.
    void until(() => stagedRows() > 0, 'the first records to be written')
      .then(async () => {
        // Mid-upload: the dataset as it was, answered at once.
        expect(await hits(SAMPLE_HIN)).toBe(true);
        expect(await hits(newHin)).toBe(false);
        // Another upload to the same dataset meanwhile: told to come back, the first one untouched.
        const second = await gw.http
          .put('/api/v1/datasets/vessels/records?adapter=boatreg-nl&mode=upsert')
          .set('Authorization', `Bearer ${bram}`)
          .set('Content-Type', 'text/csv')
          .send(fs.readFileSync(SAMPLE, 'utf8'));
        expect(second.status).toBe(409);
        expect(second.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(second.headers['retry-after']).toBe('5');
        expect(second.body).toMatchObject({ status: 409, title: 'Upload in progress' });
        req.end(rest);
      })
      .catch(reject);
  });
  const done = await answer;
  expect(done.status).toBe(200);
  expect(done.body).toMatchObject({ read: 6000, quarantined: 0 });
  expect(await hits(newHin)).toBe(true);
  expect(await hits(SAMPLE_HIN)).toBe(false);
  // The replaced records are swept once the upload is published (close waits for it).
  expect(storedRows()).toBeGreaterThan(before);
}, 60_000);

it('an upload whose client went away before its body was read ends, and frees its dataset', async () => {
  // The client goes away while the upload waits for its dataset (stage): nothing listened to the
  // request then, so it never said so, and reading it later waited forever, holding the dataset.
  const datasets = gw.store.datasets;
  const stage = datasets.stage.bind(datasets);
  let reached!: () => void;
  const staging = new Promise<void>((resolve) => (reached = resolve));
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let ended!: () => void;
  const discarded = new Promise<void>((resolve) => (ended = resolve));
  datasets.stage = async (...args) => {
    reached();
    await gate;
    const staged = await stage(...args);
    const discard = staged.discard.bind(staged);
    return { ...staged, discard: () => discard().finally(ended) };
  };
  const serverSide = new Promise<http.IncomingMessage>((resolve) => server.once('request', resolve));
  try {
    const client = http.request({
      host: '127.0.0.1',
      port,
      method: 'PUT',
      path: '/api/v1/datasets/vessels/records?adapter=boatreg-nl&mode=upsert',
      headers: { Authorization: `Bearer ${bram}`, 'Content-Type': 'text/csv' },
    });
    client.on('error', () => undefined);
    client.write(csv.slice(0, 1000));
    const req = await serverSide;
    await staging;
    const closed = new Promise((resolve) => req.once('close', resolve));
    client.destroy();
    await closed;
    release();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      discarded,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('the upload never ended: its dataset stays held')), 10_000);
      }),
    ]).finally(() => clearTimeout(timer));
  } finally {
    datasets.stage = stage;
  }
  const next = await gw.http
    .put('/api/v1/datasets/vessels/records?adapter=boatreg-nl&mode=upsert')
    .set('Authorization', `Bearer ${bram}`)
    .set('Content-Type', 'text/csv')
    .send(fs.readFileSync(SAMPLE, 'utf8'));
  expect(next.status).toBe(200);
});
