/**
 * Safe data: is the data itself safe to release? Requested fields must be canonical, allowed by the
 * dataset's terms, and no more sensitive than the agreement's classification ceiling; a table's
 * dimensions and measure must be ones the agreement allows, and never identifying.
 */
import { CLASSIFICATIONS } from '../policy/types';
import type { Agreement, AggregateRules, Bundle, Classification, DatasetTerms } from '../policy/types';
import { dimensionListed, parseDimension, type AggregateQuery } from '../aggregates/query';
import type { Identity } from '../auth/identity';
import { FIELD_CATALOGUE, IDENTIFIER_TYPES, isKnownField, type IdentifierType } from '../records/canonical';
import type { DecisionContext, Reason, RequestInput, SafeResult } from './types';
import { reason } from './reasons';

export function checkData(
  input: RequestInput,
  _identity: Identity,
  _ctx: DecisionContext,
  bundle: Bundle,
): SafeResult {
  const agreement = bundle.agreements.get(input.agreementId);
  if (input.kind === 'lookup') return checkLookupData(input, agreement);
  const dataset = agreement && findDataset(agreement, input);
  const ceiling = agreement?.safes.data.classificationCeiling;
  const reasons: Reason[] = [];

  if (!agreement) reasons.push(reason('DATA_NO_AGREEMENT'));
  else if (!dataset) reasons.push(reason('DATA_DATASET_UNKNOWN'));

  const fields = distinct(input.fields);
  if (fields.length === 0) reasons.push(reason('DATA_NO_FIELDS'));

  if (dataset && ceiling && !atOrBelow(dataset.classification, ceiling)) {
    reasons.push(reason('DATA_CLASSIFICATION_ABOVE_CEILING', `dataset is ${dataset.classification}`));
  }

  // Field names are schema paths, not personal data: naming them in the detail is safe.
  for (const field of fields) {
    if (!isKnownField(field)) {
      reasons.push(reason('DATA_FIELD_UNKNOWN', field));
      continue;
    }
    if (dataset && !dataset.fields.includes(field)) reasons.push(reason('DATA_FIELD_NOT_ALLOWED', field));
    const level = FIELD_CATALOGUE[field].classification;
    if (ceiling && !atOrBelow(level, ceiling)) {
      reasons.push(reason('DATA_CLASSIFICATION_ABOVE_CEILING', `${field} is ${level}`));
    }
  }

  if (agreement && input.kind === 'aggregate' && input.query) {
    reasons.push(...checkTableData(input.query, agreement.safes.output.aggregates, dataset));
  }

  return { outcome: reasons.length ? 'fail' : 'pass', reasons };
}

/**
 * A table's dimensions and measure are judged like fields: each must be on the agreement's closed
 * list, and a field that identifies, or that the dataset pseudonymises, never groups or sums a table
 * (a table by it lists the dataset, each row a category). Dimensions are no finer than the dataset
 * releases the field: its generalisations apply before counting, a month of a year-only date is refused.
 */
function checkTableData(
  query: AggregateQuery,
  rules: AggregateRules | undefined,
  dataset: DatasetTerms | undefined,
): Reason[] {
  const reasons: Reason[] = [];
  const identifying = (field: string) =>
    isKnownField(field) && (FIELD_CATALOGUE[field].identifying || dataset?.pseudonymise.includes(field));
  for (const dimension of distinct(query.groupBy)) {
    const { field, generalise } = parseDimension(dimension);
    if (identifying(field)) reasons.push(reason('DATA_DIMENSION_IDENTIFYING', field));
    else if (!dimensionListed(dimension, rules?.dimensions ?? []))
      reasons.push(reason('DATA_DIMENSION_NOT_ALLOWED', dimension));
    else if (generalise === 'month' && dataset?.generalise?.[field] === 'year')
      reasons.push(reason('DATA_DIMENSION_NOT_ALLOWED', `${field} is released by year only`));
  }
  // A table of objects the dataset does not share would count nothing there: say so, not withhold it.
  if (query.objectType !== undefined && dataset && !dataset.objectTypes.includes(query.objectType))
    reasons.push(reason('DATA_OBJECT_TYPE_NOT_SHARED', query.objectType));
  if (typeof query.measure === 'object') {
    const field = query.measure.sum;
    if (identifying(field) || !(rules?.measures ?? []).includes(field))
      reasons.push(reason('DATA_MEASURE_NOT_ALLOWED', field));
  }
  return reasons;
}

/**
 * A lookup releases no field values, only that a provider holds a record: what must be in scope is
 * the kind of identifier asked about.
 */
function checkLookupData(input: RequestInput, agreement: Agreement | undefined): SafeResult {
  if (!agreement) return { outcome: 'fail', reasons: [reason('DATA_NO_AGREEMENT')] };
  const objectTypes = new Set(lookupDatasets(agreement).flatMap((d) => d.objectTypes));
  const reasons: Reason[] = [];
  for (const type of distinct(input.identifiers.map((i) => i.type))) {
    const carriers: readonly string[] = IDENTIFIER_TYPES[type as IdentifierType] ?? [];
    if (!carriers.some((t) => objectTypes.has(t)))
      reasons.push(reason('DATA_IDENTIFIER_TYPE_NOT_IN_SCOPE', type));
  }
  return { outcome: reasons.length ? 'fail' : 'pass', reasons };
}

/** The datasets of an agreement that providers share for hit/no-hit lookups. */
export function lookupDatasets(agreement: Agreement): DatasetTerms[] {
  return agreement.datasets.filter((d) => d.lookup === true);
}

/** The dataset a request addresses: its id and its provider must both match. */
export function findDataset(agreement: Agreement, input: RequestInput): DatasetTerms | undefined {
  return agreement.datasets.find((d) => d.id === input.datasetId && d.provider === input.providerId);
}

/** Request order, first occurrence kept. */
export function distinct(items: readonly string[]): string[] {
  return [...new Set(items)];
}

function atOrBelow(level: Classification, ceiling: Classification): boolean {
  const at = CLASSIFICATIONS.indexOf(level);
  const max = CLASSIFICATIONS.indexOf(ceiling);
  // An unrecognised level on either side is treated as above the ceiling.
  return at >= 0 && max >= 0 && at <= max;
}
