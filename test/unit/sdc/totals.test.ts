/**
 * Totals that tell the truth: a total is computed from the true values and then checked and rounded on
 * its own like a cell; an agreement may publish no totals; the OpenSAFELY profile (counts of 7 or less
 * redacted, the rest rounded to the nearest 5, no totals). docs/tables.md works these through.
 */
import { aggregate, publishedView, recoverable, resolveRules, SDC_PROFILES } from '../../../src/sdc';
import type { SdcSettings } from '../../../src/sdc';
import { cell, countGrid, records, suppressedKeys } from './fixtures';

/** A 2-D count table make (A, B) x month (01, 02). */
const twoByTwo = (counts: number[][]) => countGrid(['A', 'B'], ['01', '02'], counts);

/** 42 categories of one contributor each. */
const singles = Array.from({ length: 42 }, (_, i) => records([`m${String(i).padStart(2, '0')}`], 1)).flat();

describe('a total is the true total, rounded on its own', () => {
  it('42 cells of 1, rounded: the total is 40, not the 0 their rounded values add up to', () => {
    const t = aggregate(singles, ['make'], 'count', { actions: ['round'] });
    expect(t.cells.every((c) => c.value === 0)).toBe(true);
    expect(t.margins.total).toMatchObject({ value: 40, status: 'rounded', reasons: [] });
    expect(t.outcome).toBe('fail'); // the cells of 1 are still published: rounding cures nothing
  });

  it('42 cells of 1, suppressed and rounded: every cell hidden, the total 40 released', () => {
    const t = aggregate(singles, ['make'], 'count', { actions: ['suppress', 'round'] });
    expect(t.outcome).toBe('pass');
    expect(t.cells.every((c) => c.value === null)).toBe(true);
    expect(publishedView(t).margins.total).toEqual({ key: [], value: 40, status: 'rounded' });
    expect(recoverable(t)).toBe(false);
  });

  it('a total below the threshold is suppressed on its own, like a cell', () => {
    const t = aggregate([...records(['A'], 4), ...records(['B'], 5)], ['make'], 'count', {
      actions: ['suppress', 'round'],
    });
    expect(t.margins.total.value).toBeNull();
    expect(t.margins.total.reasons.map((r) => r.code)).toEqual(['SDC_THRESHOLD']);
  });

  it('a sum total is rounded from the true sum', () => {
    const rows = ['A', 'B', 'C'].flatMap((m) =>
      Array.from({ length: 10 }, (_, i) => ({ group: [m], value: 101 + i })),
    );
    // each cell sums to 1055 -> 1100 (base 100); the true total 3165 -> 3200, not 3 x 1100 = 3300
    const t = aggregate(rows, ['make'], { sum: 'price' }, { actions: ['round'], roundingBase: 100 });
    expect(t.cells.map((c) => c.value)).toEqual([1100, 1100, 1100]);
    expect(t.margins.total.value).toBe(3200);
  });
});

describe("totals: 'none'", () => {
  // A 12, B 11, C 3 (below the threshold), D 30
  const rows = [...records(['A'], 12), ...records(['B'], 11), ...records(['C'], 3), ...records(['D'], 30)];

  it('publishes no total, and needs no complement for the one small cell', () => {
    const withTotal = aggregate(rows, ['make'], 'count', { actions: ['suppress'] });
    expect(suppressedKeys(withTotal)).toEqual(['B', 'C']); // B is the complement
    const t = aggregate(rows, ['make'], 'count', { actions: ['suppress'], totals: 'none' });
    expect(t.totals).toBe('none');
    expect(suppressedKeys(t)).toEqual(['C']);
    expect(t.outcome).toBe('pass');
    expect(recoverable(t)).toBe(false);
    expect(t.margins.total).toMatchObject({ value: null, reasons: [] });
    const view = publishedView(t);
    expect(view.margins).toEqual({ total: null });
    expect(view.cells.map((c) => c.value)).toEqual([12, 11, 30]);
    expect(view.dimensions).toEqual([['A', 'B', 'D']]);
  });

  it('2-D: no row, column or grand total leaves, and one small cell needs no complement', () => {
    const grid = twoByTwo([
      [12, 15],
      [20, 3],
    ]);
    const t = aggregate(grid, ['make', 'month'], 'count', { actions: ['suppress'], totals: 'none' });
    expect(suppressedKeys(t)).toEqual(['B|02']);
    expect(t.outcome).toBe('pass');
    expect(publishedView(t).margins).toEqual({ total: null });
    // the same table with totals needs three complements
    expect(
      suppressedKeys(aggregate(grid, ['make', 'month'], 'count', { actions: ['suppress'] })),
    ).toHaveLength(4);
  });

  it('without suppression a small cell still fails the table', () => {
    const t = aggregate(rows, ['make'], 'count', { actions: ['round'], totals: 'none' });
    expect(t.outcome).toBe('fail');
    expect(cell(t, 'C')).toMatchObject({ value: 5, status: 'rounded' });
  });
});

describe("profile 'opensafely'", () => {
  const opensafely: SdcSettings = { profile: 'opensafely' };
  /** The published value of a category of n beside a category of 100. */
  const publishedAs = (n: number) =>
    cell(aggregate([...records(['x'], n), ...records(['y'], 100)], ['k'], 'count', opensafely), 'x').value;

  it('resolves to threshold 8, suppress then round to 5, no totals', () => {
    expect(resolveRules(opensafely)).toMatchObject({
      threshold: 8,
      actions: ['suppress', 'round'],
      roundingBase: 5,
      totals: 'none',
      zerosDisclosive: true,
    });
  });

  it.each<[number, number | null]>([
    [1, null],
    [5, null],
    [7, null], // 7 or less: redacted
    [8, 10], // the first count shown
    [9, 10],
    [10, 10],
    [12, 10],
    [13, 15],
    [15, 15],
    [17, 15],
    [18, 20],
    [22, 20],
    [23, 25],
  ])('a count of %i is published as %p', (n, expected) => {
    expect(publishedAs(n)).toBe(expected);
  });

  it('a zero (an empty combination) is redacted too', () => {
    const grid = twoByTwo([
      [9, 20],
      [0, 14],
    ]);
    const t = aggregate(grid, ['make', 'month'], 'count', opensafely);
    expect(cell(t, 'B', '01')).toMatchObject({ value: null, status: 'suppressed' });
    expect(t.cells.map((c) => c.value)).toEqual([10, 20, null, 15]);
    expect(t.outcome).toBe('pass');
    expect(publishedView(t).margins).toEqual({ total: null });
  });

  it('has no secondary suppression: one redacted cell stays the only one', () => {
    const t = aggregate(
      [...records(['A'], 8), ...records(['B'], 7), ...records(['C'], 40)],
      ['make'],
      'count',
      opensafely,
    );
    expect(t.cells.map((c) => c.value)).toEqual([10, null, 40]);
    expect(t.cells.some((c) => c.reasons.some((r) => r.code === 'SDC_SECONDARY'))).toBe(false);
  });

  it('an agreement may override a setting of the profile', () => {
    expect(resolveRules({ profile: 'opensafely', totals: 'published' }).totals).toBe('published');
    expect(publishedAs(8)).toBe(10);
    const t = aggregate([...records(['x'], 8), ...records(['y'], 100)], ['k'], 'count', {
      profile: 'opensafely',
      threshold: 10,
    });
    expect(cell(t, 'x').value).toBeNull();
  });

  it('the profile table is frozen: one agreement cannot change it for another', () => {
    expect(Object.isFrozen(SDC_PROFILES.opensafely)).toBe(true);
  });
});

describe('bad settings', () => {
  it.each<[string, SdcSettings]>([
    ['an unknown profile', { profile: 'opensafly' as 'opensafely' }],
    ['an unknown totals rule', { totals: 'rounded' as 'none' }],
  ])('%s is refused', (_name, settings) => {
    expect(() => resolveRules(settings)).toThrow(RangeError);
  });
});
