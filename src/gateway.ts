/**
 * Builds a running gateway from a configuration: bundle, store, keys, verifier, app, the retention
 * sweep, and a graceful shutdown. Used by `fsg serve` and by tests that want the real thing.
 */
import { PartnershipRegistry, snapshotMaxAgeMs } from './partnership/registry';
import { seedDemoPartnership } from './partnership/demo-seed';
import type { KeyObject } from 'node:crypto';
import type { Server } from 'node:http';
import { demoAccreditations } from './accreditations/demo-seed';
import { createApp, type Gateway } from './app';
import { loadOrCreateCheckpointKey } from './audit/checkpoint';
import { Checkpointer } from './audit/checkpointer';
import { failedVerdict } from './audit/verdict';
import { verifyTail } from './audit/verify-file';
import { createTokenVerifier, type TokenVerifier } from './auth/verifier';
import type { GatewayConfig } from './config/load';
import { secureDataDir } from './config/file-modes';
import { loadOrCreateSecrets } from './config/secrets';
import { DEMO_SEED_USER, seedDemoDatasets } from './datasets/demo-seed';
import { createLogger, type Logger } from './http/logger';
import { createGatewayServer } from './http/server';
import { GatewayMetrics, withTimedAppends } from './metrics/gateway-metrics';
import { serveMetrics } from './metrics/server';
import { loadBundle } from './policy/load';
import { statsZonesOf } from './audit/stats';
import type { Bundle } from './policy/types';
import { openLogReader, openStore, storeFile, storeSource } from './store/open';

/** Where the configured store is (they live with the store factory; here for the gateway's callers). */
export { storeFile, storeSource };
import { lookupWriterAvailable } from './store/sqlite';
import type { AuditLogReader, LogSource, Store } from './store/port';

export interface Assembled extends Gateway {
  store: Store;
  bundle: Bundle;
  logger: Logger;
  checkpointer: Checkpointer;
  verifier: TokenVerifier;
  /** Kept when config `metrics.enabled`; served by startGateway on its own listener. */
  metrics?: GatewayMetrics;
}

const realClock = () => new Date();

/** Everything but the listening socket. */
export async function assemble(
  config: GatewayConfig,
  clock: () => Date = realClock,
  logger: Logger = createLogger(config.log.level),
): Promise<Assembled> {
  const bundle = await loadBundle(config.policyDir);
  secureDataDir(config.dataDir, storeFile(config), logger);
  const opened = await openStore(storeSource(config), {
    now: clock,
    ...(config.store.poolSize ? { poolSize: config.store.poolSize } : {}),
    statsZones: statsZonesOf(bundle.agreements.values()),
    // Lookups are written by a thread of their own, so that their fsync does not hold up the event
    // loop (the compiled build; its log timestamps come from the real clock, hence not with a test's).
    lookupWriter:
      (config.store.lookupWriter ?? 'worker') === 'worker' && clock === realClock && lookupWriterAvailable()
        ? 'worker'
        : 'inline',
    onCheckpointerFailed: (error) =>
      logger.error('WAL checkpointer failed; SQLite checkpoints in the commits again', { error: error.name }),
  });
  const metrics = config.metrics?.enabled ? new GatewayMetrics() : undefined;
  const store = metrics ? withTimedAppends(opened, metrics) : opened;
  metrics?.watchStore(store, clock);
  const signer = loadOrCreateCheckpointKey(config.dataDir);
  try {
    await checkLogAtStartup(storeSource(config), signer.publicKey, logger);
  } catch (error) {
    await store.close();
    throw error;
  }
  const secrets = loadOrCreateSecrets(config.dataDir);
  const checkpointer = new Checkpointer({
    store,
    signer,
    clock,
    policy: config.audit.checkpoint,
    logger,
  });
  const verifier = createTokenVerifier({
    partners: bundle.partners,
    bundleDir: bundle.dir,
    audience: config.auth.audience,
    clockSkewSeconds: config.auth.clockSkewSeconds,
    acceptDemoIssuers: config.demo.enabled,
    ...(config.auth.jwks ? { jwks: config.auth.jwks } : {}),
  });
  await recordPolicyLoad(store, bundle);
  if (config.demo.enabled) await seedDemoUsers(store, config.demo.accreditations, clock());
  const partnership = new PartnershipRegistry(store, clock, snapshotMaxAgeMs(store), secrets.identifierKey);
  if (config.demo.enabled) await seedDemoPartnership(partnership, bundle, clock());
  const gateway = createApp({
    partnership,
    config,
    bundle: () => bundle,
    store,
    verifier,
    secrets,
    logger,
    clock,
    checkpointer,
    metrics,
  });
  if (config.demo.enabled && config.demo.datasets) {
    for (const d of await seedDemoDatasets(bundle, store, gateway.datasets)) {
      logger.info('demo dataset seeded', { ...d });
    }
  }
  // The verified tail and this start's entries under a signature at once: a crash now leaves a
  // checkpoint to verify the next start from (`fsg init` too).
  await checkpointer.checkpoint();
  return { ...gateway, store, bundle, logger, checkpointer, verifier, metrics };
}

/**
 * Before the gateway appends or signs anything, it verifies the entries since its newest checkpoint
 * (verify-file.ts: that checkpoint's signature with its own key, its root from the stored tree, the chain
 * from its head, every leaf and node since), so it never signs over a tail changed behind its back.
 *
 * On a finding it refuses to start, rather than start read-only or unsigned: signing would vouch for
 * the changed entries, appending would chain new ones onto them, and a gateway that cannot sign cannot
 * give partners the receipts every disclosure comes with. The log stays as found, for `fsg audit verify`
 * (which names the entry) and for restoring from a backup. A log with entries and no checkpoint at all
 * is refused too: the gateway signs at every start and stop, so only a log from before checkpoints or one
 * whose checkpoints were deleted has none; `fsg audit verify --allow-no-checkpoint` and then `fsg audit
 * checkpoint` sign it deliberately. The operational log gets counts, or the entry and reason only.
 */
export async function checkLogAtStartup(
  source: LogSource,
  publicKey: KeyObject,
  logger: Logger,
): Promise<void> {
  const log = await openLogReader(source, 'tail');
  const report = await verifyTail({ log, publicKey });
  const signedSize = report.checkpoints.latest?.treeSize ?? 0;
  if (report.ok) {
    logger.info('audit log verified', {
      checked: report.entries - signedSize,
      signedSize,
      entries: report.entries,
    });
    return;
  }
  const { seq, reason } = report.firstBroken!;
  if (reason === 'no-checkpoint' && (await startEntriesOnly(log))) {
    logger.warn('audit log has no checkpoint: a first start stopped before it signed; signing it now', {
      entries: report.entries,
    });
    return;
  }
  logger.error('audit log verification failed at start-up', { seq, reason, signedSize });
  throw new Error(
    `audit log: ${failedVerdict({ seq, reason })}; the gateway signs and appends nothing on a log it cannot vouch for: run fsg audit verify for the details`,
  );
}

/**
 * Whether every entry is one a start writes before its first signature: the policy load and, in demo
 * mode, the seeded users, partnership and datasets. A first start that stopped (a crash, a kill) between its first
 * entry and its first checkpoint leaves such a log, and a gateway that then refused to start would be a
 * denial of service of its own making. Signing it vouches for no more than a new database's first start
 * writes, which anyone able to delete the file could have. (The columns read here were verified against
 * the bodies, the whole log being checked when there is no checkpoint.)
 */
const START_ENTRY_TYPES = new Set([
  'policy.load',
  'accreditation.change',
  'partner.screening',
  'agreement.acceptance',
]);

async function startEntriesOnly(log: AuditLogReader): Promise<boolean> {
  for await (const row of log.rawRows()) {
    const system = row.actor_user === 'system' && row.actor_partner === null;
    const startEntry =
      (system && START_ENTRY_TYPES.has(row.type ?? '')) ||
      (row.type === 'dataset.upload' && row.actor_user === DEMO_SEED_USER);
    if (!startEntry) return false;
  }
  return true;
}

/** A policy change is itself logged: each start records the digest it runs under. */
async function recordPolicyLoad(store: Store, bundle: Bundle): Promise<void> {
  await store.audit.append([
    {
      type: 'policy.load',
      actor: 'system',
      partners: [...bundle.partners.keys()],
      outcome: 'loaded',
      data: {
        policyDigest: bundle.digest,
        agreements: [...bundle.agreements.values()].map((a) => ({ id: a.id, version: a.version })),
      },
    },
  ]);
}

async function seedDemoUsers(store: Store, file: string, now: Date): Promise<void> {
  await store.accreditations.seed(demoAccreditations(file, now), (added) =>
    added.map((entry) => ({
      type: 'accreditation.change',
      actor: 'system' as const,
      partners: [entry.partnerId],
      outcome: 'create',
      data: {
        subject: { partnerId: entry.partnerId, userId: entry.userId },
        action: 'demo-seed',
        changed: { roles: entry.roles, vettingLevel: entry.vettingLevel },
      },
    })),
  );
}

export interface RunningGateway {
  server: Server;
  url: string;
  /** Where the metrics are served, when enabled. */
  metricsUrl?: string;
  close(): Promise<void>;
}

/**
 * `announce` runs once the socket listens, before the gateway logs that it does: `fsg serve` prints the
 * portal's address there, so it is the first thing a person starting the gateway sees of it running.
 */
export async function startGateway(
  config: GatewayConfig,
  announce?: (url: string) => void,
): Promise<RunningGateway> {
  const gateway = await assemble(config);
  const server = createGatewayServer(gateway).listen(config.server.port, config.server.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  const url = `http://${config.server.host}:${port}`;
  const metricsServer = gateway.metrics
    ? await serveMetrics(gateway.metrics, config.metrics!, gateway.logger).catch(async (error: Error) => {
        // A metrics port taken: the gateway does not start half-watched.
        server.close();
        await gateway.store.close();
        throw error;
      })
    : undefined;

  const sweep = setInterval(() => {
    gateway.requests
      .sweepExpired()
      .then((n) => n && gateway.logger.info('retention sweep', { purged: n }))
      .catch((error: Error) => gateway.logger.error('retention sweep failed', { error: error.name }));
  }, config.retention.sweepIntervalSeconds * 1000);
  sweep.unref();
  await gateway.checkpointer.start();

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      clearInterval(sweep);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await metricsServer?.close();
      // The last entries get their signature before the store closes.
      await gateway.checkpointer
        .stop()
        .catch((error: Error) => gateway.logger.error('final checkpoint failed', { error: error.name }));
      await gateway.store.close();
    })());
  announce?.(url);
  gateway.logger.info('gateway listening', {
    url,
    policyDigest: gateway.bundle.digest,
    demo: config.demo.enabled,
    ...(metricsServer ? { metrics: metricsServer.url } : {}),
  });
  return { server, url, ...(metricsServer ? { metricsUrl: metricsServer.url } : {}), close };
}
