/**
 * Issue 18, item 5: a lost database connection. The store's calls fail with StoreUnavailableError (the
 * API's 503) within seconds instead of hanging, ping says false (`/readyz` not ready), a write cut off
 * leaves nothing half written, and when the database is back the same store serves again.
 */
import type { AuditEventInput } from '../../src/audit/types';
import { StoreUnavailableError, type Store } from '../../src/store/port';
import { openPgStore } from '../../src/store/postgres';
import { verifyLogFile } from '../../src/audit/verify-file';
import { openLogReader, storeAt } from '../../src/store/open';
import { boatLookup, boatRequest, createTestGateway, type TestGateway } from '../helpers/gateway';
import { describePg, dropSchema, freshSchema, PG_URL, requirePostgres } from './pg-test';
import { startPgProxy, type PgProxy } from './pg-proxy';

describePg('PostgreSQL lost and back', () => {
  jest.setTimeout(60_000);
  const schema = freshSchema();
  let proxy: PgProxy;
  let store: Store;

  const note = (i: number): AuditEventInput => ({ type: 'test', actor: 'system', partners: [], data: { i } });

  beforeAll(async () => {
    await requirePostgres();
    proxy = await startPgProxy();
    store = await openPgStore({ connectionString: proxy.url, schema, max: 4 });
  });

  afterAll(async () => {
    await proxy.restore().catch(() => undefined);
    await store.close();
    await proxy.close();
    await dropSchema(schema);
  });

  it('refuses with StoreUnavailableError while the database is gone, and serves again when it is back', async () => {
    await store.audit.append([note(1)]);
    await store.portalSessions.put({
      idHash: Buffer.alloc(32, 1),
      sealed: Buffer.from('x'),
      createdAt: 1,
      lastSeen: 1,
      expiresAt: Date.now() + 60_000,
    });
    expect(await store.ping()).toBe(true);

    await proxy.cut();
    const started = Date.now();
    for (const attempt of [
      () => store.audit.append([note(2)]),
      () => store.audit.head(),
      () => store.portalSessions.get(Buffer.alloc(32, 1)),
      () => store.accreditations.list(),
    ]) {
      const error: unknown = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as StoreUnavailableError).code).toBe('STORE_UNAVAILABLE');
    }
    expect(await store.ping()).toBe(false);
    // Refused at once (connection refused), never held until some distant timeout.
    expect(Date.now() - started).toBeLessThan(15_000);

    await proxy.restore();
    expect(await store.ping()).toBe(true);
    const [entry] = await store.audit.append([note(3)]);
    // The append refused while the database was gone left nothing: the chain goes on from #1.
    expect(entry.seq).toBe(2);
    expect((await store.audit.read(1, 10)).map((e) => (e.data as { i: number }).i)).toEqual([1, 3]);
    expect(await store.portalSessions.get(Buffer.alloc(32, 1))).toMatchObject({ lastSeen: 1 });
  });

  it('a write cut off in the middle of its transaction is rolled back whole', async () => {
    const before = (await store.audit.head())?.seq ?? 0;
    // Many appends in flight when the connection drops: each either committed (and was acknowledged)
    // or is absent; the chain has no gap and no half-written entry.
    // The connection drops the moment the first of them has committed.
    const stop = store.audit.onAppend(() => void proxy.cut());
    const writes = Array.from({ length: 40 }, (_, i) => store.audit.append([note(100 + i), note(200 + i)]));
    const outcomes = await Promise.allSettled(writes);
    stop();
    await proxy.restore();
    expect(outcomes.some((o) => o.status === 'fulfilled')).toBe(true);
    expect(outcomes.some((o) => o.status === 'rejected')).toBe(true);
    const acknowledged = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [100 + i] : []));
    for (const o of outcomes) {
      if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(StoreUnavailableError);
    }
    const entries = await store.audit.read(before + 1, 1000);
    const stored = entries.map((e) => (e.data as { i: number }).i);
    // Every acknowledged append is there with both its entries, next to each other.
    for (const i of acknowledged) {
      const at = stored.indexOf(i);
      expect(at).toBeGreaterThanOrEqual(0);
      expect(stored[at + 1]).toBe(i + 100);
    }
    // Nothing else but whole appends (an append whose commit was cut may have landed unacknowledged).
    expect(stored.length % 2).toBe(0);
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, k) => before + 1 + k));
  });
});

describePg('a gateway whose PostgreSQL is lost and back', () => {
  jest.setTimeout(60_000);
  const schema = freshSchema();
  let proxy: PgProxy;
  let gw: TestGateway;

  beforeAll(async () => {
    await requirePostgres();
    proxy = await startPgProxy();
    gw = await createTestGateway({
      FSG_STORE_KIND: 'postgres',
      FSG_DATABASE_URL: proxy.url,
      FSG_DATABASE_SCHEMA: schema,
      FSG_DEMO_DATASETS: 'true',
    });
  });

  afterAll(async () => {
    await proxy.restore().catch(() => undefined);
    await gw.close();
    await proxy.close();
    await dropSchema(schema);
  });

  it('answers 503 problem+json with Retry-After, /readyz not ready, and serves again when it is back', async () => {
    const anna = { Authorization: `Bearer ${await gw.token('anna')}` };
    const before = await gw.http.post('/api/v1/lookups').set(anna).send(boatLookup());
    expect(before.status).toBe(200);

    await proxy.cut();
    const lost = await gw.http.post('/api/v1/lookups').set(anna).send(boatLookup());
    expect(lost.status).toBe(503);
    expect(lost.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(lost.headers['retry-after']).toBe('5');
    expect(lost.body).toMatchObject({
      status: 503,
      detail: expect.stringMatching(/database cannot be reached/),
    });
    expect(JSON.stringify(lost.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres/i);
    const request = await gw.http.post('/api/v1/requests').set(anna).send(boatRequest());
    expect(request.status).toBe(503);
    const ready = await gw.http.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.store).toBe('unreachable');

    await proxy.restore();
    expect((await gw.http.get('/readyz')).status).toBe(200);
    const after = await gw.http.post('/api/v1/lookups').set(anna).send(boatLookup());
    expect(after.status).toBe(200);
    expect(after.body.hits.length).toBeGreaterThan(0);
    // Nothing half written: the log verifies with the gateway's key.
    const log = await openLogReader(storeAt(`${PG_URL}?schema=${schema}`));
    const report = await verifyLogFile({
      log,
      publicKey: gw.checkpointer.signer.publicKey,
      allowNoCheckpoint: true,
    });
    expect(report.ok).toBe(true);
  });
});
