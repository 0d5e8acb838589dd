/** Not built yet (issue 18). */
import type { RoleGrantStore } from '../port';
import type { PgContext } from './context';
import { notBuilt } from './not-built';

export function createPgRoleGrants(ctx: PgContext): RoleGrantStore {
  void ctx;
  return notBuilt<RoleGrantStore>('role-grants', ['propose', 'get', 'list', 'decide']);
}
