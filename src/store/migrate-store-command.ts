/** `fsg migrate-store`: the command-line side of migrate-store.ts. */
import path from 'node:path';
import type { Command } from 'commander';
import { checkpointKeyFiles } from '../audit/checkpoint';
import { loadConfig } from '../config/load';
import { storeSource } from './open';
import { printLine, UsageError } from '../runtime/command-line';
import { runMigrateStore } from './migrate-store';

export function registerMigrateStoreCommand(program: Command): void {
  program
    .command('migrate-store')
    .description(
      'Move a SQLite deployment into an empty PostgreSQL schema: the log copied row for row (the same ' +
        'entries, hashes and signed checkpoints), verified before and after, and the state beside it; ' +
        'stop the gateway first. Only the copy is written to, one store.migrate entry at the end.',
    )
    .requiredOption('--to <url>', 'the target: postgres://… (?schema=name, default fsg), an empty schema')
    .option('--from <file>', 'the SQLite file (default: the configured store, which must be SQLite)')
    .option(
      '--pubkey <file>',
      "the deployment's checkpoint public key, PEM (default: dataDir/keys/checkpoint.pub.pem)",
    )
    .action(async (opts: { to: string; from?: string; pubkey?: string }) => {
      const cfg = opts.from && opts.pubkey ? undefined : loadConfig();
      let from = opts.from && path.resolve(opts.from);
      if (!from) {
        const configured = storeSource(cfg!);
        if (configured.kind !== 'sqlite')
          throw new UsageError('the configured store is not SQLite: give the file to migrate with --from');
        from = configured.file;
      }
      const pubkey = opts.pubkey ? path.resolve(opts.pubkey) : checkpointKeyFiles(cfg!.dataDir).publicKeyFile;
      process.exitCode = await runMigrateStore({ from, to: opts.to, pubkey }, printLine);
    });
}
