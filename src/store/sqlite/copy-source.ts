/**
 * A SQLite store read whole for `fsg migrate-store` (CopySource, src/store/copy-source.ts): a read-only
 * connection holding one read transaction from open to close, so every page comes from one snapshot
 * whatever else writes meanwhile; keyset pages, so memory stays bounded. Nothing is checked here: the
 * log is verified before and after the copy by src/audit's verifiers.
 */
import Database from 'better-sqlite3';
import type { AccreditationRow } from '../rows/accreditation';
import type { PortalSessionRow } from '../rows/portal-session';
import type { RequestRow } from '../rows/request';
import type { RoleGrantRow } from '../rows/role-grant';
import type {
  CheckpointRow,
  CopySource,
  DatasetRef,
  LogPage,
  LogRow,
  PartnershipRow,
  TreeNode,
  UploadRow,
} from '../copy-source';
import { fromRow, type RecordRow } from './datasets';
import { LATEST_VERSION } from './migrations';

const LOG_PAGE = `SELECT seq, ts, type, actor_user, actor_partner, partners, request_id, agreement_id, outcome,
  body, prev_hash, hash FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?`;
const PARTNERS = 'SELECT partner, seq FROM audit_partners WHERE seq >= ? AND seq <= ? ORDER BY seq, partner';
const HASHES = 'SELECT hash, seq FROM audit_hashes WHERE seq >= ? AND seq <= ? ORDER BY seq, hash';
const TREE_PAGE = `SELECT level, idx, hash FROM audit_tree WHERE (level, idx) > (?, ?)
  ORDER BY level, idx LIMIT ?`;
const REQUEST_PAGE = 'SELECT * FROM requests WHERE @after IS NULL OR id > @after ORDER BY id LIMIT @size';
// A dataset's visible records: in its live generations (base..live), each key's newest there.
const RECORD_PAGE = `SELECT r.identifier_key, r.identifier_type, r.object_type, r.record_ref, r.source_ref,
    r.link_id, r.record
  FROM dataset_versions AS v CROSS JOIN dataset_records AS r
  WHERE v.provider_id = @provider AND v.dataset_id = @dataset AND (@after IS NULL OR r.identifier_key > @after)
    AND r.provider_id = v.provider_id AND r.dataset_id = v.dataset_id AND r.added BETWEEN v.base AND v.live
    AND NOT EXISTS (SELECT 1 FROM dataset_records AS n
      WHERE n.provider_id = r.provider_id AND n.dataset_id = r.dataset_id
        AND n.identifier_key = r.identifier_key AND n.added > r.added AND n.added <= v.live)
  ORDER BY r.identifier_key LIMIT @size`;

/**
 * Opens `file` for reading whole. A database from an older build (a schema version before this
 * build's) is refused: the gateway brings it up to date when it starts, not this reader.
 */
export function openSqliteCopySource(file: string): CopySource {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version !== LATEST_VERSION) {
      throw new Error(
        `${file} is at schema version ${version}, this build's is ${LATEST_VERSION}: start the gateway on it ` +
          'once with this build (it updates the schema), stop it, then migrate',
      );
    }
    db.pragma('busy_timeout = 5000');
    // The snapshot: taken at the first read, held until close.
    db.exec('BEGIN');
    db.prepare('SELECT count(*) FROM audit_log').get();
  } catch (error) {
    db.close();
    throw error;
  }

  const logPage = db.prepare<[number, number], LogRow>(LOG_PAGE);
  const partners = db.prepare<[number, number], { partner: string; seq: number }>(PARTNERS);
  const hashes = db.prepare<[number, number], { hash: string; seq: number }>(HASHES);
  const treePage = db.prepare<[number, number, number], TreeNode>(TREE_PAGE);
  const requestPage = db.prepare<[{ after: string | null; size: number }], RequestRow>(REQUEST_PAGE);
  const recordPage = db.prepare<
    [{ provider: string; dataset: string; after: string | null; size: number }],
    RecordRow
  >(RECORD_PAGE);

  return {
    head: () =>
      db
        .prepare<[], { seq: number; hash: string }>(
          'SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1',
        )
        .get(),
    *logPages(size): Iterable<LogPage> {
      for (let after = 0; ;) {
        const rows = logPage.all(after, size);
        if (rows.length === 0) return;
        const [lo, hi] = [rows[0].seq, rows[rows.length - 1].seq];
        yield { rows, partners: partners.all(lo, hi), hashes: hashes.all(lo, hi) };
        after = hi;
      }
    },
    *treeNodes(size) {
      for (let after = { level: -1, idx: -1 }; ;) {
        const nodes = treePage.all(after.level, after.idx, size);
        if (nodes.length === 0) return;
        yield nodes;
        after = nodes[nodes.length - 1];
      }
    },
    checkpoints: () =>
      db
        .prepare<[], CheckpointRow>('SELECT tree_size, ts, body FROM audit_checkpoints ORDER BY tree_size')
        .all(),
    accreditations: () =>
      db.prepare<[], AccreditationRow>('SELECT * FROM accreditations ORDER BY partner_id, user_id').all(),
    roleGrants: () => db.prepare<[], RoleGrantRow>('SELECT * FROM role_grants ORDER BY id').all(),
    partnershipRecords: () =>
      db.prepare<[], PartnershipRow>('SELECT * FROM partnership_records ORDER BY seq').all(),
    *requests(size) {
      for (let after: string | null = null; ;) {
        const rows = requestPage.all({ after, size });
        if (rows.length === 0) return;
        yield rows;
        after = rows[rows.length - 1].id;
      }
    },
    portalSessions: () =>
      db
        .prepare<[], PortalSessionRow>(
          'SELECT id_hash, sealed, created_at, last_seen, expires_at FROM portal_sessions ORDER BY id_hash',
        )
        .all(),
    datasets: () =>
      db
        .prepare<[], DatasetRef>(
          `SELECT provider_id AS providerId, dataset_id AS datasetId, records FROM dataset_versions
            ORDER BY provider_id, dataset_id`,
        )
        .all(),
    *datasetRecords(providerId, datasetId, size) {
      for (let after: string | null = null; ;) {
        const rows = recordPage.all({ provider: providerId, dataset: datasetId, after, size });
        if (rows.length === 0) return;
        yield rows.map(fromRow);
        after = rows[rows.length - 1].identifier_key;
      }
    },
    datasetUploads: (providerId, datasetId) =>
      db
        .prepare<[string, string], UploadRow>(
          `SELECT id, uploaded_at, body FROM dataset_uploads WHERE provider_id = ? AND dataset_id = ?
            ORDER BY rowid`,
        )
        .all(providerId, datasetId),
    close() {
      if (!db.open) return;
      db.exec('COMMIT');
      db.close();
    },
  };
}
