/**
 * Lookups while a responder uploads a large dataset. The real gateway in a child process (10,000
 * records in boatreg-nl's vessels dataset, 200 accredited analysts); hit/no-hit lookups over HTTP at
 * a steady open-loop rate (100/s), first for a fixed time without any upload (the baseline p99), then
 * for as long as a 100,000-row boatreg-nl CSV (~400,000 records) is being uploaded, streamed, as the
 * boat registry's responder (PUT /api/v1/datasets/vessels/records, mode replace). The readiness probe
 * is asked once a second throughout. A 5xx or a network error in either phase fails the row.
 */
import path from 'node:path';
import { generateBoatreg } from './generate-boatreg';
import { startChild } from './lib/child';
import { call, lookupBody, uploadCsv, type BenchGateway } from './lib/gateway-calls';
import { failures, openLoop, summarise } from './lib/open-loop';
import { hinOf } from './lib/records';
import { MiB } from './lib/stats';
import { row, type Benchmark } from './lib/types';

/** Longest an upload may take before the row gives up on it. */
const UPLOAD_TIMEOUT_SECONDS = 300;

export const uploadLookupsBenchmark: Benchmark = {
  id: 'upload-lookups',
  title: 'lookup p99 during a 100,000-row dataset upload vs without',
  async run(ctx) {
    const rows = ctx.smoke ? 2_000 : 100_000;
    const records = ctx.smoke ? 100 : 10_000;
    const analysts = ctx.smoke ? 10 : 200;
    const rate = ctx.smoke ? 50 : 100;
    const baselineSeconds = ctx.smoke ? 1 : 20;
    const warmupSeconds = ctx.smoke ? 0 : 3;

    const file = path.join(ctx.workDir, `boatreg-${rows}.csv`);
    const generated = await generateBoatreg({ rows, out: file, seed: 7 });
    ctx.log(`upload-lookups: ${rows} rows (${(generated.bytes / MiB).toFixed(0)} MiB), lookups at ${rate}/s`);

    const gateway = startChild<BenchGateway>(['gateway', ctx.workDir, String(records), String(analysts)], {
      logFile: path.join(ctx.workDir, 'gateway.log'),
      timeoutMs: 120_000,
    });
    try {
      const gw = await gateway.first;
      // Every analyst in turn; even lookups hit a record, odd ones miss.
      const lookup = (i: number, at: number) =>
        call(gw.url, 'lookup', at, '/api/v1/lookups', {
          token: gw.tokens[i % gw.tokens.length],
          json: lookupBody(hinOf(i % 2 === 0 ? (i * 7) % records : records + i)),
        });
      const readyz = (_i: number, at: number) => call(gw.url, 'readyz', at, '/readyz');

      if (warmupSeconds > 0) await openLoop(rate, warmupSeconds, lookup);
      const [without, readyWithout] = await Promise.all([
        openLoop(rate, baselineSeconds, lookup),
        openLoop(1, baselineSeconds, readyz),
      ]);

      const upload = uploadCsv(gw, 0, file, 'replace', UPLOAD_TIMEOUT_SECONDS * 1000);
      const [during, readyDuring, uploaded] = await Promise.all([
        openLoop(rate, UPLOAD_TIMEOUT_SECONDS, lookup, upload),
        openLoop(1, UPLOAD_TIMEOUT_SECONDS, readyz, upload),
        upload,
      ]);
      if (uploaded.status !== 200) {
        throw new Error(`the upload answered ${uploaded.status}: ${uploaded.text?.slice(0, 300)}`);
      }
      const answer = JSON.parse(uploaded.text!) as { read: number; records: number; quarantined: number };
      if (answer.read !== rows || answer.quarantined !== 0) {
        throw new Error(`the upload read ${answer.read} rows of ${rows}, quarantined ${answer.quarantined}`);
      }

      const lookups = { without: summarise(without), during: summarise(during) };
      const readiness = { without: summarise(readyWithout), during: summarise(readyDuring) };
      const failed = failures([...without, ...during, ...readyWithout, ...readyDuring]);
      const failedCount = Object.values(failed).reduce((a, b) => a + b, 0);
      ctx.log(
        `upload-lookups: upload ${(uploaded.ms / 1000).toFixed(1)} s; lookup p99 ${lookups.during.p99.toFixed(1)} ms ` +
          `during vs ${lookups.without.p99.toFixed(1)} ms without; ${failedCount} failed requests`,
      );
      const result = row({
        benchmark: 'upload-lookups',
        figure: `lookup p99 during a ${rows.toLocaleString('en')}-row upload`,
        unit: 'ms',
        gateway: lookups.during.p99,
        baseline: lookups.without.p99,
        baselineIs: `the same lookups at ${rate}/s without an upload`,
        target: { max: 3 },
        details: {
          rows,
          fileBytes: generated.bytes,
          datasetRecords: records,
          analysts,
          lookupsPerSecond: rate,
          upload: { seconds: uploaded.ms / 1000, records: answer.records },
          lookups,
          readiness,
          failed,
        },
      });
      // A 5xx or a request that got no answer is a failure whatever the latencies.
      if (failedCount > 0) result.met = false;
      return [result];
    } finally {
      await gateway.stop();
    }
  },
};
