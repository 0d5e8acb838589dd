/**
 * Offline log verification against Node's sha256 over the same bytes (every stored body, hashed one by
 * one, read from memory). Figure: bytes of log bodies per second. Two rows: the fast verification
 * (`fsg audit verify --db --fast`: hash chain, Merkle roots and head hashes against every signed
 * checkpoint, signatures; the target) and the full one (`fsg audit verify --db`, the default: the same
 * plus canonical form, columns and indexes of every entry; shown, no target).
 */
import crypto from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Checkpointer } from '../src/audit/checkpointer';
import { createSigner } from '../src/audit/checkpoint';
import { defaultThreads, verifyLogFast, type FastVerifyReport } from '../src/audit/verify-fast';
import type { AuditEventInput } from '../src/audit/types';
import { verifyLog } from '../src/audit/verify-log';
import { openSqliteStore, readRawAuditRows, readRawCheckpoints } from '../src/store/sqlite';
import { benchEvent } from './lib/events';
import { MiB, msSince } from './lib/stats';
import { row, type Benchmark } from './lib/types';

export interface BuildLogOptions {
  /** Event i (default: benchEvent). */
  event?: (i: number) => AuditEventInput;
  /** The time of the entries from `done` on (default: now): the store's clock for each batch. */
  timeAt?: (done: number) => Date;
  /** Entries per transaction (default 500). */
  batch?: number;
  /** The agreements' time zones the statistics count days in (openSqliteStore's statsZones). */
  statsZones?: ReadonlyMap<string, string>;
}

/** A log of `entries` entries with a signed checkpoint every 1,000, built through the store. */
export async function buildLog(
  file: string,
  entries: number,
  options: BuildLogOptions = {},
): Promise<crypto.KeyObject> {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  const { event = benchEvent, timeAt } = options;
  let done = 0;
  const clock = timeAt ? () => timeAt(done) : () => new Date();
  const store = openSqliteStore({ file, now: clock, statsZones: options.statsZones });
  const checkpointer = new Checkpointer({
    store,
    signer: createSigner(privateKey),
    clock,
    policy: { everyEntries: 1000, everySeconds: 300 },
  });
  const batch = options.batch ?? 500;
  for (; done < entries; done += batch) {
    const n = Math.min(batch, entries - done);
    const from = done;
    await store.audit.append(Array.from({ length: n }, (_, k) => event(from + k)));
    if ((done + n) % 1000 === 0 || done + n === entries) await checkpointer.checkpoint();
  }
  await store.close();
  return publicKey;
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

export const logVerifyBenchmark: Benchmark = {
  id: 'log-verify',
  title: 'log verification (chain + Merkle + checkpoints; and full) vs sha256 over the same bytes',
  async run(ctx) {
    const entries = ctx.smoke ? 500 : 100_000;
    const file = path.join(ctx.workDir, 'log.sqlite');
    ctx.log(`log-verify: building a log of ${entries} entries`);
    const publicKey = await buildLog(file, entries);

    const db = new Database(file, { readonly: true });
    const bodies = db
      .prepare<[], { body: string }>('SELECT body FROM audit_log ORDER BY seq')
      .all()
      .map((r) => Buffer.from(r.body, 'utf8'));
    db.close();
    const bytes = bodies.reduce((sum, b) => sum + b.length, 0);

    ctx.log('log-verify: verifying');
    const checkpoints = readRawCheckpoints(file);
    // Alternate: baseline, fast, baseline, fast…; the best of each (least disturbed by the machine).
    const fastRuns: number[] = [];
    const baselineRuns: number[] = [];
    // CPU time of the whole process (worker threads included): what the runs cost, whatever the load.
    const fastCpu: number[] = [];
    const baselineCpu: number[] = [];
    // Node's one-shot crypto.hash over the same bodies: not the baseline (createHash is Node's sha256
    // API), recorded beside it because the verifier itself hashes with the one-shot call.
    const oneShotRuns: number[] = [];
    let fast: FastVerifyReport | undefined;
    // Runs of a few tenths of a second each: five rounds, so one disturbed round does not make the figure.
    for (let round = 0; round < (ctx.smoke ? 1 : 5); round++) {
      let t = process.hrtime.bigint();
      const baseCpu = process.cpuUsage();
      let sink = 0;
      for (const body of bodies) sink ^= crypto.createHash('sha256').update(body).digest()[0];
      baselineRuns.push(msSince(t) / 1000);
      baselineCpu.push(cpuSeconds(baseCpu));
      t = process.hrtime.bigint();
      for (const body of bodies) sink ^= crypto.hash('sha256', body, 'buffer')[0];
      oneShotRuns.push(msSince(t) / 1000);
      if (sink === 256) throw new Error('unreachable');
      t = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      fast = await verifyLogFast({ file, checkpoints, publicKey });
      fastRuns.push(msSince(t) / 1000);
      fastCpu.push(cpuSeconds(cpu));
    }
    // The default run of fsg audit verify: the same pass with the deep checks of every row.
    const fullRuns: number[] = [];
    let full: FastVerifyReport | undefined;
    for (let round = 0; round < (ctx.smoke ? 1 : 2); round++) {
      const t = process.hrtime.bigint();
      full = await verifyLogFast({ file, checkpoints, publicKey, deep: true });
      fullRuns.push(msSince(t) / 1000);
    }
    // The full verifier on one thread, as the default run was before (and as any finding is named).
    const t1 = process.hrtime.bigint();
    const sequential = await verifyLog({ rows: readRawAuditRows(file), checkpoints, publicKey });
    const sequentialSeconds = msSince(t1) / 1000;
    for (const [name, report] of [
      ['fast', fast],
      ['full', full],
      ['sequential', sequential],
    ] as const) {
      if (
        !report?.ok ||
        report.entries !== entries ||
        report.checkpoints.matched !== report.checkpoints.total
      ) {
        throw new Error(
          `the log did not verify (${name}): ${JSON.stringify(report?.firstBroken ?? report?.checkpoints.invalid)}`,
        );
      }
    }
    if (fast!.scope !== 'chain+merkle' || full!.scope !== 'full' || fast!.fellBack || full!.fellBack) {
      throw new Error(`the parallel verifier fell back: ${fast!.fellBack ?? full!.fellBack}`);
    }
    const baselineSeconds = Math.min(...baselineRuns);
    const fastSeconds = Math.min(...fastRuns);
    const fullSeconds = Math.min(...fullRuns);
    const baselineIs = "Node's sha256 over the same bodies, from memory";
    const common = {
      entries,
      bytes,
      checkpoints: full!.checkpoints.total,
      baselineSeconds: baselineRuns,
      baselineCpuSeconds: baselineCpu,
      oneShotSha256Seconds: oneShotRuns,
      oneShotSha256MiBs: bytes / MiB / Math.min(...oneShotRuns),
    };
    return [
      row({
        benchmark: 'log-verify',
        figure: 'log verification, chain + Merkle (--fast), MiB/s',
        unit: 'MiB/s',
        gateway: bytes / MiB / fastSeconds,
        baseline: bytes / MiB / baselineSeconds,
        baselineIs,
        target: { min: 0.5 },
        details: {
          ...common,
          command: 'fsg audit verify --db FILE --fast',
          checks:
            'seq 1..n, sha256(body) = stored hash, each body links to the previous hash, Merkle root and head hash of every signed checkpoint, signatures',
          skips:
            'canonical form and field types of each body, the denormalised columns, the partner and keyed-hash indexes (the default run checks them)',
          threads: defaultThreads(),
          gatewaySeconds: fastRuns,
          gatewayCpuSeconds: fastCpu,
          entriesPerSecond: entries / fastSeconds,
        },
      }),
      row({
        benchmark: 'log-verify',
        figure: 'log verification, full (default), MiB/s',
        unit: 'MiB/s',
        gateway: bytes / MiB / fullSeconds,
        baseline: bytes / MiB / baselineSeconds,
        baselineIs,
        target: {},
        details: {
          ...common,
          command: 'fsg audit verify --db FILE',
          checks:
            "everything the fast run checks, plus canonical form, columns and indexes of every entry, the stored Merkle nodes, the order of the entries' times, and the DPO's statistics counted again and compared with the stored counts",
          threads: defaultThreads(),
          gatewaySeconds: fullRuns,
          sequentialSeconds,
          entriesPerSecond: entries / fullSeconds,
        },
      }),
    ];
  },
};
