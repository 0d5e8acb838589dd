/** Portal sessions in SQLite (migration 4). Writes go through the group committer like every other. */
import type Database from 'better-sqlite3';
import type { PortalSessionStore, StoredPortalSession } from '../port';
import type { RunUnit } from './group-commit';

interface Row {
  id_hash: Buffer;
  sealed: Buffer;
  created_at: number;
  last_seen: number;
  expires_at: number;
}

export function createPortalSessions(db: Database.Database, unit: RunUnit): PortalSessionStore {
  const insert = db.prepare(
    `INSERT OR REPLACE INTO portal_sessions (id_hash, sealed, created_at, last_seen, expires_at)
     VALUES (?, ?, ?, ?, ?)`,
  );
  const select = db.prepare<[Buffer], Row>(
    'SELECT id_hash, sealed, created_at, last_seen, expires_at FROM portal_sessions WHERE id_hash = ?',
  );
  const touch = db.prepare('UPDATE portal_sessions SET last_seen = ? WHERE id_hash = ? AND last_seen < ?');
  const remove = db.prepare('DELETE FROM portal_sessions WHERE id_hash = ?');
  const prune = db.prepare('DELETE FROM portal_sessions WHERE expires_at <= ? OR last_seen <= ?');

  return {
    put: (s: StoredPortalSession) =>
      unit(() => {
        insert.run(s.idHash, s.sealed, s.createdAt, s.lastSeen, s.expiresAt);
      }),
    async get(idHash) {
      const row = select.get(idHash);
      return row
        ? {
            idHash: row.id_hash,
            sealed: row.sealed,
            createdAt: row.created_at,
            lastSeen: row.last_seen,
            expiresAt: row.expires_at,
          }
        : undefined;
    },
    touch: (idHash, lastSeen) =>
      unit(() => {
        touch.run(lastSeen, idHash, lastSeen);
      }),
    delete: (idHash) =>
      unit(() => {
        remove.run(idHash);
      }),
    prune: (now, idleMs) => unit(() => prune.run(now, now - idleMs).changes),
  };
}
