/**
 * Offline verification of the hash chain. Works on raw stored rows (nothing trusted, nothing parsed
 * before it is checked), streams them, and stops at the first broken entry.
 *
 * What a chain alone cannot show: entries removed from the head (truncation) or a head rewritten
 * from some point on with freshly computed hashes. Both need a signed checkpoint to compare with:
 * verifyLog (verify-log.ts) adds the Merkle roots and checkpoints, and names how an entry was changed;
 * this module holds the row checks both share.
 */
import { BODY_FIELDS, GENESIS_HASH, canonicalJson, entryHash, isHash, searchableHashes } from './chain';

/** One audit_log row as stored: the columns as text, JSON left unparsed. */
export interface RawAuditRow {
  seq: number;
  ts: string | null;
  type: string | null;
  actor_user: string | null;
  actor_partner: string | null;
  /** JSON text of the partners array, as stored. */
  partners: string | null;
  request_id: string | null;
  agreement_id: string | null;
  outcome: string | null;
  body: string | null;
  prev_hash: string | null;
  hash: string | null;
  /**
   * The partners the per-partner index holds for this seq, as a JSON array in any order; when
   * present it must match the body, so tampering with the index a DPO filters by is caught too.
   */
  partner_index?: string | null;
  /** The keyed hashes the search index holds for this seq (JSON array); must match the body's. */
  hash_index?: string | null;
  /** The Merkle leaf stored for this seq (32 bytes); the verifier recomputes it and only trusts it
   * where it leads to a signed root. */
  leaf?: Buffer | null;
  /**
   * An export line shown in a partner's view (views.ts): what was cut. Its body cannot hash to its
   * hash, so a filtered export's verifier counts it instead of checking it.
   */
  redacted?: readonly string[];
}

export type BreakReason =
  | 'hash-mismatch'
  | 'prev-hash-mismatch'
  | 'seq-gap'
  | 'column-mismatch'
  | 'malformed'
  // What verifyLog (verify-log.ts) names once it has looked at the neighbours and the checkpoints:
  | 'altered'
  | 'removed'
  | 'inserted'
  | 'reordered'
  | 'truncated'
  | 'root-mismatch'
  // A stored Merkle node (audit_tree; level 0: a leaf) is not what the bodies make, or is missing.
  | 'node-mismatch'
  // An entry dated before the entry before it, where the log keeps its times in order (entryTime):
  // a DPO's search by period would miss it.
  | 'time-order'
  // What the checkpoints say of the whole log: one refused (not signed by the gateway's key, badly
  // signed, malformed, a fork), or none at all over a log with entries.
  | 'bad-checkpoint'
  | 'no-checkpoint';

export interface VerifyReport {
  ok: boolean;
  /** Entries that passed every check (those before the break, when there is one). */
  checked: number;
  /** The last intact entry: the head when ok, the entry before the break otherwise. */
  headSeq: number | null;
  headHash: string | null;
  firstBroken?: { seq: number; reason: BreakReason; message: string };
}

export class Broken extends Error {
  constructor(
    readonly reason: BreakReason,
    message: string,
  ) {
    super(message);
  }
}

/** Checks every row in order; keeps only the previous seq and hash, so memory stays constant. */
export async function verifyChain(
  rows: AsyncIterable<RawAuditRow> | Iterable<RawAuditRow>,
): Promise<VerifyReport> {
  let checked = 0;
  let headSeq: number | null = null;
  let headHash: string | null = null;
  for await (const row of rows) {
    try {
      headHash = checkRow(row, headSeq, headHash ?? GENESIS_HASH);
      headSeq = row.seq;
      checked++;
    } catch (err) {
      if (!(err instanceof Broken)) throw err;
      const seq = typeof row?.seq === 'number' ? row.seq : (headSeq ?? 0) + 1;
      return {
        ok: false,
        checked,
        headSeq,
        headHash,
        firstBroken: { seq, reason: err.reason, message: err.message },
      };
    }
  }
  return { ok: true, checked, headSeq, headHash };
}

/** Throws Broken for the first problem with this row; returns its (verified) hash. */
function checkRow(row: RawAuditRow, prevSeq: number | null, prevHash: string): string {
  const expectedSeq = (prevSeq ?? 0) + 1;
  if (typeof row?.seq !== 'number' || !Number.isSafeInteger(row.seq)) {
    throw new Broken('malformed', `seq column is not an integer after seq ${prevSeq ?? 0}`);
  }
  if (row.seq !== expectedSeq) {
    const what =
      row.seq < expectedSeq ? 'out of order or repeated' : `entries ${expectedSeq}..${row.seq - 1} missing`;
    throw new Broken('seq-gap', `expected seq ${expectedSeq}, found ${row.seq} (${what})`);
  }
  if (typeof row.body !== 'string') throw new Broken('malformed', 'body is missing');
  if (typeof row.hash !== 'string') throw new Broken('malformed', 'hash is missing');

  const computed = entryHash(row.body);
  if (computed !== row.hash) {
    throw new Broken('hash-mismatch', `stored hash ${row.hash} but sha256(body) is ${computed}`);
  }

  const body = parseBody(row.body);
  checkColumns(row, body);
  if (body.prevHash !== prevHash) {
    throw new Broken(
      'prev-hash-mismatch',
      `prevHash ${String(body.prevHash)} does not match the previous hash ${prevHash}`,
    );
  }
  return computed;
}

const SORTED_BODY_FIELDS: readonly string[] = [...BODY_FIELDS].sort();

/** Parses a stored body strictly (exact fields, types, canonical form); throws Broken otherwise. */
export function parseBody(text: string): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Broken('malformed', 'body is not JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new Broken('malformed', 'body is not a JSON object');
  }
  const record = body as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  const expected = SORTED_BODY_FIELDS;
  if (keys.length !== expected.length || keys.some((key, i) => key !== expected[i])) {
    throw new Broken('malformed', `body fields are [${keys.join(', ')}], expected [${expected.join(', ')}]`);
  }
  const types: [string, boolean][] = [
    ['seq', Number.isSafeInteger(record.seq)],
    ['ts', typeof record.ts === 'string'],
    ['type', typeof record.type === 'string'],
    ['actorUser', isNullableString(record.actorUser)],
    ['actorPartner', isNullableString(record.actorPartner)],
    ['partners', Array.isArray(record.partners) && record.partners.every((p) => typeof p === 'string')],
    ['requestId', isNullableString(record.requestId)],
    ['agreementId', isNullableString(record.agreementId)],
    ['outcome', isNullableString(record.outcome)],
    ['data', record.data !== null && typeof record.data === 'object' && !Array.isArray(record.data)],
    ['prevHash', isHash(record.prevHash)],
  ];
  const wrong = types.filter(([, ok]) => !ok).map(([name]) => name);
  if (wrong.length > 0) throw new Broken('malformed', `body has ill-typed ${wrong.join(', ')}`);
  // The writer only ever stores canonical bodies; anything else was not written by the gateway.
  if (canonicalJson(record) !== text) throw new Broken('malformed', 'body is not in canonical form');
  return record;
}

function isNullableString(value: unknown): boolean {
  return value === null || typeof value === 'string';
}

/** The queryable columns must say what the hashed body says. */
export function checkColumns(row: RawAuditRow, body: Record<string, unknown>): void {
  const pairs: [string, unknown, unknown][] = [
    ['seq', row.seq, body.seq],
    ['ts', row.ts, body.ts],
    ['type', row.type, body.type],
    ['actor_user', row.actor_user, body.actorUser],
    ['actor_partner', row.actor_partner, body.actorPartner],
    ['partners', row.partners, canonicalJson(body.partners)],
    ['request_id', row.request_id, body.requestId],
    ['agreement_id', row.agreement_id, body.agreementId],
    ['outcome', row.outcome, body.outcome],
    ['prev_hash', row.prev_hash, body.prevHash],
  ];
  for (const [column, stored, hashed] of pairs) {
    if (stored !== hashed) {
      throw new Broken(
        'column-mismatch',
        `column ${column} is ${show(stored)} but the body says ${show(hashed)}`,
      );
    }
  }
  if (row.partner_index !== undefined) checkPartnerIndex(row.partner_index, body.partners as string[]);
  if (row.hash_index !== undefined) checkHashIndex(row.hash_index, body.data);
}

function checkHashIndex(stored: string | null, data: unknown): void {
  let indexed: unknown;
  try {
    indexed = JSON.parse(stored ?? '[]');
  } catch {
    throw new Broken('malformed', 'keyed-hash index is not JSON');
  }
  const got = Array.isArray(indexed) ? [...new Set(indexed.map(String))].sort() : [];
  const want = searchableHashes(data);
  if (got.length !== want.length || got.some((h, i) => h !== want[i])) {
    throw new Broken(
      'column-mismatch',
      `keyed-hash index holds ${got.length} hashes but the body carries ${want.length}`,
    );
  }
}

function checkPartnerIndex(stored: string | null, partners: string[]): void {
  let indexed: unknown;
  try {
    indexed = JSON.parse(stored ?? '[]');
  } catch {
    throw new Broken('malformed', 'partner index is not JSON');
  }
  const got = Array.isArray(indexed) ? indexed.map(String).sort() : [];
  const want = [...new Set(partners)].sort();
  if (got.length !== want.length || got.some((p, i) => p !== want[i])) {
    throw new Broken('column-mismatch', `partner index holds ${show(got)} but the body says ${show(want)}`);
  }
}

function show(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

/**
 * From entry `orderedFrom` on (audit_ts_order: where the log's times began to be kept in order), an
 * entry dated before the entry before it breaks the order a DPO's search by period relies on.
 */
export function timeOrderBreak(
  orderedFrom: number | undefined,
  seq: number,
  ts: unknown,
  previous: unknown,
): Broken | undefined {
  if (orderedFrom === undefined || seq <= orderedFrom || typeof previous !== 'string') return undefined;
  if (typeof ts === 'string' && ts >= previous) return undefined;
  return new Broken(
    'time-order',
    `entry #${seq} is dated ${String(ts)}, before entry #${seq - 1} (${previous}); from entry #${orderedFrom} on the log's times do not go back`,
  );
}
