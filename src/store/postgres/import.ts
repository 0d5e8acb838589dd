/**
 * A whole store copied into an empty PostgreSQL schema (`fsg migrate-store`, src/store/migrate-store.ts):
 * the log row for row as stored (never appended again: the same seq, times, bodies and hashes, with its
 * index rows, Merkle nodes and signed checkpoints), the registry, role grants, requests, portal sessions
 * and the datasets' visible records with their uploads. All of it in ONE transaction holding the log's
 * lock: a failure anywhere leaves the schema as it was, and no gateway appends to it meanwhile. A schema
 * holding anything already is refused, before anything is written.
 */
import type pg from 'pg';
import type { CopySource } from '../copy-source';
import { inTransaction } from './context';
import { utf8 } from './dataset-uploads';
import { migratePg } from './migrations';
import { openPgPool, type PgOptions } from './pool';

/** Rows per INSERT (one round trip each). */
const PAGE = 1000;

/** What was copied. */
export interface ImportSummary {
  entries: number;
  treeNodes: number;
  checkpoints: number;
  accreditations: number;
  roleGrants: number;
  partnershipRecords: number;
  requests: number;
  portalSessions: number;
  datasets: { providerId: string; datasetId: string; records: number; uploads: number }[];
}

/** The target schema holds data already: nothing was written. */
export class TargetNotEmptyError extends Error {
  constructor(readonly tables: string[]) {
    super(`the target schema is not empty (${tables.join(', ')} hold rows)`);
    this.name = 'TargetNotEmptyError';
  }
}

/** The log's lock (audit.ts): no append of any instance comes in while the copy runs. */
const LOCK = "SELECT pg_advisory_xact_lock(hashtext('fsg.audit_log:' || current_schema()))";

/** Every table a copy writes or a gateway fills: all must be empty. */
const TABLES = [
  'audit_log',
  'audit_partners',
  'audit_hashes',
  'audit_tree',
  'audit_checkpoints',
  'accreditations',
  'role_grants',
  'partnership_records',
  'requests',
  'portal_sessions',
  'dataset_versions',
  'dataset_records',
  'dataset_uploads',
  'dataset_staging',
  'quota_days',
] as const;

// The table names are this module's constants, never values.
const NON_EMPTY = `SELECT array_remove(ARRAY[${TABLES.map(
  (t) => `CASE WHEN EXISTS (SELECT 1 FROM ${t}) THEN '${t}' END`,
).join(', ')}], NULL) AS found`;

type Column = readonly [name: string, type: string];

/** `INSERT … SELECT * FROM unnest(…)`: one array parameter per column. */
const insertOf = (table: string, columns: readonly Column[]) =>
  `INSERT INTO ${table} (${columns.map((c) => c[0]).join(', ')})
   SELECT * FROM unnest(${columns.map((c, i) => `$${i + 1}::${c[1]}[]`).join(', ')})`;

const LOG_COLUMNS = [
  ['seq', 'bigint'],
  ['ts', 'text'],
  ['type', 'text'],
  ['actor_user', 'text'],
  ['actor_partner', 'text'],
  ['partners', 'text'],
  ['request_id', 'text'],
  ['agreement_id', 'text'],
  ['outcome', 'text'],
  ['body', 'text'],
  ['prev_hash', 'text'],
  ['hash', 'text'],
] as const satisfies readonly Column[];
const PARTNER_COLUMNS = [
  ['partner', 'text'],
  ['seq', 'bigint'],
] as const satisfies readonly Column[];
const PARTNERSHIP_COLUMNS = [
  ['seq', 'bigint'],
  ['kind', 'text'],
  ['subject', 'text'],
  ['body', 'text'],
  ['recorded_at', 'text'],
] as const satisfies readonly Column[];
const HASH_COLUMNS = [
  ['hash', 'text'],
  ['seq', 'bigint'],
] as const satisfies readonly Column[];
const TREE_COLUMNS = [
  ['level', 'integer'],
  ['idx', 'bigint'],
  ['hash', 'bytea'],
] as const satisfies readonly Column[];
const CHECKPOINT_COLUMNS = [
  ['tree_size', 'bigint'],
  ['ts', 'text'],
  ['body', 'text'],
] as const satisfies readonly Column[];
const ACCREDITATION_COLUMNS = [
  ['partner_id', 'text'],
  ['user_id', 'text'],
  ['display_name', 'text'],
  ['roles', 'text'],
  ['vetting_level', 'integer'],
  ['trained_on', 'text'],
  ['expires_on', 'text'],
  ['suspended', 'boolean'],
  ['teams', 'text'],
] as const satisfies readonly Column[];
const ROLE_GRANT_COLUMNS = [
  ['id', 'text'],
  ['partner_id', 'text'],
  ['user_id', 'text'],
  ['role', 'text'],
  ['state', 'text'],
  ['proposed_by_partner', 'text'],
  ['proposed_by_user', 'text'],
  ['proposed_at', 'text'],
  ['decided_by_partner', 'text'],
  ['decided_by_user', 'text'],
  ['decided_at', 'text'],
  ['reason', 'text'],
] as const satisfies readonly Column[];
const REQUEST_COLUMNS = [
  ['id', 'text'],
  ['agreement_id', 'text'],
  ['provider_id', 'text'],
  ['dataset_id', 'text'],
  ['requester_user', 'text'],
  ['requester_partner', 'text'],
  ['state', 'text'],
  ['created_at', 'text'],
  ['updated_at', 'text'],
  ['expires_at', 'text'],
  ['disclosed_at', 'text'],
  ['purged_at', 'text'],
  ['decline_reason', 'text'],
  ['input', 'text'],
  ['decision', 'text'],
  ['preview', 'text'],
  ['preview_version', 'integer'],
  ['disclosure', 'text'],
  ['record_digests', 'text'],
  ['question_id', 'text'],
  ['question_text', 'text'],
] as const satisfies readonly Column[];
const SESSION_COLUMNS = [
  ['id_hash', 'bytea'],
  ['sealed', 'bytea'],
  ['created_at', 'bigint'],
  ['last_seen', 'bigint'],
  ['expires_at', 'bigint'],
] as const satisfies readonly Column[];

// A dataset's records as one generation of its own, live from the start (datasets.ts reads base..live).
const GENERATION = "SELECT nextval('dataset_generations')::bigint AS added";
const INSERT_RECORDS = `INSERT INTO dataset_records (provider_id, dataset_id, identifier_key, added, record_ref, body)
  SELECT $1, $2, k, $3, r, b FROM unnest($4::bytea[], $5::bytea[], $6::text[]) AS t (k, r, b)`;
const INSERT_VERSION = `INSERT INTO dataset_versions (provider_id, dataset_id, base, live, records)
  VALUES ($1, $2, $3, $3, $4)`;
// In the source's order: the identity column keeps it, which breaks ties of uploaded_at (the last upload).
const INSERT_UPLOADS = `INSERT INTO dataset_uploads (id, provider_id, dataset_id, added, uploaded_at, body)
  SELECT i, $1, $2, $3, u, b FROM unnest($4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS t (i, u, b, n)
  ORDER BY n`;

/** Rows as the columns' arrays, `value` mapping a field where the engines store it differently. */
function arrays<R extends object>(
  rows: readonly R[],
  columns: readonly Column[],
  value: (row: R, column: string) => unknown = (row, column) => (row as Record<string, unknown>)[column],
): unknown[][] {
  return columns.map(([name]) => rows.map((row) => value(row, name)));
}

async function insert<R extends object>(
  client: pg.PoolClient,
  table: string,
  columns: readonly Column[],
  rows: readonly R[],
  value?: (row: R, column: string) => unknown,
): Promise<number> {
  for (let at = 0; at < rows.length; at += PAGE) {
    const page = rows.slice(at, at + PAGE);
    await client.query(insertOf(table, columns), arrays(page, columns, value));
  }
  return rows.length;
}

/**
 * Copies `source` into the schema `target` names (created and migrated when missing). Refused with
 * TargetNotEmptyError, nothing written, when the schema holds any row.
 */
export async function importIntoPg(target: PgOptions, source: CopySource): Promise<ImportSummary> {
  const pool = openPgPool({ ...target, max: 1 });
  try {
    await migratePg(pool, target.schema);
    return await inTransaction(pool, async (client) => {
      await client.query(LOCK);
      const found = (await client.query<{ found: string[] }>(NON_EMPTY)).rows[0].found;
      if (found.length > 0) throw new TargetNotEmptyError(found);
      return copyAll(client, source);
    });
  } finally {
    await pool.end();
  }
}

async function copyAll(client: pg.PoolClient, source: CopySource): Promise<ImportSummary> {
  const summary: ImportSummary = {
    entries: 0,
    treeNodes: 0,
    checkpoints: 0,
    accreditations: 0,
    roleGrants: 0,
    partnershipRecords: 0,
    requests: 0,
    portalSessions: 0,
    datasets: [],
  };
  // Each page's entries before their index rows (which reference them).
  for (const page of source.logPages(PAGE)) {
    summary.entries += await insert(client, 'audit_log', LOG_COLUMNS, page.rows);
    await insert(client, 'audit_partners', PARTNER_COLUMNS, page.partners);
    await insert(client, 'audit_hashes', HASH_COLUMNS, page.hashes);
  }
  // The copied entries were not counted by any append: the first useStatsZones counts them (migration
  // 5 recorded the empty schema's backlog, 0).
  await client.query('UPDATE audit_stats_backlog SET upto = (SELECT coalesce(max(seq), 0) FROM audit_log)');
  for (const nodes of source.treeNodes(PAGE)) {
    summary.treeNodes += await insert(client, 'audit_tree', TREE_COLUMNS, nodes);
  }
  summary.checkpoints = await insert(client, 'audit_checkpoints', CHECKPOINT_COLUMNS, source.checkpoints());

  summary.accreditations = await insert(
    client,
    'accreditations',
    ACCREDITATION_COLUMNS,
    source.accreditations(),
    (row, column) => (column === 'suspended' ? row.suspended === 1 : row[column as keyof typeof row]),
  );
  summary.roleGrants = await insert(client, 'role_grants', ROLE_GRANT_COLUMNS, source.roleGrants());
  summary.partnershipRecords = await insert(
    client,
    'partnership_records',
    PARTNERSHIP_COLUMNS,
    source.partnershipRecords(),
  );
  // The copied records keep their numbers: the next one recorded here follows the last.
  await client.query(
    `SELECT setval(pg_get_serial_sequence('partnership_records', 'seq'), coalesce(max(seq), 0) + 1, false)
     FROM partnership_records`,
  );
  for (const rows of source.requests(PAGE)) {
    summary.requests += await insert(client, 'requests', REQUEST_COLUMNS, rows);
  }
  summary.portalSessions = await insert(client, 'portal_sessions', SESSION_COLUMNS, source.portalSessions());

  for (const { providerId, datasetId, records: stored } of source.datasets()) {
    const added = (await client.query<{ added: number }>(GENERATION)).rows[0].added;
    let records = 0;
    for (const page of source.datasetRecords(providerId, datasetId, PAGE)) {
      await client.query(INSERT_RECORDS, [
        providerId,
        datasetId,
        added,
        page.map((r) => utf8(r.identifierKey)),
        page.map((r) => utf8(r.recordRef)),
        page.map((r) => JSON.stringify(r)),
      ]);
      records += page.length;
    }
    // The copy is what the source counts visible, or nothing at all.
    if (records !== stored) {
      throw new Error(
        `dataset ${providerId}/${datasetId}: ${records} visible records read, but its stored count is ${stored}`,
      );
    }
    await client.query(INSERT_VERSION, [providerId, datasetId, added, records]);
    const uploads = source.datasetUploads(providerId, datasetId);
    await client.query(INSERT_UPLOADS, [
      providerId,
      datasetId,
      added,
      uploads.map((u) => u.id),
      uploads.map((u) => u.uploaded_at),
      uploads.map((u) => u.body),
    ]);
    summary.datasets.push({ providerId, datasetId, records, uploads: uploads.length });
  }
  return summary;
}
