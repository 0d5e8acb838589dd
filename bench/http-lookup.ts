/**
 * Hit/no-hit lookups over HTTP against the real gateway (startGateway: token verification, the Five
 * Safes decision, the index lookup, the log entry made durable before the answer, request logging as
 * configured by default) and against a bare express 5 endpoint that answers a JSON body of the same
 * size. Same autocannon settings and the very same requests for both (1,000 accredited analysts, each
 * with a token of its own, alternating a lookup that hits a record of a 10,000-record dataset and one
 * that hits nothing), load on 127.0.0.1 only, bounded in time; each server runs in its own process,
 * autocannon in this one. Figures: requests/s and p99 latency of the measured run, after a warm-up.
 */
import path from 'node:path';
import autocannon from 'autocannon';
import { startChild } from './lib/child';
import { lookupBody } from './lib/gateway-calls';
import { hinOf } from './lib/records';
import { cpuPerRequest, threadCpuSeconds } from './lib/stats';
import { row, type Benchmark, type ResultRow } from './lib/types';

interface Settings {
  connections: number;
  /** Seconds of the measured run (and of the warm-up before it). */
  duration: number;
  warmup: number;
  /** Instead of a duration: this many requests (the smoke run). */
  amount?: number;
}

interface LoadResult {
  requestsPerSecond: number;
  /** Latency, ms: autocannon's mean (fractional) and percentiles (whole milliseconds). */
  mean: number;
  p50: number;
  p99: number;
  p999: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /**
   * CPU per request over the measured run (Linux): the server's event loop and its other threads,
   * and this process (autocannon). Not a target: it tells a server's cost from time spent waiting.
   */
  cpu?: {
    server: { mainMicros: number; otherThreadsMicros: number };
    loadGeneratorMicros: number;
  };
}

async function load(
  url: string,
  requests: autocannon.Request[],
  settings: Settings,
  seconds: number,
): Promise<LoadResult> {
  const result = await autocannon({
    url: `${url}/api/v1/lookups`,
    method: 'POST',
    connections: settings.connections,
    pipelining: 1,
    ...(settings.amount ? { amount: settings.amount } : { duration: seconds }),
    timeout: 10,
    requests,
  });
  return {
    requestsPerSecond: result.requests.total / (result.duration || seconds),
    mean: result.latency.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    p999: result.latency.p99_9,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/** Warm-up (discarded), then the measured run, with the CPU the server (process `pid`) used for it. */
async function measure(
  url: string,
  pid: number | undefined,
  requests: autocannon.Request[],
  settings: Settings,
): Promise<LoadResult> {
  if (settings.warmup > 0) await load(url, requests, { ...settings, amount: undefined }, settings.warmup);
  const before = pid === undefined ? new Map<number, number>() : threadCpuSeconds(pid);
  const ownBefore = process.cpuUsage();
  const result = await load(url, requests, settings, settings.duration);
  const own = process.cpuUsage(ownBefore);
  const server =
    pid === undefined ? undefined : cpuPerRequest(pid, before, threadCpuSeconds(pid), result.requests);
  if (server) {
    result.cpu = { server, loadGeneratorMicros: Math.round((own.user + own.system) / result.requests) };
  }
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts`,
    );
  }
  return result;
}

/**
 * The request sequence: each analyst in turn, a lookup that hits a record of boatreg-nl's dataset and
 * one that hits nothing. Per-request headers replace the defaults in autocannon, hence the full set.
 */
function requestsFor(tokens: string[], bodies: string[]): autocannon.Request[] {
  return tokens.flatMap((token) =>
    bodies.map((body) => ({
      method: 'POST' as const,
      body,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    })),
  );
}

export const httpLookupBenchmark: Benchmark = {
  id: 'http-lookup',
  title: 'hit/no-hit lookup over HTTP vs a bare express 5 endpoint',
  async run(ctx) {
    const settings: Settings = ctx.smoke
      ? { connections: 4, duration: 1, warmup: 0, amount: 100 }
      : { connections: Number(process.env.BENCH_HTTP_CONNECTIONS ?? 10), duration: 10, warmup: 3 };
    const records = ctx.smoke ? 100 : 10_000;
    const analysts = ctx.smoke ? 10 : 1_000;
    ctx.log(
      `http-lookup: gateway with ${records} records; ${settings.connections} connections, ${settings.duration} s`,
    );
    // One that hits a record of boatreg-nl's dataset, one that hits nothing.
    const bodies = [lookupBody(hinOf(7)), lookupBody(hinOf(records + 7))];

    const gateway = startChild<{ url: string; tokens: string[] }>(
      ['gateway', ctx.workDir, String(records), String(analysts)],
      { logFile: path.join(ctx.workDir, 'gateway.log'), timeoutMs: 120_000 },
    );
    let gatewayResult: LoadResult;
    const answerBytes: number[] = [];
    let requests: autocannon.Request[];
    try {
      const { url, tokens } = await gateway.first;
      requests = requestsFor(tokens, bodies);
      // Check the answers first: 200, a hit for the first identifier, none for the second.
      for (const [i, body] of bodies.entries()) {
        const response = await fetch(`${url}/api/v1/lookups`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[0]}` },
          body,
        });
        const text = await response.text();
        const hits = response.ok ? (JSON.parse(text) as { hits: unknown[] }).hits.length : -1;
        if (response.status !== 200 || hits !== (i === 0 ? 1 : 0)) {
          throw new Error(`gateway answered ${response.status} with ${hits} hits: ${text.slice(0, 300)}`);
        }
        answerBytes.push(Buffer.byteLength(text));
      }
      gatewayResult = await measure(url, gateway.process.pid, requests, settings);
    } finally {
      await gateway.stop();
    }

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
