/**
 * Whom a question reaches: every provider of the agreement, each through one dataset it shares under
 * it, the first whose object types fit the identifiers asked about (else its first). The fields asked
 * are the dataset's allowed fields less personal data: as on the request form, personal data is asked
 * for by choice (a detail request to the provider that knows), never by default, least of all from
 * every provider at once. The obligations then minimise them as for any request.
 */
import type { Agreement, DatasetTerms } from '../policy/types';
import { FIELD_CATALOGUE } from '../records/canonical';
import type { IdentifierInput } from '../safes/types';

/** The object types each identifier type names. */
const OBJECT_TYPES: Record<string, readonly string[]> = {
  vin: ['vehicle'],
  'vehicle-registration': ['vehicle'],
  hin: ['boat'],
  'boat-registration': ['boat'],
  'engine-serial': ['boat-engine', 'vehicle-part'],
  'part-serial': ['vehicle-part'],
};

export interface QuestionTarget {
  providerId: string;
  dataset: DatasetTerms;
  fields: string[];
}

export function questionTargets(agreement: Agreement, identifiers: IdentifierInput[]): QuestionTarget[] {
  const wanted = new Set(identifiers.flatMap((i) => OBJECT_TYPES[i.type] ?? []));
  return agreement.parties.providers.flatMap((providerId) => {
    const own = agreement.datasets.filter((d) => d.provider === providerId);
    const dataset = own.find((d) => d.objectTypes.some((t) => wanted.has(t))) ?? own[0];
    if (!dataset) return [];
    return [{ providerId, dataset, fields: dataset.fields.filter((f) => !FIELD_CATALOGUE[f]?.personal) }];
  });
}
