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

export function checkRegistration(raw: string): IdentifierCheck {
  const value = normaliseRegistration(raw);
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
