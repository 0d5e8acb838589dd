/**
 * Rounding (half-up, each total rounded from its true value, base configurable), the order of actions,
 * withholding, and the published view.
 */
import { aggregate, publishedView, recoverable, roundHalfUp } from '../../../src/sdc';
import type { TableResult } from '../../../src/sdc';
import { cell, codes, countGrid, records, suppressedKeys } from './fixtures';

const sum = (xs: Array<number | null>) => xs.reduce<number>((a, x) => a + (x ?? 0), 0);

describe('roundHalfUp', () => {
  it.each<[number, number, number]>([
    [0, 5, 0],
    [2, 5, 0],
    [2.5, 5, 5], // half-up (ACRO/pandas ties-to-even would give 0)
    [3, 5, 5],
    [7, 5, 5],
    [7.5, 5, 10],
    [12, 5, 10],
    [12.5, 5, 15],
    [14, 10, 10],
    [15, 10, 20],
    [4, 3, 3],
    [4.5, 3, 6],
    [-2.5, 5, 0], // ties go towards +Infinity
    [-3, 5, -5],
  ])('round(%d, base %d) = %d', (v, base, expected) => {
    expect(roundHalfUp(v, base)).toBe(expected);
    expect(Object.is(roundHalfUp(v, base), -0)).toBe(false);
  });
});

describe('round: totals are the true totals, rounded on their own like a cell', () => {
  // every cell is safe; the row 11 + 11 + 11 = 33 publishes 35 (the sum of its rounded cells would be 30)
  const rows = countGrid(
    ['Bayliner', 'Beneteau'],
    ['2026-01', '2026-02', '2026-03'],
    [
      [11, 11, 11],
      [12, 13, 17],
    ],
  );

  it.each<[number, number[], number[], number[], number]>([
    // true totals: rows 33, 42; columns 23, 24, 28; grand 75
    [5, [10, 10, 10, 10, 15, 15], [35, 40], [25, 25, 30], 75],
    [10, [10, 10, 10, 10, 10, 20], [30, 40], [20, 20, 30], 80],
    [3, [12, 12, 12, 12, 12, 18], [33, 42], [24, 24, 27], 75],
  ])('base %i', (roundingBase, cells, rowTotals, colTotals, total) => {
    const t = aggregate(rows, ['make', 'month'], 'count', { actions: ['round'], roundingBase });
    expect(t.outcome).toBe('pass');
    expect(t.applied).toEqual(['round']);
    expect(t.cells.map((c) => c.value)).toEqual(cells);
    expect(t.cells.every((c) => c.status === 'rounded')).toBe(true);
    expect(t.margins.rows?.map((r) => r.value)).toEqual(rowTotals);
    expect(t.margins.columns?.map((c) => c.value)).toEqual(colTotals);
    expect(t.margins.total.value).toBe(total);
    // each total is its true value rounded, whatever its rounded cells add up to
    expect(t.margins.total.value).toBe(roundHalfUp(75, roundingBase));
  });

  it('1-D total too', () => {
    const t = aggregate([...records(['A'], 12), ...records(['B'], 13)], ['make'], 'count', {
      actions: ['round'],
    });
    expect(t.cells.map((c) => c.value)).toEqual([10, 15]);
    expect(t.margins.total.value).toBe(25); // 12 + 13 = 25
    const u = aggregate([...records(['A'], 12), ...records(['B'], 12)], ['make'], 'count', {
      actions: ['round'],
    });
    expect(u.margins.total.value).toBe(25); // round(24), not 10 + 10
  });
});

describe('order of actions', () => {
  // 1-D: A 12, B 11, C 3 (small), D 30
  const rows = [...records(['A'], 12), ...records(['B'], 11), ...records(['C'], 3), ...records(['D'], 30)];
  const show = (t: TableResult) => [t.cells.map((c) => c.value), t.margins.total.value];

  it("['suppress', 'round']: primary + complement suppressed, the rest rounded, total rounded from 56", () => {
    const t = aggregate(rows, ['make'], 'count', { actions: ['suppress', 'round'] });
    expect(t.applied).toEqual(['suppress', 'round']);
    expect(t.outcome).toBe('pass');
    // complement = smallest TRUE value (B 11); total = round(12 + 11 + 3 + 30 = 56)
    expect(show(t)).toEqual([[10, null, null, 30], 55]);
    expect(t.cells.map((c) => c.status)).toEqual(['rounded', 'suppressed', 'suppressed', 'rounded']);
    expect(recoverable(t)).toBe(false);
  });

  it("['round', 'suppress']: same primary suppression; the complement is chosen on ROUNDED values", () => {
    const t = aggregate(rows, ['make'], 'count', { actions: ['round', 'suppress'] });
    expect(t.applied).toEqual(['round', 'suppress']);
    expect(t.outcome).toBe('pass');
    // A and B both round to 10: the tie goes to the first (A)
    expect(show(t)).toEqual([[null, 10, null, 30], 55]);
    expect(recoverable(t)).toBe(false);
  });

  it("['round'] only: the small cell is published rounded, still flagged, outcome fail", () => {
    const t = aggregate(rows, ['make'], 'count', { actions: ['round'] });
    expect(t.outcome).toBe('fail');
    expect(show(t)).toEqual([[10, 10, 5, 30], 55]);
    expect(cell(t, 'C')).toMatchObject({ status: 'rounded', value: 5 });
    expect(codes(cell(t, 'C'))).toEqual(['SDC_THRESHOLD']);
  });

  it("['suppress'] only: true values, true total", () => {
    const t = aggregate(rows, ['make'], 'count', { actions: ['suppress'] });
    expect(show(t)).toEqual([[12, null, null, 30], 56]);
    expect(t.outcome).toBe('pass');
  });

  it('[] reports only: everything published as is, outcome fail', () => {
    const t = aggregate(rows, ['make'], 'count', { actions: [] });
    expect(show(t)).toEqual([[12, 11, 3, 30], 56]);
    expect(t.applied).toEqual([]);
    expect(t.outcome).toBe('fail');
  });

  it('2-D suppress + round: published totals = true totals rounded, hidden cells included', () => {
    const grid = countGrid(
      ['Bayliner', 'Beneteau', 'Jeanneau'],
      ['01', '02', '03'],
      [
        [26, 18, 31],
        [12, 3, 21],
        [16, 22, 11],
      ],
    );
    const t = aggregate(grid, ['make', 'month'], 'count', { actions: ['suppress', 'round'] });
    const truth = aggregate(grid, ['make', 'month'], 'count', { actions: [] });
    expect(suppressedKeys(t).length).toBeGreaterThanOrEqual(4);
    expect(recoverable(t)).toBe(false);
    for (const r of t.margins.rows ?? []) {
      if (r.value === null) continue;
      const row = truth.cells.filter((c) => c.key[0] === r.key[0]).map((c) => c.value);
      expect(r.value).toBe(roundHalfUp(sum(row), 5));
    }
    expect(t.margins.total.value).toBe(roundHalfUp(sum(truth.cells.map((c) => c.value)), 5));
    expect(t.cells.every((c) => c.value === null || c.value % 5 === 0)).toBe(true);
  });
});

describe('withhold', () => {
  const safe = countGrid(
    ['Bayliner', 'Beneteau'],
    ['01', '02'],
    [
      [12, 15],
      [20, 30],
    ],
  );
  const unsafe = countGrid(
    ['Bayliner', 'Beneteau'],
    ['01', '02'],
    [
      [12, 4],
      [20, 30],
    ],
  );

  it('withholds the whole table when any primary check fails: no values at all', () => {
    const t = aggregate(unsafe, ['make', 'month'], 'count', { actions: ['withhold'] });
    expect(t.outcome).toBe('fail');
    expect(t.applied).toEqual(['withhold']);
    const all = [...t.cells, ...(t.margins.rows ?? []), ...(t.margins.columns ?? []), t.margins.total];
    expect(all.every((c) => c.value === null && c.status === 'suppressed')).toBe(true);
    expect(codes(cell(t, 'Bayliner', '02'))).toEqual(['SDC_THRESHOLD']);
    expect(publishedView(t)).toMatchObject({
      withheld: true,
      dimensions: [[], []],
      cells: [],
      margins: { total: null },
    });
  });

  it('publishes a safe table unchanged', () => {
    const t = aggregate(safe, ['make', 'month'], 'count', { actions: ['withhold'] });
    expect(t.outcome).toBe('pass');
    expect(t.applied).toEqual([]);
    expect(t.cells.map((c) => c.value)).toEqual([12, 15, 20, 30]);
    expect(t.margins.total.value).toBe(77);
  });
});

describe('publishedView', () => {
  const rows = [...records(['A'], 40), ...records(['B'], 12), ...records(['C'], 4)];

  it('drops contributors and reasons (a suppressed count cell would otherwise show its count)', () => {
    const t = aggregate(rows, ['make'], 'count');
    expect(cell(t, 'C').contributors).toBe(4); // audit record only
    const view = publishedView(t);
    expect(view.withheld).toBe(false);
    // C fails the threshold, B is its complement: neither label leaves, the total stays the true one.
    expect(view.cells).toEqual([{ key: ['A'], value: 40, status: 'ok' }]);
    expect(view.dimensions).toEqual([['A']]);
    expect(view.hiddenCategories).toEqual([2]);
    expect(view.margins.total).toEqual({ key: [], value: 56, status: 'ok' });
    expect(JSON.stringify(view)).not.toMatch(/"B"|"C"/);
    expect(JSON.stringify(view)).not.toContain('contributors');
    expect(JSON.stringify(view)).not.toContain('SDC_');
  });

  it('keeps the label of a category whose cells are all suppressed but whose total is published', () => {
    // Bayliner: 12 in all, never 10 in one month.
    const t = aggregate(
      countGrid(
        ['Bayliner', 'Beneteau', 'Zodiac'],
        ['01', '02'],
        [
          [6, 6],
          [20, 30],
          [25, 40],
        ],
      ),
      ['make', 'month'],
      'count',
    );
    const view = publishedView(t);
    expect(view.cells.filter((c) => c.key[0] === 'Bayliner').every((c) => c.value === null)).toBe(true);
    expect(view.margins.rows?.[0]).toEqual({ key: ['Bayliner'], value: 12, status: 'ok' });
    expect(view.dimensions[0]).toEqual(['Bayliner', 'Beneteau', 'Zodiac']);
    expect(view.hiddenCategories).toEqual([0, 0]);
  });

  it('drops a category that only a published zero would name (zeros not disclosive)', () => {
    const t = aggregate(
      countGrid(
        ['Bayliner', 'Beneteau', 'Zodiac'],
        ['01', '02', '03'],
        [
          [20, 15, 12],
          [25, 30, 11],
          [2, 0, 3],
        ],
      ),
      ['make', 'month'],
      'count',
      { zerosDisclosive: false },
    );
    expect(cell(t, 'Zodiac', '02')).toMatchObject({ value: 0, contributors: 0 });
    const view = publishedView(t);
    expect(view.dimensions[0]).not.toContain('Zodiac');
    expect(JSON.stringify(view)).not.toContain('Zodiac');
  });

  it('publishes nothing for a failed table, and a review table only once reviewed', () => {
    expect(publishedView(aggregate(rows, ['make'], 'count', { actions: [] })).withheld).toBe(true);
    const review = aggregate(
      [...rows.map((r) => ({ ...r, value: 1 })), { group: ['A'], value: -1 }],
      ['make'],
      { sum: 'v' },
    );
    expect(review.outcome).toBe('review');
    expect(publishedView(review).withheld).toBe(true);
    expect(publishedView(review, { reviewed: true }).withheld).toBe(false);
  });
});
