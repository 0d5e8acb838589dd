/**
 * Hull / craft identification numbers.
 *
 * Two accepted shapes, both ending in the same 12-character core MMM SSSSS M Y YY
 * (manufacturer code, serial, month letter A–L, last digit of the year, two-digit model year):
 * - ISO 10087 (EU Recreational Craft Directive) CIN: a 2-letter ISO 3166-1 country code in front.
 *   Normalised as `CC-` + core, the hyphen being part of the standard's printed form.
 * - US 33 CFR 181.25: the core alone.
 *
 * Decision: the pre-August-1984 US "straight year" (positions 9–12 all digits: month, year) and
 * "model year" (position 9 'M', two-digit model year, month letter) formats are rejected with
 * HIN_LEGACY_FORMAT rather than guessed at: their date fields mean something different, and a
 * human should confirm such a hull before it is indexed.
 */
import { isIsoCountryCode } from './countries';
import { compact, showChar } from './normalise';
import { issue, result } from './types';
import type { IdentifierCheck, IdentifierIssue } from './types';

const CORE_LENGTH = 12;
const CIN_LENGTH = 14;
/** ISO 10087 manufacturer codes are letters (assigned by national bodies, e.g. British Marine). */
const ISO_MANUFACTURER = /^[A-Z]{3}$/;
/** USCG assigned some MICs with digits until the mid-1990s; those boats still exist. */
const US_MANUFACTURER = /^[A-Z0-9]{3}$/;
/** Both standards exclude I, O and Q from the serial. */
const SERIAL_CHAR = /^[A-HJ-NPR-Z0-9]$/;
const MONTH = /^[A-L]$/;
const DIGIT = /^[0-9]$/;

export function normaliseHin(raw: string): string {
  return printedForm(compact(raw));
}

/** A compact hull as normaliseHin writes it: a CIN with the hyphen after its country code. */
function printedForm(flat: string): string {
  return flat.length === CIN_LENGTH && /^[A-Z]{2}/.test(flat) ? `${flat.slice(0, 2)}-${flat.slice(2)}` : flat;
}

/**
 * A current-format hull that breaks no rule of checkHinFully (country letters, then letters, or 3
 * letters/digits alone; serial; month; digits): one regex instead of a test per position.
 */
const WELL_FORMED = /^(?:[A-Z]{5}|[A-Z0-9]{3})[A-HJ-NPR-Z0-9]{5}[A-L][0-9]{3}$/;

export function checkHin(raw: string): IdentifierCheck {
  // normaliseHin's value less the hyphen it adds (compact leaves none).
  const flat = compact(raw);
  const value = printedForm(flat);
  // The usual hull; a property test holds this to checkHinFully.
  if (WELL_FORMED.test(flat) && (flat.length === CORE_LENGTH || isIsoCountryCode(flat.slice(0, 2))))
    return result(value, [], yearWarnings(flat.slice(-3)));
  return checkHinFully(value);
}

/** checkHin of a value normaliseHin gave, rule by rule. */
export function checkHinFully(value: string): IdentifierCheck {
  const flat = value.replace('-', '');
  const length = flat.length;
  if (length !== CORE_LENGTH && length !== CIN_LENGTH) {
    return result(value, [
      issue(
        'HIN_FORMAT',
        `expected 12 characters (US 33 CFR 181.25) or 14 with a country code (ISO 10087), got ${length}`,
      ),
    ]);
  }

  const errors: IdentifierIssue[] = [];
  const iso = length === CIN_LENGTH;
  if (iso) {
    const country = flat.slice(0, 2);
    if (!isIsoCountryCode(country)) {
      errors.push(
        issue('HIN_COUNTRY', 'the first two characters are not an ISO 3166-1 alpha-2 country code'),
      );
    }
  }
  const core = iso ? flat.slice(2) : flat;
  // Positions in messages count within the 12-character core, as both standards number them.
  const manufacturer = core.slice(0, 3);
  if (!(iso ? ISO_MANUFACTURER : US_MANUFACTURER).test(manufacturer)) {
    errors.push(
      issue(
        'HIN_MANUFACTURER',
        iso
          ? 'manufacturer code (core positions 1–3) must be three letters'
          : 'manufacturer code (positions 1–3) must be three letters or digits',
      ),
    );
  }
  for (let i = 3; i < 8; i++) {
    const c = core[i];
    if (!SERIAL_CHAR.test(c)) {
      const hint = 'IOQ'.includes(c) ? ' (I, O and Q are not allowed)' : '';
      errors.push(
        issue('HIN_CHARACTER', `serial (positions 4–8) has ${showChar(c)} at position ${i + 1}${hint}`),
      );
    }
  }

  const date = core.slice(8);
  if (!iso && isLegacyDate(date)) {
    errors.push(
      issue(
        'HIN_LEGACY_FORMAT',
        'positions 9–12 follow a pre-1984 US format (straight year or model year); only the current format is accepted',
      ),
    );
    return result(value, errors);
  }

  const [month, year, ...modelYear] = [...date];
  const dateOk = MONTH.test(month) && DIGIT.test(year) && modelYear.every((c) => DIGIT.test(c));
  if (!MONTH.test(month)) {
    errors.push(
      issue(
        'HIN_MONTH',
        `month (position 9) must be a letter A (January) to L (December), got ${showChar(month)}`,
      ),
    );
  }
  if (!DIGIT.test(year)) {
    errors.push(
      issue('HIN_YEAR', `year of manufacture (position 10) must be a digit, got ${showChar(year)}`),
    );
  }
  if (!modelYear.every((c) => DIGIT.test(c))) {
    errors.push(issue('HIN_YEAR', 'model year (positions 11–12) must be two digits'));
  }

  return result(value, errors, dateOk ? yearWarnings(date.slice(1)) : []);
}

/** The warnings of the date's last 3 digits: year of manufacture, then the two-digit model year. */
function yearWarnings(digits: string): IdentifierIssue[] {
  // The model year is the production year or the next (33 CFR 175.3: a model year runs from June 1 to
  // July 31 of the year it is named after; ISO 10087 lets the maker pick when the 12-month model
  // period spans two calendar years). Anything else suggests a misread, not an invalid hull.
  const gap = (Number(digits[2]) - Number(digits[0]) + 10) % 10;
  if (gap <= 1) return [];
  return [
    issue(
      'HIN_YEAR_MISMATCH',
      'model year (positions 11–12) is neither the production year nor the year after',
    ),
  ];
}

/** Straight-year format ends in 4 digits; model-year format is 'M', 2 digits, then a month letter. */
function isLegacyDate(date: string): boolean {
  return /^[0-9]{4}$/.test(date) || /^M[0-9]{2}[A-L]$/.test(date);
}
