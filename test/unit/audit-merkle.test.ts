/**
 * The Merkle tree against the RFC 6962 reference test vectors (the ones the certificate-transparency
 * and transparency-dev/merkle projects test with: leaves, roots of sizes 1..8, inclusion and
 * consistency proofs), and against a naive implementation written straight from RFC 9162 §2.1.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  EMPTY_ROOT,
  TreeBuilder,
  consistencyProof,
  inclusionProof,
  leafHash,
  memoryNodes,
  nodeHash,
  rootFromInclusionProof,
  rootOfLeaves,
  splitPoint,
  subtreeRoot,
  verifyConsistency,
  verifyInclusion,
} from '../../src/audit/merkle';

const h = (hex: string) => Buffer.from(hex, 'hex');
const hexes = (list: Buffer[]) => list.map((b) => b.toString('hex'));

// Reference vectors (RFC 6962 test data as used by certificate-transparency / transparency-dev).
const LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(h);
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
/** [leaf index (0-based), tree size, proof] */
const INCLUSION: [number, number, string[]][] = [
  [
    0,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    5,
    8,
    [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [
    1,
    5,
    [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
];
/** [first size, second size, proof] */
const CONSISTENCY: [number, number, string[]][] = [
  [1, 1, []],
  [
    1,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    6,
    8,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [
    2,
    5,
    [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
  [
    6,
    7,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
];

const leafHashes = LEAVES.map((l) => leafHash(l));
const nodes = memoryNodes(leafHashes);

// ---- An independent, naive implementation of RFC 9162 §2.1, on arrays (no offsets, no sources). ----
const sha = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
const naiveLeaf = (d: Buffer) => sha(Buffer.from([0]), d);
function largestPow2Below(n: number): number {
  let k = 1;
  while (k << 1 < n) k <<= 1;
  return k;
}
function naiveMth(d: Buffer[]): Buffer {
  if (d.length === 0) return sha();
  if (d.length === 1) return naiveLeaf(d[0]);
  const k = largestPow2Below(d.length);
  return sha(Buffer.from([1]), naiveMth(d.slice(0, k)), naiveMth(d.slice(k)));
}
function naivePath(m: number, d: Buffer[]): Buffer[] {
  if (d.length === 1) return [];
  const k = largestPow2Below(d.length);
  return m < k
    ? [...naivePath(m, d.slice(0, k)), naiveMth(d.slice(k))]
    : [...naivePath(m - k, d.slice(k)), naiveMth(d.slice(0, k))];
}
function naiveSubproof(m: number, d: Buffer[], b: boolean): Buffer[] {
  if (m === d.length) return b ? [] : [naiveMth(d)];
  const k = largestPow2Below(d.length);
  return m <= k
    ? [...naiveSubproof(m, d.slice(0, k), b), naiveMth(d.slice(k))]
    : [...naiveSubproof(m - k, d.slice(k), false), naiveMth(d.slice(0, k))];
}

describe('Merkle tree (RFC 6962 reference vectors)', () => {
  it('hashes leaves and nodes with the 0x00 / 0x01 prefixes', () => {
    expect(leafHash(Buffer.alloc(0)).toString('hex')).toBe(ROOTS[0]);
    expect(nodeHash(leafHashes[0], leafHashes[1]).toString('hex')).toBe(ROOTS[1]);
    expect(EMPTY_ROOT.toString('hex')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it.each(ROOTS.map((root, i) => [i + 1, root] as const))('computes the root of %i leaves', (size, root) => {
    const leaves = leafHashes.slice(0, size);
    expect(rootOfLeaves(leaves).toString('hex')).toBe(root);
    expect(subtreeRoot(nodes, 0, size).toString('hex')).toBe(root);
    const builder = new TreeBuilder();
    for (const leaf of leaves) builder.push(leaf);
    expect(builder.root().toString('hex')).toBe(root);
  });

  it.each(INCLUSION)('generates and verifies the inclusion proof of leaf %i in %i', (index, size, proof) => {
    expect(hexes(inclusionProof(nodes, index, size))).toEqual(proof);
    expect(verifyInclusion(index, size, leafHashes[index], proof.map(h), h(ROOTS[size - 1]))).toBe(true);
  });

  it.each(CONSISTENCY)('generates and verifies the consistency proof %i → %i', (first, second, proof) => {
    expect(hexes(consistencyProof(nodes, first, second))).toEqual(proof);
    expect(verifyConsistency(first, second, h(ROOTS[first - 1]), h(ROOTS[second - 1]), proof.map(h))).toBe(
      true,
    );
  });

  it.each(INCLUSION)(
    'refuses every corruption of the inclusion proof of leaf %i in %i',
    (index, size, hexProof) => {
      const proof = hexProof.map(h);
      const root = h(ROOTS[size - 1]);
      const leaf = leafHashes[index];
      const some = h('abacaba000000000000000000000000000000000000000000060061e00123456');
      const probes: [number, number, Buffer, Buffer[], Buffer][] = [
        [index - 1, size, leaf, proof, root],
        [index + 1, size, leaf, proof, root],
        [index ^ 2, size, leaf, proof, root],
        [index, size * 2, leaf, proof, root],
        [index, Math.floor(size / 2), leaf, proof, root],
        [index, size, Buffer.from('WrongLeaf'), proof, root],
        [index, size, leaf, proof, EMPTY_ROOT],
        [index, size, leaf, proof, some],
        [index, size, leaf, [...proof, Buffer.alloc(0)], root],
        [index, size, leaf, [...proof, root], root],
        [index, size, leaf, [Buffer.alloc(0), ...proof], root],
        [index, size, leaf, [root, ...proof], root],
        [index, size, leaf, proof.slice(0, -1), root],
        [index, size, leaf, [proof[0], some, ...proof.slice(1)], root],
        ...proof.map((_, i): [number, number, Buffer, Buffer[], Buffer] => {
          const flipped = proof.map((p) => Buffer.from(p));
          flipped[i][0] ^= 8;
          return [index, size, leaf, flipped, root];
        }),
      ];
      for (const [i, n, l, p, r] of probes) expect(verifyInclusion(i, n, l, p, r)).toBe(false);
    },
  );

  it.each(CONSISTENCY.filter(([, , p]) => p.length > 0))(
    'refuses every corruption of the consistency proof %i → %i',
    (first, second, hexProof) => {
      const proof = hexProof.map(h);
      const r1 = h(ROOTS[first - 1]);
      const r2 = h(ROOTS[second - 1]);
      const probes: [number, number, Buffer, Buffer, Buffer[]][] = [
        [first - 1, second, r1, r2, proof],
        [first + 1, second, r1, r2, proof],
        [first ^ 2, second, r1, r2, proof],
        [first, second * 2, r1, r2, proof],
        [first, Math.floor(second / 2), r1, r2, proof],
        [first, second, Buffer.from('WrongRoot'), r2, proof],
        [first, second, r1, Buffer.from('WrongRoot'), proof],
        [first, second, r2, r1, proof],
        [first, second, r1, r2, []],
        [first, second, r1, r2, [...proof, Buffer.alloc(0)]],
        [first, second, r1, r2, [...proof, r1]],
        [first, second, r1, r2, [...proof, r2]],
        [first, second, r1, r2, [Buffer.alloc(0), ...proof]],
        [first, second, r1, r2, [r1, ...proof]],
        [first, second, r1, r2, [r2, ...proof]],
        [first, second, r1, r2, [proof[0], ...proof]],
        [first, second, r1, r2, proof.slice(0, -1)],
        ...proof.map((_, i): [number, number, Buffer, Buffer, Buffer[]] => {
          const flipped = proof.map((p) => Buffer.from(p));
          flipped[i][0] ^= 16;
          return [first, second, r1, r2, flipped];
        }),
      ];
      for (const [a, b, x, y, p] of probes) expect(verifyConsistency(a, b, x, y, p)).toBe(false);
    },
  );

  it('settles the trivial consistency cases as RFC 9162 and the reference verifier do', () => {
    const a = Buffer.from("don't care 1");
    const b = Buffer.from("don't care 2");
    expect(verifyConsistency(0, 0, a, a, [])).toBe(true);
    expect(verifyConsistency(0, 1, a, b, [])).toBe(true);
    expect(verifyConsistency(1, 1, b, b, [])).toBe(true);
    expect(verifyConsistency(0, 0, a, b, [])).toBe(false);
    expect(verifyConsistency(1, 0, a, b, [])).toBe(false);
    expect(verifyConsistency(2, 1, a, b, [])).toBe(false);
    expect(verifyConsistency(1, 2, a, b, [])).toBe(false);
    expect(verifyConsistency(0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])).toBe(false);
    expect(verifyConsistency(1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])).toBe(false);
  });

  it('refuses out-of-range inclusion probes', () => {
    const some = h(ROOTS[0]);
    for (const [i, n] of [
      [0, 0],
      [1, 0],
      [2, 1],
    ]) {
      expect(rootFromInclusionProof(i, n, some, [])).toBeUndefined();
    }
    expect(verifyInclusion(0, 1, some, [], some)).toBe(true);
    expect(() => inclusionProof(nodes, 8, 8)).toThrow(RangeError);
    expect(() => consistencyProof(nodes, 5, 4)).toThrow(RangeError);
    expect(() => splitPoint(1)).toThrow(RangeError);
  });
});

describe('Merkle tree against a naive RFC 9162 implementation', () => {
  const data = fc.array(fc.uint8Array({ maxLength: 8 }), { minLength: 1, maxLength: 70 });

  it('agrees on roots, inclusion and consistency proofs, and each verifies', () => {
    fc.assert(
      fc.property(data, fc.nat(), fc.nat(), (raw, a, b) => {
        const d = raw.map((x) => Buffer.from(x));
        const leaves = d.map((x) => leafHash(x));
        const src = memoryNodes(leaves);
        const n = d.length;
        const root = naiveMth(d);
        const builder = new TreeBuilder();
        leaves.forEach((l) => builder.push(l));
        expect(builder.root()).toEqual(root);
        expect(subtreeRoot(src, 0, n)).toEqual(root);

        const m = a % n;
        const path = inclusionProof(src, m, n);
        expect(hexes(path)).toEqual(hexes(naivePath(m, d)));
        expect(verifyInclusion(m, n, leaves[m], path, root)).toBe(true);
        // (With repeated data another index can hold the same leaf, and then it rightly verifies.)
        const distinct = new Set(leaves.map((l) => l.toString('hex'))).size === n;
        if (n > 1 && distinct) expect(verifyInclusion((m + 1) % n, n, leaves[m], path, root)).toBe(false);

        const first = 1 + (b % n);
        const proof = consistencyProof(src, first, n);
        expect(hexes(proof)).toEqual(hexes(first === n ? [] : naiveSubproof(first, d, true)));
        const firstRoot = naiveMth(d.slice(0, first));
        expect(verifyConsistency(first, n, firstRoot, root, proof)).toBe(true);
        if (first < n) expect(verifyConsistency(first, n, root, firstRoot, proof)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('handles tree sizes beyond 32 bits in the verifier arithmetic', () => {
    // A right-most leaf of a 2^33 + 1 tree: the path is one hash (the left perfect subtree).
    const leaf = leafHash('x');
    const left = h(ROOTS[7]);
    const size = 2 ** 33 + 1;
    const root = rootFromInclusionProof(size - 1, size, leaf, [left]);
    expect(root).toEqual(nodeHash(left, leaf));
  });
});
