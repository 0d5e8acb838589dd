/**
 * Builds a running gateway from a configuration: bundle, store, keys, verifier, app, the retention
 * sweep, and a graceful shutdown. Used by `fsg serve` and by tests that want the real thing.
 */
import http, { type Server } from 'node:http';
import path from 'node:path';
import { demoAccreditations } from './accreditations/demo-seed';
import { createApp, type Gateway } from './app';
import { loadOrCreateCheckpointKey } from './audit/checkpoint';
import { Checkpointer } from './audit/checkpointer';
import { createTokenVerifier } from './auth/verifier';
import type { GatewayConfig } from './config/load';
import { secureDataDir } from './config/file-modes';
import { loadOrCreateSecrets } from './config/secrets';
import { seedDemoDatasets } from './datasets/demo-seed';
import { createLogger, type Logger } from './http/logger';
import { loadBundle } from './policy/load';
import type { Bundle } from './policy/types';
import { lookupWriterAvailable, openSqliteStore } from './store/sqlite';
import type { Store } from './store/port';

export interface Assembled extends Gateway {
  store: Store;
  bundle: Bundle;
  logger: Logger;
  checkpointer: Checkpointer;
}

export function storeFile(config: GatewayConfig): string {
  return path.resolve(config.dataDir, config.store.file);
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
  const store = openSqliteStore({
    file: storeFile(config),
    now: clock,
    // Lookups are written by a thread of their own, so that their fsync does not hold up the event
    // loop (the compiled build; its log timestamps come from the real clock, hence not with a test's).
    lookupWriter:
      (config.store.lookupWriter ?? 'worker') === 'worker' && clock === realClock && lookupWriterAvailable()
        ? 'worker'
        : 'inline',
    onCheckpointerFailed: (error) =>
      logger.error('WAL checkpointer failed; SQLite checkpoints in the commits again', { error: error.name }),
  });
  const secrets = loadOrCreateSecrets(config.dataDir);
  const checkpointer = new Checkpointer({
    store,
    signer: loadOrCreateCheckpointKey(config.dataDir),
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
  });
  await recordPolicyLoad(store, bundle);
  if (config.demo.enabled) await seedDemoUsers(store, config.demo.accreditations, clock());
  const gateway = createApp({
    config,
    bundle: () => bundle,
    store,
    verifier,
    secrets,
    logger,
    clock,
    checkpointer,
  });
  if (config.demo.enabled && config.demo.datasets) {
    for (const d of await seedDemoDatasets(bundle, store, gateway.datasets)) {
      logger.info('demo dataset seeded', { ...d });
    }
  }
  return { ...gateway, store, bundle, logger, checkpointer };
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
        subject: entry.userId,
        action: 'demo-seed',
        changed: { roles: entry.roles, vettingLevel: entry.vettingLevel },
      },
    })),
  );
}

export interface RunningGateway {
  server: Server;
  url: string;
  close(): Promise<void>;
}

export async function startGateway(config: GatewayConfig): Promise<RunningGateway> {
  const gateway = await assemble(config);
  const server = http.createServer(gateway.handler).listen(config.server.port, config.server.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  const url = `http://${config.server.host}:${port}`;

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
      // The last entries get their signature before the store closes.
      await gateway.checkpointer
        .stop()
        .catch((error: Error) => gateway.logger.error('final checkpoint failed', { error: error.name }));
      await gateway.store.close();
    })());
  gateway.logger.info('gateway listening', {
    url,
    policyDigest: gateway.bundle.digest,
    demo: config.demo.enabled,
  });
  return { server, url, close };
}
