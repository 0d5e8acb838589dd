import fs from 'node:fs';
import path from 'node:path';
import { boatregNl } from '../../../adapters/boatreg-nl/mapping';
import { adapters, getAdapter } from '../../../src/mapping/registry';
import { mapAll, mapStream } from '../../../src/mapping/run';
import { createMemorySeenIdentifiers } from '../../../src/mapping/seen';
import type { Adapter, InputFormat } from '../../../src/mapping/types';
import type { CanonicalRecord } from '../../../src/records/canonical';
import { HASH_WORDS, hashKey, hashKeyInto, openDiskSeenIdentifiers } from '../../../src/mapping/seen-disk';
import { collect, streamOf } from './arbitraries';

const ADAPTERS_DIR = path.resolve(__dirname, '../../../adapters');

const boat = (value: string, extra: Partial<CanonicalRecord> = {}): CanonicalRecord => ({
  sourceRef: 'R',
  linkId: 'test:R',
  objectType: 'boat',
  status: 'registered',
  identifier: { type: 'hin', value },
  ...extra,
});

/** A test adapter: each ndjson row says which records to return, or throws. */
const fake: Adapter = {
  id: 'fake',
  partnerId: 'test',
  description: 'test',
  formats: ['ndjson'],
  objectTypes: ['boat'],
  map(row) {
    if (row.throw) throw new Error('boom');
    if (row.quarantine) return { quarantine: [] };
    const records = (row.records as CanonicalRecord[]) ?? [];
    return {
      records,
      fields: records.map((_, i) => `ids[${i}]`),
      warnings: row.warn ? [{ row: 0, field: 'x', code: 'W', message: 'careful' }] : undefined,
    } as ReturnType<Adapter['map']>;
  },
  unmap: () => [],
};

const ndjson = (...rows: unknown[]) => streamOf(rows.map((r) => JSON.stringify(r)).join('\n'));

describe('mapStream', () => {
  it('one event per row, in order; events and warnings carry the row and (NDJSON) its line', async () => {
    const events = await collect(
      mapStream(
        fake,
        ndjson({ records: [boat('NL-HXAB7A33G293')], warn: true }, { records: [] }, 'x'),
        'ndjson',
      ),
    );
    expect(events).toEqual([
      {
        kind: 'records',
        row: 1,
        line: 1,
        records: [boat('NL-HXAB7A33G293')],
        warnings: [{ row: 1, line: 1, field: 'x', code: 'W', message: 'careful' }],
      },
      { kind: 'records', row: 2, line: 2, records: [], warnings: [] },
      {
        kind: 'quarantine',
        entries: [
          {
            row: 3,
            line: 3,
            field: null,
            code: 'ROW_MALFORMED',
            message: 'a row must be an object, got string',
          },
        ],
      },
    ]);
  });

  it('validates every record against schemas/sis: one bad record quarantines the whole row, field = pointer', async () => {
    const bad = boat('NL-BEN12345C818', {
      owner: { since: '14-05-2020' },
      partKind: 'engine',
    } as Partial<CanonicalRecord>);
    const { records, quarantine, summary } = await mapAll(
      fake,
      ndjson({ records: [boat('NL-HXAB7A33G293'), bad] }),
      'ndjson',
    );
    expect(records).toEqual([]);
    expect(quarantine.map(({ row, field, code }) => ({ row, field, code }))).toEqual(
      expect.arrayContaining([
        { row: 1, field: '/owner/since', code: 'RECORD_INVALID' },
        { row: 1, field: '/partKind', code: 'RECORD_INVALID' },
      ]),
    );
    expect(quarantine[0]!.message).toContain('(from ids[1])');
    expect(summary).toEqual({ read: 1, mapped: 0, quarantined: 1, records: 0 });
  });

  it('first occurrence wins: a later row with the same identifier (any spelling) is quarantined, naming the field and the first row', async () => {
    const { records, quarantine, summary } = await mapAll(
      fake,
      ndjson(
        { records: [boat('NL-HXAB7A33G293')] },
        { records: [boat('US-BMA45678H485'), boat('nl-hxa b7a33 g293')] },
        { records: [boat('US-BMA45678H485')] },
      ),
      'ndjson',
    );
    // Row 2 was quarantined, so it claimed nothing: row 3's hull number is new.
    expect(records.map((r) => r.identifier.value)).toEqual(['NL-HXAB7A33G293', 'US-BMA45678H485']);
    expect(quarantine).toEqual([
      {
        row: 2,
        line: 2,
        field: 'ids[1]',
        code: 'DUPLICATE_IDENTIFIER',
        message: 'hin already seen at line 1 (first occurrence wins)',
      },
    ]);
    expect(summary).toEqual({ read: 3, mapped: 2, quarantined: 1, records: 2 });
  });

  it('the same identifier twice in one row quarantines the row', async () => {
    const { quarantine } = await mapAll(
      fake,
      ndjson({ records: [boat('NL-HXAB7A33G293'), boat('NLHXAB7A33G293')] }),
      'ndjson',
    );
    expect(quarantine).toEqual([
      {
        row: 1,
        line: 1,
        field: 'ids[1]',
        code: 'DUPLICATE_IDENTIFIER',
        message: 'hin appears twice in this row (also ids[0])',
      },
    ]);
  });

  it('a throwing adapter or an empty quarantine still accounts for the row', async () => {
    const { quarantine, summary } = await mapAll(
      fake,
      ndjson({ throw: true }, { quarantine: true }),
      'ndjson',
    );
    expect(quarantine.map((q) => [q.row, q.code])).toEqual([
      [1, 'ADAPTER_FAILED'],
      [2, 'ADAPTER_FAILED'],
    ]);
    expect(summary.read).toBe(2);
  });

  it('refuses a format the adapter does not read', async () => {
    await expect(collect(mapStream(fake, streamOf('a\n1'), 'csv'))).rejects.toThrow(
      'adapter "fake" reads ndjson, not csv',
    );
  });

  it('a caller-supplied seen set spans several inputs and is not closed by mapStream', async () => {
    const seen = createMemorySeenIdentifiers();
    await mapAll(fake, ndjson({ records: [boat('NL-HXAB7A33G293')] }), 'ndjson', { seen });
    const second = await mapAll(fake, ndjson({ records: [boat('NL-HXAB7A33G293')] }), 'ndjson', { seen });
    expect(second.quarantine[0]).toMatchObject({
      code: 'DUPLICATE_IDENTIFIER',
      message: expect.stringContaining('line 1'),
    });
    expect(seen.size).toBe(1);
  });
});

describe('invariant on every fixture: mapped + quarantined = rows read, in memory and on disk', () => {
  const fixtures = [...adapters.keys()].flatMap((id) =>
    fs
      .readdirSync(path.join(ADAPTERS_DIR, id, 'fixtures'))
      .filter((f) => /\.(csv|json|ndjson)$/.test(f))
      .map((f) => [id, f] as const),
  );

  it('has fixtures for every adapter', () => {
    expect(new Set(fixtures.map(([id]) => id))).toEqual(new Set(adapters.keys()));
  });

  it.each(fixtures)('%s %s', async (id, file) => {
    const adapter = getAdapter(id)!;
    const format = file.split('.').pop() as InputFormat;
    const full = path.join(ADAPTERS_DIR, id, 'fixtures', file);
    const memory = await mapAll(adapter, fs.createReadStream(full), format);
    const disk = openDiskSeenIdentifiers({ initialSlots: 4, bufferBytes: 64 });
    const onDisk = await mapAll(adapter, fs.createReadStream(full), format, { seen: disk });
    disk.close();
    expect(fs.existsSync(disk.file)).toBe(false);

    for (const result of [memory, onDisk]) {
      const { read, mapped, quarantined, records } = result.summary;
      expect(mapped + quarantined).toBe(read);
      expect(records).toBe(result.records.length);
      expect(new Set(result.quarantine.map((q) => q.row)).size).toBe(quarantined);
    }
    expect(onDisk).toEqual(memory);
    // Rows read = data rows in the file, counted independently of the readers.
    const text = fs.readFileSync(full, 'utf8');
    const expected =
      format === 'json'
        ? (JSON.parse(text) as unknown[]).length
        : text.split('\n').filter((l) => l.trim() !== '').length - (format === 'csv' ? 1 : 0);
    expect(memory.summary.read).toBe(expected);
  });
});

describe('on-disk seen identifiers', () => {
  it('keeps the first row of a key and deletes its file on close', () => {
    const seen = openDiskSeenIdentifiers({ initialSlots: 4, bufferBytes: 64 });
    expect(fs.existsSync(seen.file)).toBe(true);
    for (let i = 1; i <= 10; i++) seen.add(`hin:K${i % 7}`, i);
    expect(seen.size).toBe(7);
    expect(seen.firstRow('hin:K1')).toBe(1);
    expect(seen.firstRow('hin:K0')).toBe(7);
    expect(seen.firstRow('hin:K')).toBeUndefined();
    seen.close();
    seen.close();
    expect(fs.existsSync(path.dirname(seen.file))).toBe(false);
  });

  it('a hash collision is not a duplicate: the key is read back and compared', () => {
    // Two keys with the same 32-bit hash in the same partition (found by search).
    const [a, b] = ['hin:K2757734', 'hin:K4293043'];
    expect(hashKey(a)).toBe(hashKey(b));
    for (const bufferBytes of [1 << 20, 64]) {
      const seen = openDiskSeenIdentifiers({ bufferBytes });
      try {
        seen.add(a, 1);
        expect(seen.firstRow(b)).toBeUndefined();
        seen.add(b, 2);
        for (let i = 0; i < 100; i++) seen.add(`pad${i}`, 3);
        expect([seen.firstRow(a), seen.firstRow(b), seen.size]).toEqual([1, 2, 102]);
      } finally {
        seen.close();
      }
    }
  });

  it('keys are compared as UTF-16 units: lone surrogates and wide characters stay apart', () => {
    const keys = [
      'hin:\uD800',
      'hin:\uDC00',
      'hin:\uFFFD',
      'hin:\u00E9',
      'hin:e\u0301',
      'hin:\u0100',
      'hin:\u0001\u0000',
    ];
    const seen = openDiskSeenIdentifiers({ bufferBytes: 64 });
    try {
      keys.forEach((key, i) => seen.add(key, i + 1));
      expect(seen.size).toBe(keys.length);
      expect(keys.map((key) => seen.firstRow(key))).toEqual(keys.map((_, i) => i + 1));
      expect(seen.firstRow('hin:\u0001')).toBeUndefined();
    } finally {
      seen.close();
    }
  });

  it.each([
    ['tables that grow many times, records read back from the file', 4, 64],
    ['the default sizes (records mostly still in memory)', undefined, undefined],
  ])('answers exactly like the in-memory set with %s', (_what, initialSlots, bufferBytes) => {
    const disk = openDiskSeenIdentifiers({ initialSlots, bufferBytes });
    const memory = createMemorySeenIdentifiers();
    try {
      // Keys repeat at every distance (a row's key seen rows earlier), some wider than a byte a unit.
      // (Answers gathered and compared at the end: an expect per key would be most of the time.)
      const got: unknown[] = [];
      const want: unknown[] = [];
      let state = 12345;
      for (let row = 1; row <= 20000; row++) {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        const n = state % 12000;
        const key = n % 5 === 0 ? `hin:\u0141${n}` : `hin:K${n}`;
        got.push(disk.firstRow(key));
        want.push(memory.firstRow(key));
        disk.add(key, row);
        memory.add(key, row);
        got.push(disk.size);
        want.push(memory.size);
      }
      for (let k = 0; k < 12100; k++) {
        got.push(disk.firstRow(`hin:K${k}`), disk.firstRow(`hin:\u0141${k}`));
        want.push(memory.firstRow(`hin:K${k}`), memory.firstRow(`hin:\u0141${k}`));
      }
      expect(got).toEqual(want);
    } finally {
      disk.close();
    }
  });

  it('answers a lookup with the hashes made beforehand exactly as one without', () => {
    const disk = openDiskSeenIdentifiers({ initialSlots: 4, bufferBytes: 64 });
    const memory = createMemorySeenIdentifiers();
    try {
      const got: unknown[] = [];
      const want: unknown[] = [];
      const hashes = new Uint32Array(HASH_WORDS);
      for (let row = 1; row <= 5000; row++) {
        const n = (row * 7919) % 3000;
        const key = n % 3 === 0 ? `hin:\u0141${n}` : `hin:K${n}`;
        hashKeyInto(key, hashes, 0);
        got.push(disk.firstRowHashed!(key, hashes, 0));
        want.push(memory.firstRow(key));
        disk.add(key, row);
        memory.add(key, row);
      }
      expect(got).toEqual(want);
    } finally {
      disk.close();
    }
  });

  it('looks up the keys of a row first and adds them after, as claimKeys does, like the in-memory set', () => {
    const disk = openDiskSeenIdentifiers({ initialSlots: 4, bufferBytes: 64 });
    const memory = createMemorySeenIdentifiers();
    try {
      const got: unknown[] = [];
      const want: unknown[] = [];
      let state = 7;
      for (let row = 1; row <= 3000; row++) {
        const keys: string[] = [];
        // 1 to 12 keys (more than the lookups remembered), repeats within and across rows.
        for (let k = 0; k <= row % 12; k++) {
          state = (Math.imul(state, 1103515245) + 12345) >>> 0;
          keys.push(`hin:K${state % 4000}`);
        }
        for (const key of keys) {
          got.push(disk.firstRow(key));
          want.push(memory.firstRow(key));
        }
        for (const key of keys) {
          disk.add(key, row);
          memory.add(key, row);
        }
        got.push(disk.size);
        want.push(memory.size);
      }
      expect(got).toEqual(want);
    } finally {
      disk.close();
    }
  });

  it('maps a boatreg file with the same outcome as the in-memory set', async () => {
    const csv = fs.readFileSync(path.join(ADAPTERS_DIR, 'boatreg-nl', 'fixtures', 'broken.csv'), 'utf8');
    const seen = openDiskSeenIdentifiers();
    try {
      const onDisk = await mapAll(boatregNl, streamOf(csv, 64), 'csv', { seen });
      const memory = await mapAll(boatregNl, streamOf(csv, 64), 'csv');
      expect(onDisk).toEqual(memory);
    } finally {
      seen.close();
    }
  });
});
