/**
 * The hit/no-hit index lookup (DatasetStore.lookup, as LookupService calls it: one identifier, the
 * agreement's lookup datasets as scopes) on a dataset of 1,000,000 records against the same lookup on
 * 10,000 records. Half the lookups hit, half do not; both stores are measured in alternating blocks.
 */
import path from 'node:path';
import { openSqliteStore } from '../src/store/sqlite';
import { fillDataset, keyOf } from './lib/records';
import { msSince, percentile } from './lib/stats';
import { row, type Benchmark } from './lib/types';

const SCOPES = [
  { providerId: 'boatreg-nl', datasetId: 'vessels' },
  { providerId: 'insureco', datasetId: 'theft-claims' },
];

export const lookupScaleBenchmark: Benchmark = {
  id: 'lookup-scale',
  title: 'index lookup at 1,000,000 records vs the same lookup at 10,000',
  async run(ctx) {
    const small = ctx.smoke ? 100 : 10_000;
    const large = ctx.smoke ? 2_000 : 1_000_000;
    const lookups = ctx.smoke ? 400 : 100_000;
    ctx.log(`lookup-scale: filling ${small.toLocaleString('en')} and ${large.toLocaleString('en')} records`);
    const stores = [small, large].map((n) =>
      openSqliteStore({ file: path.join(ctx.workDir, `records-${n}.sqlite`) }),
    );
    const t = process.hrtime.bigint();
    await fillDataset(stores[0], small, ctx.log);
    await fillDataset(stores[1], large, ctx.log);
    const fillSeconds = msSince(t) / 1000;

    // One sequence of keys per size and pass: even lookups hit a random record, odd ones miss.
    const sequence = (n: number, seed: number) =>
      Array.from({ length: lookups }, (_, i) => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return i % 2 === 0 ? keyOf(seed % n) : keyOf(n + 1 + (seed % n));
      });
    const sizes = [small, large];
    const latencies: number[][] = [[], []];
    const hits = [0, 0];
    const block = ctx.smoke ? 100 : 2_000;
    // Warm-up: as many lookups again, other keys, not counted (a running gateway is past its first
    // touch of each page); then the measured pass, the two sizes in alternating blocks.
    for (const [pass, seed] of [
      ['warm-up', 7],
      ['measured', 42],
    ] as const) {
      const keys = sizes.map((n) => sequence(n, seed));
      for (let start = 0; start < lookups; start += block) {
        for (let s = 0; s < 2; s++) {
          for (let i = start; i < Math.min(lookups, start + block); i++) {
            const began = process.hrtime.bigint();
            const found = await stores[s].datasets.lookup([keys[s][i]], SCOPES);
            if (pass === 'measured') {
              latencies[s].push(msSince(began));
              hits[s] += found.length;
            }
          }
        }
      }
    }
    await Promise.all(stores.map((s) => s.close()));
    const p = (s: number, q: number) => percentile(latencies[s], q);
    return [
      row({
        benchmark: 'lookup-scale',
        figure: `index lookup p99 at ${large.toLocaleString('en')} records`,
        unit: 'ms',
        gateway: p(1, 99),
        baseline: p(0, 99),
        baselineIs: `the same lookup at ${small.toLocaleString('en')} records`,
        target: { max: 1.5 },
        details: {
          lookups,
          hits: { [small]: hits[0], [large]: hits[1] },
          p50: { [small]: p(0, 50), [large]: p(1, 50) },
          p99: { [small]: p(0, 99), [large]: p(1, 99) },
          p999: { [small]: p(0, 99.9), [large]: p(1, 99.9) },
          fillSeconds,
        },
      }),
    ];
  },
};
