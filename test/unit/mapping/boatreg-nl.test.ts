import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {
  boatregNl,
  csvColumns,
  STATUS_MAP,
  toCsvRow,
  unmapBoatreg,
  type BoatregRow,
} from '../../../adapters/boatreg-nl/mapping';
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
  textArb,
  yearArb,
} from './arbitraries';

const FIXTURES = path.resolve(__dirname, '../../../adapters/boatreg-nl/fixtures');
const open = (name: string) => fs.createReadStream(path.join(FIXTURES, name));

const jan = { name: 'Jan Pietersen', postcode: '1011 AB', since: '2020-05-14' };
const zeemeeuw = {
  sourceRef: 'NL8841AB',
  linkId: 'boatreg-nl:NL8841AB',
  status: 'registered',
  name: 'Zeemeeuw',
  make: 'Bayliner',
  model: 'VR5',
  colour: 'white',
  year: 2019,
  owner: jan,
};
const firstRowRecords = [
  { ...zeemeeuw, objectType: 'boat', identifier: { type: 'hin', value: 'NL-HXAB7A33G293' } },
  { ...zeemeeuw, objectType: 'boat', identifier: { type: 'hin', value: 'US-BMA45678H485' } },
  { ...zeemeeuw, objectType: 'boat', identifier: { type: 'boat-registration', value: 'NL8841AB' } },
  {
    sourceRef: 'NL8841AB/E1',
    linkId: 'boatreg-nl:NL8841AB',
    objectType: 'boat-engine',
    status: 'registered',
    identifier: { type: 'engine-serial', value: 'MERCURY:2B123456' },
    make: 'Mercury',
    powerKw: 150,
    owner: jan,
  },
];

describe('boatreg-nl', () => {
  it.each([
    ['sample.csv', 'csv'],
    ['sample.json', 'json'],
  ] as const)(
    'maps %s: one record per hull number, registration and engine, sharing the linkId',
    async (file, format) => {
      const { records, quarantine, summary } = await mapAll(boatregNl, open(file), format);
      expect(quarantine).toEqual([]);
      expect(summary).toEqual({ read: 5, mapped: 5, quarantined: 0, records: 14 });
      expect(summary.mapped + summary.quarantined).toBe(summary.read);
      expect(records.slice(0, 4)).toEqual(firstRowRecords);
      // Dutch statuses; an unregistered vessel is linked through its first hull number.
      expect(
        records.filter((r) => r.linkId === 'boatreg-nl:NL1200ZX').map((r) => [r.status, r.identifier.value]),
      ).toEqual([
        ['stolen', 'NL-BEN12345C818'],
        ['stolen', 'NL1200ZX'],
        ['stolen', 'YAMAHA:6CE1004567'],
        ['stolen', 'YAMAHA:6CE1004568'],
      ]);
      expect(records.find((r) => r.name === 'Zonder Nummer')).toMatchObject({
        sourceRef: 'DE-SEA00042F212',
        linkId: 'boatreg-nl:HIN:DE-SEA00042F212',
      });
      expect(new Set(records.map((r) => r.status))).toEqual(
        new Set(['registered', 'stolen', 'missing', 'recovered']),
      );
      // The engine sourceRefs number the engines.
      expect(records.filter((r) => r.objectType === 'boat-engine').map((r) => r.sourceRef)).toEqual([
        'NL8841AB/E1',
        'NL1200ZX/E1',
        'NL1200ZX/E2',
        'NL3003CD/E1',
        'NL4404EF/E1',
      ]);
    },
  );

  it('the CSV and the JSON form of the same registry give the same records', async () => {
    const csv = await mapAll(boatregNl, open('sample.csv'), 'csv');
    const json = await mapAll(boatregNl, open('sample.json'), 'json');
    expect(csv.records).toEqual(json.records);
  });

  it('quarantines the broken fixture row by row, with field and code, and accounts for every row', async () => {
    const { quarantine, summary, records } = await mapAll(boatregNl, open('broken.csv'), 'csv');
    expect(quarantine.map(({ row, field, code }) => ({ row, field, code }))).toEqual([
      { row: 2, field: 'hull_numbers', code: 'HIN_MONTH' },
      { row: 3, field: 'status', code: 'FIELD_MISSING' },
      { row: 4, field: 'build_year', code: 'FIELD_TYPE' },
      { row: 5, field: 'hull_numbers', code: 'DUPLICATE_IDENTIFIER' },
      { row: 7, field: null, code: 'ROW_MALFORMED' },
      { row: 8, field: 'owner_since', code: 'FIELD_FORMAT' },
      { row: 8, field: 'status', code: 'FIELD_VALUE' },
      { row: 9, field: 'engine1_serial', code: 'FIELD_MISSING' },
    ]);
    // The first row is on line 2 (after the header).
    expect(quarantine[3]!.message).toContain('line 2');
    expect(summary).toEqual({ read: 9, mapped: 2, quarantined: 7, records: 6 });
    expect(summary.mapped + summary.quarantined).toBe(summary.read);
    expect(new Set(records.map((r) => r.linkId))).toEqual(
      new Set(['boatreg-nl:NL8841AB', 'boatreg-nl:NL9009OP']),
    );
  });

  it('names JSON paths for JSON rows', () => {
    const outcome = boatregNl.map(
      {
        registrationNo: 'NL-1-A',
        status: 'registered',
        hullNumbers: ['NL-HXA12345M219'],
        engines: [{ make: 'Mercury' }],
      },
      4,
    );
    expect(outcome).toEqual({
      quarantine: [{ row: 4, field: 'engines[0].serial', code: 'FIELD_MISSING', message: 'is required' }],
    });
    const hin = boatregNl.map(
      { registrationNo: 'NL-1-A', status: 'registered', hullNumbers: ['NL-HXA12345M219'] },
      5,
    );
    expect(hin).toMatchObject({ quarantine: [{ row: 5, field: 'hullNumbers[0]', code: 'HIN_MONTH' }] });
  });

  it('needs a registration number or a hull number', () => {
    expect(boatregNl.map({ registration_no: '', hull_numbers: '', status: 'actief' }, 1)).toMatchObject({
      quarantine: [{ field: 'registration_no', code: 'FIELD_MISSING' }],
    });
  });

  it('reads engine columns of any count, skipping empty engine slots', () => {
    const row: Record<string, string> = { registration_no: 'AB12', status: 'registered' };
    row.engine3_make = 'Yamaha';
    row.engine3_serial = 'X1';
    row.engine12_make = 'Mercury';
    row.engine12_serial = 'Y2';
    row.engine1_make = '';
    row.engine1_serial = '';
    const records = recordsOf(boatregNl.map(row, 1));
    expect(records.map((r) => [r.sourceRef, r.identifier.value])).toEqual([
      ['AB12', 'AB12'],
      ['AB12/E1', 'YAMAHA:X1'],
      ['AB12/E2', 'MERCURY:Y2'],
    ]);
    row.engine12_serial = 'Y 2 ?';
    expect(boatregNl.map(row, 1)).toMatchObject({
      quarantine: [{ field: 'engine12_serial', code: 'SERIAL_CHARACTER' }],
    });
  });

  it('unmaps the sample back to rows holding every identifier and link', async () => {
    const { records } = await mapAll(boatregNl, open('sample.json'), 'json');
    const rows = unmapBoatreg(shuffle(records, 7));
    expect(rows).toHaveLength(5);
    const zee = rows.find((r) => r.registrationNo === 'NL8841AB')!;
    expect(zee).toMatchObject({
      hullNumbers: expect.arrayContaining(['NL-HXAB7A33G293', 'US-BMA45678H485']),
      engines: [{ make: 'Mercury', serial: '2B123456', powerKw: 150 }],
      status: 'registered',
      owner: jan,
    });
    const again = rows.flatMap((row, i) => recordsOf(boatregNl.map(row, i + 1)));
    expect(keysByLink(again)).toEqual(keysByLink(records));
  });

  const engineArb = fc.record({
    make: makeArb,
    serial: serialArb,
    powerKw: fc.option(fc.integer({ min: 1, max: 500 }), { nil: undefined }),
  });
  const rowArb: fc.Arbitrary<BoatregRow> = fc
    .record(
      {
        registrationNo: registrationArb,
        vesselName: textArb,
        hullNumbers: fc.uniqueArray(hinArb, {
          minLength: 1,
          maxLength: 4,
          selector: (h) => identifierKey('hin', h),
        }),
        make: textArb,
        model: textArb,
        colour: textArb,
        buildYear: yearArb,
        status: fc
          .constantFrom(...Object.keys(STATUS_MAP))
          .chain((s) => fc.constantFrom(s, s.toUpperCase(), ` ${s} `)),
        owner: fc.record(
          { name: textArb, postcode: textArb.map((s) => s.slice(0, 16)), since: dateArb },
          { requiredKeys: [] },
        ),
        engines: fc.uniqueArray(engineArb, {
          maxLength: 3,
          selector: (e) => identifierKey('engine-serial', `${e.make}:${e.serial}`),
        }),
      },
      { requiredKeys: ['hullNumbers', 'status'] },
    )
    .map((row) => {
      // No registration and a hull number is fine; an empty owner is no owner.
      const out = { ...row } as BoatregRow;
      if (out.owner && Object.keys(out.owner).length === 0) delete out.owner;
      if (out.engines?.length === 0) delete out.engines;
      for (const e of out.engines ?? []) if (e.powerKw === undefined) delete e.powerKw;
      return out;
    });

  it('property: map → unmap keeps every identifier and link, and map(unmap(map(x))) = map(x), JSON and CSV form', () => {
    fc.assert(
      fc.property(
        fc.array(rowArb, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        fc.nat(),
        (rows, asCsv, seed) => {
          const width = Math.max(0, ...rows.map((r) => r.engines?.length ?? 0));
          const mapped = rows.map((row, i) =>
            recordsOf(
              boatregNl.map(
                asCsv ? toCsvRow(row, width) : (row as unknown as Record<string, unknown>),
                i + 1,
              ),
            ),
          );
          // Distinct vessels: rows sharing a linkId would merge on unmap, which is the point of linkId.
          const links = new Set(mapped.map((records) => records[0]!.linkId));
          fc.pre(links.size === rows.length);
          const all = mapped.flat();

          // Every identifier of a row is in one of its records (checked on the partner row, not via map).
          rows.forEach((row, i) => {
            const keys = new Set(mapped[i]!.map((r) => identifierKey(r.identifier.type, r.identifier.value)));
            for (const h of row.hullNumbers ?? []) expect(keys.has(identifierKey('hin', h))).toBe(true);
            if (row.registrationNo)
              expect(keys.has(identifierKey('boat-registration', row.registrationNo))).toBe(true);
            for (const e of row.engines ?? [])
              expect(keys.has(identifierKey('engine-serial', `${e.make}:${e.serial}`))).toBe(true);
          });

          const unmapped = unmapBoatreg(shuffle(all, seed));
          expect(unmapped).toHaveLength(rows.length);
          const remapped = unmapped.flatMap((row, i) =>
            recordsOf(boatregNl.map(row as unknown as Record<string, unknown>, i + 1)),
          );
          expect(keysByLink(remapped)).toEqual(keysByLink(all));

          // In order, the round trip is exact.
          const again = unmapBoatreg(all).map((row, i) =>
            recordsOf(boatregNl.map(row as unknown as Record<string, unknown>, i + 1)),
          );
          expect(again).toEqual(mapped);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('toCsvRow writes every column of csvColumns', () => {
    expect(Object.keys(toCsvRow({ status: 'registered', engines: [{ make: 'A', serial: 'B' }] }))).toEqual(
      csvColumns(1),
    );
  });
});
