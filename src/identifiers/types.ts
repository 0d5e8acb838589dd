/**
 * Shared result shapes for identifier checks. Codes are stable: quarantine reports and tests key on them,
 * so add new ones rather than renaming.
 */

export const IDENTIFIER_ISSUE_CODES = [
  'IDENTIFIER_TYPE_UNKNOWN',
  'VIN_LENGTH',
  'VIN_CHARACTER',
  'VIN_CHECK_DIGIT',
  'HIN_FORMAT',
  'HIN_COUNTRY',
  'HIN_MANUFACTURER',
  'HIN_CHARACTER',
  'HIN_MONTH',
  'HIN_YEAR',
  'HIN_YEAR_MISMATCH',
  'HIN_LEGACY_FORMAT',
  'SERIAL_EMPTY',
  'SERIAL_LENGTH',
  'SERIAL_CHARACTER',
  'SERIAL_MANUFACTURER_MISSING',
  'SERIAL_MANUFACTURER_INVALID',
  'SERIAL_MANUFACTURER_MISMATCH',
  'REGISTRATION_EMPTY',
  'REGISTRATION_LENGTH',
  'REGISTRATION_CHARACTER',
] as const;
export type IdentifierIssueCode = (typeof IDENTIFIER_ISSUE_CODES)[number];

/** Messages never repeat the whole identifier: they end up in quarantine reports. */
export interface IdentifierIssue {
  code: string;
  message: string;
}

export interface IdentifierCheck {
  /** True when there are no errors; warnings never make an identifier invalid. */
  valid: boolean;
  /** The normalised value (best effort even when invalid, so reports and keys stay consistent). */
  value: string;
  errors: IdentifierIssue[];
  warnings: IdentifierIssue[];
}

export function issue(code: IdentifierIssueCode, message: string): IdentifierIssue {
  return { code, message };
}

export function result(
  value: string,
  errors: IdentifierIssue[],
  warnings: IdentifierIssue[] = [],
): IdentifierCheck {
  return { valid: errors.length === 0, value, errors, warnings };
}
