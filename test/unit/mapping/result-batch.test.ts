/** The compact result batches of the mapping worker give back exactly the items, in order. */
import fc from 'fast-check';
import type { WorkerItem } from '../../../src/mapping/parallel';
import { readResults, ResultBatchWriter } from '../../../src/mapping/result-batch';
import { HASH_WORDS, hashKeyInto } from '../../../src/mapping/seen-disk';

/** The items of a batch less the hashes of their keys, which each mapped row's must be. */
function withoutHashes(items: WorkerItem[]): WorkerItem[] {
  return items.map((item) => {
    if (!('hashes' in item)) return item;
    const { hashes, hashAt, ...rest } = item;
    const want = new Uint32Array(HASH_WORDS * rest.keys.length);
    rest.keys.forEach((key, i) => hashKeyInto(key, want, HASH_WORDS * i));
    const at = hashAt ?? 0;
    expect([...hashes!.subarray(at, at + want.length)]).toEqual([...want]);
    return rest;
  });
}

const entry = fc.record({
  row: fc.nat(),
  field: fc.option(fc.string(), { nil: null }),
  code: fc.string(),
  message: fc.string({ unit: 'binary' }),
});
const mapped = fc
  .record({
    row: fc.nat({ max: 2 ** 40 }),
    keys: fc.array(fc.string({ unit: 'binary' }), { maxLength: 6 }),
    types: fc.array(fc.constantFrom('hin', 'boat-registration', 'engine-serial'), { maxLength: 6 }),
    fields: fc.option(fc.array(fc.constantFrom('hull_numbers', 'registration_no', 'engine1_serial')), {
      nil: undefined,
    }),
    length: fc.nat(),
    warnings: fc.array(entry, { maxLength: 2 }),
  })
  .map(({ fields, ...item }): WorkerItem => {
    const out: WorkerItem = { ...item, count: item.keys.length };
    if (fields !== undefined) out.fields = fields;
    return out;
  });
const other = fc.oneof(
  fc.record({ row: fc.nat(), malformed: fc.string() }),
  fc.record({ row: fc.nat(), malformed: fc.string(), fatal: fc.boolean() }),
  fc.record({
    row: fc.nat(),
    event: fc.record({
      kind: fc.constant('quarantine' as const),
      entries: fc.array(entry, { maxLength: 3 }),
    }),
  }),
);

describe('result batches of the mapping worker', () => {
  it('any items come back equal and in order, batch after batch', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.oneof(mapped, mapped, other), { maxLength: 30 }), { maxLength: 4 }),
        (batches) => {
          const writer = new ResultBatchWriter();
          for (const items of batches) {
            for (const item of items) writer.add(item);
            expect(writer.length).toBe(items.length);
            const back = withoutHashes([...readResults(structuredClone(writer.take()))]);
            // (what JSON gave before: no key left undefined, the same values; key order is not used)
            expect(back).toStrictEqual(JSON.parse(JSON.stringify(items)));
          }
        },
      ),
    );
  });

  it('more distinct types and fields than a batch keeps: the rest as JSON, all the same', () => {
    const writer = new ResultBatchWriter();
    const items: WorkerItem[] = Array.from({ length: 100 }, (_, i) => ({
      row: i + 1,
      keys: [`hin:K${i}`],
      types: ['hin'],
      fields: [`engine${i}_serial`],
      count: 1,
      length: 10,
      warnings: [],
    }));
    for (const item of items) writer.add(item);
    expect(withoutHashes([...readResults(writer.take())])).toStrictEqual(items);
  });
});
