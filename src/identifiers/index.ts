/**
 * Identifier validation and normalisation for the six identifier types of records/canonical.ts.
 * One entry point (checkIdentifier) for importers and request validation, and one key function
 * (identifierKey) so lookups and answer matching agree on what "the same identifier" means.
 */
import { IDENTIFIER_TYPES } from '../records/canonical';
import type { IdentifierType } from '../records/canonical';
import { checkHin } from './hin';
import { compact, stripSeparators } from './normalise';
import { checkRegistration, normaliseRegistration } from './registration';
import { checkSerial, normaliseSerial } from './serial';
import { issue, result } from './types';
import type { IdentifierCheck } from './types';
import { checkVin, normaliseVin } from './vin';

export { IDENTIFIER_ISSUE_CODES } from './types';
export type { IdentifierCheck, IdentifierIssue, IdentifierIssueCode } from './types';
export { checkVin, normaliseVin, vinCheckDigit } from './vin';
export { checkHin, normaliseHin } from './hin';
export { checkSerial, normaliseManufacturer, normaliseSerial } from './serial';
export { checkRegistration, normaliseRegistration } from './registration';
export { ISO_3166_ALPHA2, isIsoCountryCode } from './countries';

export function isIdentifierType(type: string): type is IdentifierType {
  return Object.prototype.hasOwnProperty.call(IDENTIFIER_TYPES, type);
}

export function checkIdentifier(
  type: IdentifierType,
  raw: string,
  options: { manufacturer?: string } = {},
): IdentifierCheck {
  switch (type) {
    case 'vin':
      return checkVin(raw);
    case 'hin':
      return checkHin(raw);
    case 'vehicle-registration':
    case 'boat-registration':
      return checkRegistration(raw);
    case 'engine-serial':
    case 'part-serial':
      return checkSerial(raw, options.manufacturer);
    default: {
      // Types come from untyped JSON too: fail closed instead of letting an unchecked value through.
      const unknown: never = type;
      return result(compact(String(unknown)), [
        issue('IDENTIFIER_TYPE_UNKNOWN', 'not one of the identifier types in IDENTIFIER_TYPES'),
      ]);
    }
  }
}

/**
 * The type's own normalisation less separators; unknown types get the generic one so keys are still
 * deterministic.
 */
function keyForm(type: string, value: string): string {
  if (!isIdentifierType(type)) return compact(value);
  switch (type) {
    case 'vin':
      return stripSeparators(normaliseVin(value));
    case 'hin': {
      // normaliseHin less the hyphen it adds (compact leaves no other separator). 33 CFR 181.27:
      // "US-" is a display prefix of a US hull number, not part of it.
      const flat = compact(value);
      return /^US[A-Z0-9]{12}$/.test(flat) ? flat.slice(2) : flat;
    }
    case 'vehicle-registration':
    case 'boat-registration':
      return stripSeparators(normaliseRegistration(value));
    case 'engine-serial':
    case 'part-serial':
      return stripSeparators(normaliseSerial(value));
  }
}

/**
 * The index key: `${type}:${compact}` where compact = normalised value without hyphens/spaces. Used for
 * lookups and for matching answers to requests, so differently typed-in forms of one identifier meet,
 * and equal strings of different types (a plate that looks like a serial) never do.
 * Serials carry their manufacturer only if the value does (`MAKER:SERIAL`, as checkSerial returns it).
 */
export function identifierKey(type: string, value: string): string {
  const normalisedType = type.trim().toLowerCase();
  return `${normalisedType}:${keyForm(normalisedType, value)}`;
}
