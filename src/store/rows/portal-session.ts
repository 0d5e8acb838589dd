/** A portal session as a row of `portal_sessions`, the same columns in every engine. */
import type { StoredPortalSession } from '../port';

export interface PortalSessionRow {
  id_hash: Buffer;
  sealed: Buffer;
  created_at: number;
  last_seen: number;
  expires_at: number;
}

export function portalSessionFromRow(row: PortalSessionRow): StoredPortalSession {
  return {
    idHash: row.id_hash,
    sealed: row.sealed,
    createdAt: row.created_at,
    lastSeen: row.last_seen,
    expiresAt: row.expires_at,
  };
}
