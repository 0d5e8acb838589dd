/**
 * The ASCII fast paths of the normalisation (skip NFKC/NFKD for ASCII, one separator test before the
 * replaces, a loop for the replaces) give exactly what the plain definitions give, on ASCII and on any Unicode text.
 */
import fc from 'fast-check';
import { baseNormalise, compact, isSeparator, stripSeparators } from '../../../src/identifiers/normalise';
import { normaliseManufacturer } from '../../../src/identifiers/serial';

const HYPHENS = /[-\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]/g;
const WHITESPACE = /\s+/g;
const reference = {
  baseNormalise: (raw: string) => raw.normalize('NFKC').trim().toUpperCase(),
  stripSeparators: (value: string) => value.replace(WHITESPACE, '').replace(HYPHENS, ''),
  manufacturer: (raw: string) =>
    reference
      .stripSeparators(
        reference.baseNormalise(raw).normalize('NFKD').replace(/\p{M}/gu, '').normalize('NFKC'),
      )
      .replace(/['\u2018\u2019\u02BC]/g, ''),
};

/** Text that mixes ASCII with separators, full-width forms, accents, ligatures and odd cases. */
const tricky = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'binary-ascii' }),
      fc.constantFrom(' ', '\t', '\u00a0', '-', '\u2011', '\u2212', '\uff0d', '\u3000', "'", '\u2019'),
      fc.constantFrom('Ａ', 'ｂ', '１', 'ë', 'É', 'ß', 'ﬁ', 'ı', 'ſ', 'µ', 'Ⅻ', 'e\u0301', '\ud83d\ude00'),
      fc.string({ unit: 'grapheme' }),
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(''));

describe('normalisation fast paths', () => {
  it('agree with the plain definitions', () => {
    fc.assert(
      fc.property(tricky, (text) => {
        expect(baseNormalise(text)).toBe(reference.baseNormalise(text));
        expect(stripSeparators(text)).toBe(reference.stripSeparators(text));
        expect(compact(text)).toBe(reference.stripSeparators(reference.baseNormalise(text)));
        expect(normaliseManufacturer(text)).toBe(reference.manufacturer(text));
      }),
      { numRuns: 5000 },
    );
  });

  it('count as a separator exactly the UTF-16 units the regexes remove', () => {
    const separator = /^[\s\-\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]$/;
    const wrong: number[] = [];
    for (let c = 0; c <= 0xffff; c++)
      if (isSeparator(c) !== separator.test(String.fromCharCode(c))) wrong.push(c);
    expect(wrong).toEqual([]);
  });
});
