/** fast-check generators of valid partner rows, and helpers shared by the mapping tests. */
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { identifierKey, vinCheckDigit } from '../../../src/identifiers';
import { readRows } from '../../../src/mapping/readers';
import type { MapEvent } from '../../../src/mapping/run';
import type { InputFormat, RowOutcome } from '../../../src/mapping/types';
import type { CanonicalRecord } from '../../../src/records/canonical';

const VIN_ALPHABET = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789'.split('');
const SERIAL_ALPHABET = VIN_ALPHABET; // HIN serials exclude I, O and Q too
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('');
const ALNUM = [...LETTERS, ...'0123456789'.split('')];
const MONTHS = 'ABCDEFGHIJKL'.split('');

const chars = (alphabet: string[], min: number, max: number) =>
  fc.array(fc.constantFrom(...alphabet), { minLength: min, maxLength: max }).map((a) => a.join(''));

/** A VIN with a correct check digit (North American or not). */
export const vinArb: fc.Arbitrary<string> = chars(VIN_ALPHABET, 17, 17).map((raw) => {
  const draft = `${raw.slice(0, 8)}0${raw.slice(9)}`;
  return `${draft.slice(0, 8)}${vinCheckDigit(draft)!}${draft.slice(9)}`;
});

/** An ISO 10087 CIN (country code + 12) or a US 33 CFR 181 HIN (12), current format. */
export const hinArb: fc.Arbitrary<string> = fc
  .record({
    country: fc.constantFrom('NL', 'DE', 'FR', 'GB', 'BE', 'US', 'SE', ''),
    maker: chars(LETTERS, 3, 3),
    serial: chars(SERIAL_ALPHABET, 5, 5),
    month: fc.constantFrom(...MONTHS),
    year: fc.integer({ min: 0, max: 9 }),
    next: fc.boolean(),
    decade: fc.integer({ min: 0, max: 9 }),
    separator: fc.constantFrom('', '-', ' '),
  })
  .map(({ country, maker, serial, month, year, next, decade, separator }) => {
    const model = (year + (next ? 1 : 0)) % 10;
    const core = `${maker}${serial}${month}${year}${decade}${model}`;
    return country ? `${country}${separator}${core}` : core;
  });

/** A plate or registration mark: letters and digits, sometimes with hyphens. */
export const registrationArb: fc.Arbitrary<string> = fc
  .array(chars(ALNUM, 1, 4), { minLength: 1, maxLength: 3 })
  .chain((parts) => fc.constantFrom('-', '', ' ').map((sep) => parts.join(sep)));

export const makeArb = fc.constantFrom(
  'Mercury',
  'Yamaha',
  'Suzuki',
  'Volvo Penta',
  'Honda',
  'Tohatsu',
  'Citroën',
);
export const serialArb: fc.Arbitrary<string> = fc
  .array(chars(ALNUM, 1, 6), { minLength: 1, maxLength: 3 })
  .map((parts) => parts.join('-'));

/** Short free text that never needs CSV quoting trouble beyond commas and quotes (csv-stringify not used). */
export const textArb = fc
  .string({ minLength: 1, maxLength: 20 })
  .filter((s) => s.trim() !== '' && !/[\r\n]/.test(s));
export const dateArb: fc.Arbitrary<string> = fc
  .date({ min: new Date('1950-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
export const yearArb = fc.integer({ min: 1900, max: 2030 });

/** Keys of records grouped by linkId: the thing map → unmap must keep. */
export function keysByLink(records: CanonicalRecord[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of records) {
    const key = r.linkId ?? `(none):${r.sourceRef}`;
    const set = out.get(key) ?? new Set<string>();
    set.add(identifierKey(r.identifier.type, r.identifier.value));
    out.set(key, set);
  }
  return out;
}

export function recordsOf(outcome: RowOutcome): CanonicalRecord[] {
  if ('quarantine' in outcome) throw new Error(`quarantined: ${JSON.stringify(outcome.quarantine)}`);
  return outcome.records;
}

export function streamOf(text: string, chunkSize = 7): Readable {
  const chunks: Buffer[] = [];
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return Readable.from(chunks);
}

/** Reading `format` from an input that fails throws the input's error (it does not end quietly). */
export async function expectInputErrorThrown(format: InputFormat): Promise<void> {
  const failing = new Readable({
    read() {
      this.destroy(new Error('disk on fire'));
    },
  });
  await expect(async () => {
    for await (const _ of readRows(failing, format)) void _;
  }).rejects.toThrow('disk on fire');
}

export async function collect(events: AsyncIterable<MapEvent>): Promise<MapEvent[]> {
  const out: MapEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

/** Deterministic shuffle (for "unmap does not depend on record order"). */
export function shuffle<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Moderate by default so the suite stays fast; FSG_PROPERTY_RUNS=2000 for a deep run. */
export const NUM_RUNS = Number(process.env.FSG_PROPERTY_RUNS) || 60;
