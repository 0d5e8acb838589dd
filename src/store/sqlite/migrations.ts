/**
 * Schema migrations, applied in order and tracked with PRAGMA user_version. Never edit a released
 * migration: append a new one.
 */
import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  sql: string;
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
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
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
      // PRAGMA takes no bound parameters; the value is a checked integer from this file.
      db.pragma(`user_version = ${migration.version}`);
    });
    apply.immediate();
  }
  return userVersion(db);
}
