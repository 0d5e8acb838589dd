#!/usr/bin/env node
/**
 * `npm run bench` (node dist/bench/cli.js [--smoke] [--only ids] [--results dir]): the benchmarks'
 * own entry, so the production `fsg` command carries none of them.
 */
import { benchCommand } from './command';

if (require.main === module) {
  benchCommand()
    .showHelpAfterError()
    .parseAsync(process.argv)
    .catch((error: Error) => {
      process.stderr.write(`bench: ${error.message}\n`);
      process.exitCode = 2;
    });
}
