/**
 * The PostgreSQL the tests run against (FSG_TEST_PG, default the local server's `test` database) and a
 * fresh schema per run. Where PostgreSQL is required (FSG_REQUIRE_PG=1: CI, `.ci/run`), unreachable is
 * a failure, never a skip. Elsewhere (`npm test` on a machine without it) the PostgreSQL suites do not
 * run, and say so on the console: a suite that silently skips proves nothing.
 */
import { PG_URL } from './pg-db';

export { PG_URL, dropSchema, freshSchema, requirePostgres, testPool } from './pg-db';

/**
 * `describe` for the PostgreSQL suites: always where PostgreSQL is required (its absence then fails in
 * requirePostgres); elsewhere skipped, loudly, when no server answers.
 */
export const describePg: jest.Describe = (() => {
  // jest.config.js probes the server once (or is told it is required) and says so here.
  if (process.env.FSG_TEST_PG_RUN === '1') return describe;
  console.warn(
    `The PostgreSQL suites did NOT run: no server at ${new URL(PG_URL).host} (set FSG_TEST_PG; .ci/run requires one).`,
  );
  return describe.skip;
})();
