/**
 * The DPO's reads of the PostgreSQL log: entries a filter selects, keyset-paged by seq either way (as
 * the SQLite store's buildQuery selects them; here the planner picks the index), and the statistics'
 * counts (kept with the appends: audit-stats.ts), with the change of an agreement's zone.
 */
import { entryFromBody } from '../../audit/chain';
import type { AuditPage, AuditQuery, StoredAuditEntry } from '../../audit/types';
import type { AuditStore } from '../port';
import { readCounts, useZonesInTx } from './audit-stats';
import type { PgContext } from './context';

export type PgAuditQueries = Pick<AuditStore, 'query' | 'queryStored' | 'statsCounts' | 'useStatsZones'>;

export function createPgAuditQueries(ctx: PgContext): PgAuditQueries {
  const select = async (query: AuditQuery, page: AuditPage): Promise<StoredAuditEntry[]> => {
    const built = buildPgQuery(query, page);
    return built ? (await ctx.query<StoredAuditEntry>(built.text, built.values)).rows : [];
  };
  return {
    async query(query, page) {
      return (await select(query, page)).map((r) => entryFromBody(r.body, r.hash));
    },
    async queryStored(query, page) {
      return select(query, page);
    },
    async statsCounts(query) {
      if ([query.scope, query.agreement].some(holdsNul)) return [];
      return readCounts(ctx.query, query);
    },
    async useStatsZones(zones) {
      // Under the log's lock (no entries written): no append counts under the zones being changed.
      await ctx.logged((client) => useZonesInTx(client, zones));
    },
  };
}

/**
 * No column of the log holds a NUL (PostgreSQL's text has none, and the log refuses one), so a filter
 * value with one matches nothing; sent as a parameter, PostgreSQL would refuse the query instead.
 */
const holdsNul = (text: string | undefined): boolean => text !== undefined && text.includes('\u0000');

/**
 * The SQL of a query: fixed fragments, every value a numbered parameter. The partner and keyed-hash
 * filters go through their index tables (keyed by value, seq); the others are audit_log's columns.
 * Undefined: the query selects nothing (a value no column can hold).
 */
export function buildPgQuery(
  query: AuditQuery,
  page: AuditPage,
): { text: string; values: unknown[] } | undefined {
  const { scopePartner, partner, actor, agreement, request, outcome, keyedHash } = query;
  const types = query.types?.filter((t) => !holdsNul(t));
  if (
    [scopePartner, partner, actor?.partnerId, actor?.userId, agreement, request, outcome, keyedHash].some(
      holdsNul,
    ) ||
    types?.length === 0
  )
    return undefined;
  // (from and to are ISO 8601 times: the edges refuse any other text.)
  const values: unknown[] = [];
  const named = new Map<string, string>();
  /** The placeholder of a value (one per name, however often the SQL uses it). */
  const param = (name: string, value: unknown): string => {
    let placeholder = named.get(name);
    if (placeholder === undefined) {
      values.push(value);
      placeholder = `$${values.length}`;
      named.set(name, placeholder);
    }
    return placeholder;
  };
  const where: string[] = [];
  const naming = (partner: string) =>
    `EXISTS (SELECT 1 FROM audit_partners p WHERE p.partner = ${partner} AND p.seq = a.seq)`;

  const scope = query.scopePartner;
  if (scope !== undefined) where.push(naming(param('scope', scope)));
  if (query.partner !== undefined && query.partner !== scope) {
    where.push(naming(param('partner', query.partner)));
    if (query.viewCutTypes !== undefined && scope !== undefined) {
      where.push(
        `(a.type <> ALL(${param(
          'viewCutTypes',
          query.viewCutTypes.filter((t) => !holdsNul(t)),
        )}::text[])` +
          ` OR a.actor_partner IN (${param('partner', query.partner)}, ${param('scope', scope)}))`,
      );
    }
  }
  if (query.keyedHash !== undefined) {
    const hash = param('keyedHash', query.keyedHash);
    where.push(`EXISTS (SELECT 1 FROM audit_hashes h WHERE h.hash = ${hash} AND h.seq = a.seq)`);
    if (query.keyedHashInView && scope !== undefined)
      where.push(lookupHitInView(param('scope', scope), hash));
  }
  if (query.seq !== undefined) where.push(`a.seq = ${param('seq', query.seq)}`);
  if (query.maxSeq !== undefined) where.push(`a.seq <= ${param('maxSeq', query.maxSeq)}`);
  if (query.from !== undefined) where.push(`a.ts >= ${param('from', query.from)}`);
  if (query.to !== undefined) where.push(`a.ts < ${param('to', query.to)}`);
  if (query.actor !== undefined) {
    where.push(
      `a.actor_user = ${param('actorUser', query.actor.userId)}` +
        ` AND a.actor_partner = ${param('actorPartner', query.actor.partnerId)}`,
    );
  }
  if (query.agreement !== undefined) where.push(`a.agreement_id = ${param('agreement', query.agreement)}`);
  if (query.request !== undefined) where.push(`a.request_id = ${param('request', query.request)}`);
  if (query.outcome !== undefined) where.push(`a.outcome = ${param('outcome', query.outcome)}`);
  if (types !== undefined) where.push(`a.type = ANY(${param('types', [...new Set(types)])}::text[])`);
  const asc = page.order === 'asc';
  if (page.after !== undefined) where.push(`a.seq ${asc ? '>' : '<'} ${param('after', page.after)}`);

  const text =
    'SELECT a.seq, a.body, a.hash FROM audit_log a' +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    ` ORDER BY a.seq ${asc ? 'ASC' : 'DESC'} LIMIT ${param('limit', Math.max(0, Math.floor(page.limit)))}`;
  return { text, values };
}

/**
 * A lookup by another partner matches a keyed hash in the scope partner's view only through a hit of
 * that partner whose identifier (`query`: its place in identifierHashes) has the hash (views.ts). The
 * body is read as json with each "\u0000" escape made "\u0001" first: PostgreSQL refuses to read a
 * document holding one at all, and neither a partner id nor a hash has one.
 */
function lookupHitInView(scope: string, hash: string): string {
  const data = String.raw`(replace(a.body, '\u0000', '\u0001')::json -> 'data')`;
  return `(a.type <> 'lookup' OR a.actor_partner = ${scope} OR EXISTS (
    SELECT 1 FROM json_array_elements(CASE WHEN json_typeof(${data} -> 'hits') = 'array' THEN ${data} -> 'hits' END) hit
    WHERE hit ->> 'providerId' = ${scope}
      AND ${data} -> 'identifierHashes'
        ->> CASE WHEN hit ->> 'query' ~ '^[0-9]{1,9}$' THEN (hit ->> 'query')::int END = ${hash}))`;
}
