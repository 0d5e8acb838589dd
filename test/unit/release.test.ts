import { checkAnswer, generalise, pseudonym, recordDigest, releaseView } from '../../src/requests/release';
import type { CanonicalRecord } from '../../src/records/canonical';
import type { Obligations, RequestInput } from '../../src/safes/types';
import type { DatasetTerms } from '../../src/policy/types';

const KEY = Buffer.alloc(32, 7);
const dataset: DatasetTerms = {
  id: 'vessels',
  provider: 'boatreg-nl',
  objectTypes: ['boat', 'boat-engine'],
  classification: 'restricted',
  fields: ['identifier', 'linkId', 'make', 'owner.name'],
  pseudonymise: ['owner.name'],
};
const obligations: Obligations = {
  fields: ['identifier', 'make', 'owner.name', 'owner.postcode', 'owner.dateOfBirth'],
  pseudonymise: ['owner.name'],
  generalise: { 'owner.postcode': 'district', 'owner.dateOfBirth': 'year' },
  recipients: { user: 'anna', team: null },
  maxRecords: 3,
  handling: { tlp: 'AMBER', conditions: [] },
  retentionDays: 30,
};
const input: RequestInput = {
  agreementId: 'stolen-boats',
  providerId: 'boatreg-nl',
  datasetId: 'vessels',
  identifiers: [{ type: 'hin', value: 'nl-hxab7a33g293' }],
  recordRefs: ['BR-77'],
  fields: obligations.fields,
  purpose: 'stolen-property-investigation',
  caseRef: 'NL-2026-000123',
};
const record = (over: Partial<CanonicalRecord>): CanonicalRecord => ({
  sourceRef: 'BR-1',
  linkId: 'v1',
  objectType: 'boat',
  status: 'registered',
  identifier: { type: 'hin', value: 'NL-HXAB7A33G293' },
  make: 'Bayliner',
  colour: 'white',
  owner: { name: 'Jan Pietersen', postcode: '1011 AB', dateOfBirth: '1970-04-02' },
  ...over,
});

describe('releaseView', () => {
  it('keeps only the obligated fields and pseudonymises the ones the agreement says', () => {
    const [out] = releaseView([record({})], obligations, 'stolen-boats', KEY);
    expect(out).toEqual({
      identifier: { type: 'hin', value: 'NL-HXAB7A33G293' },
      make: 'Bayliner',
      owner: { name: pseudonym(KEY, 'stolen-boats', 'Jan Pietersen'), postcode: '1011', dateOfBirth: '1970' },
    });
  });

  it.each([
    ['district', '1011 AB', '1011'],
    ['district', 'SW1A 1AA', 'SW1A'],
    ['district', '75008', '750'],
    ['year', '1970-04-02', '1970'],
    ['year', 'unknown', null],
  ])('generalises to %s: %s → %s', (to, value, expected) => {
    expect(generalise(to as 'district' | 'year', value)).toBe(expected);
  });

  it('gives equal pseudonyms within an agreement and unlinkable ones across agreements', () => {
    expect(pseudonym(KEY, 'stolen-boats', 'Jan')).toBe(pseudonym(KEY, 'stolen-boats', 'Jan'));
    expect(pseudonym(KEY, 'stolen-boats', 'Jan')).not.toBe(pseudonym(KEY, 'stolen-vehicles', 'Jan'));
    expect(pseudonym(KEY, 'stolen-boats', 'Jan')).not.toBe(pseudonym(KEY, 'stolen-boats', 'Jen'));
    expect(pseudonym(KEY, 'stolen-boats', 'Jan')).not.toBe(
      pseudonym(Buffer.alloc(32, 8), 'stolen-boats', 'Jan'),
    );
  });
});

describe('checkAnswer (the output check on the actual answer)', () => {
  const codes = (records: CanonicalRecord[]) =>
    checkAnswer(records, input, dataset, obligations).reasons.map((r) => r.code);

  it('passes records of asked identifiers (normalised), asked references, and their linked records', () => {
    const records = [
      record({}),
      record({
        sourceRef: 'BR-2',
        identifier: { type: 'engine-serial', value: 'X1' },
        objectType: 'boat-engine',
      }),
      record({ sourceRef: 'BR-77', linkId: 'v2', identifier: { type: 'hin', value: 'NL-OTHER' } }),
    ];
    expect(checkAnswer(records, input, dataset, obligations)).toEqual({ outcome: 'pass', reasons: [] });
  });

  it('fails a record nobody asked for', () => {
    expect(codes([record({ linkId: 'v9', identifier: { type: 'hin', value: 'NL-ELSE' } })])).toEqual([
      'OUTPUT_RECORD_NOT_REQUESTED',
    ]);
  });

  it('fails a record of an object type outside the dataset', () => {
    expect(codes([record({ objectType: 'vehicle' })])).toEqual(['OUTPUT_OBJECT_TYPE_NOT_ALLOWED']);
  });

  it('passes exactly the maximum and fails one more', () => {
    const linked = (n: number) =>
      Array.from({ length: n }, (_, i) =>
        record({ sourceRef: `BR-${i}`, identifier: { type: 'hin', value: `NL-${i}` } }),
      );
    expect(codes([record({}), ...linked(2)])).toEqual([]);
    expect(codes([record({}), ...linked(3)])).toEqual(['OUTPUT_ANSWER_TOO_MANY_RECORDS']);
  });
});

describe('recordDigest', () => {
  it('is the same for the same content in any key order, and differs for any change', () => {
    expect(recordDigest({ a: 1, b: { c: 2 } })).toBe(recordDigest({ b: { c: 2 }, a: 1 }));
    expect(recordDigest({ a: 1 })).not.toBe(recordDigest({ a: 2 }));
  });
});
