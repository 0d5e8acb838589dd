/** `fsg serve` (the gateway until a signal stops it) and `fsg init` (its data folder, then exit). */
import type { Command } from 'commander';
import type { RunningGateway } from '../gateway';
import { loadConfig } from '../config/load';
import { readDemoUsers } from '../accreditations/demo-seed';
import { PORTAL_HOME } from '../health/landing';
import { describeStore, storeSource } from '../store/open';

/** The gateway and all it serves, loaded only by the commands that run it (the others start faster). */
const gatewayModule = () => import('../gateway');

export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description('Start the gateway (SQLite store, policy bundle and demo users as configured).')
    .addHelpText(
      'after',
      "\nEnvironment: FSG_CONFIG, FSG_PORT, FSG_HOST, FSG_DATA_DIR, FSG_POLICY_DIR, FSG_DEMO, FSG_LOG_LEVEL and the others of the README's Configuration table.",
    )
    .action(async () => {
      const cfg = loadConfig();
      // Handlers first: a signal that arrives while the banner is being read must not kill the
      // process before it can close the store and write its final checkpoint.
      const state: { running?: RunningGateway; stopping: boolean } = {
        stopping: false,
      };
      const stop = (signal: string) => {
        if (state.stopping) return;
        state.stopping = true;
        process.stdout.write(`${signal}: shutting down\n`);
        (state.running ? state.running.close() : Promise.resolve()).then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
      // The portal's address first: what a person starting the gateway opens.
      const { startGateway } = await gatewayModule();
      const running = await startGateway(cfg, (url) => {
        process.stdout.write(`Portal: ${url}${PORTAL_HOME}\n`);
      });
      state.running = running;
      if (state.stopping) return void running.close().then(() => process.exit(0));
      const source = storeSource(cfg);
      const where =
        source.kind === 'sqlite'
          ? `data in ${cfg.dataDir}`
          : `store ${describeStore(source)}, keys in ${cfg.dataDir}`;
      process.stdout.write(`Five Safes Gateway listening on ${running.url} (${where})\n`);
      if (cfg.demo.enabled) {
        process.stdout.write(
          `Demo mode. Get a token for a demo user (${demoUserIds(cfg.demo.accreditations)}):\n` +
            '  TOKEN=$(npx fsg token --user anna --mfa)\n' +
            `  curl -H "Authorization: Bearer $TOKEN" ${running.url}/api/v1/requests\n` +
            `  or sign in to the portal at ${running.url}/portal\n`,
        );
      }
    });

  program
    .command('init')
    .description(
      'Create the data folder, keys and database, log the policy load and seed demo users; then exit.',
    )
    .action(async () => {
      const cfg = loadConfig();
      const gateway = await (await gatewayModule()).assemble(cfg);
      await gateway.store.close();
      process.stdout.write(
        `Initialised ${describeStore(storeSource(cfg))} under policy ${gateway.bundle.digest}\n`,
      );
    });
}

/** The demo users' ids, as the demo seeds them (the file, not a copy of its list). */
function demoUserIds(file: string): string {
  return readDemoUsers(file)
    .map((u) => u.userId)
    .join(', ');
}
