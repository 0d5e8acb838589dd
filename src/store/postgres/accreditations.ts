/** Not built yet (issue 18). */
import type { AccreditationStore } from '../port';
import type { PgContext } from './context';
import { notBuilt } from './not-built';

export function createPgAccreditations(ctx: PgContext): AccreditationStore {
  void ctx;
  return notBuilt<AccreditationStore>('accreditations', ['get', 'list', 'put', 'seed']);
}
