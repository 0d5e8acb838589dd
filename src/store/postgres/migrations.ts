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
    version: 3,
    sql: `
      -- The registry, role grants, detail requests and portal sessions: SQLite's columns (its
      -- migrations 1, 4, 8, 9, 10). JSON documents are text holding JSON.stringify's output, so they
      -- come back exactly as given (jsonb would reorder keys and refuse an escaped NUL). Timestamps are
      -- text in Date#toISOString form and compared as text: bytewise (COLLATE "C"), as in SQLite,
      -- whatever the database's collation; ids that order lists are bytewise too.
      CREATE TABLE accreditations (
        partner_id    text COLLATE "C" NOT NULL,
        user_id       text COLLATE "C" NOT NULL,
        display_name  text NOT NULL,
        roles         text NOT NULL,  -- JSON array
        vetting_level integer NOT NULL,
        trained_on    text NOT NULL,
        expires_on    text NOT NULL,
        suspended     boolean NOT NULL,
        teams         text,           -- JSON array, NULL when none
        PRIMARY KEY (partner_id, user_id)
      );

      -- Granting dpo or admin takes two admins; one open proposal per person and role.
      CREATE TABLE role_grants (
        id                  text COLLATE "C" PRIMARY KEY,
        partner_id          text NOT NULL,
        user_id             text NOT NULL,
        role                text NOT NULL CHECK (role IN ('dpo', 'admin')),
        state               text NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
        proposed_by_partner text NOT NULL,
        proposed_by_user    text NOT NULL,
        proposed_at         text COLLATE "C" NOT NULL,
        decided_by_partner  text,
        decided_by_user     text,
        decided_at          text,
        reason              text
      );
      CREATE UNIQUE INDEX role_grants_pending ON role_grants (partner_id, user_id, role) WHERE state = 'pending';
      CREATE INDEX role_grants_state ON role_grants (state, proposed_at);

      CREATE TABLE requests (
        id                text COLLATE "C" PRIMARY KEY,
        agreement_id      text NOT NULL,
        provider_id       text NOT NULL,
        dataset_id        text NOT NULL,
        requester_user    text NOT NULL,
        requester_partner text NOT NULL,
        state             text NOT NULL CHECK (state IN ('awaiting_provider', 'answered', 'disclosed', 'expired',
                                             'denied', 'declined', 'withdrawn', 'withheld')),
        created_at        text COLLATE "C" NOT NULL,
        updated_at        text NOT NULL,
        expires_at        text COLLATE "C",
        disclosed_at      text,
        purged_at         text,
        decline_reason    text,
        input             text NOT NULL,  -- JSON
        decision          text NOT NULL,  -- JSON
        preview           text,           -- JSON, NULL until answered
        preview_version   integer NOT NULL DEFAULT 0,
        disclosure        text,           -- JSON, NULL before disclosure and after purge
        record_digests    text NOT NULL   -- JSON array
      );
      CREATE INDEX requests_provider ON requests (provider_id, state, created_at);
      CREATE INDEX requests_requester ON requests (requester_partner, created_at);
      CREATE INDEX requests_user_quota ON requests (requester_user, requester_partner, agreement_id, created_at);
      CREATE INDEX requests_expiry ON requests (expires_at) WHERE state = 'disclosed' AND purged_at IS NULL;

      -- Found by the SHA-256 of the cookie's id; contents sealed. Times in ms since the epoch.
      CREATE TABLE portal_sessions (
        id_hash    bytea PRIMARY KEY,
        sealed     bytea NOT NULL,
        created_at bigint NOT NULL,
        last_seen  bigint NOT NULL,
        expires_at bigint NOT NULL
      );
      CREATE INDEX portal_sessions_expiry ON portal_sessions (expires_at);
    `,
  },
  {
    version: 4,
    sql: `
      -- Shared datasets in generations, as in SQLite (its schema version 12): each upload writes its
      -- records as a generation of its own (numbered from one sequence), beside the live ones; the
      -- dataset's row in dataset_versions says which generations readers see (base..live, and of a
      -- key's records there the newest), and publishing changes only that row, with the log entries.
      CREATE SEQUENCE dataset_generations;
      CREATE TABLE dataset_versions (
        provider_id text COLLATE "C" NOT NULL,
        dataset_id  text COLLATE "C" NOT NULL,
        base        bigint NOT NULL,
        live        bigint NOT NULL,
        records     bigint NOT NULL,
        PRIMARY KEY (provider_id, dataset_id)
      );
      -- identifier_key and record_ref as their UTF-8 bytes (text holds no NUL); the record itself is
      -- its JSON (body). The primary key is the lookup's index: (dataset, key) → its generations.
      CREATE TABLE dataset_records (
        provider_id    text COLLATE "C" NOT NULL,
        dataset_id     text COLLATE "C" NOT NULL,
        identifier_key bytea NOT NULL,
        added          bigint NOT NULL,
        record_ref     bytea NOT NULL,
        body           text NOT NULL,
        PRIMARY KEY (provider_id, dataset_id, identifier_key, added)
      );
      CREATE INDEX dataset_records_ref ON dataset_records (provider_id, dataset_id, record_ref);
      -- A generation's records (its number is unique across datasets): what an upload that is given
      -- up, or hidden by a newer one, removes. Not led by the dataset, so no read of a dataset's
      -- records by key finds it a rival to the primary key.
      CREATE INDEX dataset_records_added ON dataset_records (added);

      -- Every published upload (its DatasetUpload as JSON) and its generation; the newest is the
      -- dataset's last upload.
      CREATE TABLE dataset_uploads (
        seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id          text NOT NULL,
        provider_id text COLLATE "C" NOT NULL,
        dataset_id  text COLLATE "C" NOT NULL,
        added       bigint NOT NULL,
        uploaded_at text NOT NULL,
        body        text NOT NULL
      );
      CREATE INDEX dataset_uploads_latest ON dataset_uploads (provider_id, dataset_id, uploaded_at, seq);

      -- The upload being written to a dataset, one at most (the busy mark every instance sees), with
      -- its generation; touched_at is renewed by each write, and a mark left untouched too long (its
      -- instance stopped) may be taken over.
      CREATE TABLE dataset_staging (
        provider_id text COLLATE "C" NOT NULL,
        dataset_id  text COLLATE "C" NOT NULL,
        upload_id   text NOT NULL,
        added       bigint NOT NULL,
        touched_at  timestamptz NOT NULL,
        PRIMARY KEY (provider_id, dataset_id)
      );

      -- Lookup quotas count the lookup entries of a person under an agreement from a time.
      CREATE INDEX audit_log_lookups ON audit_log (actor_user, actor_partner, agreement_id, ts)
        WHERE type = 'lookup';
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
  {
    version: 6,
    sql: `
      -- Daily quotas shared by every instance: one row per (kind, person, agreement, local day) whose
      -- count each use increments atomically. Not logged: the lookups and requests they count are.
      CREATE TABLE quota_days (
        kind         text NOT NULL CHECK (kind IN ('lookups', 'requests')),
        partner_id   text NOT NULL,
        user_id      text NOT NULL,
        agreement_id text NOT NULL,
        since        text NOT NULL,
        used         bigint NOT NULL CHECK (used >= 0),
        PRIMARY KEY (kind, partner_id, user_id, agreement_id, since)
      );
    `,
  },
  {
    version: 7,
    sql: `
      -- Rate limits shared by every instance (src/store/postgres/rate-limits.ts): rate-limiter-flexible's
      -- table, one row per limit and key digest with its uses and the end of its window (epoch ms).
      -- Not logged: a refused call changes nothing.
      CREATE TABLE rate_limits (
        key    varchar(255) PRIMARY KEY,
        points integer NOT NULL DEFAULT 0,
        expire bigint
      );
    `,
  },
  {
    version: 8,
    sql: `
      -- The partnership's ledger (src/partnership): screenings, acceptances of agreements, outcomes.
      -- Append-only, like the log that records each of them.
      CREATE TABLE partnership_records (
        seq         bigserial PRIMARY KEY,
        kind        text NOT NULL,
        subject     text NOT NULL,
        body        text NOT NULL,
        recorded_at text NOT NULL
      );
      CREATE INDEX partnership_records_subject ON partnership_records (kind, subject, seq);
      CREATE TRIGGER partnership_records_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON partnership_records
        FOR EACH STATEMENT EXECUTE FUNCTION fsg_append_only();
    `,
  },
  {
    version: 9,
    sql: `
      -- Questions to the partnership, as in SQLite (its schema version 14): a group of requests sharing
      -- the question's id and text; its open requests lapse at expires_at.
      ALTER TABLE requests ADD COLUMN question_id text;
      ALTER TABLE requests ADD COLUMN question_text text;
      CREATE INDEX requests_question ON requests (question_id) WHERE question_id IS NOT NULL;
      CREATE INDEX requests_question_lapse ON requests (expires_at)
        WHERE question_id IS NOT NULL AND state IN ('awaiting_provider', 'answered', 'withheld');
    `,
  },
  {
    version: 10,
    sql: `
      -- Granting legal (who accepts and withdraws agreements for a partner, issue 21) takes two admins too.
      ALTER TABLE role_grants DROP CONSTRAINT role_grants_role_check;
      ALTER TABLE role_grants ADD CONSTRAINT role_grants_role_check CHECK (role IN ('dpo', 'admin', 'legal'));
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
