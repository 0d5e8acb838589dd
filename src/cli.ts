#!/usr/bin/env node
/**
 * The `fsg` command: the wiring only. Each command lives beside its flow: serve and init
 * (runtime/serve-command.ts), token (accreditations/demo-token-command.ts), policy check|explain
 * (policy/cli.ts), map and unmap (mapping/), audit verify|export|verify-receipt|verify-consistency|
 * checkpoint (audit/cli.ts), migrate-store (store/migrate-store-command.ts). The benchmarks have their
 * own command (bench/cli.ts, `npm run bench`).
 */
import { Command } from 'commander';
import { registerTokenCommand } from './accreditations/demo-token-command';
import { registerAuditCommands } from './audit/cli';
import { ExportAborted } from './audit/export';
import { ConfigError } from './config/load';
import { registerMapCommand } from './mapping/map-command';
import { registerUnmapCommand } from './mapping/unmap-command';
import { BundleError } from './policy/bundle-error';
import { registerPolicyCommands } from './policy/cli';
import { watchClosedOutput } from './runtime/closed-stdout';
import { registerServeCommands } from './runtime/serve-command';
import { registerMigrateStoreCommand } from './store/migrate-store-command';

export function buildCli(): Command {
  const program = new Command('fsg')
    .description(
      'Five Safes Gateway: decides every cross-partner data request against the Five Safes and logs it.',
    )
    .showHelpAfterError();
  registerServeCommands(program);
  registerTokenCommand(program);
  registerPolicyCommands(program);
  registerAuditCommands(program);
  registerMapCommand(program);
  registerUnmapCommand(program);
  registerMigrateStoreCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const stdout = watchClosedOutput(process.stdout, (error) => {
    process.stderr.write(`fsg: standard output: ${error.message}\n`);
    process.exit(2);
  });
  try {
    await buildCli().parseAsync(argv);
  } catch (error) {
    // An export whose reader stopped reading (`| head`) ends quietly, like any other command.
    if (error instanceof ExportAborted && stdout.readerClosed) return;
    if (error instanceof ConfigError)
      process.stderr.write(`fsg: configuration: ${error.problems.join('\n  ')}\n`);
    else if (error instanceof BundleError) process.stderr.write(`fsg: ${error.message}\n`);
    else if (error instanceof Error) process.stderr.write(`fsg: ${error.message}\n`);
    process.exitCode = 2;
  }
}

if (require.main === module) void main(process.argv);
