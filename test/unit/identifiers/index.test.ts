import fc from 'fast-check';
import {
  IDENTIFIER_ISSUE_CODES,
  checkHin,
  checkIdentifier,
  checkSerial,
  checkVin,
  identifierKey,
} from '../../../src/identifiers';
import type { IdentifierCheck } from '../../../src/identifiers';
import { IDENTIFIER_TYPES } from '../../../src/records/canonical';
import type { IdentifierType } from '../../../src/records/canonical';

describe('checkIdentifier', () => {
  test.each([
    ['vin', '1m8gdm9axkp042788', '1M8GDM9AXKP042788'],
    ['hin', 'nl hxab7a33g293', 'NL-HXAB7A33G293'],
    ['vehicle-registration', 'ab-12-cd', 'AB12CD'],
    ['boat-registration', 'nl 1234 ab', 'NL1234AB'],
    ['engine-serial', '2181-234', 'VOLVOPENTA:2181234'],
    ['part-serial', 'zf: 4161 001', 'ZF:4161001'],
  ] as [IdentifierType, string, string][])('%s dispatches to its checker', (type, raw, value) => {
    const check = checkIdentifier(type, raw, {
      manufacturer: type === 'engine-serial' ? 'Volvo Penta' : undefined,
    });
    expect(check).toEqual({ valid: true, value, errors: [], warnings: [] });
  });

  test('every canonical identifier type is handled', () => {
    for (const type of Object.keys(IDENTIFIER_TYPES) as IdentifierType[]) {
      const codes = checkIdentifier(type, '').errors.map((e) => e.code);
      expect(codes).not.toContain('IDENTIFIER_TYPE_UNKNOWN');
      expect(codes.length).toBeGreaterThan(0);
    }
  });

  test('a serial type without a manufacturer fails', () => {
    expect(checkIdentifier('part-serial', '4161001').errors.map((e) => e.code)).toEqual([
      'SERIAL_MANUFACTURER_MISSING',
    ]);
  });

  test('an unknown type fails closed', () => {
    const check = checkIdentifier('imo' as IdentifierType, '9074729');
    expect(check.valid).toBe(false);
    expect(check.errors.map((e) => e.code)).toEqual(['IDENTIFIER_TYPE_UNKNOWN']);
  });

  test('a non-string value fails instead of throwing', () => {
    expect(checkIdentifier('vin', 12345 as unknown as string).valid).toBe(false);
  });
});

/** One input per code: the catalogue and the checks must not drift apart. */
const CODE_EXAMPLES: Record<(typeof IDENTIFIER_ISSUE_CODES)[number], () => IdentifierCheck> = {
  IDENTIFIER_TYPE_UNKNOWN: () => checkIdentifier('imo' as IdentifierType, '9074729'),
  VIN_LENGTH: () => checkVin('1M8GDM9AXKP04278'),
  VIN_CHARACTER: () => checkVin('1M8GDM9AIKP042788'),
  VIN_CHECK_DIGIT: () => checkVin('1M8GDM9A0KP042788'),
  HIN_FORMAT: () => checkHin('NL-HXAB7A33G29'),
  HIN_COUNTRY: () => checkHin('XX-HXAB7A33G293'),
  HIN_MANUFACTURER: () => checkHin('NL-1XAB7A33G293'),
  HIN_CHARACTER: () => checkHin('NL-HXAB7O33G293'),
  HIN_MONTH: () => checkHin('NL-HXAB7A33Z293'),
  HIN_YEAR: () => checkHin('BMA45678HA85'),
  HIN_YEAR_MISMATCH: () => checkHin('BMA45678H483'),
  HIN_LEGACY_FORMAT: () => checkHin('ABC12345M75A'),
  SERIAL_EMPTY: () => checkSerial('', 'Yamaha'),
  SERIAL_LENGTH: () => checkSerial('9'.repeat(41), 'Yamaha'),
  SERIAL_CHARACTER: () => checkSerial('12#45', 'Yamaha'),
  SERIAL_MANUFACTURER_MISSING: () => checkSerial('12345', undefined),
  SERIAL_MANUFACTURER_INVALID: () => checkSerial('12345', 'Yamaha (Japan)'),
  SERIAL_MANUFACTURER_MISMATCH: () => checkSerial('MERCURY:12345', 'Yamaha'),
  REGISTRATION_EMPTY: () => checkIdentifier('vehicle-registration', ''),
  REGISTRATION_LENGTH: () => checkIdentifier('boat-registration', 'A'.repeat(17)),
  REGISTRATION_CHARACTER: () => checkIdentifier('vehicle-registration', 'AB.12'),
};

describe('issue codes', () => {
  test.each(Object.entries(CODE_EXAMPLES))('%s is produced', (code, run) => {
    const check = run();
    expect([...check.errors, ...check.warnings].map((i) => i.code)).toContain(code);
  });

  test('codes are unique and SCREAMING_SNAKE', () => {
    expect(new Set(IDENTIFIER_ISSUE_CODES).size).toBe(IDENTIFIER_ISSUE_CODES.length);
    for (const code of IDENTIFIER_ISSUE_CODES) expect(code).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
  });
});

describe('identifierKey', () => {
  test.each([
    ['vin', ['1M8GDM9AXKP042788', ' 1m8gdm9axkp042788', '1M8-GDM9AX KP042788'], 'vin:1M8GDM9AXKP042788'],
    [
      'hin',
      ['NL-HXAB7A33G293', 'nl hxab7a33g293', 'NLHXAB7A33G293', 'NL\u2013HXA B7A33-G293'],
      'hin:NLHXAB7A33G293',
    ],
    // 33 CFR 181.27: "US-" only prefixes the displayed US number.
    ['hin', ['BMA45678H485', 'bma-45678-h485', 'US-BMA45678H485'], 'hin:BMA45678H485'],
    ['vehicle-registration', ['AB-12-CD', 'ab 12 cd', 'AB12CD'], 'vehicle-registration:AB12CD'],
    ['boat-registration', ['NL-1234-AB', 'nl1234ab'], 'boat-registration:NL1234AB'],
    [
      'engine-serial',
      ['VOLVOPENTA:2181234', 'Volvo Penta: 2181-234', 'volvo-penta:2181 234'],
      'engine-serial:VOLVOPENTA:2181234',
    ],
  ])('%s: differently formatted inputs share one key', (type, values, key) => {
    expect(values.map((v) => identifierKey(type, v))).toEqual(values.map(() => key));
  });

  test('invalid values still get a deterministic key, distinct from the valid one', () => {
    expect(identifierKey('hin', 'nl-hxa b7a33')).toBe('hin:NLHXAB7A33');
    expect(identifierKey('hin', 'nl-hxa b7a33')).not.toBe(identifierKey('hin', 'NL-HXAB7A33G293'));
  });

  test('a serial key uses the value checkSerial produced', () => {
    const value = checkSerial('2181 234', 'volvo-penta').value;
    expect(identifierKey('engine-serial', value)).toBe(identifierKey('engine-serial', 'Volvo Penta:2181234'));
  });

  test('the same text under different types gives different keys', () => {
    const types = Object.keys(IDENTIFIER_TYPES);
    const keys = types.map((t) => identifierKey(t, 'ZF:AB12CD'));
    expect(new Set(keys).size).toBe(types.length);
    expect(identifierKey('vehicle-registration', 'AB12CD')).not.toBe(
      identifierKey('boat-registration', 'AB12CD'),
    );
  });

  test('the type is trimmed and lower-cased; unknown types still get a deterministic key', () => {
    expect(identifierKey(' VIN ', '1m8gdm9axkp042788')).toBe('vin:1M8GDM9AXKP042788');
    expect(identifierKey('imo', ' 90-74 729 ')).toBe('imo:9074729');
  });
});

describe('properties', () => {
  const VIN_CHARS = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789'.split('');
  const vinChar = fc.constantFrom(...VIN_CHARS);
  /** Re-formats a value the way people do: random case, spaces and hyphens between characters. */
  const messUp = (value: string) =>
    fc
      .tuple(
        fc.array(fc.boolean(), { minLength: value.length, maxLength: value.length }),
        fc.array(fc.constantFrom('', '', ' ', '-'), { minLength: value.length, maxLength: value.length }),
      )
      .map(([lower, seps]) => [...value].map((c, i) => (lower[i] ? c.toLowerCase() : c) + seps[i]).join(''));

  test('VIN: formatting never changes validity, value or key', () => {
    const vins = fc.array(vinChar, { minLength: 17, maxLength: 17 }).map((a) => a.join(''));
    fc.assert(
      fc.property(
        vins.chain((vin) => fc.tuple(fc.constant(vin), messUp(vin))),
        ([vin, messy]) => {
          const clean = checkVin(vin);
          expect(checkVin(messy)).toEqual(clean);
          expect(identifierKey('vin', messy)).toBe(identifierKey('vin', vin));
        },
      ),
    );
  });

  test('HIN: normalisation is idempotent and formatting-proof', () => {
    const hins = fc
      .tuple(
        fc.constantFrom('NL', 'GB', 'DE', ''),
        fc.array(fc.constantFrom(...'ABCDEFGHJKLMNPRSTUVWXYZ0123456789'.split('')), {
          minLength: 12,
          maxLength: 12,
        }),
      )
      .map(([cc, core]) => cc + core.join(''));
    fc.assert(
      fc.property(
        hins.chain((hin) => fc.tuple(fc.constant(hin), messUp(hin))),
        ([hin, messy]) => {
          const clean = checkHin(hin);
          expect(checkHin(clean.value)).toEqual(clean);
          expect(checkHin(messy)).toEqual(clean);
          expect(identifierKey('hin', messy)).toBe(identifierKey('hin', hin));
        },
      ),
    );
  });
});
