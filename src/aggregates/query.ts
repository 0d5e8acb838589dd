/** The shape of an aggregate request, and the canonical fields it touches (what the data safe judges). */

/** A dimension is a canonical field, optionally generalised: a date to its month or its year. */
export type Generalisation = 'month' | 'year';

export interface AggregateQuery {
  type: 'aggregate';
  /** e.g. ["make", "theft.date:month"]. */
  groupBy: string[];
  measure: 'count' | { sum: string };
  /** Count only objects of this type (a vehicle and its engine are two objects). Default: every type. */
  objectType?: string;
}

export function parseDimension(dimension: string): { field: string; generalise?: Generalisation } {
  const [field, generalise] = dimension.split(':');
  return generalise === 'month' || generalise === 'year' ? { field, generalise } : { field: dimension };
}

/** The canonical fields a query reads, in order, without duplicates. */
export function aggregateFields(query: AggregateQuery): string[] {
  const fields = query.groupBy.map((d) => parseDimension(d).field);
  if (typeof query.measure === 'object') fields.push(query.measure.sum);
  return [...new Set(fields)];
}

const COARSENESS = { exact: 0, month: 1, year: 2 } as const;
const coarseness = (g: Generalisation | undefined) => COARSENESS[g ?? 'exact'];

/**
 * Whether an agreement's closed list of dimensions allows this one: its field is listed, and asked at
 * the listed granularity or coarser (listed `theft.date:month` allows `theft.date:year`, not `theft.date`).
 */
export function dimensionListed(dimension: string, listed: readonly string[]): boolean {
  const asked = parseDimension(dimension);
  return listed.some((entry) => {
    const allowed = parseDimension(entry);
    return allowed.field === asked.field && coarseness(asked.generalise) >= coarseness(allowed.generalise);
  });
}
