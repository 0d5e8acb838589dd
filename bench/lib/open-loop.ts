/**
 * Open-loop load: requests start at a fixed rate whether or not earlier ones have been answered (a
 * stalled server meets the load a real one would, and its stall shows in the latencies), bounded in
 * time, each request bounded by its own timeout. Outcomes are classified as the soak and the
 * upload-lookups benchmark count them.
 */
import { percentile } from './stats';

export interface Outcome {
  kind: string;
  /** When the request started, ms since the load began. */
  at: number;
  ms: number;
  /** The HTTP status; 0 for a network error or a timeout. */
  status: number;
  /** The answer when asked for; its first 300 characters when it was neither a success nor a refusal. */
  text?: string;
}

/**
 * Starts `send(i)` for i = 0, 1, … at `rate` per second until `maxSeconds` have passed or `stop`
 * settles, then waits for the requests in flight. `send` must settle (it has its own timeout).
 */
export async function openLoop(
  rate: number,
  maxSeconds: number,
  send: (i: number, at: number) => Promise<Outcome>,
  stop?: Promise<unknown>,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  void stop?.then(
    () => (stopped = true),
    () => (stopped = true),
  );
  const started = performance.now();
  for (let i = 0; !stopped;) {
    const elapsed = performance.now() - started;
    if (elapsed >= maxSeconds * 1000) break;
    // Every request due by now starts now: a late timer sends a small burst, never fewer requests.
    for (const due = Math.floor((elapsed / 1000) * rate) + 1; i < due; i++) {
      const request = send(i, elapsed).then((o) => void outcomes.push(o));
      inFlight.add(request);
      void request.finally(() => inFlight.delete(request));
    }
    const next = (i / rate) * 1000 - (performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, next)));
  }
  await Promise.all(inFlight);
  return outcomes;
}

/** Times one HTTP exchange (status and body read in full); a network error or timeout is status 0. */
export async function timed(
  kind: string,
  at: number,
  exchange: () => Promise<Response>,
  keepText = false,
): Promise<Outcome> {
  const started = performance.now();
  let status = 0;
  let text: string;
  try {
    const response = await exchange();
    text = await response.text();
    status = response.status;
  } catch (error) {
    // fetch says only "fetch failed"; its cause says why (a connect timeout, a reset, …).
    const cause = error instanceof Error ? (error.cause as Error | undefined) : undefined;
    text = `${String(error)}${cause ? ` (${String(cause)})` : ''}`;
  }
  const outcome: Outcome = { kind, at, ms: performance.now() - started, status };
  const c = classify(status);
  if (keepText) outcome.text = text;
  else if (c === 'error' || c === 'other') outcome.text = text.slice(0, 300);
  return outcome;
}

/**
 * 5xx and network errors are failures; 403 and 429 (quotas) and 409 (an upload to a dataset already
 * being written: the sender is told to come back) are refusals, expected; 2xx is ok.
 */
export function classify(status: number): 'ok' | 'refused' | 'error' | 'other' {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 403 || status === 409 || status === 429) return 'refused';
  if (status === 0 || status >= 500) return 'error';
  return 'other';
}

export interface Summary {
  count: number;
  /** Latency, ms, of every request whatever its outcome. */
  p50: number;
  p95: number;
  p99: number;
  max: number;
  ok: number;
  refused: number;
  errors: number;
  other: number;
  /** Requests by status ("0" = network error or timeout). */
  statuses: Record<string, number>;
}

export function summarise(outcomes: readonly Outcome[]): Summary {
  const ms = outcomes.map((o) => o.ms);
  const summary: Summary = {
    count: outcomes.length,
    p50: percentile(ms, 50),
    p95: percentile(ms, 95),
    p99: percentile(ms, 99),
    max: percentile(ms, 100),
    ok: 0,
    refused: 0,
    errors: 0,
    other: 0,
    statuses: {},
  };
  for (const o of outcomes) {
    const c = classify(o.status);
    summary[c === 'error' ? 'errors' : c]++;
    summary.statuses[o.status] = (summary.statuses[o.status] ?? 0) + 1;
  }
  return summary;
}

/** The failed requests (5xx, network errors, unexpected 4xx) counted by kind, status and reason. */
export function failures(outcomes: readonly Outcome[]): Record<string, number> {
  const tally: Record<string, number> = {};
  for (const o of outcomes) {
    const c = classify(o.status);
    if (c !== 'error' && c !== 'other') continue;
    const key = `${o.kind} ${o.status} ${reasonOf(o.text ?? '')}`;
    tally[key] = (tally[key] ?? 0) + 1;
  }
  return tally;
}

/** A problem document's detail (its title when it has none), or the text; never its request id. */
function reasonOf(text: string): string {
  try {
    const problem = JSON.parse(text) as { title?: string; detail?: string };
    return problem.detail ?? problem.title ?? text.slice(0, 120);
  } catch {
    return text.slice(0, 120);
  }
}
