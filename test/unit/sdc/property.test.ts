/**
 * Properties over random small 2-D tables: after suppression nothing is recoverable, every primary
 * failure is hidden, and published totals are the true (or rounded-cell) totals of their lines, equal
 * to the sum of the published cells exactly where no cell of the line is suppressed. Plus a cross-check
 * of the two independent recoverability tests (graph bridges vs exact Gaussian elimination), and the
 * label rule of the published view.
 */
import fc from 'fast-check';
import {
  aggregate,
  determinedEntries,
  gridDetermined,
  publishedView,
  recoverable,
  roundHalfUp,
} from '../../../src/sdc';
import type { CellResult, Contribution, EntryRef, SdcRules, TableResult } from '../../../src/sdc';
import { lines } from './fixtures';

const ROWS = ['Bayliner', 'Beneteau', 'Jeanneau', 'Quicksilver'];
const COLS = ['2026-01', '2026-02', '2026-03', '2026-04'];

/** Per cell, the list of contributed values: many small cells, some dominated ones, some empty. */
const tableArb = fc
  .record({ r: fc.integer({ min: 1, max: 4 }), c: fc.integer({ min: 1, max: 4 }) })
  .chain(({ r, c }) =>
    fc.array(
      fc.array(
        fc.array(fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constant(500)), {
          minLength: 0,
          maxLength: 24,
        }),
        { minLength: c, maxLength: c },
      ),
      { minLength: r, maxLength: r },
    ),
  );

function contributionsOf(grid: number[][][]): Contribution[] {
  return grid.flatMap((row, i) =>
    row.flatMap((values, j) =>
      values.map((value) => ({ group: [ROWS[i] as string, COLS[j] as string], value })),
    ),
  );
}

const isPrimary = (c: CellResult) => c.reasons.some((r) => r.code !== 'SDC_SECONDARY');

function checkTable(t: TableResult, truth: Map<string, number>, base: number | null): void {
  expect(t.outcome).toBe('pass');
  expect(recoverable(t)).toBe(false);
  const all = [...t.cells, ...(t.margins.rows ?? []), ...(t.margins.columns ?? []), t.margins.total];
  for (const e of all) if (isPrimary(e)) expect(e.value).toBeNull();

  const rounded = (v: number) => (base === null ? v : roundHalfUp(v, base));
  const cellTruth = new Map(t.cells.map((c) => [c.key.join('|'), truth.get(c.key.join('|')) ?? 0]));
  const marginTruth = (m: CellResult, kind: 'row' | 'column' | 'total') =>
    rounded(
      t.cells
        .filter((c) => kind === 'total' || c.key[kind === 'row' ? 0 : 1] === m.key[0])
        .reduce((a, c) => a + (cellTruth.get(c.key.join('|')) as number), 0),
    );

  for (const line of lines(t)) {
    const hidden = [...line.entries, line.total].filter((e) => e.value === null).length;
    expect(hidden === 0 || hidden >= 2).toBe(true);
  }
  // published totals: true totals (rounded on their own after 'round'), whether or not cells are hidden
  for (const m of t.margins.rows ?? []) if (m.value !== null) expect(m.value).toBe(marginTruth(m, 'row'));
  for (const m of t.margins.columns ?? [])
    if (m.value !== null) expect(m.value).toBe(marginTruth(m, 'column'));
  if (t.margins.total.value !== null)
    expect(t.margins.total.value).toBe(marginTruth(t.margins.total, 'total'));
  // ... and, unrounded, equal to the sum of the published cells where none of the line's cells is hidden
  for (const line of lines(t)) {
    if (line.total.value === null) continue;
    const published = line.entries.reduce((a, e) => a + (e.value ?? 0), 0);
    const anyHidden = line.entries.some((e) => e.value === null);
    if (!anyHidden && base === null) expect(published).toBe(line.total.value);
  }
}

describe('random 2-D tables', () => {
  it.each<[string, Partial<SdcRules>, number | null]>([
    ['count, suppress', { actions: ['suppress'] }, null],
    ['count, suppress then round', { actions: ['suppress', 'round'] }, 5],
    [
      'count, round then suppress, zeros not disclosive',
      { actions: ['round', 'suppress'], zerosDisclosive: false },
      5,
    ],
  ])('%s: nothing recoverable, totals consistent', (_name, rules, base) => {
    fc.assert(
      fc.property(tableArb, (grid) => {
        const contributions = contributionsOf(grid);
        fc.pre(contributions.length > 0);
        const truth = new Map<string, number>();
        for (const c of contributions) truth.set(c.group.join('|'), (truth.get(c.group.join('|')) ?? 0) + 1);
        checkTable(aggregate(contributions, ['make', 'month'], 'count', rules), truth, base);
      }),
      { numRuns: 150 },
    );
  });

  it('sum: dominance / p-ratio failures are suppressed and nothing is recoverable', () => {
    fc.assert(
      fc.property(tableArb, fc.boolean(), (grid, zerosDisclosive) => {
        const contributions = contributionsOf(grid);
        fc.pre(contributions.length > 0);
        const truth = new Map<string, number>();
        for (const c of contributions) {
          truth.set(c.group.join('|'), (truth.get(c.group.join('|')) ?? 0) + (c.value as number));
        }
        const t = aggregate(contributions, ['make', 'month'], { sum: 'claimValue' }, { zerosDisclosive });
        checkTable(t, truth, null);
      }),
      { numRuns: 150 },
    );
  });
});

describe('the published view of random 2-D tables', () => {
  it('shows a label only where a published entry of at least `threshold` contributors stands for it, and changes no value', () => {
    fc.assert(
      fc.property(
        tableArb,
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom<SdcRules['actions']>(['suppress'], ['suppress', 'round'], ['round', 'suppress']),
        (grid, sum, zerosDisclosive, actions) => {
          const contributions = contributionsOf(grid);
          fc.pre(contributions.length > 0);
          const measure = sum ? { sum: 'claimValue' } : ('count' as const);
          const t = aggregate(contributions, ['make', 'month'], measure, { zerosDisclosive, actions });
          fc.pre(t.outcome === 'pass');
          const view = publishedView(t);
          const margins = [t.margins.rows ?? [], t.margins.columns ?? []];
          const standsFor = (e: CellResult) => e.value !== null && e.contributors >= 10;
          view.dimensions.forEach((labels, i) => {
            for (const label of labels) {
              const backing = [
                ...t.cells.filter((c) => c.key[i] === label),
                ...(margins[i] as CellResult[]).filter((m) => m.key[0] === label),
              ];
              expect(backing.some(standsFor)).toBe(true);
            }
          });
          const text = JSON.stringify(view);
          t.dimensions.forEach((labels, i) => {
            const hidden = labels.filter((l) => !(view.dimensions[i] as string[]).includes(l));
            for (const label of hidden) expect(text).not.toContain(JSON.stringify(label));
            expect((view.hiddenCategories as number[])[i]).toBe(hidden.length);
          });
          // Dropping never changes a value: what is dropped was suppressed, or a zero.
          const pairs: Array<[CellResult[], Array<{ key: string[]; value: number | null }>]> = [
            [t.cells, view.cells],
            [t.margins.rows ?? [], view.margins.rows ?? []],
            [t.margins.columns ?? [], view.margins.columns ?? []],
          ];
          for (const [full, shown] of pairs) {
            for (const e of full) {
              const kept = shown.find((v) => v.key.join('|') === e.key.join('|'));
              if (kept) expect(kept.value).toBe(e.value);
              else expect(e.value === null || e.contributors === 0).toBe(true);
            }
          }
          expect(view.margins.total?.value).toBe(t.margins.total.value);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('the two recoverability tests agree', () => {
  const refOf = (i: number, j: number, R: number, C: number): EntryRef =>
    i < R && j < C
      ? { kind: 'cell', key: [`r${i}`, `c${j}`] }
      : i < R
        ? { kind: 'row', key: [`r${i}`] }
        : j < C
          ? { kind: 'column', key: [`c${j}`] }
          : { kind: 'total', key: [] };

  /** A 2-D TableResult whose extended grid (cells, row totals, column totals, total) has this pattern. */
  function tableOf(sup: boolean[][]): TableResult {
    const R = sup.length - 1;
    const C = (sup[0] as boolean[]).length - 1;
    const entry = (i: number, j: number): CellResult => ({
      key: refOf(i, j, R, C).key,
      contributors: 1,
      value: (sup[i] as boolean[])[j] ? null : 1,
      status: (sup[i] as boolean[])[j] ? 'suppressed' : 'ok',
      reasons: [],
    });
    return {
      groupBy: ['r', 'c'],
      measure: 'count',
      dimensions: [
        Array.from({ length: R }, (_, i) => `r${i}`),
        Array.from({ length: C }, (_, j) => `c${j}`),
      ],
      cells: Array.from({ length: R * C }, (_, k) => entry(Math.floor(k / C), k % C)),
      margins: {
        rows: Array.from({ length: R }, (_, i) => entry(i, C)),
        columns: Array.from({ length: C }, (_, j) => entry(R, j)),
        total: entry(R, C),
      },
      outcome: 'pass',
      applied: [],
    };
  }

  it('graph bridges (suppress.ts) = exactly determined entries (Gaussian elimination, check.ts)', () => {
    const patternArb = fc
      .record({ m: fc.integer({ min: 2, max: 5 }), n: fc.integer({ min: 2, max: 5 }) })
      .chain(({ m, n }) =>
        fc.array(fc.array(fc.boolean(), { minLength: n, maxLength: n }), { minLength: m, maxLength: m }),
      );
    fc.assert(
      fc.property(patternArb, (sup) => {
        const R = sup.length - 1;
        const C = (sup[0] as boolean[]).length - 1;
        const byGraph = gridDetermined(sup).map(([i, j]) => refOf(i, j, R, C));
        const byAlgebra = determinedEntries(tableOf(sup));
        const norm = (xs: EntryRef[]) => xs.map((x) => `${x.kind}:${x.key.join('|')}`).sort();
        expect(norm(byAlgebra)).toEqual(norm(byGraph));
      }),
      { numRuns: 300 },
    );
  });
});
