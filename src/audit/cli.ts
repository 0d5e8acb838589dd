/**
 * `fsg audit verify|export|verify-receipt|verify-consistency|checkpoint`: the command-line side of the
 * commands in commands.ts (their options, the configured store and key as defaults, the progress line).
 */
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load';
import { storeSource } from '../store/open';
import { collect, printLine, resolveFile } from '../runtime/command-line';
import { terminalProgress } from '../runtime/progress';
import { storeAt } from '../store/open';
import { runCheckpoint, runExport, runVerify, runVerifyConsistency, runVerifyReceipt } from './commands';

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('Tamper-evident log tools.');
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
        const cfg = opts.pubkey && (opts.db || opts.export) ? undefined : loadConfig();
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
          printLine,
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
        const cfg = opts.db ? undefined : loadConfig();
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
      process.exitCode = runVerifyReceipt(path.resolve(file), path.resolve(opts.pubkey), printLine);
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
          printLine,
        );
      },
    );
  audit
    .command('checkpoint')
    .description('Sign a checkpoint of the configured log now and print it.')
    .action(async () => {
      const cfg = loadConfig();
      process.exitCode = await runCheckpoint(storeSource(cfg), cfg.dataDir, printLine);
    });
}
