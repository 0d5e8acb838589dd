/**
 * An upload's mapping on a thread of its own (src/datasets/mapping-thread.ts, compiled): the same
 * outcome as the mapping on the event loop (map-upload.ts) row for row, record for record, counts,
 * quarantine and digest; the input read only as fast as the records are written; the input's or the
 * store's error passed on as it was, and the thread ended; the thread running below the requests.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { generateBoatreg } from '../../bench/generate-boatreg';
import type * as MappingModule from '../../src/mapping';
import type * as MapUploadModule from '../../src/datasets/map-upload';
import type * as MappingThreadModule from '../../src/datasets/mapping-thread';
import type { DatasetRecord } from '../../src/datasets/types';
import type { InputFormat } from '../../src/mapping/types';

const DIST = path.resolve(__dirname, '../../dist/src/datasets');
if (!fs.existsSync(path.join(DIST, 'mapping-thread-worker.js'))) {
  throw new Error(`${DIST}/mapping-thread-worker.js is missing: run npm run build first`);
}
/* eslint-disable @typescript-eslint/no-require-imports */
const thread = require(path.join(DIST, 'mapping-thread.js')) as typeof MappingThreadModule;
const inline = require(path.join(DIST, 'map-upload.js')) as typeof MapUploadModule;
const { getAdapter } = require(path.join(DIST, '../mapping/index.js')) as typeof MappingModule;
/* eslint-enable @typescript-eslint/no-require-imports */

jest.setTimeout(60_000);

const FIXTURES = path.resolve(__dirname, '../../adapters/boatreg-nl/fixtures');
const SCOPE = { providerId: 'boatreg-nl', datasetId: 'vessels' };
const REF_KEY = Buffer.alloc(32, 7);
/** boatreg-nl's CSV into its vessels dataset, as the thread is given it. */
const BOATS: MappingThreadModule.MappingThreadData = {
  adapterId: 'boatreg-nl',
  format: 'csv',
  allowedTypes: ['boat', 'boat-engine'],
  scope: SCOPE,
  refKey: REF_KEY,
};

/** The nice values of this process's threads (Linux's /proc). */
const threadNices = () =>
  fs.readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return [Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])];
    } catch {
      return []; // a thread that ended meanwhile
    }
  });

/** A stream of `bytes` in chunks of `size` (cut anywhere, also inside a character). */
const chunked = (bytes: Buffer, size: number) =>
  Readable.from(
    (function* () {
      for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
    })(),
  );

interface Outcome {
  mapped: MapUploadModule.MappedUpload;
  batches: number[];
  records: DatasetRecord[];
}

async function run(
  on: 'thread' | 'inline',
  bytes: Buffer,
  allowedTypes: string[],
  format: InputFormat = 'csv',
  chunk = 4096,
): Promise<Outcome> {
  const records: DatasetRecord[] = [];
  const batches: number[] = [];
  const write = async (batch: DatasetRecord[]) => {
    batches.push(batch.length);
    records.push(...batch);
  };
  const input = chunked(bytes, chunk);
  const mapped =
    on === 'thread'
      ? await thread.mapOnThread(
          { adapterId: 'boatreg-nl', format, allowedTypes, scope: SCOPE, refKey: REF_KEY },
          input,
          write,
        )
      : await inline.mapUploadStream(
          {
            adapter: getAdapter('boatreg-nl')!,
            format,
            allowedTypes: new Set(allowedTypes),
            scope: SCOPE,
            refKey: REF_KEY,
          },
          input,
          write,
        );
  return { mapped, batches, records };
}

let big: Buffer;
beforeAll(async () => {
  const file = path.join(fs.mkdtempSync('/tmp/fsg-mapping-thread-'), 'boats.csv');
  await generateBoatreg({ rows: 3000, out: file, seed: 11 });
  // A few bad rows among the good: a duplicate hull number, a row cut short, bytes that are not UTF-8.
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  lines.splice(100, 0, lines[50]);
  lines.splice(200, 0, 'NL-0000-XX,Short');
  big = Buffer.concat([Buffer.from(lines.join('\n')), Buffer.from([0xff, 0xfe, 0x0a])]);
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
});

describe('the mapping thread maps as the event loop does', () => {
  const cases: [string, () => Buffer, string[], InputFormat][] = [
    [
      'the sample CSV',
      () => fs.readFileSync(path.join(FIXTURES, 'sample.csv')),
      ['boat', 'boat-engine'],
      'csv',
    ],
    [
      'the broken CSV',
      () => fs.readFileSync(path.join(FIXTURES, 'broken.csv')),
      ['boat', 'boat-engine'],
      'csv',
    ],
    [
      'the sample JSON',
      () => fs.readFileSync(path.join(FIXTURES, 'sample.json')),
      ['boat', 'boat-engine'],
      'json',
    ],
    ['3,000 generated rows with bad ones', () => big, ['boat', 'boat-engine'], 'csv'],
    ['engines outside the dataset', () => big, ['boat'], 'csv'],
  ];
  it.each(cases)('%s', async (_name, bytes, types, format) => {
    const [onThread, onLoop] = [
      await run('thread', bytes(), types, format),
      await run('inline', bytes(), types, format),
    ];
    expect(onThread.mapped).toEqual(onLoop.mapped);
    expect(onThread.records).toEqual(onLoop.records);
    expect(onThread.batches).toEqual(onLoop.batches);
    expect(onLoop.mapped.read).toBeGreaterThan(0);
  });

  it('the generated file: every row accounted for, the bad ones quarantined with their lines', async () => {
    const { mapped, records } = await run('thread', big, ['boat', 'boat-engine'], 'csv', 977);
    expect(mapped.mapped + mapped.quarantined).toBe(mapped.read);
    expect(mapped.quarantineCodes.DUPLICATE_IDENTIFIER).toBeGreaterThanOrEqual(1);
    expect(mapped.quarantined).toBeGreaterThanOrEqual(3);
    expect(records).toHaveLength(mapped.records);
    expect(mapped.digest).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('the mapping thread and its input and store', () => {
  it('reads no faster than the records are written, and runs niced below the requests', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let pulled = 0;
    const input = Readable.from(
      (function* () {
        for (let at = 0; at < big.length; at += 1024) {
          pulled += 1;
          yield big.subarray(at, at + 1024);
        }
      })(),
    );
    let nicesWhileMapping: number[] = [];
    let writes = 0;
    const mapping = thread.mapOnThread(BOATS, input, async () => {
      writes += 1;
      if (writes === 1) {
        nicesWhileMapping = threadNices();
        await held; // the store is slow to take the first batch
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const pulledWhileHeld = pulled;
    release();
    const mapped = await mapping;
    expect(nicesWhileMapping.filter((n) => n === 19)).toHaveLength(1);
    expect(threadNices().filter((n) => n === 19)).toHaveLength(0); // the thread has ended
    // While the first batch was not written, the thread read on only as far as the next batch needs.
    expect(pulledWhileHeld).toBeLessThan(Math.ceil(big.length / 1024) / 2);
    expect(pulled).toBe(Math.ceil(big.length / 1024));
    expect(mapped.read).toBeGreaterThan(3000);
  });

  it("an input that fails rejects with the input's own error, and the thread ends", async () => {
    const cause = Object.assign(new Error('the client went away'), { code: 'ECONNRESET' });
    const input = Readable.from(
      (function* () {
        yield big.subarray(0, 50_000);
        throw cause;
      })(),
    );
    const writes: number[] = [];
    await expect(
      thread.mapOnThread(BOATS, input, async (batch) => void writes.push(batch.length)),
    ).rejects.toBe(cause);
    expect(threadNices().filter((n) => n === 19)).toHaveLength(0);
  });

  it("a store that refuses a batch rejects with the store's error, and the input is let go", async () => {
    const refused = new Error('the store is closed');
    const input = chunked(big, 4096);
    await expect(
      thread.mapOnThread(BOATS, input, async () => {
        throw refused;
      }),
    ).rejects.toBe(refused);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(input.destroyed).toBe(true);
    expect(threadNices().filter((n) => n === 19)).toHaveLength(0);
  });

  it('an unknown adapter fails, without a thread left behind', async () => {
    await expect(
      thread.mapOnThread(
        {
          adapterId: 'no-such-adapter',
          format: 'csv',
          allowedTypes: ['boat'],
          scope: SCOPE,
          refKey: REF_KEY,
        },
        chunked(big, 4096),
        async () => undefined,
      ),
    ).rejects.toThrow('the mapping thread failed');
  });
});
