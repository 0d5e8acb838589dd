import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {
  insureco,
  unmapInsureco,
  type Claim,
  type ClaimIdentifier,
} from '../../../adapters/insureco/mapping';
import { identifierKey } from '../../../src/identifiers';
import { mapAll } from '../../../src/mapping/run';
import {
  dateArb,
  hinArb,
  keysByLink,
  makeArb,
  NUM_RUNS,
  recordsOf,
  registrationArb,
  serialArb,
  shuffle,
  streamOf,
  textArb,
  vinArb,
  yearArb,
} from './arbitraries';

const FIXTURES = path.resolve(__dirname, '../../../adapters/insureco/fixtures');
const open = (name: string) => fs.createReadStream(path.join(FIXTURES, name));

const keyOf = (id: ClaimIdentifier, objectMake?: string): string => {
  switch (id.scheme) {
    case 'VIN':
      return identifierKey('vin', id.value);
    case 'HIN':
      return identifierKey('hin', id.value);
    case 'PLATE':
      return `plate:${identifierKey('vehicle-registration', id.value).split(':')[1]}`;
    case 'ENGINE':
      return identifierKey('engine-serial', `${id.make ?? objectMake}:${id.value}`);
  }
};

describe('insureco', () => {
  it('maps a claim to one stolen record per identifier, with the theft and no owner', async () => {
    const { records, quarantine, summary } = await mapAll(insureco, open('sample.json'), 'json');
    expect(quarantine).toEqual([]);
    expect(summary).toEqual({ read: 3, mapped: 3, quarantined: 0, records: 7 });
    const theft = { date: '2024-05-20', place: 'Loosdrecht, jachthaven' };
    expect(records.filter((r) => r.linkId === 'insureco:CLM-2024-0002')).toEqual([
      {
        sourceRef: 'CLM-2024-0002/1',
        linkId: 'insureco:CLM-2024-0002',
        objectType: 'boat',
        status: 'stolen',
        identifier: { type: 'hin', value: 'NL-HXAB7A33G293' },
        make: 'Bayliner',
        model: 'VR5',
        year: 2019,
        insuredValue: 42000,
        theft,
      },
      {
        sourceRef: 'CLM-2024-0002/2',
        linkId: 'insureco:CLM-2024-0002',
        objectType: 'boat',
        status: 'stolen',
        identifier: { type: 'boat-registration', value: 'NL8841AB' },
        make: 'Bayliner',
        model: 'VR5',
        year: 2019,
        insuredValue: 42000,
        theft,
      },
      {
        sourceRef: 'CLM-2024-0002/3',
        linkId: 'insureco:CLM-2024-0002',
        objectType: 'boat-engine',
        status: 'stolen',
        identifier: { type: 'engine-serial', value: 'MERCURY:2B123456' },
        make: 'Mercury', // the engine carries no insured value: the claim's is summed once, on the boat
        theft,
      },
    ]);
    expect(records.every((r) => r.owner === undefined && r.status === 'stolen')).toBe(true);
    expect(records.find((r) => r.objectType === 'vehicle-part')).toMatchObject({
      partKind: 'engine',
      identifier: { value: 'HONDA:K24A11234567' },
    });
  });

  it('reads the same claims as NDJSON', async () => {
    const claims = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'sample.json'), 'utf8')) as unknown[];
    const ndjson = claims.map((c) => JSON.stringify(c)).join('\n');
    const fromJson = await mapAll(insureco, open('sample.json'), 'json');
    const fromNdjson = await mapAll(insureco, streamOf(ndjson), 'ndjson');
    expect(fromNdjson.records).toEqual(fromJson.records);
  });

  it('quarantines the broken claims exactly, and mapped + quarantined = read', async () => {
    const { quarantine, summary } = await mapAll(insureco, open('broken.json'), 'json');
    expect(quarantine.map(({ row, field, code }) => ({ row, field, code }))).toEqual([
      { row: 2, field: 'insuredObject.identifiers[0].value', code: 'VIN_CHECK_DIGIT' },
      { row: 3, field: 'claimId', code: 'FIELD_MISSING' },
      { row: 4, field: 'insuredObject.year', code: 'FIELD_TYPE' },
      { row: 5, field: 'insuredObject.identifiers[0].value', code: 'DUPLICATE_IDENTIFIER' },
      { row: 6, field: 'insuredObject.identifiers[0].scheme', code: 'FIELD_VALUE' },
      { row: 7, field: null, code: 'ROW_MALFORMED' },
    ]);
    expect(summary).toEqual({ read: 8, mapped: 2, quarantined: 6, records: 3 });
    expect(summary.mapped + summary.quarantined).toBe(summary.read);
  });

  it('unmaps records back to claims', async () => {
    const { records } = await mapAll(insureco, open('sample.json'), 'json');
    const claims = unmapInsureco(shuffle(records, 11));
    expect(claims.find((c) => c.claimId === 'CLM-2024-0001')).toEqual({
      claimId: 'CLM-2024-0001',
      insuredObject: {
        kind: 'vehicle',
        identifiers: [
          { scheme: 'VIN', value: '1HGCM82633A004352' },
          { scheme: 'PLATE', value: 'GV123X' },
          { scheme: 'ENGINE', value: 'K24A11234567', make: 'Honda' },
        ],
        make: 'Honda',
        model: 'Accord',
        year: 2003,
        insuredValue: 18500,
      },
      theft: { date: '2024-03-02', place: 'Utrecht' },
    });
  });

  const identifiersArb = (kind: 'vehicle' | 'boat') =>
    fc.array(
      fc.oneof(
        (kind === 'vehicle' ? vinArb : hinArb).map((value): ClaimIdentifier => ({
          scheme: kind === 'vehicle' ? 'VIN' : 'HIN',
          value,
        })),
        registrationArb.map((value): ClaimIdentifier => ({ scheme: 'PLATE', value })),
        fc
          .record({ value: serialArb, make: fc.option(makeArb, { nil: undefined }) })
          .map(({ value, make }): ClaimIdentifier =>
            make ? { scheme: 'ENGINE', value, make } : { scheme: 'ENGINE', value },
          ),
      ),
      { minLength: 1, maxLength: 5 },
    );

  const claimArb: fc.Arbitrary<Claim> = fc
    .record({
      claimId: fc.stringMatching(/^CLM-[0-9]{4}-[0-9A-Z]{1,8}$/),
      kind: fc.constantFrom('vehicle' as const, 'boat' as const),
      make: makeArb,
      model: fc.option(textArb, { nil: undefined }),
      year: fc.option(yearArb, { nil: undefined }),
      date: dateArb,
      place: fc.option(textArb, { nil: undefined }),
    })
    .chain((c) =>
      identifiersArb(c.kind).map((identifiers): Claim => ({
        claimId: c.claimId,
        insuredObject: JSON.parse(
          JSON.stringify({ kind: c.kind, identifiers, make: c.make, model: c.model, year: c.year }),
        ) as Claim['insuredObject'],
        theft: JSON.parse(JSON.stringify({ date: c.date, place: c.place })) as Claim['theft'],
        reportedAt: `${c.date}T12:00:00Z`,
      })),
    )
    .filter((claim) => {
      const keys = claim.insuredObject.identifiers.map((id) => keyOf(id, claim.insuredObject.make));
      return new Set(keys).size === keys.length;
    });

  it('property: map → unmap keeps every identifier and link; map(unmap(map(x))) = map(x)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(claimArb, { minLength: 1, maxLength: 4, selector: (c) => c.claimId }),
        fc.nat(),
        (claims, seed) => {
          const mapped = claims.map((claim, i) =>
            recordsOf(insureco.map(claim as unknown as Record<string, unknown>, i + 1)),
          );
          claims.forEach((claim, i) => {
            expect(mapped[i]).toHaveLength(claim.insuredObject.identifiers.length);
            expect(new Set(mapped[i]!.map((r) => r.linkId))).toEqual(new Set([`insureco:${claim.claimId}`]));
          });
          const all = mapped.flat();
          const remapped = unmapInsureco(shuffle(all, seed)).flatMap((claim, i) =>
            recordsOf(insureco.map(claim as unknown as Record<string, unknown>, i + 1)),
          );
          expect(keysByLink(remapped)).toEqual(keysByLink(all));
          const again = unmapInsureco(all).map((claim, i) =>
            recordsOf(insureco.map(claim as unknown as Record<string, unknown>, i + 1)),
          );
          expect(again).toEqual(mapped);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});
