/**
 * Schema migrations, applied in order and tracked with PRAGMA user_version. Never edit a released
 * migration: append a new one.
 */
import type Database from 'better-sqlite3';
import type { StatsZones } from '../../audit/stats';
import { countStoredLog, STATS_NO_DELETE_TRIGGER } from './audit-stats';
import { createLookupIndex } from './lookup-index';

/** What a migration may need beyond the database. */
export interface MigrationContext {
  /** Each agreement's time zone, for the days of the DPO's statistics (absent: UTC; see audit-stats.ts). */
  statsZones?: StatsZones;
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** A step SQL cannot take (a hash computed in JavaScript), after `sql`, in the same transaction. */
  run?: (db: Database.Database, context: MigrationContext) => void;
}

interface RecordKeys {
  provider_id: string;
  dataset_id: string;
  identifier_key: string;
  identifier_type: string;
  object_type: string;
  record_ref: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'accreditations, requests, audit log',
    sql: `
      CREATE TABLE accreditations (
        user_id       TEXT PRIMARY KEY,
        partner_id    TEXT NOT NULL,
        display_name  TEXT NOT NULL,
        roles         TEXT NOT NULL,  -- JSON array
        vetting_level INTEGER NOT NULL,
        trained_on    TEXT NOT NULL,
        expires_on    TEXT NOT NULL,
        suspended     INTEGER NOT NULL CHECK (suspended IN (0, 1)),
        teams         TEXT            -- JSON array, NULL when none
      ) STRICT;
      CREATE INDEX accreditations_partner ON accreditations (partner_id, user_id);

      CREATE TABLE requests (
        id                TEXT PRIMARY KEY,
        agreement_id      TEXT NOT NULL,
        provider_id       TEXT NOT NULL,
        dataset_id        TEXT NOT NULL,
        requester_user    TEXT NOT NULL,
        requester_partner TEXT NOT NULL,
        state             TEXT NOT NULL CHECK (state IN ('awaiting_provider', 'answered', 'disclosed', 'expired',
                                             'denied', 'declined', 'withdrawn', 'withheld')),
        created_at        TEXT NOT NULL,
        updated_at        TEXT NOT NULL,
        expires_at        TEXT,
        disclosed_at      TEXT,
        purged_at         TEXT,
        decline_reason    TEXT,
        input             TEXT NOT NULL,  -- JSON
        decision          TEXT NOT NULL,  -- JSON
        preview           TEXT,           -- JSON, NULL until answered
        disclosure        TEXT,           -- JSON, NULL before disclosure and after purge
        record_digests    TEXT NOT NULL   -- JSON array
      ) STRICT;
      CREATE INDEX requests_provider ON requests (provider_id, state, created_at);
      CREATE INDEX requests_requester ON requests (requester_partner, created_at);
      CREATE INDEX requests_user_quota ON requests (requester_user, agreement_id, created_at);
      CREATE INDEX requests_expiry ON requests (expires_at) WHERE state = 'disclosed' AND purged_at IS NULL;

      CREATE TABLE audit_log (
        seq           INTEGER PRIMARY KEY,
        ts            TEXT NOT NULL,
        type          TEXT NOT NULL,
        actor_user    TEXT,
        actor_partner TEXT,
        partners      TEXT NOT NULL,  -- JSON array, copy of the body's
        request_id    TEXT,
        agreement_id  TEXT,
        outcome       TEXT,
        body          TEXT NOT NULL,  -- canonical JSON: the hashed part, the authority
        prev_hash     TEXT NOT NULL,
        hash          TEXT NOT NULL
      ) STRICT;
      CREATE INDEX audit_log_ts ON audit_log (ts);
      CREATE INDEX audit_log_request ON audit_log (request_id);
      CREATE INDEX audit_log_agreement ON audit_log (agreement_id);
      CREATE INDEX audit_log_type ON audit_log (type);

      -- One row per partner an entry names, so a partner's DPO can page through "their" entries.
      CREATE TABLE audit_partners (
        partner TEXT NOT NULL,
        seq     INTEGER NOT NULL REFERENCES audit_log (seq),
        PRIMARY KEY (partner, seq)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX audit_partners_seq ON audit_partners (seq);

      -- Append-only: the gateway never changes or removes an entry. (A determined attacker with
      -- file access can drop these; the chain and the checkpoints are what catch that.)
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_partners_no_update BEFORE UPDATE ON audit_partners
        BEGIN SELECT RAISE(ABORT, 'audit_partners is append-only'); END;
      CREATE TRIGGER audit_partners_no_delete BEFORE DELETE ON audit_partners
        BEGIN SELECT RAISE(ABORT, 'audit_partners is append-only'); END;
    `,
  },
  {
    version: 2,
    name: 'shared datasets and hit/no-hit lookups',
    sql: `
      CREATE TABLE dataset_records (
        provider_id     TEXT NOT NULL,
        dataset_id      TEXT NOT NULL,
        identifier_key  TEXT NOT NULL,
        identifier_type TEXT NOT NULL,
        object_type     TEXT NOT NULL,
        record_ref      TEXT NOT NULL,
        source_ref      TEXT NOT NULL,
        link_id         TEXT,
        record          TEXT NOT NULL,  -- canonical record, JSON
        upload_id       TEXT NOT NULL,
        PRIMARY KEY (provider_id, dataset_id, identifier_key)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX dataset_records_key ON dataset_records (identifier_key);
      CREATE INDEX dataset_records_ref ON dataset_records (provider_id, dataset_id, record_ref);

      CREATE TABLE dataset_uploads (
        id          TEXT PRIMARY KEY,
        provider_id TEXT NOT NULL,
        dataset_id  TEXT NOT NULL,
        uploaded_at TEXT NOT NULL,
        body        TEXT NOT NULL   -- the DatasetUpload, JSON
      ) STRICT;
      CREATE INDEX dataset_uploads_latest ON dataset_uploads (provider_id, dataset_id, uploaded_at);

      CREATE TABLE lookups (
        id                TEXT PRIMARY KEY,
        agreement_id      TEXT NOT NULL,
        requester_user    TEXT NOT NULL,
        requester_partner TEXT NOT NULL,
        outcome           TEXT NOT NULL,
        hits              INTEGER NOT NULL,
        created_at        TEXT NOT NULL
      ) STRICT;
      CREATE INDEX lookups_quota ON lookups (requester_user, agreement_id, created_at);
    `,
  },
  {
    version: 3,
    name: 'audit Merkle tree, keyed-hash index, signed checkpoints',
    sql: `
      -- The root of every complete perfect subtree of the log's Merkle tree (level 0: the leaves,
      -- sha256(0x00 || body)), written with the entries. Derived data: the verifier recomputes it.
      CREATE TABLE audit_tree (
        level INTEGER NOT NULL,
        idx   INTEGER NOT NULL,
        hash  BLOB NOT NULL CHECK (length(hash) = 32),
        PRIMARY KEY (level, idx)
      ) STRICT, WITHOUT ROWID;

      -- The keyed hashes (identifiers, data subjects, record references) each entry carries, so a DPO
      -- can ask "who saw data about X" without the log holding X.
      CREATE TABLE audit_hashes (
        hash TEXT NOT NULL,
        seq  INTEGER NOT NULL REFERENCES audit_log (seq),
        PRIMARY KEY (hash, seq)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX audit_hashes_seq ON audit_hashes (seq);

      -- Signed checkpoints: body is the canonical JSON of the checkpoint, signature included.
      CREATE TABLE audit_checkpoints (
        tree_size INTEGER PRIMARY KEY,
        ts        TEXT NOT NULL,
        body      TEXT NOT NULL
      ) STRICT;

      CREATE INDEX audit_log_actor ON audit_log (actor_user);

      CREATE TRIGGER audit_tree_no_update BEFORE UPDATE ON audit_tree
        BEGIN SELECT RAISE(ABORT, 'audit_tree is append-only'); END;
      CREATE TRIGGER audit_tree_no_delete BEFORE DELETE ON audit_tree
        BEGIN SELECT RAISE(ABORT, 'audit_tree is append-only'); END;
      CREATE TRIGGER audit_hashes_no_update BEFORE UPDATE ON audit_hashes
        BEGIN SELECT RAISE(ABORT, 'audit_hashes is append-only'); END;
      CREATE TRIGGER audit_hashes_no_delete BEFORE DELETE ON audit_hashes
        BEGIN SELECT RAISE(ABORT, 'audit_hashes is append-only'); END;
      CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
        BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
      CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
        BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
    `,
  },
  {
    version: 4,
    name: 'portal sessions',
    sql: `
      -- Signed-in portal sessions, so a restart does not sign everyone out. The row is found by the
      -- SHA-256 of the cookie's id and its contents (token, CSRF token, identity) are sealed with a key
      -- derived from that id: the database alone neither names a live cookie nor yields a token.
      CREATE TABLE portal_sessions (
        id_hash    BLOB PRIMARY KEY,
        sealed     BLOB NOT NULL,
        created_at INTEGER NOT NULL,  -- ms since epoch
        last_seen  INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX portal_sessions_expiry ON portal_sessions (expires_at);
    `,
  },
  {
    version: 5,
    name: 'covering index for hit/no-hit lookups',
    sql: `
      -- A lookup reads six short columns, but the table's rows hold the whole record: in the primary
      -- key's B-tree a million records spread over hundreds of MiB of pages. This index holds only
      -- what a lookup returns (tens of bytes an entry), so the pages a lookup walks stay few and cached.
      CREATE INDEX dataset_records_lookup ON dataset_records
        (provider_id, dataset_id, identifier_key, object_type, identifier_type, record_ref);
    `,
  },
  {
    version: 6,
    name: 'lookups counted from their log entries',
    sql: `
      -- A lookup's log entry holds everything its row in lookups did (user, agreement, outcome, hits),
      -- and the row cost each lookup's commit three more B-tree writes, two of them random pages (the
      -- UUID key, the quota index). Quotas now count the entries, through this index of lookups alone.
      CREATE INDEX audit_log_lookups ON audit_log (actor_user, agreement_id, ts) WHERE type = 'lookup';
      DROP TABLE lookups;
      -- Entries without a request (lookups among them) need no place in the request index.
      DROP INDEX audit_log_request;
      CREATE INDEX audit_log_request ON audit_log (request_id) WHERE request_id IS NOT NULL;
    `,
  },
  {
    version: 7,
    name: 'lookup index as a hash table',
    sql: `
      -- See lookup-index.ts: one search per lookup, of a B-tree whose interior pages hold only integers.
      CREATE TABLE dataset_lookup (
        slot            INTEGER PRIMARY KEY,
        provider_id     TEXT NOT NULL,
        dataset_id      TEXT NOT NULL,
        identifier_key  TEXT NOT NULL,
        object_type     TEXT NOT NULL,
        identifier_type TEXT NOT NULL,
        record_ref      TEXT NOT NULL
      ) STRICT;
      -- The two indexes lookups searched; nothing else reads by key alone.
      DROP INDEX dataset_records_lookup;
      DROP INDEX dataset_records_key;
    `,
    // Filled by version 12's step, which writes the index with the columns it has from then on (the
    // code that fills it is today's, so it cannot run before version 12's column exists).
  },
  {
    version: 8,
    name: 'a person is (partner, user)',
    sql: `
      -- A user id is unique only within its partner: another partner's token with the same sub is
      -- another person. The registry is keyed by both (existing rows keep their partner), and quotas
      -- and the DPO's actor filter read indexes that hold both.
      CREATE TABLE accreditations_v8 (
        partner_id    TEXT NOT NULL,
        user_id       TEXT NOT NULL,
        display_name  TEXT NOT NULL,
        roles         TEXT NOT NULL,  -- JSON array
        vetting_level INTEGER NOT NULL,
        trained_on    TEXT NOT NULL,
        expires_on    TEXT NOT NULL,
        suspended     INTEGER NOT NULL CHECK (suspended IN (0, 1)),
        teams         TEXT,           -- JSON array, NULL when none
        PRIMARY KEY (partner_id, user_id)
      ) STRICT;
      INSERT INTO accreditations_v8
        (partner_id, user_id, display_name, roles, vetting_level, trained_on, expires_on, suspended, teams)
        SELECT partner_id, user_id, display_name, roles, vetting_level, trained_on, expires_on, suspended, teams
        FROM accreditations;
      DROP TABLE accreditations;
      ALTER TABLE accreditations_v8 RENAME TO accreditations;

      DROP INDEX requests_user_quota;
      CREATE INDEX requests_user_quota ON requests (requester_user, requester_partner, agreement_id, created_at);
      DROP INDEX audit_log_lookups;
      CREATE INDEX audit_log_lookups ON audit_log (actor_user, actor_partner, agreement_id, ts)
        WHERE type = 'lookup';
      DROP INDEX audit_log_actor;
      CREATE INDEX audit_log_actor ON audit_log (actor_user, actor_partner);
    `,
  },
  {
    version: 9,
    name: 'role grants that need a second admin',
    sql: `
      -- Granting dpo or admin takes two people: one admin proposes, another approves. A pending grant
      -- changes nothing; its approval adds the role in the transaction that decides it.
      CREATE TABLE role_grants (
        id                  TEXT PRIMARY KEY,
        partner_id          TEXT NOT NULL,
        user_id             TEXT NOT NULL,
        role                TEXT NOT NULL CHECK (role IN ('dpo', 'admin')),
        state               TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
        proposed_by_partner TEXT NOT NULL,
        proposed_by_user    TEXT NOT NULL,
        proposed_at         TEXT NOT NULL,
        decided_by_partner  TEXT,
        decided_by_user     TEXT,
        decided_at          TEXT,
        reason              TEXT
      ) STRICT;
      -- One open proposal per person and role.
      CREATE UNIQUE INDEX role_grants_pending ON role_grants (partner_id, user_id, role) WHERE state = 'pending';
      CREATE INDEX role_grants_state ON role_grants (state, proposed_at);
    `,
  },
  {
    version: 10,
    name: 'preview versions',
    sql: `
      -- Each write of a request's preview counts here; approve names the version the responder saw and
      -- the compare-and-set checks it, so a re-answer that lands meanwhile is not released unseen.
      ALTER TABLE requests ADD COLUMN preview_version INTEGER NOT NULL DEFAULT 0;
      UPDATE requests SET preview_version = 1 WHERE preview IS NOT NULL;
    `,
  },
  {
    version: 11,
    name: "the DPO's statistics counted as entries are appended; the log's timestamps in order",
    sql: `
      -- What each entry counts for in the DPO's statistics (src/audit/stats.ts), per scope ('*': every
      -- entry; else a partner the entry names), day (in the agreement's zone), agreement ('' for none)
      -- and measure, written in the transaction that appends the entry (audit-stats.ts).
      CREATE TABLE audit_stats (
        scope     TEXT NOT NULL,
        day       TEXT NOT NULL,
        agreement TEXT NOT NULL,
        measure   TEXT NOT NULL,
        n         INTEGER NOT NULL CHECK (n > 0),
        PRIMARY KEY (scope, day, agreement, measure)
      ) STRICT, WITHOUT ROWID;
      -- The zone each agreement's days are counted in (an agreement not named: UTC).
      CREATE TABLE audit_stats_zones (
        agreement TEXT PRIMARY KEY,
        zone      TEXT NOT NULL
      ) STRICT, WITHOUT ROWID;
      -- From this entry on, no entry's ts is before the previous entry's (the writers keep it so): a
      -- period of time is a range of seq, which the DPO's queries search in seq order (audit.ts).
      CREATE TABLE audit_ts_order (from_seq INTEGER NOT NULL CHECK (from_seq >= 1)) STRICT;

      -- Counts only grow; only a recount (a zone changed) removes an agreement's counts, lifting
      -- audit_stats_no_delete within its own transaction.
      ${STATS_NO_DELETE_TRIGGER};
      CREATE TRIGGER audit_stats_only_grow BEFORE UPDATE ON audit_stats
        WHEN NEW.n < OLD.n OR NEW.scope IS NOT OLD.scope OR NEW.day IS NOT OLD.day
          OR NEW.agreement IS NOT OLD.agreement OR NEW.measure IS NOT OLD.measure
        BEGIN SELECT RAISE(ABORT, 'audit_stats: counts only grow'); END;
      CREATE TRIGGER audit_stats_zones_no_delete BEFORE DELETE ON audit_stats_zones
        BEGIN SELECT RAISE(ABORT, 'audit_stats_zones: a zone is changed, never removed'); END;
      CREATE TRIGGER audit_ts_order_no_update BEFORE UPDATE ON audit_ts_order
        BEGIN SELECT RAISE(ABORT, 'audit_ts_order is written once'); END;
      CREATE TRIGGER audit_ts_order_no_delete BEFORE DELETE ON audit_ts_order
        BEGIN SELECT RAISE(ABORT, 'audit_ts_order is written once'); END;
    `,
    run(db, context) {
      // The log so far, counted in pages within this migration's transaction.
      const zones = context.statsZones ?? new Map<string, string>();
      const setZone = db.prepare('INSERT INTO audit_stats_zones (agreement, zone) VALUES (?, ?)');
      for (const [agreement, zone] of zones) setZone.run(agreement, zone);
      const orderedFrom = countStoredLog(db, zones);
      db.prepare('INSERT INTO audit_ts_order (from_seq) VALUES (?)').run(orderedFrom);
    },
  },
  {
    version: 12,
    name: 'dataset generations',
    sql: `
      -- An upload is written in many short transactions as generation n of its dataset, invisible until
      -- one small transaction makes it live (dataset-staging.ts): a key's visible record is its newest
      -- one with base <= added <= live; a replace sets base to its own generation.
      CREATE TABLE dataset_versions (
        provider_id TEXT NOT NULL,
        dataset_id  TEXT NOT NULL,
        base        INTEGER NOT NULL,
        live        INTEGER NOT NULL,
        records     INTEGER NOT NULL,
        PRIMARY KEY (provider_id, dataset_id)
      ) STRICT, WITHOUT ROWID;
      INSERT INTO dataset_versions (provider_id, dataset_id, base, live, records)
        SELECT provider_id, dataset_id, 0, 0, count(*) FROM dataset_records GROUP BY provider_id, dataset_id;

      CREATE TABLE dataset_records_v12 (
        provider_id     TEXT NOT NULL,
        dataset_id      TEXT NOT NULL,
        identifier_key  TEXT NOT NULL,
        added           INTEGER NOT NULL,
        identifier_type TEXT NOT NULL,
        object_type     TEXT NOT NULL,
        record_ref      TEXT NOT NULL,
        source_ref      TEXT NOT NULL,
        link_id         TEXT,
        record          TEXT NOT NULL,  -- canonical record, JSON
        upload_id       TEXT NOT NULL,
        PRIMARY KEY (provider_id, dataset_id, identifier_key, added)
      ) STRICT, WITHOUT ROWID;
      INSERT INTO dataset_records_v12 (provider_id, dataset_id, identifier_key, added, identifier_type,
          object_type, record_ref, source_ref, link_id, record, upload_id)
        SELECT provider_id, dataset_id, identifier_key, 0, identifier_type, object_type, record_ref,
          source_ref, link_id, record, upload_id
        FROM dataset_records;
      DROP TABLE dataset_records;
      ALTER TABLE dataset_records_v12 RENAME TO dataset_records;
      CREATE INDEX dataset_records_ref ON dataset_records (provider_id, dataset_id, record_ref);
      -- A generation's records (staged, superseded or left by a crash) without reading the others.
      CREATE INDEX dataset_records_added ON dataset_records (provider_id, dataset_id, added);

      ALTER TABLE dataset_lookup ADD COLUMN added INTEGER NOT NULL DEFAULT 0;
    `,
    run(db) {
      // A database that was older than version 7 has an empty index here: fill it (generation 0).
      if (db.prepare('SELECT 1 FROM dataset_lookup LIMIT 1').get()) return;
      // In chunks of the primary key's order (a statement cannot write while another reads).
      const index = createLookupIndex(db);
      const chunk = db.prepare<[string, string, string], RecordKeys>(
        `SELECT provider_id, dataset_id, identifier_key, identifier_type, object_type, record_ref
         FROM dataset_records WHERE (provider_id, dataset_id, identifier_key) > (?, ?, ?)
         ORDER BY provider_id, dataset_id, identifier_key LIMIT 10000`,
      );
      for (let rows = chunk.all('', '', ''); rows.length;) {
        // Each dataset's run of the chunk in one put (which orders a batch by bucket).
        for (let start = 0; start < rows.length;) {
          const { provider_id: providerId, dataset_id: datasetId } = rows[start];
          let end = start + 1;
          while (
            end < rows.length &&
            rows[end].provider_id === providerId &&
            rows[end].dataset_id === datasetId
          ) {
            end++;
          }
          const records = rows.slice(start, end).map((r) => ({
            identifierKey: r.identifier_key,
            identifierType: r.identifier_type,
            objectType: r.object_type,
            recordRef: r.record_ref,
          }));
          index.put(providerId, datasetId, 0, records);
          start = end;
        }
        const last = rows[rows.length - 1];
        rows = chunk.all(last.provider_id, last.dataset_id, last.identifier_key);
      }
    },
  },
  {
    version: 13,
    name: "the partnership's ledger",
    sql: `
      -- The partnership's ledger (src/partnership): screenings, acceptances of agreements, outcomes.
      -- Append-only, like the log that records each of them.
      CREATE TABLE partnership_records (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        kind        TEXT NOT NULL,
        subject     TEXT NOT NULL,
        body        TEXT NOT NULL,
        recorded_at TEXT NOT NULL
      );
      CREATE INDEX partnership_records_subject ON partnership_records (kind, subject, seq);
      CREATE TRIGGER partnership_records_no_update BEFORE UPDATE ON partnership_records
        BEGIN SELECT RAISE(ABORT, 'partnership_records is append-only'); END;
      CREATE TRIGGER partnership_records_no_delete BEFORE DELETE ON partnership_records
        BEGIN SELECT RAISE(ABORT, 'partnership_records is append-only'); END;
    `,
  },
  {
    version: 14,
    name: 'questions to the partnership',
    sql: `
      -- A question to all providers of an agreement is a group of requests sharing its id and text
      -- (src/questions). Its open requests lapse at expires_at (the agreement's retention from the question).
      ALTER TABLE requests ADD COLUMN question_id TEXT;
      ALTER TABLE requests ADD COLUMN question_text TEXT;
      CREATE INDEX requests_question ON requests (question_id) WHERE question_id IS NOT NULL;
      CREATE INDEX requests_question_lapse ON requests (expires_at)
        WHERE question_id IS NOT NULL AND state IN ('awaiting_provider', 'answered', 'withheld');
    `,
  },
  {
    version: 15,
    name: 'legal granted by two admins',
    sql: `
      -- Granting legal (who accepts and withdraws agreements for a partner, issue 21) takes two admins too:
      -- the table again with the wider CHECK (SQLite changes no constraint in place).
      CREATE TABLE role_grants_v15 (
        id                  TEXT PRIMARY KEY,
        partner_id          TEXT NOT NULL,
        user_id             TEXT NOT NULL,
        role                TEXT NOT NULL CHECK (role IN ('dpo', 'admin', 'legal')),
        state               TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
        proposed_by_partner TEXT NOT NULL,
        proposed_by_user    TEXT NOT NULL,
        proposed_at         TEXT NOT NULL,
        decided_by_partner  TEXT,
        decided_by_user     TEXT,
        decided_at          TEXT,
        reason              TEXT
      ) STRICT;
      INSERT INTO role_grants_v15 SELECT * FROM role_grants;
      DROP TABLE role_grants;
      ALTER TABLE role_grants_v15 RENAME TO role_grants;
      CREATE UNIQUE INDEX role_grants_pending ON role_grants (partner_id, user_id, role) WHERE state = 'pending';
      CREATE INDEX role_grants_state ON role_grants (state, proposed_at);
    `,
  },
];

export const LATEST_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the schema up to date; returns the version reached. Each migration runs in its own
 * IMMEDIATE transaction and re-reads the version inside it, so two processes opening the same file
 * do not both apply it.
 */
export function migrate(
  db: Database.Database,
  migrations: readonly Migration[] = MIGRATIONS,
  context: MigrationContext = {},
): number {
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  const current = userVersion(db);
  if (current > latest) {
    throw new Error(`database schema version ${current} is newer than this gateway knows (${latest})`);
  }
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  for (const migration of ordered) {
    if (!Number.isSafeInteger(migration.version) || migration.version < 1) {
      throw new Error(`migration "${migration.name}" has an invalid version`);
    }
    const apply = db.transaction(() => {
      if (userVersion(db) >= migration.version) return;
      db.exec(migration.sql);
      migration.run?.(db, context);
      // PRAGMA takes no bound parameters; the value is a checked integer from this file.
      db.pragma(`user_version = ${migration.version}`);
    });
    apply.immediate();
  }
  return userVersion(db);
}
