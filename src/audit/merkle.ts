/**
 * The Merkle tree of the disclosure log, RFC 9162 §2.1 (the RFC 6962 tree): pure functions, no I/O.
 *
 * - leaf hash  = SHA-256(0x00 || entry), where `entry` is the entry's canonical body (UTF-8 bytes);
 * - node hash  = SHA-256(0x01 || left || right);
 * - MTH({})    = SHA-256(""); MTH(D[n]) splits at k, the largest power of two smaller than n.
 *
 * Sizes and indexes are JavaScript numbers; every step uses division, never 32-bit bit operations,
 * so trees up to 2^53 leaves are handled. Leaf indexes are 0-based (leaf i holds entry seq i + 1).
 */
import { createHash } from 'node:crypto';

export const HASH_BYTES = 32;
const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** MTH of the empty tree: SHA-256 of the empty string. */
export const EMPTY_ROOT = createHash('sha256').digest();

export function leafHash(entry: Uint8Array | string): Buffer {
  const bytes = typeof entry === 'string' ? Buffer.from(entry, 'utf8') : entry;
  return createHash('sha256').update(LEAF_PREFIX).update(bytes).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

export function isPowerOfTwo(n: number): boolean {
  if (!Number.isSafeInteger(n) || n < 1) return false;
  while (n % 2 === 0) n /= 2;
  return n === 1;
}

/** k: the largest power of two strictly smaller than n (n >= 2). */
export function splitPoint(n: number): number {
  if (!Number.isSafeInteger(n) || n < 2) throw new RangeError(`cannot split a tree of size ${n}`);
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function log2(size: number): number {
  let level = 0;
  while (size > 1) {
    size /= 2;
    level++;
  }
  return level;
}

/** MTH over leaf hashes held in memory, straight from the RFC's recursive definition. */
export function rootOfLeaves(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leaves[0];
  const k = splitPoint(leaves.length);
  return nodeHash(rootOfLeaves(leaves.slice(0, k)), rootOfLeaves(leaves.slice(k)));
}

/** A perfect subtree: the root of 2^level leaves starting at leaf index * 2^level. */
export interface TreeNode {
  level: number;
  index: number;
  hash: Buffer;
}

/**
 * The root of a growing tree in O(log n) memory: the roots of the perfect subtrees that make up the
 * tree so far (a compact range), combined right to left when asked. Used by the streaming verifier.
 */
export class TreeBuilder {
  private readonly stack: { hash: Buffer; size: number }[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /**
   * Starts from the tree of the first `size` leaves, given by its compact range (from the stored
   * nodes: the caller has checked that they make the root it trusts).
   */
  static resume(nodes: NodeSource, size: number): TreeBuilder {
    const tree = new TreeBuilder();
    for (const node of compactRange(size)) {
      tree.stack.push({ hash: nodes(node.level, node.index), size: 2 ** node.level });
    }
    tree.count = size;
    return tree;
  }

  /** Adds a leaf; returns the perfect subtrees it completes, the leaf first (what the store keeps). */
  push(leaf: Buffer): TreeNode[] {
    let hash = leaf;
    let size = 1;
    let level = 0;
    const index = this.count;
    const completed: TreeNode[] = [{ level, index, hash }];
    while (this.stack.length > 0 && this.stack[this.stack.length - 1].size === size) {
      hash = nodeHash(this.stack.pop()!.hash, hash);
      size *= 2;
      level++;
      completed.push({ level, index: (index + 1) / size - 1, hash });
    }
    this.stack.push({ hash, size });
    this.count++;
    return completed;
  }

  root(): Buffer {
    if (this.stack.length === 0) return EMPTY_ROOT;
    let acc = this.stack[this.stack.length - 1].hash;
    for (let i = this.stack.length - 2; i >= 0; i--) acc = nodeHash(this.stack[i].hash, acc);
    return acc;
  }
}

/** The perfect subtrees (level, index) that make up the tree of `size` leaves, largest first. */
export function compactRange(size: number): { level: number; index: number }[] {
  const range: { level: number; index: number }[] = [];
  let start = 0;
  for (let width = 2 ** Math.floor(Math.log2(Math.max(size, 1))); width >= 1; width /= 2) {
    if (start + width > size) continue;
    range.push({ level: log2(width), index: start / width });
    start += width;
  }
  return range;
}

/**
 * Where proofs get their hashes: the root of the perfect subtree of 2^level leaves starting at leaf
 * index * 2^level. The store keeps every such node once it is complete.
 */
export type NodeSource = (level: number, index: number) => Buffer;

/** A NodeSource over leaf hashes in memory (tests, small trees). */
export function memoryNodes(leaves: readonly Buffer[]): NodeSource {
  return (level, index) => {
    const size = 2 ** level;
    const start = index * size;
    if (start + size > leaves.length) throw new RangeError(`no complete subtree ${level}/${index}`);
    return rootOfLeaves(leaves.slice(start, start + size));
  };
}

/** MTH(D[start : start + size]) from stored perfect subtrees: O(log size) lookups. */
export function subtreeRoot(nodes: NodeSource, start: number, size: number): Buffer {
  if (size === 0) return EMPTY_ROOT;
  if (isPowerOfTwo(size) && start % size === 0) return nodes(log2(size), start / size);
  const k = splitPoint(size);
  return nodeHash(subtreeRoot(nodes, start, k), subtreeRoot(nodes, start + k, size - k));
}

/** RFC 9162 §2.1.3.1: the inclusion proof (audit path) of leaf `index` in the tree of `size` leaves. */
export function inclusionProof(nodes: NodeSource, index: number, size: number): Buffer[] {
  checkIndex(index, size);
  const path: Buffer[] = [];
  const walk = (m: number, start: number, n: number): void => {
    if (n === 1) return;
    const k = splitPoint(n);
    if (m < k) {
      walk(m, start, k);
      path.push(subtreeRoot(nodes, start + k, n - k));
    } else {
      walk(m - k, start + k, n - k);
      path.push(subtreeRoot(nodes, start, k));
    }
  };
  walk(index, 0, size);
  return path;
}

/** RFC 9162 §2.1.4.1: the consistency proof between the trees of `first` and `second` leaves. */
export function consistencyProof(nodes: NodeSource, first: number, second: number): Buffer[] {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0 || first > second) {
    throw new RangeError(`no consistency proof from size ${first} to size ${second}`);
  }
  const proof: Buffer[] = [];
  if (first === 0 || first === second) return proof;
  const sub = (m: number, start: number, n: number, whole: boolean): void => {
    if (m === n) {
      if (!whole) proof.push(subtreeRoot(nodes, start, n));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      sub(m, start, k, whole);
      proof.push(subtreeRoot(nodes, start + k, n - k));
    } else {
      sub(m - k, start + k, n - k, false);
      proof.push(subtreeRoot(nodes, start, k));
    }
  };
  sub(first, 0, second, true);
  return proof;
}

function checkIndex(index: number, size: number): void {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    throw new RangeError(`leaf ${index} is not in a tree of size ${size}`);
  }
}

const odd = (n: number) => n % 2 === 1;
const half = (n: number) => Math.floor(n / 2);
const isHashBytes = (b: unknown): b is Buffer => Buffer.isBuffer(b) && b.length === HASH_BYTES;

/**
 * RFC 9162 §2.1.3.2: the root that an inclusion proof leads to, or undefined when the proof cannot
 * belong to a tree of `size` leaves (wrong length, index out of range, a malformed hash).
 */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leaf: Buffer,
  proof: readonly Buffer[],
): Buffer | undefined {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return;
  if (!isHashBytes(leaf) || !proof.every(isHashBytes)) return;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return;
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 ? r : undefined;
}

export function verifyInclusion(
  index: number,
  size: number,
  leaf: Buffer,
  proof: readonly Buffer[],
  root: Buffer,
): boolean {
  const computed = rootFromInclusionProof(index, size, leaf, proof);
  return computed !== undefined && isHashBytes(root) && computed.equals(root);
}

/** RFC 9162 §2.1.4.2, with the trivial cases (equal sizes, empty first tree) settled first. */
export function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Buffer,
  secondRoot: Buffer,
  proof: readonly Buffer[],
): boolean {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0 || first > second) {
    return false;
  }
  if (!proof.every(isHashBytes)) return false;
  if (first === second) return proof.length === 0 && firstRoot.equals(secondRoot);
  // Every tree extends the empty tree; there is nothing to prove.
  if (first === 0) return proof.length === 0;
  if (!isHashBytes(firstRoot) || !isHashBytes(secondRoot)) return false;
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && fr.equals(firstRoot) && sr.equals(secondRoot);
}

export const toHex = (b: Buffer): string => b.toString('hex');

/** Strict: 64 lower-case hex digits, else undefined. */
export function fromHex(text: unknown): Buffer | undefined {
  return typeof text === 'string' && /^[0-9a-f]{64}$/.test(text) ? Buffer.from(text, 'hex') : undefined;
}
