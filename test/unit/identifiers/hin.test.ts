import { ISO_3166_ALPHA2, checkHin } from '../../../src/identifiers';

interface Row {
  raw: string;
  valid: boolean;
  value: string;
  errors?: string[];
  warnings?: string[];
  source: string;
}

const ROWS: Row[] = [
  // Required by the brief.
  { raw: 'NL-HXAB7A33G293', valid: true, value: 'NL-HXAB7A33G293', source: 'ISO 10087 form' },
  {
    raw: 'NL-HXAB7A33Z293',
    valid: false,
    value: 'NL-HXAB7A33Z293',
    errors: ['HIN_MONTH'],
    source: 'month Z',
  },
  { raw: 'BMA45678H485', valid: true, value: 'BMA45678H485', source: 'US 33 CFR 181.25 form' },
  // Published examples.
  {
    raw: 'GB-ABC00042-A3-99',
    valid: true,
    value: 'GB-ABC00042A399',
    warnings: ['HIN_YEAR_MISMATCH'],
    source: 'Wikipedia "Craft Identification Number" example; its model year 99 does not fit year digit 3',
  },
  {
    raw: 'ABC 12345 A 7 88',
    valid: true,
    value: 'ABC12345A788',
    source: 'boat-alert.com "HIN types": new format (mandatory from 1 August 1984)',
  },
  {
    raw: 'JLD12345C585',
    valid: true,
    value: 'JLD12345C585',
    source: 'sailboatdata.com forum on the 1984 change: MIC JLD, "C585" = March 1985, model year 85',
  },
  {
    raw: 'JLD12345K485',
    valid: true,
    value: 'JLD12345K485',
    source: 'same: "K485" = November 1984, model year 85',
  },
  {
    raw: 'ABC 12345 12 75',
    valid: false,
    value: 'ABC123451275',
    errors: ['HIN_LEGACY_FORMAT'],
    source: 'boat-alert.com: straight year format (from 1 November 1972), rejected by design',
  },
  {
    raw: 'ABC 12345 M 75 A',
    valid: false,
    value: 'ABC12345M75A',
    errors: ['HIN_LEGACY_FORMAT'],
    source: 'boat-alert.com: optional model year format (1972–1984), rejected by design',
  },
  {
    raw: 'JLD12345M82H',
    valid: false,
    value: 'JLD12345M82H',
    errors: ['HIN_LEGACY_FORMAT'],
    source: 'sailboatdata.com forum: "M82H" = model year 82, built March (model year format)',
  },
  // Boundaries.
  { raw: 'NL-HXAB7A33A293', valid: true, value: 'NL-HXAB7A33A293', source: 'month A = January' },
  { raw: 'NL-HXAB7A33I293', valid: true, value: 'NL-HXAB7A33I293', source: 'month I = September is allowed' },
  { raw: 'NL-HXAB7A33L293', valid: true, value: 'NL-HXAB7A33L293', source: 'month L = December' },
  {
    raw: 'NL-HXAB7A33M293',
    valid: false,
    value: 'NL-HXAB7A33M293',
    errors: ['HIN_MONTH'],
    source: 'month M is past December',
  },
  {
    raw: 'BMA45678M485',
    valid: false,
    value: 'BMA45678M485',
    errors: ['HIN_MONTH'],
    source: "US 'M' that is not the model year format (position 12 is a digit)",
  },
  {
    raw: 'XX-HXAB7A33G293',
    valid: false,
    value: 'XX-HXAB7A33G293',
    errors: ['HIN_COUNTRY'],
    source: 'XX is not assigned',
  },
  {
    raw: 'UK-HXAB7A33G293',
    valid: false,
    value: 'UK-HXAB7A33G293',
    errors: ['HIN_COUNTRY'],
    source: 'UK is only reserved; British craft use GB',
  },
  {
    raw: '12HXAB7A33G293',
    valid: false,
    value: '12HXAB7A33G293',
    errors: ['HIN_COUNTRY'],
    source: '14 characters without a letter country code',
  },
  { raw: 'US-BMA45678H485', valid: true, value: 'US-BMA45678H485', source: 'US HIN with its country prefix' },
  {
    raw: 'NL-HXAB7A33G29',
    valid: false,
    value: 'NLHXAB7A33G29',
    errors: ['HIN_FORMAT'],
    source: '13 characters',
  },
  { raw: 'BMA45678H48', valid: false, value: 'BMA45678H48', errors: ['HIN_FORMAT'], source: '11 characters' },
  {
    raw: 'NL-HXAB7A33G2933',
    valid: false,
    value: 'NLHXAB7A33G2933',
    errors: ['HIN_FORMAT'],
    source: '15 characters',
  },
  { raw: '   ', valid: false, value: '', errors: ['HIN_FORMAT'], source: 'blank' },
  {
    raw: 'NL-HXAB7O33G293',
    valid: false,
    value: 'NL-HXAB7O33G293',
    errors: ['HIN_CHARACTER'],
    source: "'O' in the serial",
  },
  {
    raw: 'BMA4Q678H485',
    valid: false,
    value: 'BMA4Q678H485',
    errors: ['HIN_CHARACTER'],
    source: "'Q' in a US serial",
  },
  {
    raw: 'BMA45/78H485',
    valid: false,
    value: 'BMA45/78H485',
    errors: ['HIN_CHARACTER'],
    source: 'slash inside the serial (181.25: "uninterrupted by slashes")',
  },
  {
    raw: 'NL-1XAB7A33G293',
    valid: false,
    value: 'NL-1XAB7A33G293',
    errors: ['HIN_MANUFACTURER'],
    source: 'ISO 10087 manufacturer codes are letters',
  },
  {
    raw: '1MA45678H485',
    valid: true,
    value: '1MA45678H485',
    source: 'USCG MICs with digits (info-link.com "HIN details": numbers used until the mid-1990s)',
  },
  {
    raw: 'B*A45678H485',
    valid: false,
    value: 'B*A45678H485',
    errors: ['HIN_MANUFACTURER'],
    source: 'punctuation in a US MIC',
  },
  {
    raw: 'BMA45678HA85',
    valid: false,
    value: 'BMA45678HA85',
    errors: ['HIN_YEAR'],
    source: 'year of manufacture is a letter',
  },
  {
    raw: 'BMA45678H4A5',
    valid: false,
    value: 'BMA45678H4A5',
    errors: ['HIN_YEAR'],
    source: 'model year contains a letter',
  },
  {
    raw: 'BMA45678H483',
    valid: true,
    value: 'BMA45678H483',
    warnings: ['HIN_YEAR_MISMATCH'],
    source: 'built 1984, model year 83: earlier than production',
  },
  { raw: 'BMA45678H495', valid: true, value: 'BMA45678H495', source: 'model year = production year + 1' },
  {
    raw: 'BMA45678H497',
    valid: true,
    value: 'BMA45678H497',
    warnings: ['HIN_YEAR_MISMATCH'],
    source: 'model year three years after production',
  },
  {
    raw: 'BMA45678H990',
    valid: true,
    value: 'BMA45678H990',
    source: 'decade wrap: built 1989 (digit 9), model year 90',
  },
  {
    raw: 'XX-1XAB7O33Z2A3',
    valid: false,
    value: 'XX-1XAB7O33Z2A3',
    errors: ['HIN_COUNTRY', 'HIN_MANUFACTURER', 'HIN_CHARACTER', 'HIN_MONTH', 'HIN_YEAR'],
    source: 'every field wrong at once: all reported',
  },
];

describe('checkHin', () => {
  test.each(ROWS)('$raw ($source)', ({ raw, valid, value, errors = [], warnings = [] }) => {
    const check = checkHin(raw);
    expect(check.errors.map((e) => e.code)).toEqual(errors);
    expect(check.warnings.map((w) => w.code)).toEqual(warnings);
    expect(check.valid).toBe(valid);
    expect(check.value).toBe(value);
  });

  test.each([
    ['nl-hxab7a33g293', 'lower case'],
    ['NLHXAB7A33G293', 'hyphen omitted'],
    [' NL - HXA B7A33 G2 93 ', 'spaces everywhere'],
    ['NL\u2013HXAB7A33G293', 'en dash'],
    ['NL-HXA-B7A33-G2-93', 'extra hyphens'],
  ])('normalises %j (%s) to the canonical ISO form', (raw) => {
    expect(checkHin(raw)).toEqual({ valid: true, value: 'NL-HXAB7A33G293', errors: [], warnings: [] });
  });

  test.each([['bma45678h485'], ['BMA 45678 H4 85'], ['BMA-45678-H485']])('normalises US %j', (raw) => {
    expect(checkHin(raw)).toEqual({ valid: true, value: 'BMA45678H485', errors: [], warnings: [] });
  });

  test('the country list is the 249 assigned ISO 3166-1 alpha-2 codes', () => {
    expect(ISO_3166_ALPHA2.size).toBe(249);
    for (const code of ['NL', 'GB', 'US', 'DE', 'FR', 'SS', 'SX', 'CW', 'BQ', 'AX', 'ZW']) {
      expect(ISO_3166_ALPHA2.has(code)).toBe(true);
    }
    for (const code of ['UK', 'EU', 'XK', 'XX', 'AN', 'YU', 'CS', 'ZZ']) {
      expect(ISO_3166_ALPHA2.has(code)).toBe(false);
    }
  });

  test('messages give a position, not the identifier', () => {
    const check = checkHin('NL-HXAB7O33G293');
    expect(check.errors[0].message).toContain('position 6');
    expect(check.errors[0].message).not.toContain('HXAB7O33');
  });
});
