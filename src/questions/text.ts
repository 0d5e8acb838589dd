/**
 * A question's text is context for the providers, not data: no e-mail address, no phone-number-like
 * run of digits, no vehicle or hull identification number (those go in the question's identifiers,
 * where they are decided, minimised and logged as keyed hashes).
 */
import { checkIdentifier } from '../identifiers';
import { problems } from '../http/problem';

export const QUESTION_TEXT_MAX = 500;

const EMAIL = /[^\s@]+@[^\s@]+\.[^\s@]+/;
/** Seven digits or more, each pair at most one separator apart (+31 6 1234 5678, 020-1234567). */
const DIGIT_RUN = /\d(?:[\s()./-]?\d){6,}/;
/** An ISO date (2026-03-12) is context, not a number to call. */
const ISO_DATE = /\b\d{4}-\d{2}-\d{2}\b/g;
/** Tokens long enough to be a VIN (17) or a HIN (12, or 14-15 with a country code). */
const TOKEN = /[A-Za-z0-9-]{12,}/g;

/** What in the text looks like personal data or an identifier; empty when nothing does. */
export function questionTextProblems(text: string): string[] {
  const found: string[] = [];
  if (EMAIL.test(text)) found.push('contains an e-mail address');
  if (DIGIT_RUN.test(text.replace(ISO_DATE, ' ')))
    found.push('contains a number of seven digits or more (a phone number?)');
  const tokens = text.match(TOKEN) ?? [];
  if (tokens.some((t) => checkIdentifier('vin', t).valid || checkIdentifier('hin', t).valid)) {
    found.push('contains a VIN or HIN: put identifiers in the identifiers list');
  }
  return found;
}

/** Refuses (400, naming /text) a text that carries personal data or an identifier. */
export function assertQuestionText(text: string): void {
  const found = questionTextProblems(text);
  if (found.length === 0) return;
  throw problems.badRequest('The question’s text is for context, not data.', {
    errors: found.map((detail) => ({ pointer: '/text', detail })),
  });
}
