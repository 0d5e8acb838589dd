/**
 * The subject access report's parts, each made from log entries only (the DPO's view of them): a
 * release (records or a table) from its request's decision, disclosure and purge entries; a search (a
 * lookup or a request that named the identifier) from its own entry.
 */
import type { AuditEntry } from '../audit/types';
import type { Agreement } from '../policy/types';
import type { MatchedBy } from './query';

type Person = { partnerId: string; userId: string };

/** One disclosure (records) or released table that included the subject's records. */
export interface Release {
  requestId: string;
  kind: 'records' | 'table';
  matchedBy: MatchedBy;
  disclosedAt: string;
  recipients: Person[];
  providerId: string | null;
  datasetId: string | null;
  agreementId: string | null;
  agreementVersion: number | null;
  policyDigest: string | null;
  purpose: string | null;
  caseRef: string | null;
  /** The agreement's legal basis as the bundle has it now; null when the agreement is no longer in it. */
  legalBasis: { text: string; version: number } | null;
  handling: unknown;
  /** Kept until: the disclosure's expiry. */
  expiresAt: string | null;
  /** When its records were purged (only digests remain), or null while they are kept. */
  purgedAt: string | null;
  /** The log entries that prove it (GET /api/v1/audit/proof/:seq). */
  seqs: { decision: number | null; disclosure: number; purge: number | null; subjects: number[] };
}

/** A lookup or a request that named the identifier: only that, by whom, when (hit or not for a lookup). */
export interface Search {
  seq: number;
  at: string;
  kind: 'lookup' | 'request';
  by: Person | null;
  agreementId: string | null;
  requestId: string | null;
  outcome: string | null;
  /** Of a lookup: whether a provider the DPO may see held the identifier. */
  hit?: boolean;
}

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function actorOf(entry: AuditEntry): Person | null {
  return entry.actorPartner && entry.actorUser
    ? { partnerId: entry.actorPartner, userId: entry.actorUser }
    : null;
}

/**
 * A release from its request's entries (in the DPO's scope); undefined without a disclosure entry (a
 * table's subjects are logged with its disclosure, so that is there unless out of scope).
 */
export function releaseOf(
  requestId: string,
  matchedBy: MatchedBy,
  entries: AuditEntry[],
  agreementOf: (id: string) => Agreement | undefined,
): Release | undefined {
  const disclosure = entries.find((e) => e.type === 'disclosure');
  if (!disclosure) return undefined;
  const decision = entries.find((e) => e.type === 'decision');
  const purge = entries.find((e) => e.type === 'purge');
  const d = disclosure.data;
  const agreement = disclosure.agreementId ? agreementOf(disclosure.agreementId) : undefined;
  const version = decision?.data.agreementVersion;
  return {
    requestId,
    kind: d.kind === 'aggregate' ? 'table' : 'records',
    matchedBy,
    disclosedAt: disclosure.ts,
    recipients: Array.isArray(d.recipients) ? (d.recipients as Person[]) : [],
    providerId: text(decision?.data.providerId),
    datasetId: text(decision?.data.datasetId),
    agreementId: disclosure.agreementId,
    agreementVersion: typeof version === 'number' ? version : null,
    policyDigest: text(d.policyDigest),
    purpose: text(d.purpose),
    caseRef: text(d.caseRef),
    legalBasis: agreement ? { text: agreement.legalBasis, version: agreement.version } : null,
    handling: d.handling ?? null,
    expiresAt: text(d.expiresAt),
    purgedAt: purge?.ts ?? null,
    seqs: {
      decision: decision?.seq ?? null,
      disclosure: disclosure.seq,
      purge: purge?.seq ?? null,
      subjects: entries.filter((e) => e.type === 'disclosure.subjects').map((e) => e.seq),
    },
  };
}

/** A lookup or a request's decision that named the identifier (`hash`), as the DPO's view shows it. */
export function searchOf(view: AuditEntry, hash: string): Search {
  const base = {
    seq: view.seq,
    at: view.ts,
    by: actorOf(view),
    agreementId: view.agreementId,
    requestId: view.requestId,
    outcome: view.outcome,
  };
  if (view.type !== 'lookup') return { ...base, kind: 'request' };
  const asked = Array.isArray(view.data.identifierHashes) ? (view.data.identifierHashes as string[]) : [];
  const place = asked.indexOf(hash);
  const hits = Array.isArray(view.data.hits) ? (view.data.hits as { query?: number }[]) : [];
  return { ...base, kind: 'lookup', hit: place >= 0 && hits.some((h) => h.query === place) };
}
