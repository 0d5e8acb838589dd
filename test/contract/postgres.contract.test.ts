/**
 * The store contract (store-contract.ts) on PostgreSQL: a fresh schema per test in the test database,
 * dropped afterwards. Required in CI (FSG_REQUIRE_PG=1); elsewhere skipped, loudly, without a server.
 */
import { openPgStore } from '../../src/store/postgres';
import { describePg, dropSchema, freshSchema, PG_URL, requirePostgres } from '../postgres/pg-test';
import { storeContract } from './store-contract';

describePg('PostgreSQL', () => {
  jest.setTimeout(30_000);
  beforeAll(requirePostgres);

  storeContract('postgres', async () => {
    const schema = freshSchema();
    const store = await openPgStore({ connectionString: PG_URL, schema, max: 5 });
    return {
      store,
      async close() {
        await store.close();
        await dropSchema(schema);
      },
    };
  });
});
