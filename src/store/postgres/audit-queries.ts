/** Not built yet (issue 18). */
import type { AuditStore } from '../port';
import type { PgContext } from './context';
import { notBuilt } from './not-built';

export type PgAuditQueries = Pick<AuditStore, 'query' | 'queryStored' | 'statsCounts' | 'useStatsZones'>;

export function createPgAuditQueries(ctx: PgContext): PgAuditQueries {
  void ctx;
  return notBuilt<PgAuditQueries>('audit', ['query', 'queryStored', 'statsCounts', 'useStatsZones']);
}
