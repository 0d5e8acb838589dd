/**
 * The quick "certainly valid" check (src/config/fast-schema.ts) in front of ajv: on fuzzed records and
 * source rows it never says valid where ajv says invalid (so validation results cannot change), and it
 * does say valid for the ordinary valid ones (so it is worth having).
 */
import fc from 'fast-check';
import boatregSchema from '../../../adapters/boatreg-nl/source.schema.json';
import { createAjv } from '../../../src/config/ajv';
import { compileFastCheck } from '../../../src/config/fast-schema';
import { compileSourceSchema } from '../../../src/mapping/kit';
import { recordProblems } from '../../../src/records/validate';
import boatEngineSchema from '../../../schemas/sis/boat-engine.schema.json';
import boatSchema from '../../../schemas/sis/boat.schema.json';
import recordSchema from '../../../schemas/sis/record.schema.json';
import vehiclePartSchema from '../../../schemas/sis/vehicle-part.schema.json';
import vehicleSchema from '../../../schemas/sis/vehicle.schema.json';

const ajv = createAjv();
ajv.addSchema(recordSchema);
const sis = [boatSchema, boatEngineSchema, vehicleSchema, vehiclePartSchema].map((schema) => ({
  schema,
  ajv: ajv.compile(schema),
  fast: compileFastCheck(schema, { ajv, schemas: [recordSchema] }),
}));
const sourceAjv = createAjv();
const source = {
  ajv: sourceAjv.compile(boatregSchema),
  fast: compileFastCheck(boatregSchema, { ajv: sourceAjv }),
};

/** Values around every limit of the schemas: lengths, code points, dates, numbers, wrong types. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    '',
    'x',
    'NL-HXAB7A33G293',
    'x'.repeat(16),
    'x'.repeat(17),
    'x'.repeat(64),
    'x'.repeat(65),
    '\ud83d\ude00'.repeat(64),
    '\ud83d\ude00'.repeat(65),
    '\ud83d\ude00'.repeat(33),
    '\ud83d\ude00',
    '\ud83d',
    'x'.repeat(128),
    'x'.repeat(129),
    '\ud83d\ude00'.repeat(128),
    '2020-02-29',
    '2019-02-29',
    '2020-13-01',
    '2020-1-01',
    '2020-04-31',
    ' 2020-01-01',
    'registered',
    'stolen',
    'boat',
    'boat-engine',
    'vehicle',
    'vehicle-part',
    'hin',
    'boat-registration',
    'engine-serial',
    'part-serial',
    'vin',
    'vehicle-registration',
    'constructor',
    '__proto__',
    1849,
    1850,
    2100,
    2101,
    2000.5,
    -0,
    0,
    -1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    null,
    true,
    [],
    {},
  ),
  fc.string(),
  fc.integer(),
  fc.double(),
);

const key = fc.constantFrom(
  'sourceRef',
  'linkId',
  'objectType',
  'status',
  'identifier',
  'name',
  'partKind',
  'make',
  'model',
  'colour',
  'year',
  'theft',
  'owner',
  'extra',
  'type',
  'value',
  'date',
  'place',
  'dateOfBirth',
  'address',
  'postcode',
  'since',
  'registrationNo',
  'vesselName',
  'hullNumbers',
  'buildYear',
  'engines',
  'serial',
  'powerKw',
  '0',
);

type Edit = { path: ('a' | 'b' | 'c')[]; key: string; value: unknown; remove: boolean };
const edit: fc.Arbitrary<Edit> = fc.record({
  path: fc.array(fc.constantFrom('a' as const, 'b' as const, 'c' as const), { maxLength: 2 }),
  key,
  value: fc.oneof(anyValue, fc.array(anyValue, { maxLength: 3 }), fc.dictionary(key, anyValue)),
  remove: fc.boolean(),
});

/** Applies edits somewhere inside a copy of `base` (objects and arrays met on the way). */
function mutate(base: unknown, edits: Edit[]): unknown {
  const copy = structuredClone(base) as Record<string, unknown>;
  for (const e of edits) {
    let target: unknown = copy;
    for (const step of e.path) {
      const children = Object.values(target as object).filter((v) => v !== null && typeof v === 'object');
      if (!children.length) break;
      target = children[{ a: 0, b: 1, c: 2 }[step] % children.length];
    }
    const t = target as Record<string, unknown>;
    if (Array.isArray(t)) {
      if (e.remove) t.pop();
      else t.push(e.value);
    } else if (e.remove) delete t[e.key];
    else t[e.key] = e.value;
  }
  return copy;
}

const owner = { name: 'Jan Smit', postcode: '8536 AS', since: '2003-04-02' };
const records = [
  {
    sourceRef: 'NL0000000A',
    linkId: 'boatreg-nl:NL0000000A',
    objectType: 'boat',
    status: 'missing',
    identifier: { type: 'hin', value: 'FR-BAVAAAAAC303' },
    name: 'Snelle Jelle',
    make: 'Jeanneau',
    model: 'SPX 190',
    colour: 'black',
    year: 2003,
    owner,
  },
  {
    sourceRef: 'NL0000000A/E1',
    linkId: 'boatreg-nl:NL0000000A',
    objectType: 'boat-engine',
    status: 'stolen',
    identifier: { type: 'engine-serial', value: 'MERCURY:2B123456' },
    make: 'Mercury',
    owner,
  },
  {
    sourceRef: 'AB-12-CD',
    objectType: 'vehicle',
    status: 'stolen',
    identifier: { type: 'vin', value: 'WVWZZZ1JZXW000001' },
    theft: { date: '2024-02-29', place: 'Utrecht' },
  },
  {
    sourceRef: 'P1',
    objectType: 'vehicle-part',
    status: 'recovered',
    partKind: 'gearbox',
    identifier: { type: 'part-serial', value: 'ZF:123' },
  },
];
const rows = [
  {
    registrationNo: 'NL-8841-AB',
    vesselName: 'Zeemeeuw',
    hullNumbers: ['NL-HXAB7A33G293', 'US-BMA45678H485'],
    make: 'Bayliner',
    buildYear: 2019,
    status: 'Geregistreerd',
    owner,
    engines: [{ make: 'Mercury', serial: '2B123456', powerKw: 150 }],
  },
  { status: 'gestolen', hullNumbers: ['NLBEN12345C818'] },
];

describe('compileFastCheck', () => {
  it('says valid for the valid records and source rows', () => {
    for (const record of records) {
      const { fast, ajv: full } = sis.find(
        (s) => s.schema.properties.objectType.const === record.objectType,
      )!;
      expect(full(record)).toBe(true);
      expect(fast(record)).toBe(true);
    }
    for (const row of rows) {
      expect(source.ajv(row)).toBe(true);
      expect(source.fast(row)).toBe(true);
    }
  });

  it('never says valid where ajv does not (SIS records, every object type schema)', () => {
    let fastValid = 0;
    let ajvValid = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...records),
        fc.array(edit, { maxLength: 3 }),
        fc.constantFrom(...sis),
        (record, edits, s) => {
          const value = mutate(record, edits);
          const fast = s.fast(value);
          const full = s.ajv(value);
          if (fast) expect(full).toBe(true);
          if (fast) fastValid++;
          if (full) ajvValid++;
        },
      ),
      { numRuns: 20_000 },
    );
    // The quick check is not a no-op: it accepts most of what ajv accepts.
    expect(fastValid).toBeGreaterThan(ajvValid * 0.8);
  });

  it('never says valid where ajv does not (boatreg-nl source rows)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...rows), fc.array(edit, { maxLength: 3 }), (row, edits) => {
        const value = mutate(row, edits);
        if (source.fast(value)) expect(source.ajv(value)).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it('gives up (defers to ajv) on keywords it does not know', () => {
    const schema = { type: 'object', properties: { a: { type: 'string', pattern: '^x$' } } };
    const fast = compileFastCheck(schema, { ajv: createAjv() });
    expect(fast({})).toBe(true); // the unknown keyword is in a property that is absent
    expect(fast({ a: 'x' })).toBe(false);
    expect(fast({ a: 'y' })).toBe(false);
  });

  it('leaves the problems that recordProblems and the source check report as they were', () => {
    expect(recordProblems({ ...records[0], year: 1800 })).toEqual([
      { pointer: '/year', message: 'must be >= 1850' },
    ]);
    expect(recordProblems({ ...records[0], objectType: 'constructor' }).length).toBeGreaterThan(0);
    const check = compileSourceSchema(boatregSchema);
    expect(check({ ...rows[1], buildYear: 'x' }, 3)).toEqual([
      { row: 3, field: 'buildYear', code: 'FIELD_TYPE', message: 'must be integer' },
    ]);
  });
});
