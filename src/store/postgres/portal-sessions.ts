/** Portal sessions in PostgreSQL (migration 3). Not logged: each write is one statement of its own. */
import type { PortalSessionStore } from '../port';
import { portalSessionFromRow, type PortalSessionRow } from '../rows/portal-session';
import type { PgContext } from './context';

export function createPgPortalSessions(ctx: PgContext): PortalSessionStore {
  return {
    async put(s) {
      await ctx.query(
        `INSERT INTO portal_sessions (id_hash, sealed, created_at, last_seen, expires_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id_hash) DO UPDATE SET sealed = excluded.sealed, created_at = excluded.created_at,
           last_seen = excluded.last_seen, expires_at = excluded.expires_at`,
        [s.idHash, s.sealed, s.createdAt, s.lastSeen, s.expiresAt],
      );
    },
    async get(idHash) {
      const { rows } = await ctx.query<PortalSessionRow>(
        'SELECT id_hash, sealed, created_at, last_seen, expires_at FROM portal_sessions WHERE id_hash = $1',
        [idHash],
      );
      const row = rows[0];
      return row ? portalSessionFromRow(row) : undefined;
    },
    async touch(idHash, lastSeen) {
      // Touches may land out of order: lastSeen never goes back.
      await ctx.query(
        'UPDATE portal_sessions SET last_seen = $1 WHERE id_hash = $2 AND last_seen < $1::bigint',
        [lastSeen, idHash],
      );
    },
    async delete(idHash) {
      await ctx.query('DELETE FROM portal_sessions WHERE id_hash = $1', [idHash]);
    },
    async prune(now, idleMs) {
      const { rowCount } = await ctx.query(
        'DELETE FROM portal_sessions WHERE expires_at <= $1 OR last_seen <= $2',
        [now, now - idleMs],
      );
      return rowCount ?? 0;
    },
  };
}
