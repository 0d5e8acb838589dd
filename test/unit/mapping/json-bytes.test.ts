/** writeSimpleJson writes JSON.stringify's bytes, or gives up; it does not give up on usual records. */
import fc from 'fast-check';
import { writeSimpleJson } from '../../../src/mapping/json-bytes';

function check(value: unknown, room = 4096): boolean {
  const out = new Uint8Array(room);
  const end = writeSimpleJson(value, out, 3);
  if (end < 0) return false;
  const json = JSON.stringify(value);
  expect(Buffer.from(out.subarray(3, end)).equals(Buffer.from(json, 'utf8'))).toBe(true);
  return true;
}

describe('writeSimpleJson', () => {
  it('writes exactly what JSON.stringify writes, whenever it writes', () => {
    let written = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything({ withNullPrototype: true, withObjectString: true, withBoxedValues: true }),
          fc.jsonValue(),
          fc.dictionary(
            fc.string({ unit: 'grapheme-ascii' }),
            fc.oneof(fc.string({ unit: 'grapheme-ascii' }), fc.double(), fc.integer()),
          ),
        ),
        fc.integer({ min: 4, max: 200 }),
        (value, room) => {
          if (check(value, room)) written++;
        },
      ),
      { numRuns: 5000 },
    );
    expect(written).toBeGreaterThan(500);
  });

  it('gives up on what it does not write as JSON.stringify would', () => {
    class Boat {
      name = 'x';
    }
    const inherited = Object.create({ hidden: 1 }) as Record<string, unknown>;
    const cases: unknown[] = [
      [1, 2],
      { a: [1] },
      { a: undefined },
      { a: 'é' },
      { a: 'say "hi"' },
      { 'a\nb': 1 },
      { toJSON: () => 1 },
      new Boat(),
      Object.assign(inherited, { own: 1 }),
      new Date(0),
      undefined,
      () => 1,
      10n,
    ];
    for (const value of cases) expect(writeSimpleJson(value, new Uint8Array(256), 0)).toBe(-1);
    // An enumerable key on Object.prototype shows in for...in but not in JSON.stringify.
    Object.defineProperty(Object.prototype, 'polluted', { value: 1, enumerable: true, configurable: true });
    try {
      expect(writeSimpleJson({ a: 1 }, new Uint8Array(256), 0)).toBe(-1);
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
    expect(writeSimpleJson({ a: 1 }, new Uint8Array(256), 0)).toBe(7);
  });

  it('writes the usual record, key order kept; gives up when out of room', () => {
    const record = {
      sourceRef: 'NL-1',
      objectType: 'boat',
      status: 'stolen',
      identifier: { type: 'hin', value: 'NLHXAB7A33G293' },
      year: 1994,
      '1': -0,
      x: 1e21,
      y: NaN,
      z: true,
      n: null,
      owner: { since: '2020-01-01' },
    };
    expect(check(record)).toBe(true);
    const json = JSON.stringify(record);
    expect(writeSimpleJson(record, new Uint8Array(json.length), 0)).toBe(json.length);
    expect(writeSimpleJson(record, new Uint8Array(json.length - 1), 0)).toBe(-1);
  });
});
