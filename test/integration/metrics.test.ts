/**
 * Prometheus metrics (issue 20): after lookups (fast lane and express) and a request, a scrape of the
 * metrics listener shows each series with its labels and counts, and no label value holds what the
 * requests carried (identifiers, users, case references, ids); /metrics is not served on the API port.
 */
import { loadConfig } from '../../src/config/load';
import { startGateway } from '../../src/gateway';
import { serveMetrics, type MetricsServer } from '../../src/metrics/server';
import supertest from 'supertest';
import { createTestGateway, type TestGateway } from '../helpers/gateway';

let gw: TestGateway;
let metrics: MetricsServer;
let sven: string;

beforeAll(async () => {
  gw = await createTestGateway({ FSG_DEMO_DATASETS: 'true', FSG_METRICS_ENABLED: 'true' });
  metrics = await serveMetrics(gw.metrics!, { host: '127.0.0.1', port: 0 }, gw.logger);
  sven = await gw.token('sven', { mfa: true });
});
afterAll(async () => {
  await metrics?.close();
  await gw?.close();
});

const HIT = '1HGCM82633A004352';
const MISS = '5YJ3E1EA4KF317001';
const CASE_REF = 'SE-2026-000777';
const lookup = (purpose = 'stolen-property-investigation') => ({
  agreementId: 'stolen-vehicles',
  identifiers: [
    { type: 'vin', value: HIT },
    { type: 'vin', value: MISS },
  ],
  purpose,
  caseRef: CASE_REF,
});

/** The scrape's samples: name, labels and value of each line that is not a comment. */
async function scrape(): Promise<{ name: string; labels: Record<string, string>; value: number }[]> {
  const res = await fetch(metrics.url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return (await res.text())
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [, name, labels, value] = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)!;
      return {
        name,
        labels: Object.fromEntries([...(labels ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]])),
        value: Number(value),
      };
    });
}

const valueOf = (samples: Awaited<ReturnType<typeof scrape>>, name: string, labels: Record<string, string>) =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

test('a scrape shows requests, decisions, lookups, hits, appends, the log and the queues, by labels without personal data', async () => {
  const sent: string[] = [];
  for (const http of [gw.http, supertest(gw.app)]) {
    const res = await http.post('/api/v1/lookups').set('Authorization', `Bearer ${sven}`).send(lookup());
    expect(res.status).toBe(200);
    sent.push(res.headers['x-request-id'] as string, res.body.id as string);
  }
  const denied = await gw.http
    .post('/api/v1/lookups')
    .set('Authorization', `Bearer ${sven}`)
    .send(lookup('marketing'));
  expect(denied.status).toBe(403);
  const unknownId = '3f1c3a52-9d7e-4d55-9c39-9a4b2c7f0e11';
  const notFound = await gw.http.get(`/api/v1/requests/${unknownId}`).set('Authorization', `Bearer ${sven}`);
  expect(notFound.status).toBe(404);

  const samples = await scrape();
  const requests = 'fsg_http_request_duration_seconds_count';
  expect(valueOf(samples, requests, { method: 'POST', route: '/api/v1/lookups', status: '200' })).toBe(2);
  expect(valueOf(samples, requests, { method: 'GET', route: '/api/v1/requests/:id', status: '404' })).toBe(1);
  expect(
    valueOf(samples, 'fsg_decisions_total', { kind: 'lookup', outcome: 'permit', partner: 'police-se' }),
  ).toBe(2);
  expect(
    valueOf(samples, 'fsg_decisions_total', { kind: 'lookup', outcome: 'deny', partner: 'police-se' }),
  ).toBe(1);
  expect(valueOf(samples, 'fsg_decision_failed_safes_total', { kind: 'lookup', safe: 'project' })).toBe(1);
  expect(valueOf(samples, 'fsg_lookups_total', { partner: 'police-se', outcome: 'permit' })).toBe(2);
  expect(valueOf(samples, 'fsg_lookup_identifiers_total', { partner: 'police-se' })).toBeGreaterThanOrEqual(
    4,
  );
  expect(valueOf(samples, 'fsg_lookup_hits_total', {})).toBeGreaterThanOrEqual(2);
  expect(
    valueOf(samples, 'fsg_log_append_duration_seconds_count', { kind: 'lookup' }),
  ).toBeGreaterThanOrEqual(2);
  expect(valueOf(samples, 'fsg_audit_entries_since_checkpoint', {})).toBeGreaterThanOrEqual(2);
  expect(valueOf(samples, 'fsg_audit_checkpoint_age_seconds', {})).toBeGreaterThanOrEqual(0);
  expect(valueOf(samples, 'fsg_store_queue_depth', {})).toBe(0);
  expect(valueOf(samples, 'nodejs_eventloop_lag_seconds', {})).toBeGreaterThanOrEqual(0);

  const labelValues = samples.flatMap((s) => Object.values(s.labels)).join('\n');
  for (const secret of [HIT, MISS, CASE_REF, 'sven', unknownId, ...sent]) {
    expect(labelValues).not.toContain(secret);
  }
});

test('/metrics is not served on the API port; the metrics listener serves GET /metrics only', async () => {
  expect((await gw.http.get('/metrics')).status).toBe(404);
  expect((await fetch(metrics.url, { method: 'POST' })).status).toBe(405);
  expect((await fetch(metrics.url.replace(/\/metrics$/, '/api/v1/lookups'))).status).toBe(404);
});

test('fsg serve opens the metrics listener when enabled and closes it with the gateway', async () => {
  const config = loadConfig({
    FSG_DATA_DIR: gw.dataDir,
    FSG_LOG_LEVEL: 'silent',
    FSG_DEMO_DATASETS: 'false',
    FSG_PORT: '0',
    FSG_METRICS_ENABLED: 'true',
    FSG_METRICS_PORT: '0',
  });
  await gw.store.close();
  const running = await startGateway(config);
  const url = running.metricsUrl!;
  expect((await fetch(url)).status).toBe(200);
  await running.close();
  await expect(fetch(url)).rejects.toThrow();
});
