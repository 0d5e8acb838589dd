/**
 * Offline log verification (`fsg audit verify --db`: hash chain, canonical form, columns and indexes,
 * Merkle roots against every signed checkpoint, signatures) against Node's sha256 over the same
 * bytes: every stored body, hashed one by one, read from memory. Figure: bytes of log bodies per second.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Checkpointer } from '../src/audit/checkpointer';
import { createSigner } from '../src/audit/checkpoint';
import { verifyLog } from '../src/audit/verify-log';
import { openSqliteStore, readRawAuditRows, readRawCheckpoints } from '../src/store/sqlite';
import { benchEvent } from './lib/events';
import { MiB, msSince } from './lib/stats';
import { row, type Benchmark } from './lib/types';

/** A log of `entries` entries with a signed checkpoint every 1,000, built through the store. */
export async function buildLog(file: string, entries: number): Promise<crypto.KeyObject> {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  const store = openSqliteStore({ file });
  const checkpointer = new Checkpointer({
    store,
    signer: createSigner(privateKey),
    clock: () => new Date(),
    policy: { everyEntries: 1000, everySeconds: 300 },
  });
  const batch = 500;
  for (let done = 0; done < entries; done += batch) {
    const n = Math.min(batch, entries - done);
    await store.audit.append(Array.from({ length: n }, (_, k) => benchEvent(done + k)));
    if ((done + n) % 1000 === 0 || done + n === entries) await checkpointer.checkpoint();
  }
  await store.close();
  return publicKey;
}

export const logVerifyBenchmark: Benchmark = {
  id: 'log-verify',
  title: 'log verification (chain + Merkle + checkpoints) vs sha256 over the same bytes',
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
    // Alternate: baseline, gateway, baseline, gateway; the best of each (least disturbed by the machine).
    const gatewayRuns: number[] = [];
    const baselineRuns: number[] = [];
    let report: Awaited<ReturnType<typeof verifyLog>> | undefined;
    for (let round = 0; round < 2; round++) {
      let t = process.hrtime.bigint();
      let sink = 0;
      for (const body of bodies) sink ^= crypto.createHash('sha256').update(body).digest()[0];
      baselineRuns.push(msSince(t) / 1000);
      if (sink === 256) throw new Error('unreachable');
      t = process.hrtime.bigint();
      report = await verifyLog({
        rows: readRawAuditRows(file),
        checkpoints: readRawCheckpoints(file),
        publicKey,
      });
      gatewayRuns.push(msSince(t) / 1000);
    }
    if (!report?.ok || report.entries !== entries) {
      throw new Error(
        `the log did not verify: ${JSON.stringify(report?.firstBroken ?? report?.checkpoints.invalid)}`,
      );
    }
    const gatewaySeconds = Math.min(...gatewayRuns);
    const baselineSeconds = Math.min(...baselineRuns);
    return [
      row({
        benchmark: 'log-verify',
        figure: 'log verification, MiB of entries/s',
        unit: 'MiB/s',
        gateway: bytes / MiB / gatewaySeconds,
        baseline: bytes / MiB / baselineSeconds,
        baselineIs: "Node's sha256 over the same bodies, from memory",
        target: { min: 0.5 },
        details: {
          entries,
          bytes,
          checkpoints: report.checkpoints.total,
          gatewaySeconds: gatewayRuns,
          baselineSeconds: baselineRuns,
          entriesPerSecond: entries / gatewaySeconds,
        },
      }),
    ];
  },
};
