/** `fsg policy check|explain`: the policy bundle's tools. */
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load';
import { registerExplainCommand } from './explain';
import { loadBundle } from './load';

export function registerPolicyCommands(program: Command): void {
  const policy = program.command('policy').description('Policy bundle tools.');
  registerExplainCommand(policy);
  policy
    .command('check')
    .description(
      'Validate a policy bundle and print its digest; an invalid bundle names file, JSON path and reason.',
    )
    .argument('[dir]', 'bundle folder (default: the configured policyDir)')
    .action(async (dir?: string) => {
      const bundle = await loadBundle(dir ? path.resolve(dir) : loadConfig().policyDir);
      process.stdout.write(
        `ok: ${bundle.partners.size} partners, ${bundle.agreements.size} agreements\ndigest: sha256:${bundle.digest}\n`,
      );
    });
}
