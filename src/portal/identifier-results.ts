/**
 * The search page's per-identifier answer: each asked identifier, its normalised form, and hit / no
 * hit / invalid (with a readable reason, so "no hit" is never mistaken for a malformed value) /
 * warning. The same `results` the API returns (lookups/service.ts).
 */
import type { IdentifierIssue } from '../identifiers';
import type { LookupIdentifierResult } from '../lookups/service';
import { html } from './html';
import { dataTable } from './data-table';

/** Plain words for the validator's codes; the validator's own message follows them. */
const REASONS: Readonly<Record<string, string>> = {
  IDENTIFIER_TYPE_UNKNOWN: 'Unknown identifier type',
  VIN_LENGTH: 'Wrong length for a VIN',
  VIN_CHARACTER: 'Character not allowed in a VIN',
  VIN_CHECK_DIGIT: 'VIN check digit does not match',
  HIN_FORMAT: 'Not the form of a hull identification number',
  HIN_COUNTRY: 'Unknown country code in the HIN',
  HIN_MANUFACTURER: 'Manufacturer code of the HIN not valid',
  HIN_CHARACTER: 'Character not allowed in a HIN',
  HIN_MONTH: 'Month of the HIN not valid',
  HIN_YEAR: 'Year of the HIN not valid',
  HIN_YEAR_MISMATCH: 'Model year and production date of the HIN disagree',
  HIN_LEGACY_FORMAT: 'Older HIN format',
  SERIAL_EMPTY: 'Empty serial number',
  SERIAL_LENGTH: 'Wrong length for a serial number',
  SERIAL_CHARACTER: 'Character not allowed in a serial number',
  SERIAL_MANUFACTURER_MISSING: 'Serial number without its manufacturer',
  SERIAL_MANUFACTURER_INVALID: 'Manufacturer of the serial number not valid',
  SERIAL_MANUFACTURER_MISMATCH: 'Serial number and manufacturer disagree',
  REGISTRATION_EMPTY: 'Empty registration',
  REGISTRATION_LENGTH: 'Wrong length for a registration',
  REGISTRATION_CHARACTER: 'Character not allowed in a registration',
};

const reason = (i: IdentifierIssue) => `${REASONS[i.code] ?? i.code}: ${i.message}`;

const STATUS = { hit: 'Hit', 'no-hit': 'No hit', invalid: 'Invalid, not searched' } as const;

export function identifierResultsTable(
  results: readonly LookupIdentifierResult[],
  asked: readonly { type: string; value: string }[],
) {
  return dataTable(
    results,
    [
      { header: 'Identifier', cell: (r) => `${asked[r.query].type}:${asked[r.query].value}` },
      { header: 'Normalised', cell: (r) => html`<code>${r.normalised}</code>` },
      { header: 'Result', cell: (r) => STATUS[r.status] },
      {
        header: 'Reason or warning',
        cell: (r) =>
          html`${(r.errors ?? []).map((e) => html`<p class="error">${reason(e)}</p>`)}
          ${(r.warnings ?? []).map((w) => html`<p class="hint">Warning: ${reason(w)}</p>`)}`,
      },
    ],
    { caption: 'Each identifier' },
  );
}
