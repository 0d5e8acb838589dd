/** Portal sessions in SQLite (migration 4). Writes go through the group committer like every other. */
import type Database from 'better-sqlite3';
import type { PortalSessionStore, StoredPortalSession } from '../port';
import { portalSessionFromRow, type PortalSessionRow } from '../rows/portal-session';
import type { RunUnit } from './group-commit';

export function createPortalSessions(db: Database.Database, unit: RunUnit): PortalSessionStore {
  const insert = db.prepare(
    `INSERT OR REPLACE INTO portal_sessions (id_hash, sealed, created_at, last_seen, expires_at)
     VALUES (?, ?, ?, ?, ?)`,
  );
  const select = db.prepare<[Buffer], PortalSessionRow>(
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
      return row ? portalSessionFromRow(row) : undefined;
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
