/** The cheap record check never accepts what ajv rejects, and accepts the adapters' usual records. */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { boatregNl } from '../../../adapters/boatreg-nl/mapping';
import { createAjv } from '../../../src/config/ajv';
import { mapAll } from '../../../src/mapping/run';
import { surelyValid } from '../../../src/records/valid-fast';
import boatEngineSchema from '../../../schemas/sis/boat-engine.schema.json';
import boatSchema from '../../../schemas/sis/boat.schema.json';
import recordSchema from '../../../schemas/sis/record.schema.json';

const ajv = createAjv();
ajv.addSchema(recordSchema);
const validators = { boat: ajv.compile(boatSchema), 'boat-engine': ajv.compile(boatEngineSchema) };
const ajvValid = (record: Record<string, unknown>): boolean => {
  const validate = validators[record.objectType as keyof typeof validators];
  return validate ? validate(record) : false;
};

// Strings around every limit of the schema, with surrogate pairs (one code point, two units).
const pair = '\u{1F600}';
const stringAround = fc.oneof(
  fc.constantFrom('', 'x', ' ', pair, '\uD800', 'Zeemeeuw', 'NL-HXAB7A33G293', 'MERCURY:AB-1'),
  fc
    .tuple(fc.constantFrom(1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 255, 256, 257), fc.boolean())
    .map(([n, astral]) => (astral ? pair.repeat(Math.ceil(n / 2)) : 'a'.repeat(n))),
);
const dateAround = fc.constantFrom(
  '2020-02-29',
  '2021-02-29',
  '2021-02-28',
  '2021-13-01',
  '2021-00-10',
  '2021-1-01',
  '20210101',
  '2021-04-31',
  ' 2021-04-30',
  '2021-04-30',
);
const valueAround = fc.oneof(
  { weight: 5, arbitrary: stringAround },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      undefined,
      null,
      0,
      1850,
      1849,
      2100,
      2101,
      1999.5,
      -0,
      Infinity,
      NaN,
      true,
      [],
      {},
    ),
  },
);
/** Numbers around a magnitude's limits [0, max], and things that are not numbers. */
const magnitudeAround = (max: number) =>
  fc.constantFrom(0, -0, -1, 0.5, 150, max, max + 1, NaN, Infinity, '150', null, undefined);
const ownerArb = fc.oneof(
  fc.record(
    {
      name: valueAround,
      postcode: valueAround,
      since: fc.oneof(dateAround, valueAround),
      address: valueAround,
      dateOfBirth: dateAround,
    },
    { requiredKeys: [] },
  ),
  fc.record({ name: stringAround, extra: stringAround }, { requiredKeys: ['extra'] }),
  fc.constantFrom(undefined, null, 'owner', []),
);
const fields = {
  sourceRef: valueAround,
  linkId: valueAround,
  objectType: fc.constantFrom('boat', 'boat-engine', 'vehicle', 'constructor', undefined),
  status: fc.constantFrom('stolen', 'missing', 'registered', 'recovered', 'lost', undefined),
  identifier: fc.oneof(
    fc.record(
      {
        type: fc.constantFrom('hin', 'boat-registration', 'engine-serial', 'vin', 'x'),
        value: valueAround,
        extra: valueAround,
      },
      { requiredKeys: [] },
    ),
    fc.constantFrom(undefined, null, 'hin'),
  ),
  name: valueAround,
  partKind: valueAround,
  make: valueAround,
  model: valueAround,
  colour: valueAround,
  year: fc.oneof(fc.constantFrom(1850, 1849, 2100, 2101, 1999.5, 2000, '2000'), fc.integer()),
  powerKw: magnitudeAround(100_000),
  insuredValue: magnitudeAround(1_000_000_000),
  salePrice: magnitudeAround(1_000_000_000),
  theft: fc.constantFrom({}, { place: 'x' }),
  owner: ownerArb,
  other: stringAround,
};
/** A valid boat or engine record (as boatreg-nl makes them) with one to three fields replaced. */
const recordArb = fc
  .tuple(
    fc.boolean(),
    fc.array(
      fc.oneof(
        ...Object.entries(fields).map(([key, arb]) => arb.map((value: unknown) => [key, value] as const)),
      ),
      { minLength: 1, maxLength: 3 },
    ),
  )
  .map(([boat, changes]) => {
    const record: Record<string, unknown> = {
      sourceRef: 'NL-0000001-B',
      linkId: 'boatreg-nl:NL-0000001-B',
      objectType: boat ? 'boat' : 'boat-engine',
      status: 'registered',
      identifier: boat
        ? { type: 'hin', value: 'BELINAAAAEH494' }
        : { type: 'engine-serial', value: 'YAMAHA:AAAAA-1783' },
      ...(boat ? { name: 'Aurora' } : {}),
      make: 'Quicksilver',
      model: 'SPX 190',
      colour: 'blue',
      year: 1994,
      owner: { name: 'Piet Jansen', postcode: '6938 GT', since: '1998-02-27' },
    };
    for (const [key, value] of changes) record[key] = value;
    return record;
  });

describe('surelyValid', () => {
  it('is never true for a record ajv rejects', () => {
    let accepted = 0;
    fc.assert(
      fc.property(recordArb, (record) => {
        if (!surelyValid(record)) return;
        accepted++;
        expect(ajvValid(record)).toBe(true);
      }),
      { numRuns: 20000 },
    );
    // (The generator must reach the fast path often enough for this to mean something.)
    expect(accepted).toBeGreaterThan(50);
  });

  it('is true for every record boatreg-nl makes of its fixtures', async () => {
    const file = path.resolve(__dirname, '../../../adapters/boatreg-nl/fixtures/sample.csv');
    const { records } = await mapAll(boatregNl, fs.createReadStream(file), 'csv');
    expect(records.length).toBeGreaterThan(5);
    expect(records.filter((r) => !surelyValid(r))).toEqual([]);
  });

  it('knows every keyword the boat schemas use (a new one must be added to it, or this fails)', () => {
    const keywords = new Set<string>();
    const walk = (schema: unknown, where: string): void => {
      if (typeof schema !== 'object' || schema === null) return;
      for (const [key, value] of Object.entries(schema)) {
        keywords.add(`${where}:${key}`);
        if (key === 'properties')
          for (const [name, sub] of Object.entries(value as object)) walk(sub, `${where}.${name}`);
      }
    };
    walk(recordSchema, 'record');
    walk(boatSchema, 'boat');
    walk(boatEngineSchema, 'boat-engine');
    expect([...keywords].sort()).toMatchSnapshot();
  });
});
