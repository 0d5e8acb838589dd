/**
 * The hash chain of the disclosure log: pure functions, no I/O.
 *
 * An entry's body is the RFC 8785 (JCS) canonical JSON of its fields, prevHash included, and its hash
 * is sha256(body). Because the body commits to prevHash, each entry commits to every entry before it.
 *
 * Merkle tree (merkle.ts): leaf i is SHA-256(0x00 || body of entry i + 1), interior nodes are
 * SHA-256(0x01 || left || right), RFC 9162 §2.1. The prefixes keep leaf, node and entry hashes apart,
 * and the entry format did not change when checkpoints arrived.
 */
import canonicalize from 'canonicalize';
import { createHash } from 'node:crypto';
import { GENESIS_HASH, type AuditEntry, type AuditEventInput } from './types';

export { GENESIS_HASH };

/** An entry before it is hashed. */
export type UnhashedEntry = Omit<AuditEntry, 'hash'>;

/** The fields a body holds, in one place so the writer and the verifier agree. */
export const BODY_FIELDS = [
  'seq',
  'ts',
  'type',
  'actorUser',
  'actorPartner',
  'partners',
  'requestId',
  'agreementId',
  'outcome',
  'data',
  'prevHash',
] as const satisfies readonly (keyof UnhashedEntry)[];

const HEX64 = /^[0-9a-f]{64}$/;

/** True for a lower-case sha256 hex digest. */
export function isHash(value: unknown): value is string {
  return typeof value === 'string' && HEX64.test(value);
}

/** RFC 8785 canonical JSON (the `canonicalize` package); values JSON cannot carry are refused. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  return text;
}

/** The canonical body of an entry: exactly BODY_FIELDS, nothing else (the hash is not part of it). */
export function entryBody(entry: UnhashedEntry): string {
  const body: Record<string, unknown> = {};
  for (const field of BODY_FIELDS) body[field] = entry[field];
  return canonicalJson(body);
}

/** sha256 hex of the body's UTF-8 bytes. */
export function entryHash(body: string): string {
  return createHash('sha256').update(body, 'utf8').digest('hex');
}

/**
 * Turns a service's event into the next entry of the chain. Optional ids become null, partners are
 * de-duplicated and sorted (a set), and `data` is the value the body holds, so the returned entry
 * equals the one read back later.
 */
export function buildEntry(
  event: AuditEventInput,
  seq: number,
  ts: string,
  prevHash: string,
): AuditEntry & { body: string } {
  if (!Number.isSafeInteger(seq) || seq < 1)
    throw new RangeError(`audit seq must be a positive integer: ${seq}`);
  if (!isHash(prevHash)) throw new TypeError('audit prevHash must be a sha256 hex digest');
  const actor = event.actor === 'system' ? null : event.actor;
  const unhashed: UnhashedEntry = {
    seq,
    ts,
    type: event.type,
    // The system acts as user "system" of no partner, so the DPO sees who acted on every entry.
    actorUser: actor ? actor.userId : 'system',
    actorPartner: actor ? actor.partnerId : null,
    partners: [...new Set(event.partners)].sort(),
    requestId: event.requestId ?? null,
    agreementId: event.agreementId ?? null,
    outcome: event.outcome ?? null,
    data: JSON.parse(canonicalJson(event.data ?? {})) as Record<string, unknown>,
    prevHash,
  };
  const body = entryBody(unhashed);
  return { ...unhashed, hash: entryHash(body), body };
}

/** Reads an entry back from its stored body and hash (the body is the authority, not the columns). */
export function entryFromBody(body: string, hash: string): AuditEntry {
  const parsed = JSON.parse(body) as UnhashedEntry;
  return { ...parsed, hash };
}

/** The `data` keys whose arrays hold keyed hashes a DPO can search by (identifier, subject, reference). */
export const SEARCHABLE_HASH_KEYS = ['identifierHashes', 'subjectHashes', 'recordRefHashes'] as const;

/** The keyed hashes an entry can be found by: de-duplicated and sorted, so writer and verifier agree. */
export function searchableHashes(data: unknown): string[] {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return [];
  const found = new Set<string>();
  for (const key of SEARCHABLE_HASH_KEYS) {
    const list = (data as Record<string, unknown>)[key];
    if (Array.isArray(list)) for (const value of list) if (isHash(value)) found.add(value);
  }
  return [...found].sort();
}
