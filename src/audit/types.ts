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
