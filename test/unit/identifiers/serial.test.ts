import { checkSerial, normaliseManufacturer } from '../../../src/identifiers';

interface Row {
  raw: string;
  manufacturer: string | undefined;
  valid: boolean;
  value: string;
  errors?: string[];
  note: string;
}

const ROWS: Row[] = [
  { raw: '2181234', manufacturer: 'Volvo Penta', valid: true, value: 'VOLVOPENTA:2181234', note: 'plain' },
  {
    raw: ' 6b4 - 123 456 ',
    manufacturer: 'yamaha',
    valid: true,
    value: 'YAMAHA:6B4123456',
    note: 'lower case, internal whitespace and hyphens',
  },
  {
    raw: 'volvo-penta: 2181 234',
    manufacturer: undefined,
    valid: true,
    value: 'VOLVOPENTA:2181234',
    note: 'already MANUFACTURER:SERIAL',
  },
  {
    raw: 'VOLVO PENTA:2181234',
    manufacturer: 'volvo-penta',
    valid: true,
    value: 'VOLVOPENTA:2181234',
    note: 'embedded manufacturer agrees with the option',
  },
  { raw: ':2181234', manufacturer: 'Mercury', valid: true, value: 'MERCURY:2181234', note: 'empty prefix' },
  {
    raw: 'F.123/45',
    manufacturer: 'Suzuki',
    valid: true,
    value: 'SUZUKI:F.123/45',
    note: "'.' and '/' allowed",
  },
  {
    raw: 'A'.repeat(40),
    manufacturer: 'Honda',
    valid: true,
    value: `HONDA:${'A'.repeat(40)}`,
    note: '40 chars',
  },
  { raw: '1', manufacturer: 'Honda', valid: true, value: 'HONDA:1', note: 'one character' },
  { raw: '123', manufacturer: 'Citroën', valid: true, value: 'CITROEN:123', note: 'accents folded' },
  {
    raw: '123',
    manufacturer: "Harley-Davidson's",
    valid: true,
    value: 'HARLEYDAVIDSONS:123',
    note: 'apostrophe',
  },
  { raw: '123', manufacturer: 'B&W', valid: true, value: 'B&W:123', note: "'&' kept" },
  {
    raw: '2181234',
    manufacturer: undefined,
    valid: false,
    value: '2181234',
    errors: ['SERIAL_MANUFACTURER_MISSING'],
    note: 'no manufacturer',
  },
  {
    raw: '2181234',
    manufacturer: '  ',
    valid: false,
    value: '2181234',
    errors: ['SERIAL_MANUFACTURER_MISSING'],
    note: 'blank manufacturer',
  },
  {
    raw: '',
    manufacturer: 'Yamaha',
    valid: false,
    value: 'YAMAHA:',
    errors: ['SERIAL_EMPTY'],
    note: 'empty serial',
  },
  {
    raw: 'YAMAHA: - ',
    manufacturer: undefined,
    valid: false,
    value: 'YAMAHA:',
    errors: ['SERIAL_EMPTY'],
    note: 'only separators after the colon',
  },
  {
    raw: 'A'.repeat(41),
    manufacturer: 'Honda',
    valid: false,
    value: `HONDA:${'A'.repeat(41)}`,
    errors: ['SERIAL_LENGTH'],
    note: '41 chars',
  },
  {
    raw: '12#45',
    manufacturer: 'Honda',
    valid: false,
    value: 'HONDA:12#45',
    errors: ['SERIAL_CHARACTER'],
    note: "'#'",
  },
  {
    raw: 'HONDA:12:45',
    manufacturer: undefined,
    valid: false,
    value: 'HONDA:12:45',
    errors: ['SERIAL_CHARACTER'],
    note: 'second colon belongs to the serial',
  },
  {
    raw: '123',
    manufacturer: 'Yamaha (Japan)',
    valid: false,
    value: 'YAMAHA(JAPAN):123',
    errors: ['SERIAL_MANUFACTURER_INVALID'],
    note: 'parentheses in the manufacturer',
  },
  {
    raw: '123',
    manufacturer: 'M'.repeat(41),
    valid: false,
    value: `${'M'.repeat(41)}:123`,
    errors: ['SERIAL_MANUFACTURER_INVALID'],
    note: 'manufacturer too long',
  },
  {
    raw: 'MERCURY:123',
    manufacturer: 'Yamaha',
    valid: false,
    value: 'MERCURY:123',
    errors: ['SERIAL_MANUFACTURER_MISMATCH'],
    note: 'value and record disagree on the maker',
  },
  {
    raw: '',
    manufacturer: undefined,
    valid: false,
    value: '',
    errors: ['SERIAL_MANUFACTURER_MISSING', 'SERIAL_EMPTY'],
    note: 'nothing at all',
  },
];

describe('checkSerial', () => {
  test.each(ROWS)('$raw / $manufacturer ($note)', ({ raw, manufacturer, valid, value, errors = [] }) => {
    const check = checkSerial(raw, manufacturer);
    expect(check.errors.map((e) => e.code)).toEqual(errors);
    expect(check.warnings).toEqual([]);
    expect(check.valid).toBe(valid);
    expect(check.value).toBe(value);
  });

  test('the normalised value is accepted as is (idempotent)', () => {
    for (const { raw, manufacturer } of ROWS) {
      const once = checkSerial(raw, manufacturer).value;
      expect(checkSerial(once, undefined).value).toBe(once);
    }
  });

  test('manufacturer spelling variants share one form', () => {
    const forms = ['Volvo Penta', 'VOLVO-PENTA', 'volvo penta ', 'Volvo\u00a0Penta'].map(
      normaliseManufacturer,
    );
    expect(new Set(forms)).toEqual(new Set(['VOLVOPENTA']));
  });
});
