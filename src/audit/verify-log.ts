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
import { TreeBuilder, leafHash, type TreeNode } from './merkle';
import type { Checkpoint } from './types';
import {
  Broken,
  checkColumns,
  parseBody,
  timeOrderBreak,
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
  /** The gateway's checkpoint key: a checkpoint it did not sign is refused (`bad-checkpoint`). */
  publicKey: KeyObject;
  /** The stored Merkle tree, checked node by node against the bodies; absent: not checked. */
  tree?: StoredTree;
  /** Pass a log with entries and no checkpoint at all; by default that fails (`no-checkpoint`). */
  allowNoCheckpoint?: boolean;
  /**
   * Verify only the entries since the newest checkpoint (what the gateway does at start-up): the
   * one checkpoint given is the anchor (its signature; its root made from the stored tree's nodes,
   * so `tree` is needed), and `rows` start at its head entry, whose hash it signed.
   */
  resume?: boolean;
  /** From this entry on, times must not go back (audit_ts_order; absent: not checked). */
  orderedFrom?: number;
}

/** The stored Merkle tree (audit_tree), read without trusting it. */
export interface StoredTree {
  /** The stored node (level 0: a leaf), undefined when there is none. */
  node(level: number, index: number): Buffer | undefined;
  /** The stored nodes of one level with index lo..hi, in index order (the parallel verifier's jobs). */
  nodes(level: number, lo: number, hi: number): { index: number; hash: Buffer }[];
  /**
   * The log's last seq now, and a stored node over an entry after it, if any: nodes left behind by
   * entries that were removed from the end.
   */
  beyond(): { lastSeq: number; node?: { level: number; index: number } };
}

export interface CheckpointSummary {
  /** Valid checkpoints used. */
  total: number;
  /** Those whose root (and head hash) the entries reproduce. */
  matched: number;
  /** The key the signatures were checked with. */
  keyId: string;
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
  /**
   * The DPO's statistics counted again from the bodies and compared with the stored counts (stats.ts),
   * by the parallel verifier's deep run on a database that keeps them. `mismatch` names the first count
   * that differs: the log itself may be intact, the report is then not ok and the verdict says so.
   */
  statistics?: StatisticsCheck;
}

export interface StatisticsCheck {
  /** Stored counts compared. */
  counts: number;
  mismatch?: string;
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

/** The ts a row's body gives, without trusting it. */
function lenientTs(row: RawAuditRow | undefined): unknown {
  try {
    return (JSON.parse(String(row?.body)) as { ts?: unknown }).ts;
  } catch {
    return undefined;
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

  let tree = new TreeBuilder();
  const storedTree = new TreeBuilder();
  let storedUsable = true;
  let firstLeafDiff: number | undefined;
  let hashBeforeLeafDiff: string | undefined;
  let node: Finding | undefined;

  let next = 0;
  let lastMatched = 0;
  let matched = 0;
  let lastEvaluated = 0;
  let rootBreak: { checkpoint: Checkpoint; lastMatched: number; pin?: number } | undefined;
  let finished = true;
  /** The ts of the last entry that checked out (for the time order). */
  let prevTs: unknown;

  // A refused anchor leaves nothing to resume from: that is the finding.
  if (input.resume && invalid.length > 0) return summary(input, invalid, checkpoints, [], 0, 0, 0);
  // Resuming, the tail builds on the anchor's tree (its signed root made from the stored nodes) and
  // chain (the first row is its head entry, whose hash it signed).
  const anchor = input.resume ? checkpoints[checkpoints.length - 1] : undefined;
  let anchorRow = anchor !== undefined;
  if (anchor) {
    const resumed = resumeTree(anchor, input.tree);
    if ('finding' in resumed) return summary(input, invalid, checkpoints, [resumed.finding], 0, 0, 0);
    tree = resumed.tree;
    // Stored leaves only pin a root mismatch, and no checkpoint comes after the anchor.
    storedUsable = false;
    next = checkpoints.length;
    lastMatched = lastEvaluated = anchor.treeSize;
    matched = 1;
  }

  for await (const row of input.rows) {
    if (anchorRow) {
      anchorRow = false;
      const finding = checkAnchorRow(row, anchor!);
      if (finding) return summary(input, invalid, checkpoints, [finding], position, 0, 0);
      position = anchor!.treeSize;
      prevHash = anchor!.headHash;
      prevTs = lenientTs(row);
      chainChecked = position;
      recent.set(position, prevHash);
      continue;
    }
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
        const late = 'ok' in result && timeOrderBreak(input.orderedFrom, position, row.ts, prevTs);
        if (late) {
          chain = { seq: position, reason: late.reason, message: late.message };
        } else if ('ok' in result) {
          prevHash = computed;
          chainChecked = position;
          prevTs = row.ts;
        } else if ('pending' in result) {
          pending = result.pending;
        } else {
          chain = result.final;
        }
      }
    }

    const leaf = leafHash(body);
    const completed = tree.push(leaf);
    if (input.tree && !node) node = checkNodes(input.tree, completed, row, position);
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
    // A finding in the rows is final once the next checkpoint has been compared (a root mismatch
    // there may name an earlier entry), or when there is none; a stored node's, once the chain has had
    // its two rows of look-ahead too (a changed body changes its leaf: the chain says how).
    const settles = (f: Finding | undefined) =>
      f !== undefined && (lastEvaluated >= f.seq || next >= checkpoints.length);
    if (rootSettled || settles(chain) || (settles(node) && position >= node!.seq + 2)) {
      finished = false;
      break;
    }
  }
  if (anchorRow) {
    const finding = checkAnchorRow(undefined, anchor!);
    return summary(input, invalid, checkpoints, finding ? [finding] : [], position, 0, 0);
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
  // At equal seqs the chain and the roots say more (how the entry was changed) than its stored leaf.
  if (node) findings.push(node);
  if (finished && input.tree) {
    const left = leftBehind(input.tree, position);
    if (left) findings.push(left);
  }
  return summary(input, invalid, checkpoints, findings, position, chainChecked, lastMatched, {
    matched,
    recent,
    leafDiff:
      firstLeafDiff !== undefined ? { seq: firstLeafDiff, hashBefore: hashBeforeLeafDiff } : undefined,
  });
}

/** The tree of the anchor's entries from the stored nodes; they must make the root it signed. */
function resumeTree(
  anchor: Checkpoint,
  stored: StoredTree | undefined,
): { tree: TreeBuilder } | { finding: Finding } {
  if (!stored) throw new Error('resuming from a checkpoint needs the stored tree');
  const missing = new Error('a stored Merkle node is missing');
  let tree: TreeBuilder | undefined;
  try {
    tree = TreeBuilder.resume((level, index) => {
      const hash = stored.node(level, index);
      if (!hash) throw missing;
      return hash;
    }, anchor.treeSize);
  } catch (error) {
    if (error !== missing) throw error;
  }
  if (tree && tree.root().toString('hex') === anchor.rootHash) return { tree };
  const problem = tree ? 'do not make the root it signed' : 'are incomplete';
  return {
    finding: {
      seq: 1,
      reason: 'node-mismatch',
      message: `the stored Merkle nodes over entries #1..#${anchor.treeSize}, under the newest checkpoint (${anchor.timestamp}), ${problem}: verify the whole log to find the entry`,
    },
  };
}

/** The anchor's head entry: present, and the very entry whose hash the checkpoint signed. */
function checkAnchorRow(row: RawAuditRow | undefined, anchor: Checkpoint): Finding | undefined {
  const k = anchor.treeSize;
  if (!row) {
    return {
      seq: k,
      reason: 'truncated',
      message: `the newest checkpoint (${anchor.timestamp}) signed ${k} entries but entry #${k} is not in the log: it was cut back`,
    };
  }
  if (row.seq !== k) {
    return {
      seq: k,
      reason: 'removed',
      message: `entry #${k}, the head of the newest checkpoint, is missing`,
    };
  }
  if (
    typeof row.body !== 'string' ||
    entryHash(row.body) !== anchor.headHash ||
    row.hash !== anchor.headHash
  ) {
    return {
      seq: k,
      reason: 'altered',
      message: `entry #${k} is not the head entry signed in the newest checkpoint (${anchor.timestamp})`,
    };
  }
  return undefined;
}

/** The stored nodes an entry completes (its leaf first) against those computed from the bodies. */
function checkNodes(
  stored: StoredTree,
  completed: TreeNode[],
  row: RawAuditRow | undefined,
  position: number,
): Finding | undefined {
  for (const { level, index, hash } of completed) {
    // The row carries its stored leaf when it was read with it: no second read.
    const found =
      level === 0 && row?.leaf !== undefined ? (row.leaf ?? undefined) : stored.node(level, index);
    if (found?.equals(hash)) continue;
    const what = found ? 'does not match' : 'is missing for';
    const message =
      level === 0
        ? `the stored Merkle leaf ${what} the body of entry #${position}`
        : `the stored Merkle node (level ${level}, index ${index}) ${what} entries #${position - 2 ** level + 1}..#${position}`;
    return { seq: position, reason: 'node-mismatch', message };
  }
  return undefined;
}

/** Stored Merkle nodes over entries after the log's end: what removed entries leave behind. */
function leftBehind(stored: StoredTree, position: number): Finding | undefined {
  const { lastSeq, node } = stored.beyond();
  // Entries appended while this run read are not a finding; only the log's own end counts.
  if (!node || lastSeq > position) return undefined;
  const end = (node.index + 1) * 2 ** node.level;
  return {
    seq: lastSeq + 1,
    reason: 'truncated',
    message: `the log ends at #${lastSeq} but the stored Merkle tree has a node over entries up to #${end} (level ${node.level}, index ${node.index}): entries were removed from the end`,
  };
}

/**
 * What the gateway's key and the checkpoints say of the log as a whole: a refused checkpoint (bad or
 * missing signature, another key, malformed, a fork) leaves the entries it claims to cover without a
 * genuine signature; a log with entries and no checkpoint at all has nothing signed to hold it to
 * (named only when nothing in the entries is, `explained` false: it would hide where they break).
 */
function signatureFindings(
  input: Pick<LogVerifyInput, 'allowNoCheckpoint'>,
  invalid: CheckpointSummary['invalid'],
  checkpoints: readonly Checkpoint[],
  entries: number,
  explained: boolean,
): Finding[] {
  if (invalid.length > 0) {
    const firstUnsigned = (size: number | null) =>
      Math.max(0, ...checkpoints.map((c) => c.treeSize).filter((s) => size === null || s < size)) + 1;
    const [seq, bad] = invalid
      .map((bad) => [firstUnsigned(bad.treeSize), bad] as const)
      .sort((a, b) => a[0] - b[0])[0];
    const size = bad.treeSize === null ? 'of unknown size' : `of tree size ${bad.treeSize}`;
    return [
      {
        seq,
        reason: 'bad-checkpoint',
        message: `a checkpoint ${size} is refused (${bad.problem}): entries from #${seq} on are not under a genuine signature`,
      },
    ];
  }
  if (entries > 0 && checkpoints.length === 0 && !input.allowNoCheckpoint && !explained) {
    return [
      {
        seq: 1,
        reason: 'no-checkpoint',
        message: `no signed checkpoint covers any of the ${entries} entries: they could have been rewritten without a trace (checkpoints deleted?); a partner's receipt (--checkpoint) or --allow-no-checkpoint`,
      },
    ];
  }
  return [];
}

/** The report: the first finding (by seq; at equal seqs, the first given) and the counts. */
function summary(
  input: LogVerifyInput,
  invalid: CheckpointSummary['invalid'],
  checkpoints: readonly Checkpoint[],
  rowFindings: Finding[],
  position: number,
  chainChecked: number,
  lastMatched: number,
  state: {
    matched: number;
    recent: Map<number, string>;
    leafDiff?: { seq: number; hashBefore: string | undefined };
  } = { matched: 0, recent: new Map() },
): LogVerifyReport {
  const findings = [
    ...rowFindings,
    ...signatureFindings(input, invalid, checkpoints, position, rowFindings.length > 0),
  ];
  findings.sort((a, b) => a.seq - b.seq);
  const firstBroken = findings[0];
  const checked = firstBroken ? Math.min(chainChecked, firstBroken.seq - 1) : position;
  const { recent, leafDiff } = state;
  const headHash =
    checked === 0
      ? null
      : (recent.get(checked) ??
        (leafDiff && checked === leafDiff.seq - 1 ? leafDiff.hashBefore : undefined) ??
        null);
  const latest = checkpoints.length > 0 ? checkpoints[checkpoints.length - 1] : null;
  return {
    ok: !firstBroken,
    checked,
    headSeq: checked === 0 ? null : checked,
    headHash,
    ...(firstBroken ? { firstBroken } : {}),
    entries: position,
    checkpoints: {
      total: checkpoints.length,
      matched: state.matched,
      keyId: keyIdOf(input.publicKey),
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
  /** Lines shown in a partner's view (cut down): their bodies cannot be checked against their hashes. */
  redacted: number;
  /** Valid checkpoints in the file (their signatures checked; the entries cannot be held to them). */
  checkpoints: number;
  firstBroken?: Finding;
}

/**
 * A filtered export holds some entries only: each is checked on its own (hash, canonical form,
 * strictly increasing seq) and links are checked wherever two consecutive seqs are both present; a line
 * shown redacted is only counted (and its hash checked by the link from the next entry, if present).
 * The checkpoints' signatures are checked as for a whole log. What it cannot show: entries missing
 * between the ones present.
 */
export async function verifyPartial(
  rows: AsyncIterable<RawAuditRow> | Iterable<RawAuditRow>,
  signed: Omit<LogVerifyInput, 'rows' | 'tree' | 'resume'>,
): Promise<PartialVerifyReport> {
  const { invalid, list } = prepareCheckpoints(signed);
  let checked = 0;
  let linked = 0;
  let redacted = 0;
  let last: { seq: number; hash: string } | undefined;
  let firstBroken: Finding | undefined;
  for await (const row of rows) {
    const seq = typeof row?.seq === 'number' ? row.seq : (last?.seq ?? 0) + 1;
    const problem = checkPartialRow(row, seq, last);
    if (problem) {
      firstBroken = { seq, ...problem };
      break;
    }
    if (last && seq === last.seq + 1) linked++;
    if (row.redacted) redacted++;
    else checked++;
    last = { seq, hash: row.hash! };
  }
  const entries = checked + redacted;
  const findings = [
    ...(firstBroken ? [firstBroken] : []),
    ...signatureFindings(signed, invalid, list, entries, firstBroken !== undefined),
  ].sort((a, b) => a.seq - b.seq);
  return {
    ok: findings.length === 0,
    checked,
    linked,
    redacted,
    checkpoints: list.length,
    ...(findings[0] ? { firstBroken: findings[0] } : {}),
  };
}

/** What is wrong with one line of a filtered export, given the line before it. */
function checkPartialRow(
  row: RawAuditRow,
  seq: number,
  last: { seq: number; hash: string } | undefined,
): { reason: BreakReason; message: string } | undefined {
  if (typeof row.body !== 'string' || typeof row.hash !== 'string') {
    return { reason: 'malformed', message: 'body or hash missing' };
  }
  if (last && seq <= last.seq) return { reason: 'reordered', message: `entry #${seq} follows #${last.seq}` };
  let prevHash: unknown;
  if (row.redacted) {
    if (!isHash(row.hash)) return { reason: 'malformed', message: 'the redacted line has no entry hash' };
    prevHash = lenient(row).prevHash;
  } else {
    const computed = entryHash(row.body);
    if (computed !== row.hash) {
      return { reason: 'hash-mismatch', message: `stored hash ${row.hash} but sha256(body) is ${computed}` };
    }
    try {
      const body = parseBody(row.body);
      checkColumns(row, body);
      prevHash = body.prevHash;
    } catch (error) {
      if (!(error instanceof Broken)) throw error;
      return { reason: error.reason, message: error.message };
    }
  }
  if (last && seq === last.seq + 1 && prevHash !== last.hash) {
    return {
      reason: 'altered',
      message: `entry #${seq} does not link to #${last.seq}: one of them was changed`,
    };
  }
  if (!isHash(prevHash)) return { reason: 'malformed', message: 'prevHash is not a hash' };
  return undefined;
}
