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

/** A data subject's name as the log hashes it: trimmed, lower case. */
function subjectName(name: string | undefined): string | undefined {
  return name?.trim().toLowerCase() || undefined;
}

/** A date of birth as the log hashes it: the ISO day (YYYY-MM-DD), or nothing when it is not one. */
export function subjectBirthDay(dateOfBirth: string | undefined): string | undefined {
  const day = /^(\d{4}-\d{2}-\d{2})(?:$|T)/.exec(dateOfBirth?.trim() ?? '')?.[1];
  // A real day: 2023-02-30 parses (as 2 March) but does not come back as itself.
  const time = day ? Date.parse(`${day}T00:00:00Z`) : NaN;
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === day ? day : undefined;
}

/**
 * The keyed hashes a person is logged under: by name alone (`person:<name>`), and, when the date of
 * birth is known, by name and date of birth (`person:<name>|<YYYY-MM-DD>`), which tells namesakes
 * apart. A subject access search computes them with this same function, so the hashes meet.
 */
export function personHashes(
  key: Buffer,
  person: { name?: string; dateOfBirth?: string },
): { name?: string; nameAndBirth?: string } {
  const name = subjectName(person.name);
  if (!name) return {};
  const day = subjectBirthDay(person.dateOfBirth);
  return {
    name: keyedHash(key, `person:${name}`),
    ...(day ? { nameAndBirth: keyedHash(key, `person:${name}|${day}`) } : {}),
  };
}

/**
 * Keyed hashes of the data subjects in the records (the owner), for "who saw data about X": each by
 * name, and by name and date of birth where the record has one.
 */
export function subjectHashes(key: Buffer, records: CanonicalRecord[]): string[] {
  const hashes = records.flatMap((r) => {
    const h = r.owner ? personHashes(key, r.owner) : {};
    return [h.name, h.nameAndBirth].filter((x): x is string => x !== undefined);
  });
  return [...new Set(hashes)];
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
