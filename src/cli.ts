#!/usr/bin/env node
/**
 * The `fsg` command: serve, init, token, policy check, map, unmap,
 * audit verify|export|verify-receipt|verify-consistency|checkpoint, migrate-store.
 */
import path from 'node:path';
import { Command } from 'commander';
import { readDemoUsers } from './accreditations/demo-seed';
import { issueDemoToken, parseTtl } from './auth/demo-tokens';
import {
  runCheckpoint,
  runExport,
  runVerify,
  runVerifyConsistency,
  runVerifyReceipt,
} from './audit/commands';
import { ExportAborted } from './audit/export';
import { ConfigError, loadConfig, type GatewayConfig } from './config/load';
import { assemble, startGateway, storeSource } from './gateway';
import { PORTAL_HOME } from './health/landing';
import { describeStore, isStoreUrl, storeAt } from './store/open';
import { runMigrateStore } from './store/migrate-store';
import { checkpointKeyFiles } from './audit/checkpoint';
import { BundleError } from './policy/bundle-error';
import { registerMapCommand } from './mapping/map-command';
import { registerUnmapCommand } from './mapping/unmap-command';
import { loadBundle } from './policy/load';
import { registerExplainCommand } from './policy/explain';
import { watchClosedOutput } from './runtime/closed-stdout';
import { terminalProgress } from './runtime/progress';

/** Errors we expect from bad input end the command with their message; anything else is a bug. */
class UsageError extends Error {}

function config(): GatewayConfig {
  return loadConfig();
}

/** A `--db` value: a PostgreSQL URL as given, a SQLite file resolved against the current folder. */
const resolveFile = (db: string): string => (isStoreUrl(db) ? db : path.resolve(db));

export function buildCli(): Command {
  const program = new Command('fsg')
    .description(
      'Five Safes Gateway: decides every cross-partner data request against the Five Safes and logs it.',
    )
    .showHelpAfterError();

  program
    .command('serve')
    .description('Start the gateway (SQLite store, policy bundle and demo users as configured).')
    .addHelpText(
      'after',
      '\nEnvironment: FSG_CONFIG, FSG_PORT, FSG_HOST, FSG_DATA_DIR, FSG_POLICY_DIR, FSG_DEMO, FSG_LOG_LEVEL.',
    )
    .action(async () => {
      const cfg = config();
      // Handlers first: a signal that arrives while the banner is being read must not kill the
      // process before it can close the store and write its final checkpoint.
      const state: { running?: Awaited<ReturnType<typeof startGateway>>; stopping: boolean } = {
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
          'Demo mode. Get a token for a demo user (anna, tom, sven, bram, dirk, iris, dana, sam, ada):\n' +
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
      const cfg = config();
      const gateway = await assemble(cfg);
      await gateway.store.close();
      process.stdout.write(
        `Initialised ${describeStore(storeSource(cfg))} under policy ${gateway.bundle.digest}\n`,
      );
    });

  program
    .command('token')
    .description(
      'Print a demo token for a demo user, signed with the demo keys in config/demo/ (demo mode only).',
    )
    .requiredOption('--user <id>', 'demo user id, e.g. anna')
    .option('--ttl <duration>', 'lifetime, e.g. 15m, 1h (at most 24h)', '1h')
    .option('--mfa', 'token records a second factor (amr pwd+otp)', false)
    .action(async (opts: { user: string; ttl: string; mfa: boolean }) => {
      const cfg = config();
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

  const policy = program.command('policy').description('Policy bundle tools.');
  registerExplainCommand(policy);
  policy
    .command('check')
    .description(
      'Validate a policy bundle and print its digest; an invalid bundle names file, JSON path and reason.',
    )
    .argument('[dir]', 'bundle folder (default: the configured policyDir)')
    .action(async (dir?: string) => {
      const bundle = await loadBundle(dir ? path.resolve(dir) : config().policyDir);
      process.stdout.write(
        `ok: ${bundle.partners.size} partners, ${bundle.agreements.size} agreements\ndigest: sha256:${bundle.digest}\n`,
      );
    });

  const audit = program.command('audit').description('Tamper-evident log tools.');
  const print = (line: string) => void process.stdout.write(`${line}\n`);
  const collect = (value: string, previous: string[] = []) => [...previous, value];
  audit
    .command('verify')
    .description(
      'Check the hash chain and the Merkle roots against the signed checkpoints; exit 1 naming the first ' +
        'altered, removed, inserted, reordered or truncated entry, or a checkpoint not signed by the key. ' +
        'The last line is the verdict.',
    )
    .option(
      '--db <file|url>',
      'a SQLite file or postgres://… URL (?schema=name, default fsg) (default: the configured store; that run is logged)',
    )
    .option('--export <file>', 'a JSON Lines export (fsg audit export --format jsonl) instead of a database')
    .option(
      '--pubkey <file>',
      "the gateway's checkpoint public key to pin, PEM (default: the configured gateway's own, " +
        'dataDir/keys/checkpoint.pub.pem); a checkpoint signed by any other key fails',
    )
    .option('--checkpoint <file>', 'a checkpoint or receipt kept outside the log (repeatable)', collect)
    .option(
      '--allow-no-checkpoint',
      'pass a log that has entries but no signed checkpoint at all (by default it fails: nothing holds it)',
    )
    .option(
      '--fast',
      'hash chain and Merkle roots only (the default adds the canonical form, columns, indexes and the ' +
        'stored Merkle tree); skips those, not the naming: a problem found is named by the full verifier',
    )
    .action(
      async (opts: {
        db?: string;
        export?: string;
        pubkey?: string;
        checkpoint?: string[];
        allowNoCheckpoint?: boolean;
        fast?: boolean;
      }) => {
        // The configuration gives the default store and the default key; a pinned key on a file needs neither.
        const cfg = opts.pubkey && (opts.db || opts.export) ? undefined : config();
        process.exitCode = await runVerify(
          {
            db: opts.db && resolveFile(opts.db),
            exportFile: opts.export && path.resolve(opts.export),
            pubkey: opts.pubkey && path.resolve(opts.pubkey),
            checkpoints: opts.checkpoint?.map((f) => path.resolve(f)),
            fast: opts.fast === true,
            allowNoCheckpoint: opts.allowNoCheckpoint === true,
            ...(cfg ? { configured: storeSource(cfg) } : {}),
            dataDir: cfg?.dataDir ?? '',
            progress: terminalProgress(process.stderr, 'verifying'),
          },
          print,
        );
      },
    );
  audit
    .command('export')
    .description('Stream the log as JSON Lines or CSV (constant memory); the export is itself logged.')
    .requiredOption('--format <format>', 'jsonl or csv')
    .option(
      '--from <time>',
      'entries at or after this time (RFC 3339 date-time, or YYYY-MM-DD: midnight UTC)',
    )
    .option('--to <time>', 'entries before this time (RFC 3339 date-time, or YYYY-MM-DD: midnight UTC)')
    .option('--partner <id>', 'only entries naming this partner')
    .option('--db <file|url>', 'a SQLite file or postgres://… URL (default: the configured store)')
    .option('--out <file>', 'write to this file (default: standard output)')
    .action(
      async (opts: {
        format: string;
        from?: string;
        to?: string;
        partner?: string;
        db?: string;
        out?: string;
      }) => {
        // `--db` is a SQLite file or a PostgreSQL URL; without it, the configured store.
        const cfg = opts.db ? undefined : config();
        process.exitCode = await runExport(
          {
            ...opts,
            db: opts.db ? storeAt(resolveFile(opts.db)) : storeSource(cfg!),
            out: opts.out && path.resolve(opts.out),
            // No progress line between the lines of an export printed on the terminal itself.
            ...(opts.out || !process.stdout.isTTY
              ? { progress: terminalProgress(process.stderr, 'exporting') }
              : {}),
          },
          process.stdout,
          (line) => void process.stderr.write(`${line}\n`),
        );
      },
    );
  audit
    .command('verify-receipt')
    .description(
      'Check a disclosure receipt offline with nothing but the receipt and the gateway public key.',
    )
    .argument(
      '<receipt>',
      'receipt JSON file as saved, compact or pretty-printed (the portal download, the receipt of ' +
        'GET /api/v1/requests/:id/receipt, …/disclosure or …/approve, or /audit/proof/:seq)',
    )
    .requiredOption('--pubkey <file>', "the gateway's checkpoint public key, PEM")
    .action((file: string, opts: { pubkey: string }) => {
      process.exitCode = runVerifyReceipt(path.resolve(file), path.resolve(opts.pubkey), print);
    });
  audit
    .command('verify-consistency')
    .description(
      'Check that a later signed checkpoint extends an earlier one (RFC 9162 consistency proof): exit 1 ' +
        'for a rewritten log, a smaller new tree or a bad signature.',
    )
    .argument('<old>', 'the earlier checkpoint (or a receipt holding it), JSON')
    .argument('<new>', 'the later checkpoint (or a receipt holding it), JSON')
    .requiredOption('--pubkey <file>', "the gateway's checkpoint public key, PEM")
    .option('--proof <file>', 'the consistency proof, as GET /api/v1/audit/checkpoints/consistency serves it')
    .option(
      '--gateway <url>',
      "ask this gateway for the proof, with a DPO's token (audit:read) in the environment variable FSG_TOKEN",
    )
    .action(
      async (
        oldFile: string,
        newFile: string,
        opts: { pubkey: string; proof?: string; gateway?: string },
      ) => {
        process.exitCode = await runVerifyConsistency(
          {
            oldFile: path.resolve(oldFile),
            newFile: path.resolve(newFile),
            pubkey: path.resolve(opts.pubkey),
            proofFile: opts.proof && path.resolve(opts.proof),
            gateway: opts.gateway,
            token: process.env.FSG_TOKEN,
          },
          print,
        );
      },
    );
  audit
    .command('checkpoint')
    .description('Sign a checkpoint of the configured log now and print it.')
    .action(async () => {
      const cfg = config();
      process.exitCode = await runCheckpoint(storeSource(cfg), cfg.dataDir, print);
    });

  registerMapCommand(program);
  registerUnmapCommand(program);
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
      const cfg = opts.from && opts.pubkey ? undefined : config();
      let from = opts.from && path.resolve(opts.from);
      if (!from) {
        const configured = storeSource(cfg!);
        if (configured.kind !== 'sqlite')
          throw new UsageError('the configured store is not SQLite: give the file to migrate with --from');
        from = configured.file;
      }
      const pubkey = opts.pubkey ? path.resolve(opts.pubkey) : checkpointKeyFiles(cfg!.dataDir).publicKeyFile;
      process.exitCode = await runMigrateStore({ from, to: opts.to, pubkey }, print);
    });
  // `fsg bench` (bench/command.ts): its benchmarks are loaded only when it runs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('../bench/command') as typeof import('../bench/command')).registerBenchCommand(program);

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
    else if (error instanceof UsageError || error instanceof Error)
      process.stderr.write(`fsg: ${error.message}\n`);
    process.exitCode = 2;
  }
}

if (require.main === module) void main(process.argv);
