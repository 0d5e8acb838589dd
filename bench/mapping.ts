/**
 * Adapter mapping and validation (`fsg map --adapter boatreg-nl`, duplicate check on disk as by
 * default, records to /dev/null) of a generated 1,000,000-row boatreg-nl CSV, against csv-parse alone on the same file
 * with the options the CSV reader uses. Each runs in a fresh process; memory is that process's peak
 * RSS (VmHWM), compared with the same command on the file's first tenth to show it stays flat.
 */
import fs from 'node:fs';
import path from 'node:path';
import { generateBoatreg } from './generate-boatreg';
import { runChild } from './lib/child';
import { msSince, MiB } from './lib/stats';
import { row, type Benchmark } from './lib/types';

interface MapResult {
  rows: number;
  mapped: number;
  quarantined: number;
  records: number;
  seconds: number;
  maxRssMiB: number;
}

interface ParseResult {
  rows: number;
  seconds: number;
  maxRssMiB: number;
}

export const mappingBenchmark: Benchmark = {
  id: 'mapping',
  title: 'adapter mapping + validation of a boatreg-nl CSV vs csv-parse alone',
  async run(ctx) {
    const rows = ctx.smoke ? 2_000 : 1_000_000;
    const file = path.join(ctx.workDir, `boatreg-${rows}.csv`);
    const tenth = path.join(ctx.workDir, `boatreg-${rows / 10}.csv`);
    const t = process.hrtime.bigint();
    const generated = await generateBoatreg({ rows, out: file, seed: 42 });
    await generateBoatreg({ rows: rows / 10, out: tenth, seed: 42 });
    ctx.log(
      `mapping: generated ${rows} rows (${(generated.bytes / MiB).toFixed(0)} MiB) in ${(msSince(t) / 1000).toFixed(1)} s`,
    );

    const parsed = await runChild<ParseResult>(['csv-parse', file]);
    ctx.log(`mapping: csv-parse alone ${parsed.seconds.toFixed(1)} s`);
    const mapped = await runChild<MapResult>(['map', file]);
    ctx.log(`mapping: fsg map ${mapped.seconds.toFixed(1)} s`);
    const small = await runChild<MapResult>(['map', tenth]);
    for (const [what, r] of [
      ['csv-parse', parsed],
      ['fsg map', mapped],
    ] as const) {
      if (r.rows !== rows) throw new Error(`${what} read ${r.rows} rows of ${rows}`);
    }
    if (mapped.quarantined !== 0)
      throw new Error(`fsg map quarantined ${mapped.quarantined} rows of a clean file`);
    fs.rmSync(file, { force: true });
    fs.rmSync(tenth, { force: true });
    const details = { rows, fileBytes: generated.bytes, map: mapped, csvParse: parsed, mapTenth: small };
    return [
      row({
        benchmark: 'mapping',
        figure: `boatreg-nl CSV mapped + validated, rows/s (${rows.toLocaleString('en')} rows)`,
        unit: 'rows/s',
        gateway: mapped.rows / mapped.seconds,
        baseline: parsed.rows / parsed.seconds,
        baselineIs: 'csv-parse alone on the same file, same options',
        target: { min: 0.5 },
        details,
      }),
      row({
        benchmark: 'mapping',
        figure: `fsg map peak RSS, ${rows.toLocaleString('en')} vs ${(rows / 10).toLocaleString('en')} rows`,
        unit: 'MiB',
        gateway: mapped.maxRssMiB,
        baseline: small.maxRssMiB,
        baselineIs: `the same command on the first ${(rows / 10).toLocaleString('en')} rows`,
        target: { max: 1.5 },
        details,
      }),
    ];
  },
};
