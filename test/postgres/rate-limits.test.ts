/**
 * Rate limits on PostgreSQL (issue 20, item 3): two gateways on one schema share each limit's
 * counters, so a person's lookups are limited over both together, and so are an address's failed
 * authentications. The table holds digests, not the addresses or user ids counted.
 */
import fs from 'node:fs';
import path from 'node:path';
import { boatLookup, createTestGateway, type TestGateway } from '../helpers/gateway';
import { rateLimitsConfig } from '../helpers/rate-limits';
import { describePg, dropSchema, freshSchema, PG_URL, requirePostgres, testPool } from './pg-test';

describePg('rate limits shared by gateways on one PostgreSQL schema', () => {
  const schema = freshSchema();
  let config: string;
  const gateways: TestGateway[] = [];
  let anna: string;

  beforeAll(async () => {
    await requirePostgres();
    config = rateLimitsConfig({
      failedAuth: { points: 2, durationSeconds: 60 },
      lookups: { points: 3, durationSeconds: 60 },
    });
    const env = {
      FSG_CONFIG: config,
      FSG_TRUST_PROXY: 'loopback',
      FSG_STORE_KIND: 'postgres',
      FSG_DATABASE_URL: PG_URL,
      FSG_DATABASE_SCHEMA: schema,
    };
    gateways.push(await createTestGateway(env));
    // The second shares the first's data folder: one deployment's keys, as instances do.
    gateways.push(await createTestGateway({ ...env, FSG_DATA_DIR: gateways[0].dataDir }));
    anna = await gateways[0].token('anna');
  });
  afterAll(async () => {
    for (const gw of gateways.reverse()) await gw.close();
    await dropSchema(schema);
    fs.rmSync(path.dirname(config), { recursive: true, force: true });
  });

  const lookup = (gw: TestGateway, address: string, token: string) =>
    gw.http
      .post('/api/v1/lookups')
      .set('Authorization', `Bearer ${token}`)
      .set('X-Forwarded-For', address)
      .send(boatLookup());

  test("a person's lookups are counted over both instances", async () => {
    const [one, two] = gateways;
    const statuses = [];
    for (const gw of [one, two, one, two, one]) statuses.push((await lookup(gw, '10.10.0.1', anna)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const refused = await lookup(two, '10.10.0.2', anna);
    expect(refused.body).toMatchObject({ status: 429, limit: 'lookups' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  test("an address's failed authentications on one instance shut it out of the other", async () => {
    const [one, two] = gateways;
    expect((await lookup(one, '10.10.5.5', `${anna}x`)).status).toBe(401);
    expect((await lookup(two, '10.10.5.5', `${anna}x`)).status).toBe(401);
    const refused = await lookup(one, '10.10.5.5', await two.token('sven'));
    expect(refused.body).toMatchObject({ status: 429, limit: 'failedAuth' });

    // What the table holds: digests under each limit's name, never the address or the user.
    const pool = testPool(schema, { max: 1 });
    try {
      const { rows } = await pool.query<{ key: string }>('SELECT key FROM rate_limits');
      expect(rows.length).toBeGreaterThan(0);
      for (const { key } of rows)
        expect(key).toMatch(/^(perAddress|failedAuth|lookups|perPerson):[\w-]{43}$/);
    } finally {
      await pool.end();
    }
  });
});
