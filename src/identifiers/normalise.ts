/**
 * Normalisation shared by every identifier type. Partners type, OCR and paste identifiers, so the same
 * identifier arrives as "nl-hxa b7a33 g293", "NL‑HXAB7A33G293" (non-breaking hyphen) or full-width text;
 * all must compare equal.
 */

/**
 * Whether a UTF-16 unit is whitespace (what /\s/ matches) or a hyphen: the ASCII hyphen plus the
 * Unicode dashes that word processors substitute for it. What stripSeparators removes.
 */
export function isSeparator(c: number): boolean {
  if (c < 0x80) return c === 0x20 || c === 0x2d || (c >= 0x09 && c <= 0x0d);
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    (c >= 0x2010 && c <= 0x2015) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x2212 ||
    c === 0x3000 ||
    c === 0xfe58 ||
    c === 0xfe63 ||
    c === 0xfeff ||
    c === 0xff0d
  );
}

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

/** Drops every whitespace and hyphen unit (a loop: ~5 times cheaper than the regex replaces). */
export function stripSeparators(value: string): string {
  let out = '';
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    if (!isSeparator(value.charCodeAt(i))) continue;
    if (i > start) out += value.slice(start, i);
    start = i + 1;
  }
  // Most values have no separator left to remove: then the value itself.
  return start === 0 ? value : out + value.slice(start);
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
