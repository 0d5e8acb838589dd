/**
 * Builds the contributions of an aggregate from a provider's dataset: one contribution per physical
 * object (records of one object share a linkId and must not count several times), grouped by the
 * query's dimensions, each value first generalised as the dataset's obligations say (a date of birth to
 * its year, a postcode to its district), then as the query asks (a date to its month or year).
 */
import type { DatasetRecord } from '../datasets/types';
import type { DatasetTerms } from '../policy/types';
import { generalise as coarsen } from '../requests/release';
import type { Contribution } from '../sdc';
import { parseDimension, type AggregateQuery } from './query';

/** The group value of a record without one: a visible category of its own, never silently dropped. */
export const UNKNOWN = '(unknown)';

type Obligations = NonNullable<DatasetTerms['generalise']>;

function valueAt(record: object, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined),
      record,
    );
}

function groupValue(record: object, dimension: string, obligations: Obligations): string {
  const { field, generalise } = parseDimension(dimension);
  const value = valueAt(record, field);
  if (value === undefined || value === null || value === '') return UNKNOWN;
  const obligation = Object.hasOwn(obligations, field) ? obligations[field] : undefined;
  // A value that does not fit its obligation is never counted as it is (as in a released record).
  const text = obligation ? coarsen(obligation, String(value)) : String(value);
  if (text === null) return UNKNOWN;
  if (generalise === 'month') return /^\d{4}-\d{2}/.test(text) ? text.slice(0, 7) : UNKNOWN;
  if (generalise === 'year') return /^\d{4}/.test(text) ? text.slice(0, 4) : UNKNOWN;
  return text;
}

export async function contributions(
  records: AsyncIterable<DatasetRecord>,
  query: AggregateQuery,
  objectTypes: ReadonlySet<string>,
  obligations: Obligations = {},
  /** Called with each record that contributes (one per object), e.g. to note its data subject. */
  contributed: (record: DatasetRecord['record']) => void = () => {},
): Promise<Contribution[]> {
  const seen = new Set<string>();
  const out: Contribution[] = [];
  for await (const { record, linkId, sourceRef } of records) {
    if (!objectTypes.has(record.objectType)) continue;
    if (query.objectType && record.objectType !== query.objectType) continue;
    const object = `${record.objectType}|${linkId ?? sourceRef}`;
    if (seen.has(object)) continue;
    seen.add(object);
    contributed(record);
    const group = query.groupBy.map((d) => groupValue(record, d, obligations));
    if (query.measure === 'count') {
      out.push({ group });
    } else {
      const value = valueAt(record, query.measure.sum);
      out.push({ group, value: typeof value === 'number' ? value : null });
    }
  }
  return out;
}
