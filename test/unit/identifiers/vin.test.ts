import { checkVin, vinCheckDigit } from '../../../src/identifiers';

/**
 * Independent reference for the 49 CFR 565.15 check digit, written differently from the module on
 * purpose (index into a padded alphabet, mod 10) so a shared mistake cannot hide.
 */
const ALPHABET = '0123456789.ABCDEFGH..JKLMN.P.R..STUVWXYZ';
const WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
function referenceCheckDigit(vin: string): string {
  const sum = [...vin].reduce((acc, c, i) => acc + (ALPHABET.indexOf(c) % 10) * WEIGHTS[i], 0);
  const r = sum % 11;
  return r === 10 ? 'X' : String(r);
}
/** Replaces position 9 with a digit that is certainly wrong. */
function withWrongCheckDigit(vin: string): string {
  const right = referenceCheckDigit(vin);
  const wrong = right === '0' ? '1' : '0';
  return `${vin.slice(0, 8)}${wrong}${vin.slice(9)}`;
}

interface Row {
  vin: string;
  valid: boolean;
  errors?: string[];
  warnings?: string[];
  source: string;
}

const ROWS: Row[] = [
  // Required by the brief.
  { vin: '1M8GDM9AXKP042788', valid: true, source: 'Wikibooks "VIN codes/Check digit" worked example' },
  { vin: '1M8GDM9A0KP042788', valid: false, errors: ['VIN_CHECK_DIGIT'], source: 'the above, digit altered' },
  { vin: '1G4AH59H45G118341', valid: true, source: '49 CFR 565.15(c) Table V sample calculation' },
  { vin: '1M8GDM9AIKP042788', valid: false, errors: ['VIN_CHARACTER'], source: "the above with 'I'" },
  // Found: published examples, every check digit re-computed below by the reference implementation.
  {
    vin: '11111111111111111',
    valid: true,
    source: 'Wikipedia "Vehicle identification number": straight ones',
  },
  { vin: '1HGCM82633A004352', valid: true, source: 'widely circulated sample VIN (Honda Accord)' },
  {
    vin: '1J9RP1A36A1644345',
    valid: true,
    source: 'NHTSA "Outline for New Manufacturer Information", 49 CFR 565.15 worked example',
  },
  { vin: '1FAPP64R7LH123456', valid: true, source: 'tbirdregistry.com check-digit page (1FAPP64R?LH123456)' },
  { vin: '1FTMW1T88MFA00001', valid: true, source: 'vpic-api (PyPI) README, NHTSA vPIC decode example' },
  {
    vin: 'WA1A4AFY2J2008189',
    valid: true,
    source: '@shaggytools/nhtsa-api-wrapper README (German-built, US market)',
  },
  {
    vin: 'LJCPCBLCX11000237',
    valid: true,
    source: 'scientificgems.wordpress.com 2018 "Mathematics in action: VINs" (Chinese WMI, check digit X)',
  },
  {
    vin: 'WVWZZZ1KZAW394821',
    valid: true,
    warnings: ['VIN_CHECK_DIGIT'],
    source: 'vinspecify.com "VIN decoder explained": European VIN, position 9 is the \'Z\' filler',
  },
  // Constructed boundaries (labelled, not published).
  {
    vin: withWrongCheckDigit('WBA3A5C50CF256551'),
    valid: true,
    warnings: ['VIN_CHECK_DIGIT'],
    source: 'synthetic BMW (WBA) VIN with a non-matching position 9: Europe, warning only',
  },
  {
    vin: withWrongCheckDigit('51111111111111111'),
    valid: false,
    errors: ['VIN_CHECK_DIGIT'],
    source: "synthetic: '5' (US) is the last North American region",
  },
  {
    vin: withWrongCheckDigit('61111111111111111'),
    valid: true,
    warnings: ['VIN_CHECK_DIGIT'],
    source: "synthetic: '6' (Oceania) is outside North America",
  },
  {
    vin: '1M8GDM9AZKP042788',
    valid: false,
    errors: ['VIN_CHECK_DIGIT'],
    source: "'Z' is no check digit in NA",
  },
  { vin: '1M8GDM9AXKP04278', valid: false, errors: ['VIN_LENGTH'], source: '16 characters' },
  { vin: '1M8GDM9AXKP0427888', valid: false, errors: ['VIN_LENGTH'], source: '18 characters' },
  { vin: '', valid: false, errors: ['VIN_LENGTH'], source: 'empty' },
  { vin: '1M8GDM9AXKP0O2788', valid: false, errors: ['VIN_CHARACTER'], source: "'O' for zero" },
  { vin: '1M8GDM9AXKQ042788', valid: false, errors: ['VIN_CHARACTER'], source: "'Q'" },
  { vin: '1M8GDM9AXKP04278*', valid: false, errors: ['VIN_CHARACTER'], source: 'punctuation' },
  { vin: '1M8GDM9AXKP0427*', valid: false, errors: ['VIN_LENGTH', 'VIN_CHARACTER'], source: 'both at once' },
];

describe('checkVin', () => {
  test.each(ROWS)('$vin ($source)', ({ vin, valid, errors = [], warnings = [] }) => {
    const check = checkVin(vin);
    expect(check.valid).toBe(valid);
    expect(check.errors.map((e) => e.code)).toEqual(errors);
    expect(check.warnings.map((w) => w.code)).toEqual(warnings);
    expect(check.value).toBe(vin);
  });

  test.each(ROWS.filter((r) => r.vin.length === 17 && !r.errors?.includes('VIN_CHARACTER')))(
    'check digit of $vin agrees with the reference implementation',
    ({ vin }) => {
      expect(vinCheckDigit(vin)).toBe(referenceCheckDigit(vin));
    },
  );

  test('published vectors carry the digit the reference computes', () => {
    for (const vin of ['1G4AH59H45G118341', '11111111111111111', '1J9RP1A36A1644345', 'LJCPCBLCX11000237']) {
      expect(vin[8]).toBe(referenceCheckDigit(vin));
    }
  });

  test.each([
    [' 1m8gdm9axkp042788 ', 'lower case and outer spaces'],
    ['1M8 GDM9AX KP042788', 'inner spaces'],
    ['1M8-GDM9AX-KP042788', 'hyphens'],
    ['1M8\u2011GDM9AX\u00a0KP042788', 'non-breaking hyphen and space'],
    ['\uff11\uff2d\uff18GDM9AXKP042788', 'full-width characters'],
  ])('normalises %j (%s)', (raw) => {
    const check = checkVin(raw);
    expect(check).toEqual({ valid: true, value: '1M8GDM9AXKP042788', errors: [], warnings: [] });
  });

  test('messages point at the position and never repeat the VIN', () => {
    const check = checkVin('1M8GDM9AIKP042788');
    expect(check.errors[0].message).toContain('position 9');
    expect(check.errors[0].message).not.toContain('1M8GDM9AIKP042788');
    expect(checkVin('1M8GDM9A0KP042788').errors[0].message).not.toContain('KP042788');
  });

  test('vinCheckDigit refuses malformed input', () => {
    expect(vinCheckDigit('1M8GDM9AXKP04278')).toBeUndefined();
    expect(vinCheckDigit('1M8GDM9AIKP042788')).toBeUndefined();
  });
});
