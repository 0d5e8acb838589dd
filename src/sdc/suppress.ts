/**
 * Secondary suppression: choose complementary suppressions so that no suppressed entry can be derived
 * from the published values and the additivity of the table (rows/columns summing to their totals).
 *
 * 2-D tables are handled as the EXTENDED grid of (R+1) x (C+1) entries: the R x C cells, the row totals
 * as an extra column, the column totals as an extra row and the grand total in the corner. Every line of
 * that grid carries one linear equation (cells of a row = its row total; row totals = grand total; ...);
 * after flipping the sign of the margins each entry appears with coefficient 1 in exactly one row and one
 * column equation, so the suppressed entries are the edges of a bipartite graph (lines as nodes) and a
 * suppressed entry is uniquely determined by the published values exactly when its edge is a BRIDGE of
 * that graph (it lies on no cycle). The algorithm:
 *   1. degree step (the classic rule): every line that holds exactly one suppressed entry gets the
 *      cheapest published entry of that line as a complement; repeat until stable;
 *   2. bridge step: the degree rule is not sufficient (two suppressed "rectangles" joined by one cell
 *      satisfy it, yet that cell is determined), so find the bridges; for one bridge, suppress the
 *      cheapest entry that closes a cycle through it (a row on one side, a column on the other);
 *   3. repeat 1-2 until there is no bridge. Each round adds an entry, so it terminates; the all-suppressed
 *      grid of at least 2 x 2 has no bridge.
 * "Cheapest": lowest tier (interior cells 0, row/column totals 1, grand total 2), then smallest current
 * value, then position. check.ts verifies the result independently with Gaussian elimination.
 *
 * Other tables (1-D, 0-D and flattened >2-D) publish a single equation, cells = grand total: a suppressed
 * entry is determined exactly when it is the only suppressed entry of that line, so one complement (the
 * smallest cell, else the total) is enough.
 *
 * Limitation: protection is against EXACT recovery by linear algebra. Interval (bounds) attacks using
 * non-negativity, e.g. a complement that is a known structural zero, are not assessed (no tau-ARGUS
 * style protection intervals); choosing the smallest complements minimises information loss, not the
 * width of what an intruder can bound.
 */

/** One entry of a protection problem. */
export interface ProtectEntry {
  suppressed: boolean;
  /** Preference class as a complement: lower is chosen first. */
  tier: number;
  /** Cost within a tier: the entry's current value (smaller is chosen first). */
  cost: number;
}

export interface GridProtection {
  suppressed: boolean[][];
  /** Complements added, in the order chosen, as [row, column] of the extended grid. */
  added: Array<[number, number]>;
  /** False only when no complement exists (a degenerate grid with a single line entry). */
  safe: boolean;
}

export interface LineProtection {
  suppressed: boolean[];
  added: number[];
  safe: boolean;
}

function cheaper(a: ProtectEntry, b: ProtectEntry): boolean {
  return a.tier !== b.tier ? a.tier < b.tier : a.cost < b.cost;
}

/** Protect a single additive line (cells plus their total). */
export function protectLine(entries: ProtectEntry[]): LineProtection {
  const suppressed = entries.map((e) => e.suppressed);
  const count = suppressed.filter(Boolean).length;
  if (count !== 1) return { suppressed, added: [], safe: true };
  let best = -1;
  entries.forEach((e, i) => {
    if (!suppressed[i] && (best < 0 || cheaper(e, entries[best] as ProtectEntry))) best = i;
  });
  if (best < 0) return { suppressed, added: [], safe: false };
  suppressed[best] = true;
  return { suppressed, added: [best], safe: true };
}

/**
 * The suppressed entries of an extended grid that are determined by the line equations (the bridges of
 * the bipartite line graph), as [row, column]. Empty means no suppressed entry can be recovered.
 */
export function gridDetermined(suppressed: boolean[][]): Array<[number, number]> {
  const m = suppressed.length;
  const n = m > 0 ? (suppressed[0] as boolean[]).length : 0;
  const edges: Array<[number, number]> = [];
  const adj: Array<Array<[number, number]>> = Array.from({ length: m + n }, () => []);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      if (!(suppressed[i] as boolean[])[j]) continue;
      const id = edges.length;
      edges.push([i, j]);
      (adj[i] as Array<[number, number]>).push([m + j, id]);
      (adj[m + j] as Array<[number, number]>).push([i, id]);
    }
  }
  const disc = new Array<number>(m + n).fill(0);
  const low = new Array<number>(m + n).fill(0);
  const bridges: Array<[number, number]> = [];
  let timer = 0;
  // Iterative Tarjan (no recursion limit on large tables).
  for (let root = 0; root < m + n; root++) {
    if (disc[root] !== 0) continue;
    const stack: Array<{ node: number; parentEdge: number; next: number }> = [
      { node: root, parentEdge: -1, next: 0 },
    ];
    disc[root] = low[root] = ++timer;
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as { node: number; parentEdge: number; next: number };
      const nbrs = adj[frame.node] as Array<[number, number]>;
      if (frame.next < nbrs.length) {
        const [v, id] = nbrs[frame.next++] as [number, number];
        if (id === frame.parentEdge) continue;
        if (disc[v] !== 0) {
          low[frame.node] = Math.min(low[frame.node] as number, disc[v] as number);
        } else {
          disc[v] = low[v] = ++timer;
          stack.push({ node: v, parentEdge: id, next: 0 });
        }
      } else {
        stack.pop();
        const parent = stack[stack.length - 1];
        if (parent) {
          low[parent.node] = Math.min(low[parent.node] as number, low[frame.node] as number);
          if ((low[frame.node] as number) > (disc[parent.node] as number)) {
            bridges.push(edges[frame.parentEdge] as [number, number]);
          }
        }
      }
    }
  }
  return bridges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

/** Protect an extended grid (see the module comment); does not modify its input. */
export function protectGrid(grid: ProtectEntry[][]): GridProtection {
  const m = grid.length;
  const n = m > 0 ? (grid[0] as ProtectEntry[]).length : 0;
  const at = (i: number, j: number) => (grid[i] as ProtectEntry[])[j] as ProtectEntry;
  const suppressed = grid.map((row) => row.map((e) => e.suppressed));
  const isSup = (i: number, j: number) => (suppressed[i] as boolean[])[j] as boolean;
  const added: Array<[number, number]> = [];
  const add = (i: number, j: number) => {
    (suppressed[i] as boolean[])[j] = true;
    added.push([i, j]);
  };
  const pick = (cands: Array<[number, number]>): [number, number] | undefined => {
    let best: [number, number] | undefined;
    for (const c of cands) {
      if (!best || cheaper(at(c[0], c[1]), at(best[0], best[1]))) best = c;
    }
    return best;
  };

  for (;;) {
    // 1. degree step
    let changed = true;
    while (changed) {
      changed = false;
      for (let i = 0; i < m; i++) {
        const line: Array<[number, number]> = Array.from({ length: n }, (_, j) => [i, j]);
        const r = fixLine(line);
        if (r === 'stuck') return { suppressed, added, safe: false };
        changed ||= r;
      }
      for (let j = 0; j < n; j++) {
        const line: Array<[number, number]> = Array.from({ length: m }, (_, i) => [i, j]);
        const r = fixLine(line);
        if (r === 'stuck') return { suppressed, added, safe: false };
        changed ||= r;
      }
    }
    // 2. bridge step
    const bridges = gridDetermined(suppressed);
    const bridge = bridges[0];
    if (!bridge) return { suppressed, added, safe: true };
    const [bi, bj] = bridge;
    (suppressed[bi] as boolean[])[bj] = false; // remove the bridge to split its component
    const rowSide = component(suppressed, 'r', bi);
    const colSide = component(suppressed, 'c', bj);
    (suppressed[bi] as boolean[])[bj] = true;
    const cands: Array<[number, number]> = [];
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        // a row on the column's side and a column on the row's side closes a cycle through the bridge
        if (colSide.rows.has(i) && rowSide.cols.has(j) && !isSup(i, j)) cands.push([i, j]);
      }
    }
    const best = pick(cands);
    if (!best) return { suppressed, added, safe: false };
    add(best[0], best[1]);
  }

  function fixLine(line: Array<[number, number]>): boolean | 'stuck' {
    const count = line.filter(([i, j]) => isSup(i, j)).length;
    if (count !== 1) return false;
    const best = pick(line.filter(([i, j]) => !isSup(i, j)));
    if (!best) return 'stuck';
    add(best[0], best[1]);
    return true;
  }
}

/** Rows and columns reachable from a row or column through suppressed entries. */
function component(
  suppressed: boolean[][],
  kind: 'r' | 'c',
  start: number,
): { rows: Set<number>; cols: Set<number> } {
  const m = suppressed.length;
  const n = m > 0 ? (suppressed[0] as boolean[]).length : 0;
  const rows = new Set<number>(kind === 'r' ? [start] : []);
  const cols = new Set<number>(kind === 'c' ? [start] : []);
  const queue: Array<['r' | 'c', number]> = [[kind, start]];
  while (queue.length > 0) {
    const [kind, x] = queue.shift() as ['r' | 'c', number];
    if (kind === 'r') {
      for (let j = 0; j < n; j++) {
        if ((suppressed[x] as boolean[])[j] && !cols.has(j)) {
          cols.add(j);
          queue.push(['c', j]);
        }
      }
    } else {
      for (let i = 0; i < m; i++) {
        if ((suppressed[i] as boolean[])[x] && !rows.has(i)) {
          rows.add(i);
          queue.push(['r', i]);
        }
      }
    }
  }
  return { rows, cols };
}
