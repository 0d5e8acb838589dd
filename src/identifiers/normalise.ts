/**
 * Normalisation shared by every identifier type. Partners type, OCR and paste identifiers, so the same
 * identifier arrives as "nl-hxa b7a33 g293", "NL‑HXAB7A33G293" (non-breaking hyphen) or full-width text;
 * all must compare equal.
 */

/** ASCII hyphen plus the Unicode dashes that word processors substitute for it. */
const HYPHENS = /[-\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]/g;
const WHITESPACE = /\s+/g;

/** NFKC first so full-width and other compatibility forms fold onto ASCII before upper-casing. */
export function baseNormalise(raw: string): string {
  // Callers are typed, but records come from JSON: a non-string must fail validation, not throw.
  const text = typeof raw === 'string' ? raw : '';
  return text.normalize('NFKC').trim().toUpperCase();
}

/** Trim, upper-case, drop all whitespace and hyphens. */
export function compact(raw: string): string {
  return stripSeparators(baseNormalise(raw));
}

export function stripSeparators(value: string): string {
  return value.replace(WHITESPACE, '').replace(HYPHENS, '');
}

/** A short, safe rendering of one character for messages (control characters become code points). */
export function showChar(ch: string): string {
  return /^[\x21-\x7e]$/.test(ch)
    ? `'${ch}'`
    : `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}
