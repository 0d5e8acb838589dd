/** `fsg token`: a demo user's token, signed with the demo keys (demo mode only). */
import type { Command } from 'commander';
import { issueDemoToken, parseTtl } from '../auth/demo-tokens';
import { loadConfig } from '../config/load';
import { loadBundle } from '../policy/load';
import { UsageError } from '../runtime/command-line';
import { readDemoUsers } from './demo-seed';

export function registerTokenCommand(program: Command): void {
  program
    .command('token')
    .description(
      'Print a demo token for a demo user, signed with the demo keys in config/demo/ (demo mode only).',
    )
    .requiredOption('--user <id>', 'demo user id, e.g. anna')
    .option('--ttl <duration>', 'lifetime, e.g. 15m, 1h (at most 24h)', '1h')
    .option('--mfa', 'token records a second factor (amr pwd+otp)', false)
    .action(async (opts: { user: string; ttl: string; mfa: boolean }) => {
      const cfg = loadConfig();
      if (!cfg.demo.enabled) throw new UsageError('Demo keys are refused: demo.enabled is false.');
      const user = readDemoUsers(cfg.demo.accreditations).find((u) => u.userId === opts.user);
      if (!user) throw new UsageError(`"${opts.user}" is not a demo user (see ${cfg.demo.accreditations}).`);
      const bundle = await loadBundle(cfg.policyDir);
      const partner = bundle.partners.get(user.partnerId);
      if (!partner)
        throw new UsageError(`Demo user "${opts.user}" belongs to unknown partner "${user.partnerId}".`);
      const token = await issueDemoToken({
        userId: user.userId,
        partner,
        bundleDir: bundle.dir,
        audience: cfg.auth.audience,
        ttlSeconds: parseTtl(opts.ttl),
        mfa: opts.mfa,
      });
      process.stdout.write(`${token}\n`);
    });
}
