/**
 * Normalisation shared by every identifier type. Partners type, OCR and paste identifiers, so the same
 * identifier arrives as "nl-hxa b7a33 g293", "NL‑HXAB7A33G293" (non-breaking hyphen) or full-width text;
 * all must compare equal.
 */

/** ASCII hyphen plus the Unicode dashes that word processors substitute for it. */
const HYPHENS = /[-\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]/g;
const WHITESPACE = /\s+/g;
/** Whitespace or a hyphen: what stripSeparators removes (both classes above, in one). */
const SEPARATORS = /[\s\-\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]/;

/** NFKC first so full-width and other compatibility forms fold onto ASCII before upper-casing. */
export function baseNormalise(raw: string): string {
  // Callers are typed, but records come from JSON: a non-string must fail validation, not throw.
  const text = typeof raw === 'string' ? raw : '';
  // NFKC maps every ASCII character to itself: skip it for the (usual) all-ASCII identifier.
  return (isAscii(text) ? text : text.normalize('NFKC')).trim().toUpperCase();
}

/** Trim, upper-case, drop all whitespace and hyphens. */
export function compact(raw: string): string {
  return stripSeparators(baseNormalise(raw));
}

export function stripSeparators(value: string): string {
  // Most values have no separator left to remove: one test instead of two replaces.
  if (!SEPARATORS.test(value)) return value;
  return value.replace(WHITESPACE, '').replace(HYPHENS, '');
}

/** True when `text` is ASCII only (its NFKC and NFKD forms are itself). */
export function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** A short, safe rendering of one character for messages (control characters become code points). */
export function showChar(ch: string): string {
  return /^[\x21-\x7e]$/.test(ch)
    ? `'${ch}'`
    : `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}
