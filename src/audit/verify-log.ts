/**
 * The full offline verification of the disclosure log: the hash chain, the Merkle roots against the
 * signed checkpoints, and the first entry that was altered, removed, inserted, reordered or cut off.
 *
 * It streams the rows once and keeps O(log n) state (the tree's compact range, a few recent hashes)
 * plus the checkpoints. What it can tell:
 * - a changed body (hash no longer matches) → `hash-mismatch` at that entry;
 * - a changed body whose hash was recomputed → the next entry no longer links to it: `altered` at the
 *   changed entry (one row of look-ahead tells which of the two was changed);
 * - a missing entry → `removed`; a foreign or duplicated entry → `inserted`; entries out of order →
 *   `reordered`;
 * - a tail cut off → `truncated`, once a checkpoint (stored, or held by a partner) covers more entries
 *   than the log still has;
 * - a rewrite from some entry on with every hash recomputed → the next signed root does not match:
 *   `altered` at the first changed entry when the gateway's own stored leaves still lead to the signed
 *   root (so they can be trusted), else `root-mismatch` naming the range since the last good checkpoint.
 */
import type { KeyObject } from 'node:crypto';
import { GENESIS_HASH, entryHash, isHash } from './chain';
import { checkCheckpoint, keyIdOf } from './checkpoint';
import { TreeBuilder, leafHash } from './merkle';
import type { Checkpoint } from './types';
import {
  Broken,
  checkColumns,
  parseBody,
  type BreakReason,
  type RawAuditRow,
  type VerifyReport,
} from './verify';

export interface LogVerifyInput {
  rows: AsyncIterable<RawAuditRow> | Iterable<RawAuditRow>;
  /** Checkpoints as stored or exported (JSON text or objects), in any order. */
  checkpoints?: readonly unknown[];
  /** Checkpoints held outside the log (from a receipt, a partner's copy): what catches a cut-off tail
   * when the stored checkpoints were removed too. */
  external?: readonly unknown[];
  /** Without it the checkpoints' form is checked but not who signed them (reported). */
  publicKey?: KeyObject;
}

export interface CheckpointSummary {
  /** Valid checkpoints used. */
  total: number;
  /** Those whose root (and head hash) the entries reproduce. */
  matched: number;
  signaturesChecked: boolean;
  keyId: string | null;
  /** The newest valid checkpoint. */
  latest: Checkpoint | null;
  /** Checkpoints refused: malformed, badly signed, another key, or two different trees of one size. */
  invalid: { treeSize: number | null; problem: string }[];
}

export interface LogVerifyReport extends VerifyReport {
  /** Rows read. */
  entries: number;
  checkpoints: CheckpointSummary;
  /** Entries after the newest checkpoint the log reproduces: not yet under any signature. */
  unsigned: number;
}

type Finding = { seq: number; reason: BreakReason; message: string };

/** A break that needs the next row to be named. */
type Pending =
  | { kind: 'ahead'; position: number; found: number }
  | { kind: 'link'; position: number; hash: string; prevHash: string };

type Inspection = { ok: true } | { final: Finding } | { pending: Pending };

interface Lenient {
  seq: number | undefined;
  prevHash: string | undefined;
}

/** seq and prevHash of a row without trusting it (for the look-ahead). */
function lenient(row: RawAuditRow | undefined): Lenient {
  if (!row) return { seq: undefined, prevHash: undefined };
  try {
    const body = JSON.parse(String(row.body)) as { seq?: unknown; prevHash?: unknown };
    return {
      seq: Number.isSafeInteger(body.seq) ? (body.seq as number) : undefined,
      prevHash: typeof body.prevHash === 'string' ? body.prevHash : undefined,
    };
  } catch {
    return { seq: Number.isSafeInteger(row.seq) ? row.seq : undefined, prevHash: undefined };
  }
}

/** Checks the row standing at `position` (1-based), whose predecessor hashed to `prevHash`. */
function inspect(row: RawAuditRow, position: number, prevHash: string, computed: string): Inspection {
  const at = (reason: BreakReason, message: string): Inspection => ({
    final: { seq: position, reason, message },
  });
  if (typeof row?.seq !== 'number' || !Number.isSafeInteger(row.seq)) {
    return at('malformed', `the seq column of the entry at position ${position} is not an integer`);
  }
  if (typeof row.body !== 'string') return at('malformed', 'body is missing');
  if (typeof row.hash !== 'string') return at('malformed', 'hash is missing');
  let body: Record<string, unknown>;
  try {
    body = parseBody(row.body);
  } catch (error) {
    if (!(error instanceof Broken)) throw error;
    if (computed !== row.hash) {
      return at('hash-mismatch', `stored hash ${row.hash} but sha256(body) is ${computed}`);
    }
    return at(error.reason, error.message);
  }
  const identity = body.seq as number;
  if (identity !== position) {
    if (identity > position) return { pending: { kind: 'ahead', position, found: identity } };
    if (identity === position - 1) {
      return {
        final: {
          seq: position - 1,
          reason: 'inserted',
          message: `entry #${identity} appears again at position ${position}: the entry before it was inserted`,
        },
      };
    }
    return at('reordered', `entry #${identity} stands at position ${position}, after #${position - 1}`);
  }
  if (computed !== row.hash) {
    return at('hash-mismatch', `stored hash ${row.hash} but sha256(body) is ${computed}`);
  }
  if (body.prevHash !== prevHash) {
    if (position === 1) {
      return at(
        'altered',
        `the first entry does not start from the genesis hash (prevHash ${String(body.prevHash)})`,
      );
    }
    return { pending: { kind: 'link', position, hash: computed, prevHash: String(body.prevHash) } };
  }
  try {
    checkColumns(row, body);
  } catch (error) {
    if (!(error instanceof Broken)) throw error;
    return at(error.reason, error.message);
  }
  return { ok: true };
}

/** Names a pending break from the row after it (undefined: there is none). */
function resolve(pending: Pending, next: RawAuditRow | undefined): Finding {
  const after = lenient(next);
  const p = pending.position;
  if (pending.kind === 'ahead') {
    if (after.seq === undefined || after.seq === pending.found + 1) {
      const range = pending.found - 1 > p ? `entries #${p}..#${pending.found - 1} are` : `entry #${p} is`;
      return {
        seq: p,
        reason: 'removed',
        message: `${range} missing: entry #${pending.found} follows #${p - 1}`,
      };
    }
    return {
      seq: p,
      reason: 'reordered',
      message: `entry #${pending.found} stands where #${p} belongs, followed by #${after.seq}: entries were reordered`,
    };
  }
  // The entry at p does not link to its predecessor. If the next one still links to p, p is what was
  // written and its predecessor was changed (its hash recomputed) or replaced; else p itself was.
  if (!next || (after.seq === p + 1 && after.prevHash === pending.hash)) {
    return {
      seq: p - 1,
      reason: 'altered',
      message: `entry #${p - 1} is not the entry #${p} was chained to (prevHash ${pending.prevHash}): it was changed after #${p} was written`,
    };
  }
  return {
    seq: p,
    reason: 'altered',
    message: `entry #${p} links neither to #${p - 1} nor from #${p + 1}: it was changed or replaced`,
  };
}

/** The valid checkpoints, one per tree size, smallest first, and those refused (with why). */
export function prepareCheckpoints(input: Omit<LogVerifyInput, 'rows'>) {
  const invalid: CheckpointSummary['invalid'] = [];
  const bySize = new Map<number, Checkpoint>();
  const lists: [string, readonly unknown[]][] = [
    ['stored', input.checkpoints ?? []],
    ['external', input.external ?? []],
  ];
  for (const [source, list] of lists) {
    for (const raw of list) {
      let value: unknown = raw;
      if (typeof raw === 'string') {
        try {
          value = JSON.parse(raw);
        } catch {
          invalid.push({ treeSize: null, problem: `a ${source} checkpoint is not JSON` });
          continue;
        }
      }
      const check = checkCheckpoint(value, input.publicKey);
      if (!check.ok) {
        const size = (value as { treeSize?: unknown } | null)?.treeSize;
        invalid.push({
          treeSize: Number.isSafeInteger(size) ? (size as number) : null,
          problem: check.problem,
        });
        continue;
      }
      const cp = check.checkpoint;
      const seen = bySize.get(cp.treeSize);
      if (seen && (seen.rootHash !== cp.rootHash || seen.headHash !== cp.headHash)) {
        invalid.push({
          treeSize: cp.treeSize,
          problem: `two checkpoints sign different trees of size ${cp.treeSize}: the log was forked or rewritten`,
        });
        continue;
      }
      if (!seen) bySize.set(cp.treeSize, cp);
    }
  }
  return { invalid, list: [...bySize.values()].sort((a, b) => a.treeSize - b.treeSize) };
}

export async function verifyLog(input: LogVerifyInput): Promise<LogVerifyReport> {
  const { invalid, list: checkpoints } = prepareCheckpoints(input);

  let position = 0;
  let prevHash = GENESIS_HASH;
  let chainChecked = 0;
  let chain: Finding | undefined;
  let pending: Pending | undefined;
  const recent = new Map<number, string>();

  const tree = new TreeBuilder();
  const storedTree = new TreeBuilder();
  let storedUsable = true;
  let firstLeafDiff: number | undefined;
  let hashBeforeLeafDiff: string | undefined;

  let next = 0;
  let lastMatched = 0;
  let matched = 0;
  let lastEvaluated = 0;
  let rootBreak: { checkpoint: Checkpoint; lastMatched: number; pin?: number } | undefined;
  let finished = true;

  for await (const row of input.rows) {
    position++;
    const body = typeof row?.body === 'string' ? row.body : '';
    const computed = entryHash(body);
    recent.set(position, computed);
    recent.delete(position - 3);

    if (!chain) {
      if (pending) {
        chain = resolve(pending, row);
        pending = undefined;
      } else {
        const result = inspect(row, position, prevHash, computed);
        if ('ok' in result) {
          prevHash = computed;
          chainChecked = position;
        } else if ('pending' in result) {
          pending = result.pending;
        } else {
          chain = result.final;
        }
      }
    }

    const leaf = leafHash(body);
    tree.push(leaf);
    if (storedUsable) {
      const stored = row?.leaf;
      if (Buffer.isBuffer(stored) && stored.length === 32) {
        storedTree.push(stored);
        if (firstLeafDiff === undefined && !stored.equals(leaf)) {
          firstLeafDiff = position;
          hashBeforeLeafDiff = recent.get(position - 1);
        }
      } else {
        storedUsable = false;
      }
    }

    while (next < checkpoints.length && checkpoints[next].treeSize === position) {
      const checkpoint = checkpoints[next++];
      lastEvaluated = position;
      if (tree.root().toString('hex') === checkpoint.rootHash && computed === checkpoint.headHash) {
        lastMatched = position;
        matched++;
      } else if (!rootBreak) {
        const trusted = storedUsable && storedTree.root().toString('hex') === checkpoint.rootHash;
        rootBreak = { checkpoint, lastMatched, pin: trusted ? firstLeafDiff : undefined };
      }
    }

    if (pending) continue;
    // A signed root that does not match names an entry (pin) or a range; the chain, which can say how
    // the entry was changed (removed, inserted…), shows it two rows later at the latest: read that far.
    const rootSettled =
      rootBreak !== undefined &&
      (chain !== undefined || position >= (rootBreak.pin ?? rootBreak.checkpoint.treeSize) + 2);
    if (rootSettled || (chain && (lastEvaluated >= chain.seq || next >= checkpoints.length))) {
      finished = false;
      break;
    }
  }
  if (pending) chain = resolve(pending, undefined);

  const findings: Finding[] = [];
  if (chain) findings.push(chain);
  // A root mismatch names a range; a chain finding inside that range already explains it, precisely.
  if (rootBreak && (rootBreak.pin !== undefined || !chain || chain.seq > rootBreak.checkpoint.treeSize)) {
    const { checkpoint, pin } = rootBreak;
    findings.push(
      pin !== undefined
        ? {
            seq: pin,
            reason: 'altered',
            message: `entry #${pin} was altered or replaced: it is not the entry signed in the checkpoint of ${checkpoint.timestamp} (tree size ${checkpoint.treeSize}); the gateway's own stored leaf for it still leads to that signed root`,
          }
        : {
            seq: rootBreak.lastMatched + 1,
            reason: 'root-mismatch',
            message: `entries #${rootBreak.lastMatched + 1}..#${checkpoint.treeSize} do not reproduce the root signed at ${checkpoint.timestamp} (tree size ${checkpoint.treeSize}): one of them was altered, removed, inserted or reordered`,
          },
    );
  }
  if (finished && !chain && !rootBreak && next < checkpoints.length) {
    const beyond = checkpoints[checkpoints.length - 1];
    findings.push({
      seq: position + 1,
      reason: 'truncated',
      message: `the checkpoint of ${beyond.timestamp} signed ${beyond.treeSize} entries but the log ends at #${position}: entries #${position + 1}..#${beyond.treeSize} were removed`,
    });
  }
  findings.sort((a, b) => a.seq - b.seq);
  const firstBroken = findings[0];
  const checked = firstBroken ? Math.min(chainChecked, firstBroken.seq - 1) : position;
  const headHash =
    checked === 0
      ? null
      : (recent.get(checked) ??
        (firstLeafDiff !== undefined && checked === firstLeafDiff - 1 ? hashBeforeLeafDiff : undefined) ??
        null);

  const latest = checkpoints.length > 0 ? checkpoints[checkpoints.length - 1] : null;
  return {
    ok: !firstBroken && invalid.length === 0,
    checked,
    headSeq: checked === 0 ? null : checked,
    headHash,
    ...(firstBroken ? { firstBroken } : {}),
    entries: position,
    checkpoints: {
      total: checkpoints.length,
      matched,
      signaturesChecked: input.publicKey !== undefined,
      keyId: input.publicKey ? keyIdOf(input.publicKey) : null,
      latest,
      invalid,
    },
    unsigned: firstBroken ? 0 : position - lastMatched,
  };
}

export interface PartialVerifyReport {
  ok: boolean;
  /** Entries whose own hash, form and columns check out. */
  checked: number;
  /** Links checked between entries whose seqs follow each other. */
  linked: number;
  firstBroken?: Finding;
}

/**
 * A filtered export holds some entries only: each is checked on its own (hash, canonical form,
 * strictly increasing seq) and links are checked wherever two consecutive seqs are both present.
 * What it cannot show: entries missing between the ones present.
 */
export async function verifyPartial(
  rows: AsyncIterable<RawAuditRow> | Iterable<RawAuditRow>,
): Promise<PartialVerifyReport> {
  let checked = 0;
  let linked = 0;
  let last: { seq: number; hash: string } | undefined;
  for await (const row of rows) {
    const seq = typeof row?.seq === 'number' ? row.seq : (last?.seq ?? 0) + 1;
    const fail = (reason: BreakReason, message: string): PartialVerifyReport => ({
      ok: false,
      checked,
      linked,
      firstBroken: { seq, reason, message },
    });
    if (typeof row.body !== 'string' || typeof row.hash !== 'string')
      return fail('malformed', 'body or hash missing');
    const computed = entryHash(row.body);
    if (computed !== row.hash)
      return fail('hash-mismatch', `stored hash ${row.hash} but sha256(body) is ${computed}`);
    let body: Record<string, unknown>;
    try {
      body = parseBody(row.body);
      checkColumns(row, body);
    } catch (error) {
      if (!(error instanceof Broken)) throw error;
      return fail(error.reason, error.message);
    }
    if (last && seq <= last.seq) return fail('reordered', `entry #${seq} follows #${last.seq}`);
    if (last && seq === last.seq + 1) {
      if (body.prevHash !== last.hash) {
        return fail('altered', `entry #${seq} does not link to #${last.seq}: one of them was changed`);
      }
      linked++;
    }
    if (!isHash(body.prevHash)) return fail('malformed', 'prevHash is not a hash');
    last = { seq, hash: computed };
    checked++;
  }
  return { ok: true, checked, linked };
}
