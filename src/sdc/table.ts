/**
 * Build an aggregate table from contributions, check it (rules.ts) and protect it (suppress.ts,
 * round.ts). Pure: no I/O, no clock, no randomness; the same input always gives the same table.
 *
 * Shape
 * - Dimension values are the values observed in the contributions, sorted by UTF-16 code units; the
 *   cells are their full cartesian product (row-major), so unobserved combinations appear as 0 cells
 *   with 0 contributors. At most 100 000 cells (RangeError beyond).
 * - Margins: 2-D tables publish row totals, column totals and the grand total; 1-D tables and tables of
 *   more than 2 dimensions publish only the grand total (>2-D tables are FLATTENED: their cells form one
 *   additive line with the grand total; lower-order sub-totals are not published, which is the
 *   limitation: callers wanting them must request them as separate tables, and protection across
 *   separately requested tables is not coordinated). groupBy [] gives one cell (key []) equal to the total.
 * - Margins are checked with the same primary rules as cells (on all their contributions), so a
 *   disclosive margin (e.g. below the threshold, or dominated) is suppressed too.
 * - Published totals are TRUE totals (the sum over all cells of the line, suppressed ones included),
 *   checked like a cell and, after 'round', rounded on their own like a cell. (Never the sum of the
 *   rounded cells: 42 cells of 1 would publish a total of 0.) Without rounding the table is exactly
 *   additive; secondary suppression (suppress.ts) makes sure that no suppressed entry is determined by
 *   the lines' equations, and `recoverable` (check.ts) audits that; rounded totals only blur those
 *   equations further. (ACRO instead recomputes totals after deleting the suppressed cells' records,
 *   so its totals understate the population; it has no secondary suppression.)
 * - rules.totals 'none': no margins are published (TableResult.totals 'none'), so the cells stand in no
 *   equation: failing cells are suppressed and no complement is needed.
 *
 * Actions, applied in the given order
 * - 'suppress': every entry failing a primary check gets value null (status 'suppressed', its primary
 *   reasons), then complements are suppressed with reason SDC_SECONDARY until nothing is recoverable.
 *   Complements are the smallest entries by their CURRENT value (rounded if 'round' ran first).
 * - 'round': every cell and every total is rounded half-up to roundingBase, each from its own true value
 *   (status 'rounded'). Rounding does NOT cure a primary failure.
 * - So ['suppress','round'] and ['round','suppress'] suppress the same primary cells and publish the
 *   same rounded values; they can differ only in which complements are chosen (ties and near-ties in
 *   value). ['round'] alone publishes the failing cells rounded and the outcome is 'fail'. [] publishes
 *   the true table and only reports.
 * - 'withhold' (alone): if any entry fails a primary check, every value is null (status 'suppressed') and
 *   `applied` is ['withhold']; otherwise the true table is published and `applied` is [].
 *
 * Outcome
 * - 'fail' first: a primary failure other than a negative or missing value is still published (no
 *   'suppress' action), or no complement could protect a suppressed entry (only in degenerate, e.g.
 *   empty, tables). A reviewer is never asked to release a disclosive entry.
 * - 'review' next: some contribution is negative, or missing (checkMissingValues): a human must decide.
 *   Those cells are treated as failing for the actions, so the table produced is the conservative one.
 * - 'fail' also when the table was withheld, or a negative or missing value is published unreviewed.
 * - 'pass': nothing disclosive is published.
 *
 * Labels (publishedView)
 * - A category's label is published only when it labels a published entry with contributors (a cell,
 *   or a row or column total of a 2-D table); since every published entry passed the primary checks,
 *   each label shown stands for at least `threshold` contributors. Every other category is dropped:
 *   its label leaves nowhere (dimensions, cell keys, margins) and `hiddenCategories` counts the dropped
 *   categories of each dimension. (A category with a published 0 cell only, zeros not disclosive, is
 *   dropped too: its label alone would say that it exists.)
 * - SDC stays sound: dropping removes only suppressed entries and such zeros, never changes a published
 *   value, and totals stay the true totals (dropped categories included). An intruder's equations are
 *   those of the full table with fewer knowns and no names, so no entry that secondary suppression
 *   protected becomes determined (an entry in the row space of fewer knowns was in it before).
 *
 * The TableResult is the audit record (contributors, reasons): release only `publishedView(table)`.
 */
import { evaluateCell, resolveRules } from './rules';
import type { CellStats } from './rules';
import { roundHalfUp } from './round';
import { protectGrid, protectLine } from './suppress';
import type { ProtectEntry } from './suppress';
import type {
  SdcSettings,
  CellResult,
  Contribution,
  Measure,
  PublishedCell,
  PublishedTable,
  SdcAction,
  SdcReason,
  TableResult,
} from './types';

export const MAX_CELLS = 100_000;

type Kind = 'cell' | 'row' | 'column' | 'total';

interface Entry {
  kind: Kind;
  key: string[];
  stats: CellStats & { values: number[] };
  trueValue: number;
  current: number;
  primary: SdcReason[];
  suppressed: boolean;
  secondary: boolean;
}

const SECONDARY: SdcReason = {
  code: 'SDC_SECONDARY',
  message: 'suppressed as a complement so that no suppressed value can be derived from the published totals',
};

export function aggregate(
  contributions: Iterable<Contribution>,
  groupBy: string[],
  measure: Measure,
  rules?: SdcSettings,
): TableResult {
  const r = resolveRules(rules);
  if (!Array.isArray(groupBy) || groupBy.some((g) => typeof g !== 'string')) {
    throw new TypeError('groupBy must be an array of strings');
  }
  if (measure !== 'count' && !(typeof measure === 'object' && typeof measure?.sum === 'string')) {
    throw new TypeError("measure must be 'count' or { sum: string }");
  }
  const isSum = measure !== 'count';
  const d = groupBy.length;

  // collect
  const records: Array<{ group: string[]; value: number | null }> = [];
  const seen = groupBy.map(() => new Set<string>());
  for (const c of contributions) {
    if (!c || !Array.isArray(c.group) || c.group.length !== d) {
      throw new TypeError(`every contribution needs a group of ${d} value(s)`);
    }
    c.group.forEach((g, i) => {
      if (typeof g !== 'string') throw new TypeError('group values must be strings');
      (seen[i] as Set<string>).add(g);
    });
    records.push({ group: c.group, value: isSum ? measureValue(c.value) : null });
  }
  const dimensions = seen.map((s) => [...s].sort(byCodeUnit));
  const size = dimensions.reduce((p, vs) => p * vs.length, 1);
  if (size > MAX_CELLS) throw new RangeError(`table would have ${size} cells, more than ${MAX_CELLS}`);

  // cells, row-major
  const position = dimensions.map((vs) => new Map(vs.map((v, i) => [v, i])));
  const stats = Array.from({ length: size }, () => ({ contributors: 0, values: [] as number[], missing: 0 }));
  for (const rec of records) {
    let idx = 0;
    rec.group.forEach((g, i) => {
      idx =
        idx * (dimensions[i] as string[]).length + ((position[i] as Map<string, number>).get(g) as number);
    });
    const s = stats[idx] as Entry['stats'];
    if (!isSum) s.contributors++;
    else if (rec.value === null) s.missing++;
    else {
      s.contributors++;
      s.values.push(rec.value);
    }
  }
  const valueOf = (s: Entry['stats']) => (isSum ? s.values.reduce((a, v) => a + v, 0) : s.contributors);
  const entry = (kind: Kind, key: string[], s: Entry['stats'], trueValue: number): Entry => ({
    kind,
    key,
    stats: s,
    trueValue,
    current: trueValue,
    primary: evaluateCell(s, measure, r),
    suppressed: false,
    secondary: false,
  });
  const cells = stats.map((s, idx) => entry('cell', keyOf(idx, dimensions), s, valueOf(s)));

  // margins
  const grid = d === 2;
  const R = grid ? (dimensions[0] as string[]).length : 0;
  const C = grid ? (dimensions[1] as string[]).length : 0;
  const cellAt = (i: number, j: number) => cells[i * C + j] as Entry;
  const marginOf = (kind: Kind, key: string[], members: Entry[]) =>
    entry(
      kind,
      key,
      merge(members.map((m) => m.stats)),
      members.reduce((a, m) => a + m.trueValue, 0),
    );
  const rows = grid
    ? (dimensions[0] as string[]).map((v, i) =>
        marginOf(
          'row',
          [v],
          Array.from({ length: C }, (_, j) => cellAt(i, j)),
        ),
      )
    : [];
  const columns = grid
    ? (dimensions[1] as string[]).map((v, j) =>
        marginOf(
          'column',
          [v],
          Array.from({ length: R }, (_, i) => cellAt(i, j)),
        ),
      )
    : [];
  const total = marginOf('total', [], cells);
  const margins = [...rows, ...columns, total];
  const withTotals = r.totals === 'published';
  // Unpublished margins are never released, so they neither fail the table nor need protecting.
  const all = withTotals ? [...cells, ...margins] : cells;
  const failing = (e: Entry) => e.primary.length > 0;

  // actions
  const applied: SdcAction[] = [];
  let rounded = false;
  let safe = true;
  let withheld = false;
  for (const action of r.actions as SdcAction[]) {
    if (action === 'withhold') {
      if (all.some(failing)) {
        withheld = true;
        applied.push('withhold');
      }
    } else if (action === 'round') {
      for (const c of cells) c.current = roundHalfUp(c.current, r.roundingBase);
      // A total is rounded from its true value, on its own, like a cell.
      for (const m of margins) m.current = roundHalfUp(m.trueValue, r.roundingBase);
      rounded = true;
      applied.push('round');
    } else {
      for (const e of all) if (failing(e)) e.suppressed = true;
      const tier = (e: Entry) => (e.kind === 'cell' ? 0 : e.kind === 'total' ? 2 : 1);
      const problem = (e: Entry): ProtectEntry => ({
        suppressed: e.suppressed,
        tier: tier(e),
        cost: e.current,
      });
      if (!withTotals) {
        // no published equation: nothing suppressed can be derived, no complement needed
      } else if (grid) {
        const ext: Entry[][] = Array.from({ length: R + 1 }, (_, i) =>
          Array.from({ length: C + 1 }, (_, j) =>
            i < R && j < C
              ? cellAt(i, j)
              : i < R
                ? (rows[i] as Entry)
                : j < C
                  ? (columns[j] as Entry)
                  : total,
          ),
        );
        const res = protectGrid(ext.map((row) => row.map(problem)));
        for (const [i, j] of res.added) markSecondary((ext[i] as Entry[])[j] as Entry);
        safe = res.safe;
      } else {
        const line = [...cells, total];
        const res = protectLine(line.map(problem));
        for (const i of res.added) markSecondary(line[i] as Entry);
        safe = res.safe;
      }
      applied.push('suppress');
    }
  }

  const flagged = (p: SdcReason) => p.code === 'SDC_NEGATIVE' || p.code === 'SDC_MISSING';
  const review = all.some((e) => e.primary.some(flagged));
  const exposed = all.some((e) => failing(e) && !e.suppressed);
  // A reviewer decides about negative and missing values, never about a published disclosive entry.
  const disclosive =
    !safe || (!withheld && all.some((e) => !e.suppressed && e.primary.some((p) => !flagged(p))));
  const outcome: TableResult['outcome'] = disclosive
    ? 'fail'
    : review
      ? 'review'
      : withheld || exposed
        ? 'fail'
        : 'pass';

  const result = (e: Entry): CellResult => {
    const unpublished = e.kind !== 'cell' && !withTotals;
    const hidden = withheld || e.suppressed || unpublished;
    return {
      key: [...e.key],
      contributors: e.stats.contributors,
      value: hidden ? null : e.current,
      status: hidden ? 'suppressed' : rounded ? 'rounded' : 'ok',
      reasons: unpublished ? [] : [...e.primary, ...(e.secondary && !withheld ? [SECONDARY] : [])],
    };
  };
  return {
    groupBy: [...groupBy],
    measure,
    dimensions,
    cells: cells.map(result),
    margins: grid
      ? { rows: rows.map(result), columns: columns.map(result), total: result(total) }
      : { total: result(total) },
    outcome,
    applied,
    ...(withTotals ? {} : { totals: 'none' as const }),
  };
}

function markSecondary(e: Entry): void {
  e.suppressed = true;
  e.secondary = true;
}

/**
 * What may leave the gateway: keys, values and statuses only, and only the labels the label rule
 * allows (see the module comment). Contributor counts (which for a count table ARE the values,
 * suppressed ones included) and reasons (which tell primary from secondary suppressions) are dropped.
 * A table that failed, or needs review and has not been reviewed, publishes nothing: withheld: true,
 * no cells and no labels.
 */
export function publishedView(table: TableResult, opts: { reviewed?: boolean } = {}): PublishedTable {
  const releasable = table.outcome === 'pass' || (table.outcome === 'review' && opts.reviewed === true);
  const withheld = !releasable || table.applied.includes('withhold');
  const pub = (c: CellResult): PublishedCell => ({ key: [...c.key], value: c.value, status: c.status });
  const base = { groupBy: [...table.groupBy], measure: table.measure };
  if (withheld) {
    return {
      ...base,
      dimensions: table.groupBy.map(() => []),
      withheld: true,
      cells: [],
      margins: { total: null },
    };
  }
  const shown = shownCategories(table);
  const labelled = (dimension: number) => (c: CellResult) => shown[dimension].has(c.key[0]);
  const { rows, columns, total } = table.margins;
  return {
    ...base,
    dimensions: table.dimensions.map((values, i) => values.filter((v) => shown[i].has(v))),
    hiddenCategories: table.dimensions.map((values, i) => values.length - shown[i].size),
    withheld: false,
    cells: table.cells.filter((c) => c.key.every((v, i) => shown[i].has(v))).map(pub),
    margins:
      table.totals === 'none'
        ? { total: null }
        : {
            ...(rows ? { rows: rows.filter(labelled(0)).map(pub) } : {}),
            ...(columns ? { columns: columns.filter(labelled(1)).map(pub) } : {}),
            total: pub(total),
          },
  };
}

/**
 * Per dimension, the categories whose label may leave: each labels a published entry (a cell, or in a
 * 2-D table its row or column total) that has contributors. A published entry passed the primary
 * checks, so a label shown stands for at least `threshold` contributors.
 */
function shownCategories(table: TableResult): Array<Set<string>> {
  const shown = table.dimensions.map(() => new Set<string>());
  const counts = (c: CellResult) => c.value !== null && c.contributors > 0;
  for (const c of table.cells) if (counts(c)) c.key.forEach((v, i) => shown[i].add(v));
  for (const r of table.margins.rows ?? []) if (counts(r)) shown[0].add(r.key[0]);
  for (const c of table.margins.columns ?? []) if (counts(c)) shown[1].add(c.key[0]);
  return shown;
}

function measureValue(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'number') throw new TypeError('a contribution value must be a number, null or undefined');
  return Number.isFinite(v) ? v : null; // NaN and +-Infinity count as missing
}

function merge(list: Array<Entry['stats']>): Entry['stats'] {
  return {
    contributors: list.reduce((a, s) => a + s.contributors, 0),
    values: list.flatMap((s) => s.values),
    missing: list.reduce((a, s) => a + s.missing, 0),
  };
}

function keyOf(idx: number, dimensions: string[][]): string[] {
  const key: string[] = new Array<string>(dimensions.length);
  for (let i = dimensions.length - 1; i >= 0; i--) {
    const vs = dimensions[i] as string[];
    key[i] = vs[idx % vs.length] as string;
    idx = Math.floor(idx / vs.length);
  }
  return key;
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
