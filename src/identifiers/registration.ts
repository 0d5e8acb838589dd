/**
 * Vehicle plates and vessel registration marks. Formats differ by country and era, so only the shape
 * shared by all is enforced: 1–16 letters/digits once separators are gone. Diacritics are not folded
 * (a plate's 'Ü' and 'U' may be different districts); such plates fail and go to a human.
 */
import { compact, showChar } from './normalise';
import { issue, result } from './types';
import type { IdentifierCheck, IdentifierIssue } from './types';

const MAX_LENGTH = 16;
const REGISTRATION_CHAR = /^[A-Z0-9]$/;

export function normaliseRegistration(raw: string): string {
  return compact(raw);
}

/** A registration that breaks no rule of checkRegistrationFully: one regex instead of a test per character. */
const WELL_FORMED = /^[A-Z0-9]{1,16}$/;

export function checkRegistration(raw: string): IdentifierCheck {
  const value = normaliseRegistration(raw);
  // The usual registration; a property test holds this to checkRegistrationFully.
  return WELL_FORMED.test(value) ? result(value, []) : checkRegistrationFully(value);
}

/** checkRegistration of a value normaliseRegistration gave, rule by rule. */
export function checkRegistrationFully(value: string): IdentifierCheck {
  const chars = [...value];
  if (chars.length === 0) return result(value, [issue('REGISTRATION_EMPTY', 'registration is empty')]);

  const errors: IdentifierIssue[] = [];
  if (chars.length > MAX_LENGTH) {
    errors.push(issue('REGISTRATION_LENGTH', `at most ${MAX_LENGTH} characters, got ${chars.length}`));
  }
  const bad = chars.findIndex((c) => !REGISTRATION_CHAR.test(c));
  if (bad >= 0) {
    errors.push(
      issue(
        'REGISTRATION_CHARACTER',
        `only A–Z and 0–9 allowed; position ${bad + 1} has ${showChar(chars[bad])}`,
      ),
    );
  }
  return result(value, errors);
}
