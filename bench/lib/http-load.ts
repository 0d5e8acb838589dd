/**
 * Hit/no-hit lookup load over HTTP with autocannon (http-lookup and the PostgreSQL benchmarks): the
 * settings, the request sequence, a gateway child started and its answers checked, and a measured run
 * after a warm-up with the CPU the server used for it. Load on 127.0.0.1 only, bounded in time or count.
 */
import path from 'node:path';
import autocannon from 'autocannon';
import { startChild, type Child } from './child';
import type { BenchGateway } from './gateway-calls';
import { lookupBody } from './gateway-calls';
import { hinOf } from './records';
import { cpuPerRequest, threadCpuSeconds } from './stats';
import type { BenchContext } from './types';

export interface Settings {
  connections: number;
  /** Seconds of the measured run (and of the warm-up before it). */
  duration: number;
  warmup: number;
  /** Instead of a duration: this many requests (the smoke run). */
  amount?: number;
}

export interface LoadResult {
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

/** The settings of a lookup benchmark: tiny for the smoke run, BENCH_HTTP_CONNECTIONS for the real one. */
export function lookupSettings(smoke: boolean): Settings {
  return smoke
    ? { connections: 4, duration: 1, warmup: 0, amount: 100 }
    : { connections: Number(process.env.BENCH_HTTP_CONNECTIONS ?? 10), duration: 10, warmup: 3 };
}

/** One that hits a record of boatreg-nl's dataset (of `records`), one that hits nothing. */
export const lookupBodies = (records: number): string[] => [
  lookupBody(hinOf(7)),
  lookupBody(hinOf(records + 7)),
];

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

function checkClean(url: string, result: LoadResult): void {
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts`,
    );
  }
}

/** Warm-up (discarded), then the measured run, with the CPU the server (process `pid`) used for it. */
export async function measure(
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
  checkClean(url, result);
  return result;
}

/**
 * Several servers loaded at once, the connections shared out among them (the same total as one
 * server gets): a warm-up of all, then the measured run of all. Figures: the sum of the requests/s,
 * the worst p99; each server's own result in `each`.
 */
export async function measureTogether(
  targets: { url: string; requests: autocannon.Request[] }[],
  settings: Settings,
): Promise<LoadResult & { each: LoadResult[] }> {
  const share = (total: number, i: number) =>
    Math.floor(total / targets.length) + (i < total % targets.length ? 1 : 0);
  const run = (seconds: number, amount: number | undefined) =>
    Promise.all(
      targets.map((t, i) =>
        load(
          t.url,
          t.requests,
          {
            ...settings,
            connections: Math.max(1, share(settings.connections, i)),
            amount: amount && Math.max(1, share(amount, i)),
          },
          seconds,
        ),
      ),
    );
  if (settings.warmup > 0) await run(settings.warmup, undefined);
  const each = await run(settings.duration, settings.amount);
  each.forEach((result, i) => checkClean(targets[i].url, result));
  const sum = (pick: (r: LoadResult) => number) => each.reduce((s, r) => s + pick(r), 0);
  const requests = sum((r) => r.requests);
  return {
    requestsPerSecond: sum((r) => r.requestsPerSecond),
    mean: sum((r) => r.mean * r.requests) / requests,
    p50: Math.max(...each.map((r) => r.p50)),
    p99: Math.max(...each.map((r) => r.p99)),
    p999: Math.max(...each.map((r) => r.p999)),
    requests,
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    each,
  };
}

/**
 * The request sequence: each analyst in turn, a lookup that hits a record of boatreg-nl's dataset and
 * one that hits nothing. Per-request headers replace the defaults in autocannon, hence the full set.
 */
export function requestsFor(tokens: string[], bodies: string[]): autocannon.Request[] {
  return tokens.flatMap((token) =>
    bodies.map((body) => ({
      method: 'POST' as const,
      body,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    })),
  );
}

/**
 * Checks a gateway's answers before any load: 200, a hit for the first body, none for the second.
 * Returns the answers' sizes in bytes.
 */
export async function checkAnswers(url: string, token: string, bodies: string[]): Promise<number[]> {
  const answerBytes: number[] = [];
  for (const [i, body] of bodies.entries()) {
    const response = await fetch(`${url}/api/v1/lookups`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
    });
    const text = await response.text();
    const hits = response.ok ? (JSON.parse(text) as { hits: unknown[] }).hits.length : -1;
    if (response.status !== 200 || hits !== (i === 0 ? 1 : 0)) {
      throw new Error(`gateway answered ${response.status} with ${hits} hits: ${text.slice(0, 300)}`);
    }
    answerBytes.push(Buffer.byteLength(text));
  }
  return answerBytes;
}

/**
 * The real gateway in a child process (bench/child.ts `gateway`), with `records` records and
 * `analysts` analysts; `env` selects its store (FSG_STORE_KIND…) and BENCH_SEED=0 starts it on a store
 * another instance seeded. Its log goes to `logName` in the work folder.
 */
export function startGatewayChild(
  ctx: BenchContext,
  records: number,
  analysts: number,
  opts: { env?: NodeJS.ProcessEnv; logName?: string } = {},
): Child<BenchGateway> {
  return startChild<BenchGateway>(['gateway', ctx.workDir, String(records), String(analysts)], {
    logFile: path.join(ctx.workDir, opts.logName ?? 'gateway.log'),
    timeoutMs: 120_000,
    env: opts.env,
  });
}

/** A gateway child started, its answers checked, loaded and measured; stopped whatever happens. */
export async function measureGateway(
  ctx: BenchContext,
  settings: Settings,
  records: number,
  analysts: number,
  env?: NodeJS.ProcessEnv,
): Promise<{ result: LoadResult; answerBytes: number[]; requests: autocannon.Request[] }> {
  const bodies = lookupBodies(records);
  const gateway = startGatewayChild(ctx, records, analysts, {
    env,
    logName: `gateway-${env?.FSG_STORE_KIND ?? 'sqlite'}.log`,
  });
  try {
    const { url, tokens } = await gateway.first;
    const requests = requestsFor(tokens, bodies);
    const answerBytes = await checkAnswers(url, tokens[0], bodies);
    const result = await measure(url, gateway.process.pid, requests, settings);
    return { result, answerBytes, requests };
  } finally {
    await gateway.stop();
  }
}
