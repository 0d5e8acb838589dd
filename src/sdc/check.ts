/**
 * Independent audit of a published table: can any suppressed entry (cell or margin, value null) be
 * recovered exactly from the published values?
 *
 * The published table satisfies linear equations: for a 2-D table with margins, each row's cells sum to
 * its row total, each column's cells to its column total, and the row totals and the column totals each
 * sum to the grand total; for every other table, all cells sum to the grand total. Restricting those
 * equations to the unknown (suppressed) entries gives a matrix A; published values only move to the right
 * hand side. An unknown u is uniquely determined iff the unit vector e_u lies in the row space of A, i.e.
 * iff the reduced row echelon form of A contains a row whose only non-zero entry is in column u.
 * Elimination is exact (integer rows over BigInt, divided by their gcd), so there is no float tolerance.
 *
 * Assumes only the `value`s are published (not `contributors`, which for a count table IS the value; see
 * `publishedView`) and that the intruder knows nothing else (no bounds, no other tables).
 */
import type { TableResult } from './types';

export interface EntryRef {
  kind: 'cell' | 'row' | 'column' | 'total';
  key: string[];
}

/** The suppressed entries that the published values determine uniquely (empty = safe). */
export function determinedEntries(table: TableResult): EntryRef[] {
  if (table.totals === 'none') return []; // no totals published: the cells stand in no equation
  const entries: Array<{ ref: EntryRef; known: boolean }> = [];
  const add = (kind: EntryRef['kind'], key: string[], value: number | null): number => {
    entries.push({ ref: { kind, key }, known: value !== null });
    return entries.length - 1;
  };
  const cells = table.cells.map((c) => ({ key: c.key, id: add('cell', c.key, c.value) }));
  const total = add('total', table.margins.total.key, table.margins.total.value);
  const equations: Array<Array<[number, number]>> = [];
  const { rows, columns } = table.margins;
  if (table.groupBy.length === 2 && rows && columns) {
    const rowIds = rows.map((r) => ({ key: r.key, id: add('row', r.key, r.value) }));
    const colIds = columns.map((c) => ({ key: c.key, id: add('column', c.key, c.value) }));
    for (const r of rowIds) {
      equations.push([
        ...cells.filter((c) => c.key[0] === r.key[0]).map((c) => [c.id, 1]),
        [r.id, -1],
      ] as Array<[number, number]>);
    }
    for (const col of colIds) {
      equations.push([
        ...cells.filter((c) => c.key[1] === col.key[0]).map((c) => [c.id, 1]),
        [col.id, -1],
      ] as Array<[number, number]>);
    }
    equations.push([...rowIds.map((r) => [r.id, 1]), [total, -1]] as Array<[number, number]>);
    equations.push([...colIds.map((c) => [c.id, 1]), [total, -1]] as Array<[number, number]>);
  } else {
    equations.push([...cells.map((c) => [c.id, 1]), [total, -1]] as Array<[number, number]>);
  }

  const unknown = entries.map((e, i) => (e.known ? -1 : i)).filter((i) => i >= 0);
  const column = new Map(unknown.map((id, j) => [id, j]));
  const matrix = equations.map((eq) => {
    const row = new Array<bigint>(unknown.length).fill(0n);
    for (const [id, coef] of eq) {
      const j = column.get(id);
      if (j !== undefined) row[j] = (row[j] as bigint) + BigInt(coef);
    }
    return row;
  });
  return unitRows(matrix).map((j) => (entries[unknown[j] as number] as { ref: EntryRef }).ref);
}

/** True when at least one suppressed entry of the published table can be recovered exactly. */
export function recoverable(table: TableResult): boolean {
  return determinedEntries(table).length > 0;
}

/**
 * Gauss-Jordan elimination over the integers; returns the columns j for which the reduced matrix has a
 * row whose only non-zero entry is in column j (i.e. e_j is in the row space).
 */
export function unitRows(input: bigint[][]): number[] {
  const rows = input.map((r) => [...r]);
  const width = rows.length > 0 ? (rows[0] as bigint[]).length : 0;
  let pivotRow = 0;
  for (let col = 0; col < width && pivotRow < rows.length; col++) {
    const p = rows.findIndex((r, i) => i >= pivotRow && r[col] !== 0n);
    if (p < 0) continue;
    [rows[pivotRow], rows[p]] = [rows[p] as bigint[], rows[pivotRow] as bigint[]];
    const pr = rows[pivotRow] as bigint[];
    const pv = pr[col] as bigint;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i] as bigint[];
      const a = r[col] as bigint;
      if (i === pivotRow || a === 0n) continue;
      for (let j = 0; j < width; j++) r[j] = (r[j] as bigint) * pv - (pr[j] as bigint) * a;
      normalise(r);
    }
    pivotRow++;
  }
  const result: number[] = [];
  for (const r of rows) {
    const nz = r.flatMap((v, j) => (v !== 0n ? [j] : []));
    if (nz.length === 1) result.push(nz[0] as number);
  }
  return result.sort((a, b) => a - b);
}

function normalise(row: bigint[]): void {
  let g = 0n;
  for (const v of row) g = gcd(g, v < 0n ? -v : v);
  if (g > 1n) for (let j = 0; j < row.length; j++) row[j] = (row[j] as bigint) / g;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}
