/**
 * JSON.stringify(value) written straight into a byte buffer as UTF-8, for the simple values the
 * adapters' records are (plain objects of plain objects, printable ASCII strings, numbers, booleans,
 * null): `fsg map` writes millions of them, and making each a string and then encoding it was a large
 * share of the work (docs/performance.md). Anything else (an array, a string to escape or beyond ASCII, undefined, a toJSON, another
 * prototype) makes it give up (-1) and the caller writes JSON.stringify's text instead; a property
 * test holds the bytes to JSON.stringify's.
 */

/** Writes value's JSON at `at`; the end, or -1 when value is not simple (then nothing is meant written). */
export function writeSimpleJson(value: unknown, out: Uint8Array, at: number): number {
  switch (typeof value) {
    case 'string':
      return writeString(value, out, at);
    case 'number':
      return writeAscii(Number.isFinite(value) ? String(value) : 'null', out, at);
    case 'boolean':
      return writeAscii(value ? 'true' : 'false', out, at);
    case 'object':
      if (value === null) return writeAscii('null', out, at);
      return writeObject(value, out, at);
    default:
      return -1;
  }
}

function writeObject(value: object, out: Uint8Array, at: number): number {
  if (Object.getPrototypeOf(value) !== Object.prototype) return -1;
  const object = value as Record<string, unknown>;
  if (object.toJSON !== undefined) return -1;
  if (at >= out.length) return -1;
  out[at++] = 0x7b; // {
  let first = true;
  for (const key in object) {
    // for...in also walks inherited enumerable keys, which JSON.stringify leaves out.
    if (!Object.prototype.hasOwnProperty.call(object, key)) return -1;
    if (!first) {
      if (at >= out.length) return -1;
      out[at++] = 0x2c; // ,
    }
    first = false;
    at = writeString(key, out, at);
    if (at < 0 || at >= out.length) return -1;
    out[at++] = 0x3a; // :
    at = writeSimpleJson(object[key], out, at);
    if (at < 0) return -1;
  }
  if (at >= out.length) return -1;
  out[at++] = 0x7d; // }
  return at;
}

/** A string of printable ASCII but `"` and `\` (which JSON writes as they are), quoted; else -1. */
function writeString(value: string, out: Uint8Array, at: number): number {
  if (at + value.length + 2 > out.length) return -1;
  out[at++] = 0x22;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return -1;
    out[at++] = c;
  }
  out[at++] = 0x22;
  return at;
}

/** Text known to be ASCII (a number's, a literal's). */
function writeAscii(text: string, out: Uint8Array, at: number): number {
  if (at + text.length > out.length) return -1;
  for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
  return at;
}
