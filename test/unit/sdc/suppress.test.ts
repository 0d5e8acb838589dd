/**
 * Secondary suppression and the recoverability audit: suppressed 2-D tables with margins cannot be
 * solved for any suppressed cell; primary-only suppression can (which shows the checker works).
 */
import {
  aggregate,
  determinedEntries,
  gridDetermined,
  protectGrid,
  protectLine,
  recoverable,
  unitRows,
} from '../../../src/sdc';
import type { ProtectEntry, TableResult } from '../../../src/sdc';
import { cell, codes, countGrid, lines, primaryOnly, records, suppressedKeys } from './fixtures';

const MAKES = ['Bayliner', 'Beneteau', 'Jeanneau', 'Quicksilver'];
const MONTHS = ['2026-01', '2026-02', '2026-03'];
// claims per make x month; two small cells: Beneteau 2026-02 (3) and Quicksilver 2026-03 (2)
const CLAIMS = [
  [25, 18, 30],
  [12, 3, 20],
  [15, 22, 11],
  [40, 14, 2],
];
const claims = countGrid(MAKES, MONTHS, CLAIMS);

describe('2-D make x month claims with margins', () => {
  const t = aggregate(claims, ['make', 'month'], 'count');

  it('suppresses the small cells and complements that close a cycle', () => {
    expect(t.outcome).toBe('pass');
    expect(t.applied).toEqual(['suppress']);
    expect(codes(cell(t, 'Beneteau', '2026-02'))).toEqual(['SDC_THRESHOLD']);
    expect(codes(cell(t, 'Quicksilver', '2026-03'))).toEqual(['SDC_THRESHOLD']);
    // complements: smallest published cell of each line holding a single suppression
    expect(suppressedKeys(t).sort()).toEqual(
      [
        'Beneteau|2026-01', // 12, row Beneteau
        'Beneteau|2026-02',
        'Jeanneau|2026-01', // 15, row Jeanneau
        'Jeanneau|2026-03', // 11, column 2026-03
        'Quicksilver|2026-02', // 14, row Quicksilver
        'Quicksilver|2026-03',
      ].sort(),
    );
    for (const key of ['Beneteau|2026-01', 'Jeanneau|2026-01', 'Jeanneau|2026-03', 'Quicksilver|2026-02']) {
      expect(codes(cell(t, ...key.split('|')))).toEqual(['SDC_SECONDARY']);
    }
  });

  it('publishes true totals, and no suppressed cell is recoverable from them', () => {
    expect(t.margins.rows?.map((r) => r.value)).toEqual([73, 35, 48, 56]);
    expect(t.margins.columns?.map((c) => c.value)).toEqual([92, 57, 63]);
    expect(t.margins.total.value).toBe(212);
    expect(recoverable(t)).toBe(false);
    expect(determinedEntries(t)).toEqual([]);
  });

  it('every line holding a suppressed entry holds at least two', () => {
    for (const line of lines(t)) {
      const hidden = [...line.entries, line.total].filter((e) => e.value === null).length;
      expect([line.name, hidden === 0 || hidden >= 2]).toEqual([line.name, true]);
    }
  });

  it('counter-example: with only primary suppression the small cells are recoverable', () => {
    const naive = primaryOnly(aggregate(claims, ['make', 'month'], 'count', { actions: [] }));
    expect(suppressedKeys(naive)).toEqual(['Beneteau|2026-02', 'Quicksilver|2026-03']);
    expect(recoverable(naive)).toBe(true);
    expect(determinedEntries(naive)).toEqual([
      { kind: 'cell', key: ['Beneteau', '2026-02'] },
      { kind: 'cell', key: ['Quicksilver', '2026-03'] },
    ]);
  });
});

describe('the degree rule alone is not enough', () => {
  // Small cells form two 2x2 rectangles, {A,B}x{w,x} and {C,D}x{y,z}, joined by the small cell A-y. Every
  // row and column holds >= 2 suppressed cells, yet A-y = row A total - (w + x column totals - row B).
  const rows = ['A', 'B', 'C', 'D'];
  const cols = ['w', 'x', 'y', 'z'];
  const counts = [
    [3, 4, 5, 30],
    [2, 6, 40, 50],
    [60, 70, 7, 8],
    [80, 90, 9, 1],
  ];
  const contributions = countGrid(rows, cols, counts);

  it('primary-only suppression satisfies the degree rule but A-y is determined', () => {
    const naive = primaryOnly(aggregate(contributions, ['r', 'c'], 'count', { actions: [] }));
    for (const line of lines(naive)) {
      const hidden = [...line.entries, line.total].filter((e) => e.value === null).length;
      expect(hidden === 0 || hidden >= 2).toBe(true);
    }
    expect(determinedEntries(naive)).toEqual([{ kind: 'cell', key: ['A', 'y'] }]);
  });

  it('aggregate adds the cheapest complement that puts A-y on a cycle', () => {
    const t = aggregate(contributions, ['r', 'c'], 'count');
    const secondary = t.cells.filter((c) => codes(c).includes('SDC_SECONDARY')).map((c) => c.key.join('|'));
    expect(secondary).toEqual(['C|w']); // the smallest of C-w, C-x, D-w, D-x
    expect(recoverable(t)).toBe(false);
    expect(t.outcome).toBe('pass');
  });
});

describe('disclosive margins', () => {
  // Zodiac has only 5 claims in all: its row total is below the threshold and is suppressed too.
  const t = aggregate(
    countGrid(['Bayliner', 'Beneteau', 'Zodiac'], MONTHS, [
      [25, 18, 30],
      [12, 13, 20],
      [2, 3, 0],
    ]),
    ['make', 'month'],
    'count',
  );

  it('suppresses the margin with its own primary reason and keeps the table unrecoverable', () => {
    const zodiac = t.margins.rows?.find((r) => r.key[0] === 'Zodiac');
    expect(zodiac).toMatchObject({ value: null, status: 'suppressed' });
    expect(codes(zodiac!)).toEqual(['SDC_THRESHOLD']);
    expect(recoverable(t)).toBe(false);
    expect(t.outcome).toBe('pass');
    // the other row totals cannot all stay published, or Zodiac = grand total - the others
    const hiddenRowTotals = (t.margins.rows ?? []).filter((r) => r.value === null).length;
    expect(hiddenRowTotals === 0 || hiddenRowTotals >= 2 || t.margins.total.value === null).toBe(true);
  });
});

describe('1-D tables with a grand total', () => {
  it('one small cell gets the smallest other cell as its complement; the total stays published', () => {
    const rows = [...records(['Bayliner'], 40), ...records(['Beneteau'], 12), ...records(['Zodiac'], 4)];
    const t = aggregate(rows, ['make'], 'count');
    expect(suppressedKeys(t)).toEqual(['Beneteau', 'Zodiac']);
    expect(t.margins.total.value).toBe(56);
    expect(recoverable(t)).toBe(false);
    expect(recoverable(primaryOnly(aggregate(rows, ['make'], 'count', { actions: [] })))).toBe(true);
  });

  it('a single small cell with nothing to pair with takes the total with it', () => {
    const t = aggregate(records(['Zodiac'], 4), ['make'], 'count');
    expect(t.cells[0]?.value).toBeNull();
    expect(t.margins.total.value).toBeNull();
    expect(recoverable(t)).toBe(false);
  });

  it('more than 2 dimensions are flattened: cells against the grand total only', () => {
    const rows = [
      ...records(['Bayliner', '2026-01', 'NL'], 30),
      ...records(['Bayliner', '2026-01', 'BE'], 3),
      ...records(['Beneteau', '2026-01', 'NL'], 20),
      ...records(['Beneteau', '2026-01', 'BE'], 15),
    ];
    const t = aggregate(rows, ['make', 'month', 'country'], 'count');
    expect(t.margins.rows).toBeUndefined();
    expect(t.margins.columns).toBeUndefined();
    expect(suppressedKeys(t)).toEqual(['Bayliner|2026-01|BE', 'Beneteau|2026-01|BE']);
    expect(t.margins.total.value).toBe(68);
    expect(recoverable(t)).toBe(false);
  });
});

describe('protectLine / protectGrid / gridDetermined / unitRows', () => {
  const e = (suppressed: boolean, cost: number, tier = 0): ProtectEntry => ({ suppressed, tier, cost });

  it('protectLine pairs a lone suppressed total with the cheapest cell', () => {
    expect(protectLine([e(false, 30), e(false, 12), e(false, 40), e(true, 82, 2)])).toEqual({
      suppressed: [false, true, false, true],
      added: [1],
      safe: true,
    });
  });

  it('protectLine is unsafe when there is nothing to pair with', () => {
    expect(protectLine([e(true, 0, 2)]).safe).toBe(false);
  });

  it('protectGrid prefers interior cells over margins (tier) before value', () => {
    // 2x1 interior plus margins: row 0 has a suppressed cell; its only other entry is the row total
    const grid = [
      [e(true, 3), e(false, 3, 1)],
      [e(false, 3, 1), e(false, 3, 2)],
    ];
    const res = protectGrid(grid);
    expect(res.safe).toBe(true);
    expect(gridDetermined(res.suppressed)).toEqual([]);
  });

  it('gridDetermined finds exactly the bridges', () => {
    const sup = [
      [true, true, false],
      [true, true, true],
      [false, false, true],
    ];
    // (1,2) and (2,2) hang off the rectangle: (2,2) is a leaf, (1,2) a bridge to it
    expect(gridDetermined(sup)).toEqual([
      [1, 2],
      [2, 2],
    ]);
  });

  it('unitRows reports the columns whose unit vector is in the row space', () => {
    // x0 + x1 = a, x1 = b  => both determined; x2 + x3 = c => neither
    expect(
      unitRows([
        [1n, 1n, 0n, 0n],
        [0n, 1n, 0n, 0n],
        [0n, 0n, 1n, 1n],
      ]),
    ).toEqual([0, 1]);
  });

  it('recoverable sees a withheld table as unrecoverable', () => {
    const t: TableResult = aggregate(claims, ['make', 'month'], 'count', { actions: ['withhold'] });
    expect(t.cells.every((c) => c.value === null)).toBe(true);
    expect(recoverable(t)).toBe(false);
  });
});
