/**
 * What a log entry keeps of who acted, the identifiers and record references named, the data subjects
 * and a decision: keyed hashes and digests, never raw identifiers or personal data. Shared by every flow
 * that writes entries (requests, lookups, aggregates, the DPO's audit service).
 */
import type { Identity } from '../auth/identity';
import { keyedHash } from '../config/secrets';
import { identifierKey } from '../identifiers';
import type { CanonicalRecord } from '../records/canonical';
import type { IdentifierInput, SafeResult } from '../safes/types';
import type { AuditEventInput } from './types';

export type Actor = AuditEventInput['actor'];

export function actorOf(identity: Identity): Actor {
  return { userId: identity.userId, partnerId: identity.partnerId };
}

/** Keyed hashes of identifiers' index keys: a DPO searching for an identifier finds every entry. */
export function identifierHashes(key: Buffer, identifiers: IdentifierInput[]): string[] {
  return identifiers.map((i) => keyedHash(key, identifierKey(i.type, i.value)));
}

/** A list's count and one keyed digest of the whole of it, in order. */
function listDigest(key: Buffer, kind: string, list: unknown[]): { count: number; digest: string } {
  return { count: list.length, digest: keyedHash(key, `${kind}:${JSON.stringify(list)}`) };
}

/**
 * What the log keeps of the identifiers and record references a lookup or request names: a keyed hash
 * each, which a DPO can search by; or, for a request the agreement does not bound (loggedCompactly),
 * each list's count and one keyed digest, so that no caller can make one request write an entry, or
 * index rows, in proportion to what it sends.
 */
export function namedInLog(
  key: Buffer,
  named: { identifiers: IdentifierInput[]; recordRefs?: string[] },
  compact: boolean,
): Record<string, unknown> {
  const refs = named.recordRefs;
  if (compact) {
    return {
      identifiers: listDigest(
        key,
        'identifiers',
        named.identifiers.map((i) => [i.type, i.value]),
      ),
      ...(refs ? { recordRefs: listDigest(key, 'refs', refs) } : {}),
    };
  }
  return {
    identifierHashes: identifierHashes(key, named.identifiers),
    ...(refs ? { recordRefHashes: refs.map((ref) => keyedHash(key, `ref:${ref}`)) } : {}),
  };
}

/** Keyed hashes of the data subjects in the records (the owner), for "who saw data about X". */
export function subjectHashes(key: Buffer, records: CanonicalRecord[]): string[] {
  const names = records
    .map((r) => r.owner?.name?.trim().toLowerCase())
    .filter((n): n is string => Boolean(n));
  return [...new Set(names)].map((name) => keyedHash(key, `person:${name}`));
}

/** Each safe's outcome and reason codes: what the log keeps of a decision (messages stay out). */
export function safesSummary(decision: {
  safes: Record<string, SafeResult>;
}): Record<string, { outcome: string; codes: string[] }> {
  return Object.fromEntries(
    Object.entries(decision.safes).map(([safe, result]) => [
      safe,
      { outcome: result.outcome, codes: result.reasons.map((r) => r.code) },
    ]),
  );
}
