/** Not built yet (issue 18). */
import type { RequestStore } from '../port';
import type { PgContext } from './context';
import { notBuilt } from './not-built';

export function createPgRequests(ctx: PgContext): RequestStore {
  void ctx;
  return notBuilt<RequestStore>('requests', [
    'create',
    'get',
    'listByRequester',
    'listByProvider',
    'transition',
    'countSince',
    'listExpired',
  ]);
}
