/**
 * The one-regex fast paths of the identifier checks give exactly what the rule-by-rule checks give,
 * and identifierKey (which no longer normalises a hull twice) gives the key of its plain definition.
 */
import fc from 'fast-check';
import { identifierKey, normaliseVin } from '../../../src/identifiers';
import { checkHin, checkHinFully, normaliseHin } from '../../../src/identifiers/hin';
import { compact, stripSeparators } from '../../../src/identifiers/normalise';
import {
  checkRegistration,
  checkRegistrationFully,
  normaliseRegistration,
} from '../../../src/identifiers/registration';
import { checkSerial, checkSerialFully, normaliseSerial, serialParts } from '../../../src/identifiers/serial';

const RUNS = 3000;

/** Identifier-like text: near-valid shapes with wrong letters, digits, case, separators or Unicode. */
const unit = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split('')) },
  { weight: 1, arbitrary: fc.constantFrom('a', 'q', 'z', ' ', '-', '\u2011', '.', '/', ':', "'", '&', '+') },
  { weight: 1, arbitrary: fc.constantFrom('Ａ', '１', 'ë', 'ß', 'ﬁ', '\u00a0', '\ud83d\ude00', 'İ') },
);
const text = (min: number, max: number) =>
  fc.array(unit, { minLength: min, maxLength: max }).map((units) => units.join(''));
/** Letters and digits only, about as long as a limit. */
const alnum = (min: number, max: number) =>
  fc
    .array(fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split('')), {
      minLength: min,
      maxLength: max,
    })
    .map((units) => units.join(''));
/** A current-format hull with any country, maker, serial and date units (most near valid). */
const hullLike = fc
  .tuple(
    fc.constantFrom('', 'NL', 'US', 'GB', 'XX', 'UK', 'nl', '1L'),
    fc.constantFrom('', '-', ' '),
    text(3, 3),
    text(5, 5),
    fc.constantFrom(...'ABCDEFGHIJKLMZ1'.split('')),
    fc.array(fc.constantFrom(...'0123456789A'.split('')), { minLength: 3, maxLength: 3 }),
  )
  .map(([cc, sep, maker, serial, month, digits]) => `${cc}${sep}${maker}${serial}${month}${digits.join('')}`);

describe('identifier check fast paths', () => {
  it('checkHin is checkHinFully of the normalised hull', () => {
    fc.assert(
      fc.property(fc.oneof(hullLike, text(0, 16)), (raw) => {
        expect(checkHin(raw)).toStrictEqual(checkHinFully(normaliseHin(raw)));
      }),
      { numRuns: RUNS },
    );
  });

  it('checkRegistration is checkRegistrationFully of the normalised registration', () => {
    fc.assert(
      fc.property(fc.oneof(text(0, 20), alnum(14, 18)), (raw) => {
        expect(checkRegistration(raw)).toStrictEqual(checkRegistrationFully(normaliseRegistration(raw)));
      }),
      { numRuns: RUNS },
    );
  });

  it('checkSerial is checkSerialFully of the serial parts', () => {
    const maker = fc.option(fc.oneof(fc.constantFrom('Yamaha', 'Volvo Penta', "O'Neil", ''), text(0, 6)), {
      nil: undefined,
    });
    fc.assert(
      fc.property(fc.oneof(text(0, 12), alnum(38, 42)), maker, (raw, manufacturer) => {
        expect(checkSerial(raw, manufacturer)).toStrictEqual(
          checkSerialFully(serialParts(raw, manufacturer), manufacturer),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('identifierKey is the type and the normalised value less separators', () => {
    const reference = (type: string, value: string) => {
      const t = type.trim().toLowerCase();
      const normalise: Record<string, (v: string) => string> = {
        vin: normaliseVin,
        hin: normaliseHin,
        'boat-registration': normaliseRegistration,
        'engine-serial': normaliseSerial,
      };
      let normalised = (normalise[t] ?? compact)(value);
      if (t === 'hin' && /^US-[A-Z0-9]{12}$/.test(normalised)) normalised = normalised.slice(3);
      return `${t}:${stripSeparators(normalised)}`;
    };
    const type = fc.constantFrom('hin', ' HIN', 'vin', 'boat-registration', 'engine-serial', 'imo');
    fc.assert(
      fc.property(type, fc.oneof(hullLike, text(0, 20)), (t, value) => {
        expect(identifierKey(t, value)).toBe(reference(t, value));
      }),
      { numRuns: RUNS },
    );
  });
});
