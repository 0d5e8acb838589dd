/**
 * Issue 18, item 4: work that every instance does on its own schedule is done once. Two gateways on one
 * PostgreSQL schema sweep expired disclosures at the same moment: each disclosure is purged once, with
 * one purge entry; and both checkpointing at once sign the head once.
 */
import { loadConfig } from '../../src/config/load';
import { assemble, type Assembled } from '../../src/gateway';
import { answeredRequests, createTestGateway, type TestGateway } from '../helpers/gateway';
import { describePg, dropSchema, freshSchema, PG_URL, requirePostgres } from './pg-test';

const DAY = 24 * 60 * 60 * 1000;

describePg('two instances sweeping and checkpointing at once', () => {
  jest.setTimeout(60_000);
  const schema = freshSchema();
  const env = {
    FSG_STORE_KIND: 'postgres',
    FSG_DATABASE_URL: PG_URL,
    FSG_DATABASE_SCHEMA: schema,
  };
  let first: TestGateway;
  let second: Assembled;
  let offset = 0;

  beforeAll(async () => {
    await requirePostgres();
    first = await createTestGateway(env);
    second = await assemble(
      loadConfig({
        ...env,
        FSG_DATA_DIR: first.dataDir,
        FSG_LOG_LEVEL: 'silent',
        FSG_DEMO_DATASETS: 'false',
      }),
      () => new Date(Date.now() + offset),
    );
  });

  afterAll(async () => {
    await second?.store.close();
    await first?.close();
    await dropSchema(schema);
  });

  it('purges each expired disclosure once, whichever instance gets to it', async () => {
    await answeredRequests(
      first,
      4,
      (i) => `NL-2026-00070${i}`,
      () => 'approve',
    );
    first.advance(31 * DAY);
    offset = 31 * DAY;
    const [a, b] = await Promise.all([first.requests.sweepExpired(), second.requests.sweepExpired()]);
    expect(a + b).toBe(4);
    const purges = await first.store.audit.query({ types: ['purge'] }, { order: 'asc', limit: 100 });
    expect(purges).toHaveLength(4);
    expect(new Set(purges.map((e) => e.requestId)).size).toBe(4);
    // Nothing is left to purge, for either.
    expect(await second.requests.sweepExpired()).toBe(0);
  });

  it('both checkpointing at once sign the head once', async () => {
    await first.store.audit.append([{ type: 'test', actor: 'system', partners: [], data: {} }]);
    const [x, y] = await Promise.all([first.checkpointer.checkpoint(), second.checkpointer.checkpoint()]);
    expect(x?.treeSize).toBe(y?.treeSize);
    expect(x?.signature).toBe(y?.signature);
    const head = await first.store.audit.head();
    expect((await first.store.audit.checkpointAt(head!.seq))?.signature).toBe(x?.signature);
  });
});
