/**
 * Two projects: every test on the default store (SQLite, and the PostgreSQL suites of test/postgres and
 * test/contract), and the HTTP integration tests below once more on PostgreSQL (FSG_TEST_STORE), each
 * gateway in a fresh schema. The second runs where PostgreSQL answers or is required (FSG_REQUIRE_PG=1:
 * .ci/run, where its absence fails); elsewhere it is left out, and this says so.
 */
const { spawnSync } = require('node:child_process');

const base = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    // openid-client and its dependencies ship as ES modules only: jest's CommonJS runtime needs them transpiled.
    '^.+/node_modules/(openid-client|oauth4webapi)/.+\\.js$': [
      'ts-jest',
      { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022' }, isolatedModules: true },
    ],
  },
  transformIgnorePatterns: ['^(?!.*/node_modules/(openid-client|oauth4webapi)/).*/node_modules/'],
};

/** Integration tests that reach the store only through the gateway and its port. */
const ON_POSTGRES = [
  'integration/aggregates',
  'integration/audit-api',
  'integration/datasets-lookups',
  'integration/four-eyes-tables',
  'integration/isolation',
  'integration/lookup-fast-lane',
  'integration/lookup-results',
  'integration/partnership-acceptance',
  'integration/partnership-portal',
  'integration/partnership-screening',
  'integration/partnership-lookup-outcomes',
  'integration/partnership-report',
  'integration/portal-receipt',
  'integration/portal-oidc',
  'integration/portal-tables',
  'integration/portal-questions',
  'integration/questions',
  'integration/release-rules',
  'integration/subject-access',
  'integration/transparency',
  'security/approve-race',
  'security/disclosure-reads',
  'security/partner-views',
  'security/partnership-attacks',
  'security/quota-race',
  'security/separation-of-duties',
];

/**
 * The HTTP integration tests that write lookups, once more with the lookup writer on its worker thread
 * (production's default; the other projects write inline, on the test's movable clock).
 */
const WORKER_WRITER = [
  'integration/datasets-lookups',
  'integration/lookup-fast-lane',
  'integration/lookup-results',
  'security/partner-views',
  'security/quota-race',
];

function postgresAnswers() {
  const url = new URL(process.env.FSG_TEST_PG || 'postgres://postgres@127.0.0.1:5432/test');
  const probe = `require('net').connect(${Number(url.port || 5432)}, ${JSON.stringify(url.hostname || '127.0.0.1')})
    .on('connect', () => process.exit(0)).on('error', () => process.exit(1))`;
  return spawnSync(process.execPath, ['-e', probe], { timeout: 3000 }).status === 0;
}

const onPostgres = process.env.FSG_REQUIRE_PG === '1' || postgresAnswers();
// Decided once for every test file (workers inherit it): test/postgres/pg-test.ts's describePg reads it.
process.env.FSG_TEST_PG_RUN = onPostgres ? '1' : '0';
if (!onPostgres) {
  console.warn('The integration tests on PostgreSQL did NOT run: no server answers (set FSG_TEST_PG).');
}

/** @type {import('jest').Config} */
module.exports = {
  // Both cores (jest's default leaves one to itself): most test files wait on child processes, browsers,
  // sockets and fsync rather than compute, and one worker made `npm test` take over nine minutes.
  maxWorkers: 2,
  projects: [
    { ...base, displayName: 'sqlite', testMatch: ['**/*.test.ts'] },
    {
      ...base,
      displayName: 'worker-writer',
      testMatch: WORKER_WRITER.map((name) => `**/test/${name}.test.ts`),
      setupFiles: ['<rootDir>/test/helpers/worker-writer.ts'],
    },
    ...(onPostgres
      ? [
          {
            ...base,
            displayName: 'on-postgres',
            testMatch: ON_POSTGRES.map((name) => `**/test/${name}.test.ts`),
            setupFiles: ['<rootDir>/test/postgres/on-postgres.ts'],
          },
        ]
      : []),
  ],
};
