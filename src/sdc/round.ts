/**
 * Rounding for the 'round' action.
 *
 * - Every cell is rounded to the nearest multiple of `base`, ties HALF-UP (towards +Infinity):
 *   round(v) = floor(v / base + 1/2) * base, so with base 5: 2 -> 0, 2.5 -> 5, 7 -> 5, 7.5 -> 10, 12 -> 10.
 *   (ACRO's round mitigation uses pandas' round(), i.e. ties to even: 2.5 -> 0, 7.5 -> 10.)
 * - Totals are rounded on their own, from their TRUE value, like a cell (table.ts): the sum of rounded
 *   cells can be far from the truth (42 cells of 1 round to 0, their true total 42 to 40), so a
 *   published total is within base/2 of the true total but need not equal the sum of the published cells.
 * - Rounding does not cure a primary failure: cells are still checked on their true contributions, and a
 *   table whose failing cells were only rounded has outcome 'fail' (see table.ts).
 */

export function roundHalfUp(value: number, base: number): number {
  if (!Number.isInteger(base) || base < 1) throw new RangeError(`rounding base must be a positive integer`);
  const r = Math.floor(value / base + 0.5) * base;
  return r === 0 ? 0 : r; // no -0
}
