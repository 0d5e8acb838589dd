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
import crypto, { createHash } from 'node:crypto';
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
  let text: string | undefined;
  try {
    text = plainCanonical(value);
  } catch (error) {
    if (error !== UNUSUAL) throw error;
    text = canonicalize(value);
  }
  if (text === undefined) throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  return text;
}

/** Thrown by plainCanonical when the value holds anything but plain JSON data. */
const UNUSUAL = Symbol('not plain JSON data');

/** `"key":` for keys seen before (a log's entries share their field names); bounded. */
const keyPrefixes = new Map<string, string>();
const MAX_KEY_PREFIXES = 10_000;

function keyPrefix(key: string): string {
  let prefix = keyPrefixes.get(key);
  if (prefix === undefined) {
    prefix = JSON.stringify(key) + ':';
    if (keyPrefixes.size >= MAX_KEY_PREFIXES) keyPrefixes.clear();
    keyPrefixes.set(key, prefix);
  }
  return prefix;
}

/**
 * The `canonicalize` package's output for plain JSON data (strings, finite numbers, booleans, null,
 * dense arrays, objects of own enumerable keys, absent properties), written in one pass of string
 * appends: the package builds each level with reduce and template strings, and the log's append and
 * verify paths spend much of their time there. Anything else (a toJSON anywhere on the prototype
 * chain, NaN, infinities, functions, symbols, bigints, array holes) throws UNUSUAL, and the package
 * itself decides, so the two always agree (a property test holds them side by side).
 */
function plainCanonical(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw UNUSUAL;
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if ((value as { toJSON?: unknown }).toJSON !== undefined) throw UNUSUAL;
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (item === undefined && !(i in value)) throw UNUSUAL;
          if (i > 0) out += ',';
          out += item === undefined ? 'null' : plainCanonical(item);
        }
        return out + ']';
      }
      const object = value as Record<string, unknown>;
      const keys = Object.keys(object).sort();
      let out = '{';
      let first = true;
      for (const key of keys) {
        const item = object[key];
        if (item === undefined) continue;
        out += (first ? '' : ',') + keyPrefix(key) + plainCanonical(item);
        first = false;
      }
      return out + '}';
    }
    default:
      throw UNUSUAL;
  }
}

/** The canonical body of an entry: exactly BODY_FIELDS, nothing else (the hash is not part of it). */
export function entryBody(entry: UnhashedEntry): string {
  const body: Record<string, unknown> = {};
  for (const field of BODY_FIELDS) body[field] = entry[field];
  return canonicalJson(body);
}

/** sha256 hex of the body's UTF-8 bytes (one-shot crypto.hash where Node has it: Node ≥ 20.12). */
export function entryHash(body: string | Buffer): string {
  if (oneShot) return oneShot('sha256', body, 'hex');
  return typeof body === 'string'
    ? createHash('sha256').update(body, 'utf8').digest('hex')
    : createHash('sha256').update(body).digest('hex');
}

const oneShot = (crypto as { hash?: (algorithm: string, data: string | Buffer, encoding: 'hex') => string })
  .hash;

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
  const { entry, body } = buildEntryParts(event, seq, ts, prevHash);
  return { ...entry, body };
}

/** What the store writes for an entry: the entry, its body as text and as UTF-8 bytes (hashed once
 * each for the entry hash and the Merkle leaf), and the canonical partners column. */
export interface EntryParts {
  entry: AuditEntry;
  body: string;
  bytes: Buffer;
  partnersText: string;
}

/** buildEntry, with the pieces the store needs kept apart so nothing is encoded twice. */
export function buildEntryParts(
  event: AuditEventInput,
  seq: number,
  ts: string,
  prevHash: string,
): EntryParts {
  if (!Number.isSafeInteger(seq) || seq < 1)
    throw new RangeError(`audit seq must be a positive integer: ${seq}`);
  if (!isHash(prevHash)) throw new TypeError('audit prevHash must be a sha256 hex digest');
  const actor = event.actor === 'system' ? null : event.actor;
  let dataText = canonicalJson(event.data ?? {});
  // A lone surrogate is written "\udxxx" (lower case) by JSON.stringify; any other text with "\ud" in it
  // (a backslash followed by "ud") only costs a copy that changes nothing.
  if (dataText.includes('\\ud')) dataText = canonicalJson(wellFormedValue(JSON.parse(dataText)));
  const partners = [...new Set(event.partners.map(columnText))].sort();
  const partnersText = canonicalJson(partners);
  const entry: AuditEntry = {
    seq,
    ts,
    type: columnText(event.type),
    // The system acts as user "system" of no partner, so the DPO sees who acted on every entry.
    actorUser: actor ? columnText(actor.userId) : 'system',
    actorPartner: actor ? columnText(actor.partnerId) : null,
    partners,
    requestId: nullableColumnText(event.requestId),
    agreementId: nullableColumnText(event.agreementId),
    outcome: nullableColumnText(event.outcome),
    data: JSON.parse(dataText) as Record<string, unknown>,
    prevHash,
    hash: '',
  };
  const body = composeBody(entry, dataText, partnersText);
  const bytes = Buffer.from(body, 'utf8');
  entry.hash = entryHash(bytes);
  return { entry, body, bytes, partnersText };
}

/*
 * Every string of an entry is well-formed Unicode. A string with a lone UTF-16 surrogate has no UTF-8
 * form: the canonical body writes it as a "\udfff" escape and hashes that, while SQLite stores the
 * column as other bytes (read back as U+FFFD), and the entry no longer verifies (column-mismatch),
 * nor does anything after it. The edges refuse such text (http/well-formed.ts); should any reach the
 * log anyway, each lone surrogate becomes U+FFFD before the body is composed, so the body hashed and
 * the columns stored are the same text. Replaced rather than refused: a refused append would leave a
 * decision unlogged (a denial no DPO could see), where U+FFFD shows that text was lost.
 */
const wellFormed = (text: string): string => (text.isWellFormed() ? text : text.toWellFormed());

/*
 * The fields a store keeps in columns of their own (type, actor, partners, request, agreement, outcome)
 * hold no NUL either: PostgreSQL's text cannot hold one (SQLite's can), so the same entry is stored
 * alike by every store; a NUL there becomes U+FFFD, for the same reason as a lone surrogate. In `data`
 * (the body only, where JSON writes it as an escape) a NUL is kept. The edges refuse both.
 */
const columnText = (text: string): string => {
  const formed = wellFormed(text);
  return formed.includes('\u0000') ? formed.replaceAll('\u0000', '\ufffd') : formed;
};
const nullableColumnText = (text: string | undefined): string | null =>
  text === undefined || text === null ? null : columnText(text);

/** A copy of plain JSON data with every string and key well-formed (keys that become equal: the last wins). */
function wellFormedValue(value: unknown): unknown {
  if (typeof value === 'string') return wellFormed(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(wellFormedValue);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    Object.defineProperty(out, wellFormed(key), {
      value: wellFormedValue(item),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/**
 * entryBody(entry), given the canonical text of entry.data: the same bytes, with `data` (most of the
 * body) canonicalised once instead of twice. The keys are written in RFC 8785 order (BODY_FIELDS sorted
 * by UTF-16 code units), each value by the same canonicalizer; canonical text parsed and written again
 * gives the same text, so this equals entryBody (a unit test holds the two side by side).
 */
function composeBody(e: UnhashedEntry, dataText: string, partnersText: string): string {
  return (
    `{"actorPartner":${canonicalJson(e.actorPartner)},"actorUser":${canonicalJson(e.actorUser)}` +
    `,"agreementId":${canonicalJson(e.agreementId)},"data":${dataText},"outcome":${canonicalJson(e.outcome)}` +
    `,"partners":${partnersText},"prevHash":${canonicalJson(e.prevHash)}` +
    `,"requestId":${canonicalJson(e.requestId)},"seq":${canonicalJson(e.seq)},"ts":${canonicalJson(e.ts)}` +
    `,"type":${canonicalJson(e.type)}}`
  );
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

/**
 * An entry's time: the clock's, or the previous entry's when the clock reads earlier (it was set back):
 * the log's timestamps never go back, so a period of time is a range of entries (the DPO's queries
 * search it by seq; the verifier checks the order from where the log began to keep it).
 */
export function entryTime(now: string, previous: string | undefined): string {
  return previous !== undefined && now < previous ? previous : now;
}
