/**
 * The log's rules for an append, once for every store: which rows appending these events writes (each
 * entry, chained to the one before; its Merkle leaf and the tree nodes it completes; its partner and
 * keyed-hash index rows) and what the log's tip becomes. Pure: no I/O. A store reads its tip (the head
 * and the tree's frontier) inside its write transaction, asks for the plan, and writes the rows in the
 * same transaction, so a change and its log entries commit together or not at all, whatever the store.
 */
import { GENESIS_HASH, buildEntryParts, entryTime, searchableHashes, type EntryParts } from './chain';
import { leafHash, nodeHash } from './merkle';
import type { AuditEventInput } from './types';

/** A node of the tree: its level (0: leaves), its index within the level and its hash. */
export interface TreeNodeRow {
  level: number;
  index: number;
  hash: Buffer;
}

/**
 * What an append needs to know of the log, immutable: the newest entry and, per level, the newest
 * node written there (the left sibling the next right child needs). A rolled-back transaction keeps
 * the old object.
 */
export interface LogTip {
  seq: number;
  hash: string;
  /** The newest entry's ts (undefined: none yet): the next is never earlier (entryTime). */
  ts: string | undefined;
  edge: readonly (TreeNodeRow | undefined)[];
}

/** The head a store reads: the newest entry's seq, hash and ts, or nothing for an empty log. */
export interface LogHead {
  seq: number;
  hash: string;
  ts: string;
}

/**
 * The nodes an append to a tree of `size` leaves needs as left siblings: at each level where the next
 * leaf's ancestor is a right child, its left neighbour. At most one per level (the tree's frontier).
 */
export function frontier(size: number): { level: number; index: number }[] {
  const out: { level: number; index: number }[] = [];
  for (let level = 0, index = size; index > 0; level++, index = Math.floor(index / 2)) {
    if (index % 2 === 1) out.push({ level, index: index - 1 });
  }
  return out;
}

/** The tip of a log from its head and its frontier's nodes (read by the store: `frontier(head.seq)`). */
export function tipOf(head: LogHead | undefined, frontierNodes: readonly TreeNodeRow[]): LogTip {
  const edge: (TreeNodeRow | undefined)[] = [];
  for (const node of frontierNodes) edge[node.level] = node;
  return { seq: head?.seq ?? 0, hash: head?.hash ?? GENESIS_HASH, ts: head?.ts, edge };
}

export interface LeafRows {
  /** The leaf and the interior nodes it completes, bottom up. */
  nodes: TreeNodeRow[];
  /** The keyed hashes the entry can be found by (identifier, subject, record reference). */
  keyedHashes: string[];
}

export interface PlannedEntry extends EntryParts, LeafRows {}

export interface AppendPlan {
  entries: PlannedEntry[];
  tip: LogTip;
}

/**
 * The rows of entry `seq` beyond the entry itself: its leaf, the nodes it completes (a left sibling
 * comes from `edge`), its keyed hashes. `edge` is updated in place.
 */
export function leafRows(
  seq: number,
  body: Uint8Array | string,
  data: unknown,
  edge: (TreeNodeRow | undefined)[],
): LeafRows {
  const nodes: TreeNodeRow[] = [];
  let index = seq - 1;
  let level = 0;
  let hash = leafHash(body);
  for (;;) {
    const node = { level, index, hash };
    nodes.push(node);
    // A right child completes its parent: climb while the node just made is one.
    const left = index % 2 === 0 ? undefined : edge[level];
    edge[level] = node;
    if (left === undefined) break;
    if (left.index !== index - 1) throw new Error(`Merkle node ${level}/${index - 1} is not the tip's`);
    hash = nodeHash(left.hash, hash);
    index = (index - 1) / 2;
    level++;
  }
  return { nodes, keyedHashes: searchableHashes(data) };
}

/** The entries `events` become after `tip`, at time `now` (or the tip's, when the clock went back). */
export function planAppend(tip: LogTip, events: readonly AuditEventInput[], now: string): AppendPlan {
  const edge = tip.edge.slice();
  const ts = entryTime(now, tip.ts);
  let { seq, hash } = tip;
  const entries: PlannedEntry[] = [];
  for (const event of events) {
    const parts = buildEntryParts(event, ++seq, ts, hash);
    entries.push({ ...parts, ...leafRows(seq, parts.bytes, parts.entry.data, edge) });
    hash = parts.entry.hash;
  }
  return { entries, tip: entries.length ? { seq, hash, ts, edge } : tip };
}
