/**
 * Engine and part serials. A serial is only unique within its manufacturer, so the normalised value is
 * `MANUFACTURER:SERIAL`; without the manufacturer two makers' "12345" would collide in the index.
 */
import { baseNormalise, compact, isAscii, showChar, stripSeparators } from './normalise';
import { issue, result } from './types';
import type { IdentifierCheck, IdentifierIssue } from './types';

const MAX_LENGTH = 40;
const SERIAL_CHAR = /^[A-Z0-9./]$/;
/** Names keep '&' and '+' (e.g. "B&W", "A+B"); ':' would break the `MANUFACTURER:SERIAL` form. */
const MANUFACTURER = /^[A-Z0-9.&/+]{1,40}$/;
const COMBINING_MARKS = /\p{M}/gu;
const APOSTROPHES = /['\u2018\u2019\u02BC]/g;

/**
 * Manufacturer names are free text from many registers: fold accents ("Citroën" = "Citroen") and drop
 * spaces, hyphens and apostrophes so spelling variants of one maker share a key.
 */
export function normaliseManufacturer(raw: string): string {
  // A file names a handful of makers, each thousands of times.
  let known = manufacturers.get(raw);
  if (known === undefined) {
    known = normaliseManufacturerOnce(raw);
    if (manufacturers.size < MANUFACTURERS_KEPT) manufacturers.set(raw, known);
  }
  return known;
}

const MANUFACTURERS_KEPT = 1000;
const manufacturers = new Map<string, string>();

function normaliseManufacturerOnce(raw: string): string {
  const base = baseNormalise(raw);
  // ASCII has no combining marks and is its own NFKD and NFKC form.
  const upper = isAscii(base) ? base : base.normalize('NFKD').replace(COMBINING_MARKS, '').normalize('NFKC');
  return stripSeparators(upper).replace(APOSTROPHES, '');
}

export interface SerialParts {
  manufacturer: string;
  serial: string;
  /** The manufacturer came inside the raw value (`MAKER:SERIAL`) rather than from the option. */
  embedded: boolean;
}

/** Splits at the first ':'; an empty prefix counts as no prefix. Internal whitespace is removed. */
export function serialParts(raw: string, manufacturer: string | undefined): SerialParts {
  const text = baseNormalise(raw);
  const colon = text.indexOf(':');
  if (colon > 0) {
    return {
      manufacturer: normaliseManufacturer(text.slice(0, colon)),
      serial: compact(text.slice(colon + 1)),
      embedded: true,
    };
  }
  return {
    manufacturer: manufacturer === undefined ? '' : normaliseManufacturer(manufacturer),
    serial: compact(colon === 0 ? text.slice(1) : text),
    embedded: false,
  };
}

export function normaliseSerial(raw: string, manufacturer?: string): string {
  const parts = serialParts(raw, manufacturer);
  return parts.manufacturer ? `${parts.manufacturer}:${parts.serial}` : parts.serial;
}

/** A serial that breaks no rule of checkSerialFully: one regex instead of a test per character. */
const WELL_FORMED = /^[A-Z0-9./]{1,40}$/;

export function checkSerial(raw: string, manufacturer: string | undefined): IdentifierCheck {
  const parts = serialParts(raw, manufacturer);
  // The usual serial; a property test holds this to checkSerialFully.
  if (!parts.embedded && MANUFACTURER.test(parts.manufacturer) && WELL_FORMED.test(parts.serial))
    return result(`${parts.manufacturer}:${parts.serial}`, []);
  return checkSerialFully(parts, manufacturer);
}

/** checkSerial of the parts split gave, rule by rule. */
export function checkSerialFully(parts: SerialParts, manufacturer: string | undefined): IdentifierCheck {
  const value = parts.manufacturer ? `${parts.manufacturer}:${parts.serial}` : parts.serial;
  const errors: IdentifierIssue[] = [];

  if (!parts.manufacturer) {
    errors.push(
      issue('SERIAL_MANUFACTURER_MISSING', 'a serial needs its manufacturer (option or MANUFACTURER:SERIAL)'),
    );
  } else if (!MANUFACTURER.test(parts.manufacturer)) {
    errors.push(
      issue(
        'SERIAL_MANUFACTURER_INVALID',
        `manufacturer must be 1–${MAX_LENGTH} of A–Z, 0–9, '.', '&', '/', '+'`,
      ),
    );
  }
  if (parts.embedded && manufacturer !== undefined) {
    const given = normaliseManufacturer(manufacturer);
    // Two different makers for one serial is a mapping fault; indexing either would mislead a search.
    if (given && given !== parts.manufacturer) {
      errors.push(
        issue('SERIAL_MANUFACTURER_MISMATCH', 'the value names a different manufacturer than the record'),
      );
    }
  }

  const chars = [...parts.serial];
  if (chars.length === 0) {
    errors.push(issue('SERIAL_EMPTY', 'serial is empty'));
  } else {
    if (chars.length > MAX_LENGTH) {
      errors.push(issue('SERIAL_LENGTH', `at most ${MAX_LENGTH} characters, got ${chars.length}`));
    }
    const bad = chars.findIndex((c) => !SERIAL_CHAR.test(c));
    if (bad >= 0) {
      errors.push(
        issue(
          'SERIAL_CHARACTER',
          `only A–Z, 0–9, '.' and '/' allowed; position ${bad + 1} has ${showChar(chars[bad])}`,
        ),
      );
    }
  }
  return result(value, errors);
}
