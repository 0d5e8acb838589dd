/** What a service asks the log to record. Never raw personal data or raw identifiers. */
export interface AuditEventInput {
  /** e.g. "decision", "request.state", "disclosure", "purge", "accreditation.change", "policy.load". */
  type: string;
  /** Who did it: a user, or "system" for sweeps and start-up. */
  actor: { userId: string; partnerId: string } | 'system';
  /** Every partner the entry involves (a partner's DPO sees the entries that name it). */
  partners: string[];
  requestId?: string;
  agreementId?: string;
  outcome?: string;
  data: Record<string, unknown>;
}

/** One entry of the hash-chained log as stored. */
export interface AuditEntry {
  seq: number;
  ts: string;
  type: string;
  actorUser: string | null;
  actorPartner: string | null;
  partners: string[];
  requestId: string | null;
  agreementId: string | null;
  outcome: string | null;
  data: Record<string, unknown>;
  /** Hash of the entry before (64 zeros for the first). */
  prevHash: string;
  /** sha256 over prevHash and the entry's canonical form. */
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/** What a checkpoint signs: the tree over the first `treeSize` entries, and the chain head at that size. */
export interface CheckpointStatement {
  type: 'fsg.checkpoint/v1';
  treeSize: number;
  /** MTH (hex) over the entries 1..treeSize: leaf = sha256(0x00 || canonical body). */
  rootHash: string;
  /** The hash of entry #treeSize, so the hash chain is anchored too. */
  headHash: string;
  timestamp: string;
  /** sha256 (hex) of the signing key's SubjectPublicKeyInfo (DER). */
  keyId: string;
}

/** A signed checkpoint: Ed25519 over the RFC 8785 canonical JSON of the statement, hex. */
export interface Checkpoint extends CheckpointStatement {
  signature: string;
}

/** The tree a checkpoint is about to sign. */
export interface TreeHead {
  treeSize: number;
  rootHash: string;
  headHash: string;
}

/** Which entries a query selects; every field narrows. */
export interface AuditQuery {
  /** Only entries that name this partner (a partner DPO's scope); absent: every entry. */
  scopePartner?: string;
  /** Only entries that also name this partner. */
  partner?: string;
  /**
   * With `partner` and `scopePartner`: entries of these types match `partner` only when it is their
   * actor's partner, for the scope partner's view of them names no other (src/audit/views.ts).
   */
  viewCutTypes?: readonly string[];
  seq?: number;
  /** ts >= from, ts < to (ISO 8601, UTC). */
  from?: string;
  to?: string;
  /** Only entries by this person: actor partner and actor user (a user id alone is ambiguous). */
  actor?: { partnerId: string; userId: string };
  agreement?: string;
  request?: string;
  types?: string[];
  outcome?: string;
  /** Only entries that carry this keyed hash (of an identifier or a data subject). */
  keyedHash?: string;
  /**
   * With `keyedHash` and `scopePartner`: a lookup by another partner matches only through an identifier
   * that hit the scope partner, the only hashes the scope partner's view of it keeps (views.ts).
   */
  keyedHashInView?: boolean;
  /** Only entries up to this seq (an export's snapshot). */
  maxSeq?: number;
}

/** Keyset paging by seq. */
export interface AuditPage {
  order: 'asc' | 'desc';
  /** Entries after this seq in the page order (exclusive). */
  after?: number;
  limit: number;
}

/** An entry as stored: its canonical body and hash, nothing parsed. */
export interface StoredAuditEntry {
  seq: number;
  body: string;
  hash: string;
}
