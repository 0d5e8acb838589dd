/**
 * The PostgreSQL schema, in versions applied once each and recorded in schema_migrations. Gateways
 * starting together against one database take a session advisory lock (keyed by the schema) first,
 * so exactly one applies a version and the others find it recorded; each version commits with its row.
 */
import type pg from 'pg';
import { checkSchemaName } from './pool';

interface Migration {
  version: number;
  sql: string;
}

export const PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      -- The log: the same columns as SQLite's audit_log. body is the canonical JSON, kept as text
      -- byte for byte (never jsonb, which would re-encode it and break its hash).
      CREATE TABLE audit_log (
        seq           bigint PRIMARY KEY CHECK (seq > 0),
        ts            text NOT NULL,
        type          text NOT NULL,
        actor_user    text,
        actor_partner text,
        partners      text NOT NULL,
        request_id    text,
        agreement_id  text,
        outcome       text,
        body          text NOT NULL,
        prev_hash     text NOT NULL,
        hash          text NOT NULL
      );
      CREATE INDEX audit_log_ts ON audit_log (ts);
      CREATE INDEX audit_log_request ON audit_log (request_id) WHERE request_id IS NOT NULL;
      CREATE INDEX audit_log_agreement ON audit_log (agreement_id);
      CREATE INDEX audit_log_type ON audit_log (type);
      CREATE INDEX audit_log_actor ON audit_log (actor_user, actor_partner);

      CREATE TABLE audit_partners (
        partner text NOT NULL,
        seq     bigint NOT NULL REFERENCES audit_log (seq),
        PRIMARY KEY (partner, seq)
      );
      CREATE INDEX audit_partners_seq ON audit_partners (seq);

      CREATE TABLE audit_hashes (
        hash text NOT NULL,
        seq  bigint NOT NULL REFERENCES audit_log (seq),
        PRIMARY KEY (hash, seq)
      );
      CREATE INDEX audit_hashes_seq ON audit_hashes (seq);

      -- Every complete perfect subtree's root (level 0: the leaves), written with the entries.
      CREATE TABLE audit_tree (
        level integer NOT NULL,
        idx   bigint NOT NULL,
        hash  bytea NOT NULL CHECK (length(hash) = 32),
        PRIMARY KEY (level, idx)
      );

      -- Append-only: the gateway never changes or removes a row of the log. (An owner of the schema
      -- can drop the triggers; the chain and the checkpoints are what catch that.)
      CREATE FUNCTION fsg_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$;
      CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION fsg_append_only();
      CREATE TRIGGER audit_partners_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_partners
        FOR EACH STATEMENT EXECUTE FUNCTION fsg_append_only();
      CREATE TRIGGER audit_hashes_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_hashes
        FOR EACH STATEMENT EXECUTE FUNCTION fsg_append_only();
      CREATE TRIGGER audit_tree_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_tree
        FOR EACH STATEMENT EXECUTE FUNCTION fsg_append_only();
    `,
  },
  {
    version: 2,
    sql: `
      -- Signed checkpoints: the canonical JSON of each, by the tree size it covers; append-only.
      CREATE TABLE audit_checkpoints (
        tree_size bigint PRIMARY KEY CHECK (tree_size > 0),
        ts        text NOT NULL,
        body      text NOT NULL
      );
      CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_checkpoints
        FOR EACH STATEMENT EXECUTE FUNCTION fsg_append_only();
    `,
  },
  {
    version: 5,
    sql: `
      -- The log's lock first, as an append takes it (before the log's tables), so the two never wait
      -- for each other's locks in turn.
      SELECT pg_advisory_xact_lock(hashtext('fsg.audit_log:' || current_schema()));

      -- The log's times compare as text byte for byte (ISO 8601 in UTC, as SQLite compares them),
      -- whatever the database's collation: the DPO's period filters.
      ALTER TABLE audit_log ALTER COLUMN ts TYPE text COLLATE "C";

      -- The counts behind the DPO's statistics (src/audit/stats.ts), kept as entries are appended, in
      -- their transaction (audit-stats.ts); byte order, as SQLite's, for their ranges and order.
      CREATE TABLE audit_stats (
        scope     text COLLATE "C" NOT NULL,
        day       text COLLATE "C" NOT NULL,
        agreement text COLLATE "C" NOT NULL,
        measure   text COLLATE "C" NOT NULL,
        n         bigint NOT NULL CHECK (n > 0),
        PRIMARY KEY (scope, day, agreement, measure)
      );
      -- The zone each agreement's days are counted in (an agreement not named: UTC).
      CREATE TABLE audit_stats_zones (
        agreement text PRIMARY KEY,
        zone      text NOT NULL
      );
      -- Entries 1..upto were appended before the counts were kept: the first useStatsZones counts them
      -- (0: none left). Read under the log's lock (taken above), so no append is in flight.
      CREATE TABLE audit_stats_backlog (upto bigint NOT NULL CHECK (upto >= 0));
      INSERT INTO audit_stats_backlog (upto) SELECT coalesce(max(seq), 0) FROM audit_log;

      -- Counts only grow; only a recount (a zone changed) removes an agreement's counts, saying so for
      -- its own transaction (fsg.stats_recount). A zone is changed, never removed.
      CREATE FUNCTION fsg_stats_only_grow() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'DELETE' THEN
            IF current_setting('fsg.stats_recount', true) = 'on' THEN RETURN OLD; END IF;
            RAISE EXCEPTION 'audit_stats: counts are removed only by a recount';
          END IF;
          IF NEW.n < OLD.n OR (NEW.scope, NEW.day, NEW.agreement, NEW.measure)
               IS DISTINCT FROM (OLD.scope, OLD.day, OLD.agreement, OLD.measure) THEN
            RAISE EXCEPTION 'audit_stats: counts only grow';
          END IF;
          RETURN NEW;
        END $$;
      CREATE TRIGGER audit_stats_only_grow BEFORE UPDATE OR DELETE ON audit_stats
        FOR EACH ROW EXECUTE FUNCTION fsg_stats_only_grow();
      CREATE TRIGGER audit_stats_no_truncate BEFORE TRUNCATE ON audit_stats
        FOR EACH STATEMENT EXECUTE FUNCTION fsg_append_only();
      CREATE TRIGGER audit_stats_zones_no_delete BEFORE DELETE OR TRUNCATE ON audit_stats_zones
        FOR EACH STATEMENT EXECUTE FUNCTION fsg_append_only();
    `,
  },
];

/** Applies the versions not yet recorded in `schema` (created when missing); returns those applied. */
export async function migratePg(
  pool: pg.Pool,
  schema: string,
  migrations: readonly Migration[] = PG_MIGRATIONS,
): Promise<number[]> {
  const name = checkSchemaName(schema);
  const client = await pool.connect();
  const applied: number[] = [];
  let failed: Error | undefined;
  try {
    // Session lock, held across the versions' transactions; released below or when the session ends.
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`fsg.migrate:${name}`]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${name}"`);
      await client.query(`SET search_path TO "${name}"`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
           version    integer PRIMARY KEY,
           applied_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
      const done = new Set(
        (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map(
          (r) => r.version,
        ),
      );
      for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
        if (done.has(migration.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [migration.version]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
        applied.push(migration.version);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`fsg.migrate:${name}`]);
    }
  } catch (err) {
    failed = err as Error;
    throw err;
  } finally {
    // A connection that failed is closed, not pooled (ending its session frees the lock too).
    client.release(failed);
  }
  return applied;
}
