/**
 * The PostgreSQL the tests run against (FSG_TEST_PG, default the local server's `test` database) and a
 * fresh schema per run. Where PostgreSQL is required (FSG_REQUIRE_PG=1: CI, `.ci/run`), unreachable is
 * a failure, never a skip. Elsewhere (`npm test` on a machine without it) the PostgreSQL suites do not
 * run, and say so on the console: a suite that silently skips proves nothing.
 */
import { spawnSync } from 'node:child_process';
import { PG_URL } from './pg-db';

export { PG_URL, dropSchema, freshSchema, requirePostgres, testPool } from './pg-db';

/** Whether a server answers at PG_URL's host and port (a TCP connect, decided before any test runs). */
function reachable(): boolean {
  const url = new URL(PG_URL);
  const probe = `require('net').connect(${Number(url.port || 5432)}, ${JSON.stringify(url.hostname || '127.0.0.1')})
    .on('connect', () => process.exit(0)).on('error', () => process.exit(1))`;
  return spawnSync(process.execPath, ['-e', probe], { timeout: 3000 }).status === 0;
}

/**
 * `describe` for the PostgreSQL suites: always where PostgreSQL is required (its absence then fails in
 * requirePostgres); elsewhere skipped, loudly, when no server answers.
 */
export const describePg: jest.Describe = (() => {
  if (process.env.FSG_REQUIRE_PG === '1' || reachable()) return describe;
  console.warn(
    `The PostgreSQL suites did NOT run: no server at ${new URL(PG_URL).host} (set FSG_TEST_PG; .ci/run requires one).`,
  );
  return describe.skip;
})();
