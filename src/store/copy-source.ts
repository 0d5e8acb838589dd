/**
 * A store read whole, row for row as stored, for `fsg migrate-store` (src/store/migrate-store.ts): the
 * log with its index rows, Merkle nodes and checkpoints, and the state beside it. One snapshot: every
 * page is read in the same read transaction. The rows are the shared ones of src/store/rows, so the
 * engine written to maps them as its own store does.
 */
import type { DatasetRecord } from '../datasets/types';
import type { AccreditationRow } from './rows/accreditation';
import type { PortalSessionRow } from './rows/portal-session';
import type { RequestRow } from './rows/request';
import type { RoleGrantRow } from './rows/role-grant';

/** One audit_log row as stored. */
export interface LogRow {
  seq: number;
  ts: string;
  type: string;
  actor_user: string | null;
  actor_partner: string | null;
  partners: string;
  request_id: string | null;
  agreement_id: string | null;
  outcome: string | null;
  body: string;
  prev_hash: string;
  hash: string;
}

/** A page of the log: its entries and their partner and keyed-hash index rows. */
export interface LogPage {
  rows: LogRow[];
  partners: { partner: string; seq: number }[];
  hashes: { hash: string; seq: number }[];
}

export interface TreeNode {
  level: number;
  idx: number;
  hash: Buffer;
}

export interface CheckpointRow {
  tree_size: number;
  ts: string;
  body: string;
}

/** A dataset uploads were published to, with its visible record count as stored. */
export interface DatasetRef {
  providerId: string;
  datasetId: string;
  records: number;
}

/** An upload as stored (its DatasetUpload as JSON), oldest first. */
export interface UploadRow {
  id: string;
  uploaded_at: string;
  body: string;
}

/** One record of the partnership's ledger as stored. */
export interface PartnershipRow {
  seq: number;
  kind: string;
  subject: string;
  body: string;
  recorded_at: string;
}

export interface CopySource {
  /** The log's last entry in the snapshot (undefined: empty). */
  head(): { seq: number; hash: string } | undefined;
  logPages(size: number): Iterable<LogPage>;
  treeNodes(size: number): Iterable<TreeNode[]>;
  checkpoints(): CheckpointRow[];
  accreditations(): AccreditationRow[];
  roleGrants(): RoleGrantRow[];
  partnershipRecords(): PartnershipRow[];
  requests(size: number): Iterable<RequestRow[]>;
  portalSessions(): PortalSessionRow[];
  datasets(): DatasetRef[];
  /** A dataset's visible records (each key's newest), in pages. */
  datasetRecords(providerId: string, datasetId: string, size: number): Iterable<DatasetRecord[]>;
  datasetUploads(providerId: string, datasetId: string): UploadRow[];
  close(): void;
}
