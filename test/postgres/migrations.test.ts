/** Issue 18: PostgreSQL migrations apply once each, however many instances start together. */
import { PG_MIGRATIONS, migratePg } from '../../src/store/postgres/migrations';
import { describePg, dropSchema, freshSchema, requirePostgres, testPool } from './pg-test';

describePg('PostgreSQL migrations', () => {
  jest.setTimeout(30_000);

  const schema = freshSchema();
  const pools = [testPool(schema), testPool(schema), testPool(schema)];

  beforeAll(requirePostgres);
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await dropSchema(schema);
  });

  test('three instances migrating one fresh schema at once apply each version once', async () => {
    const applied = await Promise.all(pools.map((pool) => migratePg(pool, schema)));
    const versions = PG_MIGRATIONS.map((m) => m.version);
    // One instance applied every version; the others found them recorded.
    expect(applied.flat().sort((a, b) => a - b)).toEqual(versions);
    expect(applied.filter((a) => a.length > 0)).toHaveLength(1);

    const { rows } = await pools[0].query<{ version: number; n: number }>(
      'SELECT version, count(*)::int AS n FROM schema_migrations GROUP BY version ORDER BY version',
    );
    expect(rows).toEqual(versions.map((version) => ({ version, n: 1 })));
    const tables = await pools[0].query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
      [schema],
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual([
      'accreditations',
      'audit_checkpoints',
      'audit_hashes',
      'audit_log',
      'audit_partners',
      'audit_stats',
      'audit_stats_backlog',
      'audit_stats_zones',
      'audit_tree',
      'dataset_records',
      'dataset_staging',
      'dataset_uploads',
      'dataset_versions',
      'partnership_records',
      'portal_sessions',
      'quota_days',
      'rate_limits',
      'requests',
      'role_grants',
      'schema_migrations',
    ]);
    // Nothing leaked into the default schema.
    const elsewhere = await pools[0].query(
      `SELECT 1 FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'audit_log'`,
    );
    expect(elsewhere.rows).toHaveLength(0);

    // A later start applies nothing.
    expect(await migratePg(pools[1], schema)).toEqual([]);
  });

  test('a schema named by a reserved word is usable (quoted where SQL names it)', async () => {
    const pool = testPool('select', { max: 1 });
    try {
      expect(await migratePg(pool, 'select')).toEqual(PG_MIGRATIONS.map((m) => m.version));
      const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log');
      expect(rows).toEqual([{ n: 0 }]);
    } finally {
      await pool.end();
      await dropSchema('select');
    }
  });

  test('a schema name that is not a plain identifier is refused before any SQL', async () => {
    await expect(migratePg(pools[0], 'x; DROP TABLE y')).rejects.toThrow(/not a usable schema name/);
    expect(() => testPool('Bad"Name')).toThrow(/not a usable schema name/);
  });

  test('a pooled connection the server ends while idle is dropped, and the pool connects again', async () => {
    const pool = testPool(schema, { max: 1 });
    try {
      const { rows } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await pools[0].query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
      // The idle client's error arrives as a pool event; unheard, it would end the process.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const again = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      expect(again.rows[0].pid).not.toBe(rows[0].pid);
    } finally {
      await pool.end();
    }
  });
});
