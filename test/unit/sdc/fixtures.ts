import type { CellResult, Contribution, TableResult } from '../../../src/sdc';

/** `n` count contributions for one group. */
export function records(group: string[], n: number): Contribution[] {
  return Array.from({ length: n }, () => ({ group }));
}

/** One sum contribution per value, all in one group. */
export function valued(group: string[], values: Array<number | null | undefined>): Contribution[] {
  return values.map((value) => ({ group, value }));
}

/** Count contributions for a 2-D table given as rows of counts. */
export function countGrid(rows: string[], cols: string[], counts: number[][]): Contribution[] {
  return rows.flatMap((r, i) =>
    cols.flatMap((c, j) => records([r, c], (counts[i] as number[])[j] as number)),
  );
}

export function cell(table: TableResult, ...key: string[]): CellResult {
  const found = table.cells.find((c) => c.key.length === key.length && c.key.every((k, i) => k === key[i]));
  if (!found) throw new Error(`no cell ${key.join(' x ')}`);
  return found;
}

export const codes = (c: CellResult): string[] => c.reasons.map((r) => r.code);

export const suppressedKeys = (table: TableResult): string[] =>
  table.cells.filter((c) => c.value === null).map((c) => c.key.join('|'));

/** Copy of a table in which only the entries with a primary reason are suppressed (no complements). */
export function primaryOnly(raw: TableResult): TableResult {
  const hide = (c: CellResult): CellResult =>
    c.reasons.some((r) => r.code !== 'SDC_SECONDARY') ? { ...c, value: null, status: 'suppressed' } : c;
  return {
    ...raw,
    cells: raw.cells.map(hide),
    margins: {
      ...(raw.margins.rows ? { rows: raw.margins.rows.map(hide) } : {}),
      ...(raw.margins.columns ? { columns: raw.margins.columns.map(hide) } : {}),
      total: hide(raw.margins.total),
    },
  };
}

/** Lines of a 2-D table (each row, each column, the row totals, the column totals) as entries. */
export function lines(t: TableResult): Array<{ name: string; entries: CellResult[]; total: CellResult }> {
  const rows = t.margins.rows ?? [];
  const cols = t.margins.columns ?? [];
  return [
    ...rows.map((r) => ({
      name: `row ${r.key[0]}`,
      entries: t.cells.filter((c) => c.key[0] === r.key[0]),
      total: r,
    })),
    ...cols.map((col) => ({
      name: `column ${col.key[0]}`,
      entries: t.cells.filter((c) => c.key[1] === col.key[0]),
      total: col,
    })),
    { name: 'row totals', entries: rows, total: t.margins.total },
    { name: 'column totals', entries: cols, total: t.margins.total },
  ];
}
