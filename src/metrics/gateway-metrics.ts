/**
 * The gateway's Prometheus metrics: one registry per gateway (tests run many gateways in one process,
 * so prom-client's global registry is never used). Labels hold route patterns, statuses, outcomes,
 * safe names and partner ids only: never a URL, an identifier, a user or a subject.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RequestLogFields } from '../http/logger';
import type { Decision } from '../safes/types';
import { SAFE_NAMES } from '../safes/types';
import type { Store } from '../store/port';

/** Sub-millisecond lookups to slow uploads, in seconds. */
const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** A group commit's fsync, and a store that is busy or far away, in seconds. */
const APPEND_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

export type AppendKind = 'lookup' | 'audit';

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requestSeconds = new Histogram({
    name: 'fsg_http_request_duration_seconds',
    help: 'Time to answer a request, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: REQUEST_BUCKETS,
    registers: [this.registry],
  });
  private readonly decisions = new Counter({
    name: 'fsg_decisions_total',
    help: 'Five Safes decisions, by kind (lookup, detail, aggregate), outcome and requesting partner.',
    labelNames: ['kind', 'outcome', 'partner'] as const,
    registers: [this.registry],
  });
  private readonly failedSafes = new Counter({
    name: 'fsg_decision_failed_safes_total',
    help: 'Safes that failed in denied decisions, by kind and safe.',
    labelNames: ['kind', 'safe'] as const,
    registers: [this.registry],
  });
  private readonly lookups = new Counter({
    name: 'fsg_lookups_total',
    help: 'Lookups recorded, by requesting partner and outcome.',
    labelNames: ['partner', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly lookupIdentifiers = new Counter({
    name: 'fsg_lookup_identifiers_total',
    help: 'Identifiers asked in recorded lookups, by requesting partner.',
    labelNames: ['partner'] as const,
    registers: [this.registry],
  });
  private readonly lookupHits = new Counter({
    name: 'fsg_lookup_hits_total',
    help: 'Hits answered by lookups, by providing partner.',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });
  private readonly appendSeconds = new Histogram({
    name: 'fsg_log_append_duration_seconds',
    help: 'Time from asking the store to append log entries to their commit, by kind (lookup, audit).',
    labelNames: ['kind'] as const,
    buckets: APPEND_BUCKETS,
    registers: [this.registry],
  });

  constructor() {
    // Process metrics, with nodejs_eventloop_lag_seconds among them.
    collectDefaultMetrics({ register: this.registry });
  }

  /** One answered request (called with the request log line's fields). */
  request(fields: RequestLogFields): void {
    this.requestSeconds.labels(fields.method, fields.route, String(fields.status)).observe(fields.ms / 1000);
  }

  /** A decision of the safes; `partner` is the requesting partner. */
  decision(decision: Decision, kind: string, partner: string): void {
    this.decisions.labels(kind, decision.outcome, partner).inc();
    if (decision.outcome === 'permit') return;
    for (const safe of SAFE_NAMES) {
      if (decision.safes[safe].outcome !== 'pass') this.failedSafes.labels(kind, safe).inc();
    }
  }

  /** A lookup once recorded: its outcome, how many identifiers it asked and which providers it hit. */
  lookup(
    partner: string,
    outcome: string,
    identifiers: number,
    hits: readonly { providerId: string }[],
  ): void {
    this.lookups.labels(partner, outcome).inc();
    this.lookupIdentifiers.labels(partner).inc(identifiers);
    for (const hit of hits) this.lookupHits.labels(hit.providerId).inc();
  }

  /** Times an append until it settles (a failed one too); returns it unchanged. */
  timeAppend<T>(kind: AppendKind, append: Promise<T>): Promise<T> {
    const stop = this.appendSeconds.startTimer({ kind });
    const done = () => void stop();
    append.then(done, done);
    return append;
  }

  /**
   * Gauges read from the store when scraped: the log's entries not under a signed checkpoint yet, the
   * newest checkpoint's age, and the depth of the store's write queues (when it tells them).
   */
  watchStore(store: Store, clock: () => Date): void {
    const audit = store.audit;
    new Gauge({
      name: 'fsg_audit_entries_since_checkpoint',
      help: 'Log entries appended since the newest signed checkpoint.',
      registers: [this.registry],
      async collect() {
        const [head, checkpoint] = await Promise.all([audit.head(), audit.latestCheckpoint()]);
        this.set(Math.max(0, (head?.seq ?? 0) - (checkpoint?.treeSize ?? 0)));
      },
    });
    new Gauge({
      name: 'fsg_audit_checkpoint_age_seconds',
      help: 'Age of the newest signed checkpoint (absent before the first).',
      registers: [this.registry],
      async collect() {
        this.reset();
        const checkpoint = await audit.latestCheckpoint();
        if (checkpoint) this.set((clock().getTime() - Date.parse(checkpoint.timestamp)) / 1000);
      },
    });
    if (!store.queueDepths) return;
    const depths = store.queueDepths.bind(store);
    new Gauge({
      name: 'fsg_store_queue_depth',
      help: 'Writes waiting in a queue of the store, by queue.',
      labelNames: ['queue'] as const,
      registers: [this.registry],
      collect() {
        for (const [queue, depth] of Object.entries(depths())) this.labels(queue).set(depth);
      },
    });
  }

  /** The registry's text exposition, and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** The store with its log appends timed (the lookups' and the plain audit appends). */
export function withTimedAppends(store: Store, metrics: GatewayMetrics): Store {
  const { audit, lookups } = store;
  return {
    ...store,
    audit: { ...audit, append: (events) => metrics.timeAppend('audit', audit.append(events)) },
    lookups: { ...lookups, create: (events) => metrics.timeAppend('lookup', lookups.create(events)) },
  };
}
