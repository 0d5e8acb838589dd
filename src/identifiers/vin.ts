/**
 * Vehicle identification numbers: ISO 3779 structure, 49 CFR 565.15 check digit.
 */
import { compact, showChar } from './normalise';
import { issue, result } from './types';
import type { IdentifierCheck, IdentifierIssue } from './types';

const VIN_LENGTH = 17;
/** ISO 3779 excludes I, O and Q because they read as 1, 0 and 0. */
const VIN_CHAR = /^[A-HJ-NPR-Z0-9]$/;

/** 49 CFR 565.15(c) Table III: letter values; digits stand for themselves. */
// prettier-ignore
const LETTER_VALUES: Readonly<Record<string, number>> = {
  A: 1, B: 2, C: 3, D: 4, E: 5, F: 6, G: 7, H: 8,
  J: 1, K: 2, L: 3, M: 4, N: 5, P: 7, R: 9,
  S: 2, T: 3, U: 4, V: 5, W: 6, X: 7, Y: 8, Z: 9,
};
/** 49 CFR 565.15(c) Table IV: position 9 (the check digit itself) weighs 0. */
const WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2] as const;

/**
 * The check digit ('0'–'9' or 'X') a 17-character VIN of valid characters should carry at position 9.
 * Returns undefined for anything else, so callers cannot mistake garbage for a computed digit.
 */
export function vinCheckDigit(vin: string): string | undefined {
  if (vin.length !== VIN_LENGTH || ![...vin].every((c) => VIN_CHAR.test(c))) return undefined;
  let sum = 0;
  for (let i = 0; i < VIN_LENGTH; i++) {
    const c = vin[i];
    const value = c >= '0' && c <= '9' ? Number(c) : LETTER_VALUES[c];
    sum += value * WEIGHTS[i];
  }
  const remainder = sum % 11;
  return remainder === 10 ? 'X' : String(remainder);
}

/**
 * The check digit is mandatory only for vehicles built for North America (WMI region 1–5: US, Canada,
 * Mexico); elsewhere position 9 is often a plain descriptor (e.g. 'Z' filler on European VINs), so a
 * mismatch there is only worth a warning.
 */
function checkDigitRequired(vin: string): boolean {
  return vin[0] !== undefined && vin[0] >= '1' && vin[0] <= '5';
}

export function normaliseVin(raw: string): string {
  return compact(raw);
}

export function checkVin(raw: string): IdentifierCheck {
  const vin = normaliseVin(raw);
  const errors: IdentifierIssue[] = [];
  const warnings: IdentifierIssue[] = [];
  const chars = [...vin];

  if (chars.length !== VIN_LENGTH) {
    errors.push(issue('VIN_LENGTH', `a VIN has ${VIN_LENGTH} characters, got ${chars.length}`));
  }
  chars.forEach((c, i) => {
    if (!VIN_CHAR.test(c)) {
      const hint = 'IOQ'.includes(c) ? ' (I, O and Q are never used)' : '';
      errors.push(issue('VIN_CHARACTER', `position ${i + 1} has ${showChar(c)}${hint}`));
    }
  });
  if (errors.length > 0) return result(vin, errors);

  const expected = vinCheckDigit(vin);
  const actual = vin[8];
  if (expected !== undefined && actual !== expected) {
    const found = `check digit at position 9 is ${showChar(actual)}, computed '${expected}'`;
    if (checkDigitRequired(vin)) {
      errors.push(issue('VIN_CHECK_DIGIT', `${found} (mandatory for North American VINs, 49 CFR 565)`));
    } else {
      warnings.push(issue('VIN_CHECK_DIGIT', `${found} (not mandatory outside North America)`));
    }
  }
  return result(vin, errors, warnings);
}
