/**
 * Hit/no-hit lookups over HTTP against the real gateway (startGateway: token verification, the Five
 * Safes decision, the index lookup, the log entry made durable before the answer, request logging as
 * configured by default) and against a bare express 5 endpoint that answers a JSON body of the same
 * size. Same autocannon settings and the very same requests for both (1,000 accredited analysts, each
 * with a token of its own, alternating a lookup that hits a record of a 10,000-record dataset and one
 * that hits nothing), load on 127.0.0.1 only, bounded in time; each server runs in its own process,
 * autocannon in this one. Figures: requests/s and p99 latency of the measured run, after a warm-up.
 */
import { startChild } from './lib/child';
import { lookupSettings, measure, measureGateway, type LoadResult } from './lib/http-load';
import { row, type Benchmark, type ResultRow } from './lib/types';

export const httpLookupBenchmark: Benchmark = {
  id: 'http-lookup',
  title: 'hit/no-hit lookup over HTTP vs a bare express 5 endpoint',
  async run(ctx) {
    const settings = lookupSettings(ctx.smoke);
    const records = ctx.smoke ? 100 : 10_000;
    const analysts = ctx.smoke ? 10 : 1_000;
    ctx.log(
      `http-lookup: gateway with ${records} records; ${settings.connections} connections, ${settings.duration} s`,
    );
    const {
      result: gatewayResult,
      answerBytes,
      requests,
    } = await measureGateway(ctx, settings, records, analysts);

    // The bare endpoint gets the very same requests (tokens and bodies), which it does not read.
    const size = Math.round((answerBytes[0] + answerBytes[1]) / 2);
    const bare = startChild<{ url: string }>(['express', String(size)], { timeoutMs: 30_000 });
    let baselineResult: LoadResult;
    try {
      const { url } = await bare.first;
      baselineResult = await measure(url, bare.process.pid, requests, settings);
    } finally {
      await bare.stop();
    }

    const details = {
      settings,
      records,
      answerBytes,
      bareBodyBytes: size,
      gateway: gatewayResult,
      baseline: baselineResult,
    };
    const rows: ResultRow[] = [
      row({
        benchmark: 'http-lookup',
        figure: 'hit/no-hit lookups over HTTP, requests/s',
        unit: 'req/s',
        gateway: gatewayResult.requestsPerSecond,
        baseline: baselineResult.requestsPerSecond,
        baselineIs: `bare express 5 endpoint, ${size}-byte JSON body, same autocannon settings`,
        target: { min: 0.4 },
        details,
      }),
      row({
        benchmark: 'http-lookup',
        figure: 'hit/no-hit lookups over HTTP, p99 latency',
        unit: 'ms',
        gateway: gatewayResult.p99,
        baseline: baselineResult.p99,
        baselineIs: `bare express 5 endpoint, ${size}-byte JSON body, same autocannon settings`,
        target: { max: 2 },
        details,
      }),
    ];
    return rows;
  },
};
