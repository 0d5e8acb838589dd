/** Whom a question reaches, through which dataset, asking which fields. */
import type { Agreement, DatasetTerms } from '../../src/policy/types';
import { questionTargets } from '../../src/questions/providers';

const dataset = (provider: string, id: string, objectTypes: string[], fields: string[]): DatasetTerms => ({
  id,
  provider,
  objectTypes,
  classification: 'restricted',
  fields,
  pseudonymise: [],
});

const agreement = {
  parties: { requesters: ['police-nl'], providers: ['dealer', 'registry', 'silent'] },
  datasets: [
    dataset('dealer', 'cars', ['vehicle'], ['identifier', 'make']),
    dataset('dealer', 'engines', ['boat-engine'], ['identifier', 'make', 'owner.name']),
    dataset('registry', 'boats', ['boat'], ['identifier', 'colour', 'owner.name', 'owner.dateOfBirth']),
  ],
} as unknown as Agreement;

describe('questionTargets', () => {
  it('takes each provider’s first dataset whose object types fit the identifiers, else its first', () => {
    const byEngine = questionTargets(agreement, [{ type: 'engine-serial', value: 'MERCURY:2B123456' }]);
    expect(byEngine.map((t) => [t.providerId, t.dataset.id])).toEqual([
      ['dealer', 'engines'],
      ['registry', 'boats'],
    ]);
    const byVin = questionTargets(agreement, [{ type: 'vin', value: '1M8GDM9AXKP042788' }]);
    expect(byVin.map((t) => t.dataset.id)).toEqual(['cars', 'boats']);
  });

  it('skips a provider that shares no dataset under the agreement', () => {
    const targets = questionTargets(agreement, [{ type: 'hin', value: 'NL-HXAB7A33G293' }]);
    expect(targets.map((t) => t.providerId)).not.toContain('silent');
  });

  it('asks for the allowed fields but personal data', () => {
    const [, registry] = questionTargets(agreement, [{ type: 'hin', value: 'NL-HXAB7A33G293' }]);
    expect(registry.fields).toEqual(['identifier', 'colour']);
  });
});
