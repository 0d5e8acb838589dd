import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { autodealersNl, CSV_COLUMNS, unmapAutodealers } from '../../../adapters/autodealers-nl/mapping';
import { identifierKey } from '../../../src/identifiers';
import { mapAll } from '../../../src/mapping/run';
import {
  dateArb,
  keysByLink,
  makeArb,
  NUM_RUNS,
  recordsOf,
  registrationArb,
  serialArb,
  shuffle,
  textArb,
  vinArb,
  yearArb,
} from './arbitraries';

const FIXTURES = path.resolve(__dirname, '../../../adapters/autodealers-nl/fixtures');
const open = (name: string) => fs.createReadStream(path.join(FIXTURES, name));

describe('autodealers-nl', () => {
  it('maps a sale to a VIN record, a plate record and an engine part, linked by VIN, the buyer as owner', async () => {
    const { records, quarantine, warnings, summary } = await mapAll(autodealersNl, open('sample.csv'), 'csv');
    expect(quarantine).toEqual([]);
    expect(summary).toEqual({ read: 4, mapped: 4, quarantined: 0, records: 11 });
    const owner = {
      name: 'Sanne Visser',
      dateOfBirth: '1985-02-17',
      postcode: '3512 AB',
      since: '2019-04-01',
    };
    const car = {
      sourceRef: '1HGCM82633A004352',
      linkId: 'autodealers-nl:1HGCM82633A004352',
      objectType: 'vehicle',
      status: 'registered',
      make: 'Honda',
      model: 'Accord',
      colour: 'silver',
      year: 2003,
      salePrice: 4250,
      owner,
    };
    expect(records.slice(0, 3)).toEqual([
      { ...car, identifier: { type: 'vin', value: '1HGCM82633A004352' } },
      { ...car, identifier: { type: 'vehicle-registration', value: 'GV123X' } },
      {
        sourceRef: '1HGCM82633A004352/engine',
        linkId: 'autodealers-nl:1HGCM82633A004352',
        objectType: 'vehicle-part',
        status: 'registered',
        identifier: { type: 'engine-serial', value: 'HONDA:K24A11234567' },
        partKind: 'engine',
        make: 'Honda', // the engine carries no price: the sale is summed once, on the vehicle
        owner,
      },
    ]);
    // engine_make overrides the vehicle make for the serial's manufacturer.
    expect(records.find((r) => r.sourceRef === '1M8GDM9AXKP042788/engine')?.identifier.value).toBe(
      'DETROITDIESEL:DD6V9255',
    );
    // A European VIN's check digit is only warned about; the row is mapped.
    expect(warnings).toEqual([expect.objectContaining({ row: 2, field: 'vin', code: 'VIN_CHECK_DIGIT' })]);
    // No plate, no plate record.
    expect(records.filter((r) => r.linkId === 'autodealers-nl:WBA3A5C57CF256651')).toHaveLength(2);
  });

  it('quarantines the broken ledger exactly, and mapped + quarantined = read', async () => {
    const { quarantine, summary } = await mapAll(autodealersNl, open('broken.csv'), 'csv');
    expect(quarantine.map(({ row, field, code }) => ({ row, field, code }))).toEqual([
      { row: 2, field: 'vin', code: 'VIN_CHECK_DIGIT' },
      { row: 3, field: 'vin', code: 'FIELD_MISSING' },
      { row: 4, field: 'year', code: 'FIELD_TYPE' },
      { row: 5, field: 'vin', code: 'DUPLICATE_IDENTIFIER' },
      { row: 7, field: null, code: 'ROW_MALFORMED' },
      { row: 8, field: 'buyer_dob', code: 'FIELD_FORMAT' },
    ]);
    expect(quarantine[3]!.message).toMatch(/line 2 \(first occurrence wins\)/);
    expect(summary).toEqual({ read: 8, mapped: 2, quarantined: 6, records: 6 });
    expect(summary.mapped + summary.quarantined).toBe(summary.read);
  });

  it('unmaps to ledger rows with every column', async () => {
    const { records } = await mapAll(autodealersNl, open('sample.csv'), 'csv');
    const rows = unmapAutodealers(shuffle(records, 3));
    expect(rows).toHaveLength(4);
    expect(rows.find((r) => r.vin === '1M8GDM9AXKP042788')).toEqual({
      vin: '1M8GDM9AXKP042788',
      engine_number: 'DD6V9255',
      engine_make: 'Detroit Diesel',
      plate: 'BX77LL',
      make: 'MCI',
      model: '102A3',
      colour: 'white',
      year: '1989',
      buyer_name: 'Busbedrijf Noord',
      buyer_dob: '',
      buyer_postcode: '9701 AA',
      sale_date: '2018-01-20',
      sale_price: '12500.5',
    });
    for (const row of rows) expect(Object.keys(row)).toEqual([...CSV_COLUMNS]);
  });

  const saleArb = fc
    .record(
      {
        vin: vinArb,
        engine_number: serialArb,
        engine_make: makeArb,
        plate: registrationArb,
        make: makeArb,
        model: textArb,
        colour: textArb,
        year: yearArb.map(String),
        buyer_name: textArb,
        buyer_dob: dateArb,
        buyer_postcode: textArb.map((s) => s.slice(0, 16)),
        sale_date: dateArb,
        sale_price: fc.oneof(
          fc.integer({ min: 0, max: 200_000 }).map(String),
          fc.constantFrom('12500.50', '12500,50', '0.5'),
        ),
      },
      { requiredKeys: ['vin', 'make'] },
    )
    .map((sale) =>
      Object.fromEntries(CSV_COLUMNS.map((c) => [c, (sale as Record<string, string>)[c] ?? ''])),
    );

  it('property: map → unmap keeps every identifier and link; map(unmap(map(x))) = map(x)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(saleArb, {
          minLength: 1,
          maxLength: 4,
          selector: (s) => identifierKey('vin', s.vin!),
        }),
        fc.nat(),
        (sales, seed) => {
          const mapped = sales.map((sale, i) => recordsOf(autodealersNl.map(sale, i + 1)));
          sales.forEach((sale, i) => {
            const keys = new Set(mapped[i]!.map((r) => identifierKey(r.identifier.type, r.identifier.value)));
            expect(keys.has(identifierKey('vin', sale.vin!))).toBe(true);
            if (sale.plate) expect(keys.has(identifierKey('vehicle-registration', sale.plate))).toBe(true);
            if (sale.engine_number) {
              const maker = sale.engine_make || sale.make;
              expect(keys.has(identifierKey('engine-serial', `${maker}:${sale.engine_number}`))).toBe(true);
            }
          });
          const all = mapped.flat();
          const remapped = unmapAutodealers(shuffle(all, seed)).flatMap((row, i) =>
            recordsOf(autodealersNl.map(row, i + 1)),
          );
          expect(keysByLink(remapped)).toEqual(keysByLink(all));
          const again = unmapAutodealers(all).map((row, i) => recordsOf(autodealersNl.map(row, i + 1)));
          expect(again).toEqual(mapped);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});
