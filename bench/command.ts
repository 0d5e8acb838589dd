/**
 * The benchmarks' command (bench/cli.ts, `npm run bench`): runs every benchmark with its baseline in the same run, prints the table and writes a
 * timestamped JSON file under bench/results/. The benchmarks themselves (and autocannon, a dev
 * dependency) are loaded only when the command runs.
 */
import path from 'node:path';
import { Command } from 'commander';
import { PROJECT_ROOT } from '../src/config/load';

export interface BenchCommandOptions {
  smoke: boolean;
  only?: string;
  results: string;
}

/** Kept apart from the production `fsg` command: the benchmarks are a development tool. */
export function benchCommand(): Command {
  return new Command('bench')
    .description(
      'Run the benchmarks, each with its baseline measured in the same run; print the table (figure, ' +
        'gateway, baseline, ratio, target, met?) and write it as JSON under bench/results/.',
    )
    .option(
      '--smoke',
      'tiny sizes, a few seconds: checks that every benchmark runs (no figure means anything)',
      false,
    )
    .option(
      '--only <ids>',
      'comma-separated benchmark ids (decision, http-lookup, log-append, log-verify, mapping, lookup-scale, upload-lookups, dpo-pages, pg-http-lookup, pg-log-append, pg-instances)',
    )
    .option('--results <dir>', 'folder for the JSON result', path.join(PROJECT_ROOT, 'bench', 'results'))
    .addHelpText(
      'after',
      '\nLoad goes to 127.0.0.1 only; every run is bounded in time or count. Exit 0 when every benchmark ran.',
    )
    .action(async (opts: BenchCommandOptions) => {
      const { runBenchmarks } = await import('./run');
      process.exitCode = await runBenchmarks({
        smoke: opts.smoke,
        only: opts.only
          ?.split(',')
          .map((s) => s.trim())
          .filter(Boolean),
        resultsDir: path.resolve(opts.results),
        out: process.stdout,
        log: (line) => void process.stderr.write(`${line}\n`),
      });
    });
}
