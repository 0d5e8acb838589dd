/**
 * The log's append rules, apart from any store: a plan chains its entries, makes the Merkle leaves and
 * the nodes they complete, and a tip rebuilt from the head and the frontier alone continues the tree
 * exactly as one carried in memory — which is what lets any store (and any instance) append.
 */
import { frontier, planAppend, tipOf, type TreeNodeRow } from '../../src/audit/append-plan';
import { GENESIS_HASH } from '../../src/audit/chain';
import { memoryNodes, leafHash, rootOfLeaves, subtreeRoot } from '../../src/audit/merkle';
import type { AuditEventInput } from '../../src/audit/types';

const event = (i: number): AuditEventInput => ({
  type: 'lookup',
  actor: { userId: `u${i}`, partnerId: 'police-nl' },
  partners: ['police-nl'],
  outcome: 'permit',
  data: { i, identifierHashes: [String(i % 10).repeat(64)] },
});

describe('frontier', () => {
  it('names the roots of the perfect subtrees the tree is made of: the left siblings to come', () => {
    expect(frontier(0)).toEqual([]);
    expect(frontier(1)).toEqual([{ level: 0, index: 0 }]);
    // Leaves 0–5: the perfect subtrees [0,4) and [4,6) are what leaves 6 and 7 will hang their parents on.
    expect(frontier(6)).toEqual([
      { level: 1, index: 2 },
      { level: 2, index: 0 },
    ]);
    expect(frontier(7)).toEqual([
      { level: 0, index: 6 },
      { level: 1, index: 2 },
      { level: 2, index: 0 },
    ]);
    expect(frontier(8)).toEqual([{ level: 3, index: 0 }]);
  });
});

describe('planAppend', () => {
  it('chains entries from the genesis hash, leaves them in the tree, and lists their keyed hashes', () => {
    const plan = planAppend(tipOf(undefined, []), [event(1), event(2), event(3)], '2026-12-04T10:00:00Z');
    expect(plan.entries.map((e) => e.entry.seq)).toEqual([1, 2, 3]);
    expect(plan.entries[0].entry.prevHash).toBe(GENESIS_HASH);
    expect(plan.entries[1].entry.prevHash).toBe(plan.entries[0].entry.hash);
    expect(plan.entries[1].nodes.map((n) => [n.level, n.index])).toEqual([
      [0, 1],
      [1, 0],
    ]);
    expect(plan.entries[1].nodes[0].hash).toEqual(leafHash(plan.entries[1].bytes));
    expect(plan.entries[2].keyedHashes).toEqual(['3'.repeat(64)]);
    expect(plan.tip.seq).toBe(3);
  });

  it('never goes back in time: a clock set back keeps the previous entry’s ts', () => {
    const first = planAppend(tipOf(undefined, []), [event(1)], '2026-12-04T10:00:00Z');
    const next = planAppend(first.tip, [event(2)], '2026-12-04T09:00:00Z');
    expect(next.entries[0].entry.ts).toBe('2026-12-04T10:00:00Z');
  });

  it('from a tip rebuilt from the stored head and frontier, continues exactly as from memory', () => {
    const stored = new Map<string, TreeNodeRow>();
    let tip = tipOf(undefined, []);
    const leaves: Buffer[] = [];
    for (let size = 0; size < 40; size++) {
      // Every other append starts cold, from what a store holds: the head and the frontier's nodes.
      if (size % 2 === 0 && size > 0) {
        const last = tip;
        tip = tipOf(
          { seq: last.seq, hash: last.hash, ts: last.ts! },
          frontier(size).map(({ level, index }) => stored.get(`${level}/${index}`)!),
        );
      }
      const plan = planAppend(tip, [event(size + 1)], '2026-12-04T10:00:00Z');
      for (const node of plan.entries[0].nodes) stored.set(`${node.level}/${node.index}`, node);
      leaves.push(plan.entries[0].nodes[0].hash);
      tip = plan.tip;
      // The stored nodes give the same root as the leaves alone.
      const nodes = memoryNodes(leaves);
      expect(subtreeRoot((l, i) => stored.get(`${l}/${i}`)?.hash ?? nodes(l, i), 0, leaves.length)).toEqual(
        rootOfLeaves(leaves),
      );
    }
    // Every complete node is stored: a power-of-two tree's root is one stored node.
    expect(stored.get('5/0')?.hash).toEqual(rootOfLeaves(leaves.slice(0, 32)));
  });

  it('refuses a tip whose frontier is not the tree’s (a store that read the wrong node)', () => {
    const plan = planAppend(tipOf(undefined, []), [event(1)], '2026-12-04T10:00:00Z');
    const wrong = { ...plan.tip, edge: [{ level: 0, index: 5, hash: Buffer.alloc(32) }] };
    expect(() => planAppend(wrong, [event(2)], '2026-12-04T10:00:00Z')).toThrow(/Merkle node 0\/0/);
  });
});
