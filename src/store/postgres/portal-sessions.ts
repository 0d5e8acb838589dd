/** Not built yet (issue 18). */
import type { PortalSessionStore } from '../port';
import type { PgContext } from './context';
import { notBuilt } from './not-built';

export function createPgPortalSessions(ctx: PgContext): PortalSessionStore {
  void ctx;
  return notBuilt<PortalSessionStore>('portal-sessions', ['put', 'get', 'touch', 'delete', 'prune']);
}
