/**
 * `fsg map --adapter <id> <file>`: streams a partner file through its adapter; records as JSON Lines to
 * --out (stdout by default), quarantine entries as JSON Lines to --quarantine, a summary on stderr.
 * Memory stays flat: rows are pulled one at a time and writes wait for the output to drain.
 */
import { once } from 'node:events';
import fs from 'node:fs';
import type { Writable } from 'node:stream';
import { Command } from 'commander';
import { adapterAndFormat, adapterCommand, CommandUsageError, errorCode, openInput } from './command-args';
import { openDiskSeenIdentifiers } from './seen-disk';
import { canAdaptCsvInWorker, mapCsvInWorker } from './parallel';
import { createSummary, mapStream } from './run';
import { createMemorySeenIdentifiers, type SeenIdentifiers } from './seen';

export interface MapCommandOptions {
  adapter?: string;
  file: string;
  format?: string;
  out?: string;
  quarantine?: string;
  /** Keep seen identifiers whole in memory (a Map: ~100 bytes each, for small files) instead of in a temporary file. */
  inMemoryDedupe?: boolean;
  /** Map in this thread only (by default a CSV file is parsed and adapted in a worker thread). */
  singleThread?: boolean;
  progress?: boolean;
}

export interface MapCommandIo {
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean };
  /** Milliseconds clock for the progress line (tests pin it). */
  now?: () => number;
}

/** Exit codes: 0 done (quarantined rows included), 2 the command could not run (named on stderr). */
export const MAP_EXIT = { OK: 0, USAGE: 2 } as const;

const PROGRESS_INTERVAL_MS = 500;
const WRITE_CHUNK = 1024 * 1024;

/** Runs the map; resolves to the exit code. Never throws for bad input or a missing file. */
export async function runMapCommand(opts: MapCommandOptions, io: MapCommandIo): Promise<number> {
  const now = io.now ?? (() => performance.now());
  let seen: SeenIdentifiers | undefined;
  const opened: fs.WriteStream[] = [];
  let input: fs.ReadStream | undefined;
  try {
    const { adapter, format } = adapterAndFormat(opts, { file: opts.file, verb: 'reads' });
    input = await openInput(opts.file);
    const out = opts.out ? await openOutput(opts.out) : io.stdout;
    if (opts.out) opened.push(out as fs.WriteStream);
    const quarantine = opts.quarantine ? await openOutput(opts.quarantine) : undefined;
    if (quarantine) opened.push(quarantine);
    // Keys on disk by default, so that a large file maps in a few bytes of memory per identifier.
    seen = opts.inMemoryDedupe ? createMemorySeenIdentifiers() : openDiskSeenIdentifiers();

    const records = new BufferedWriter(out);
    const entries = quarantine ? new BufferedWriter(quarantine) : undefined;
    const summary = createSummary();
    let warnings = 0;
    const progress = opts.progress || io.stderr.isTTY === true;
    const tty = io.stderr.isTTY === true;
    const started = now();
    let lastProgress = started;
    const progressLine = (final: boolean) => {
      const seconds = (now() - started) / 1000;
      const rate = seconds > 0 ? Math.round(summary.read / seconds) : 0;
      const text = `mapping ${opts.file}: ${summary.read} rows, ${rate} rows/s`;
      io.stderr.write(tty ? `\r${text}${final ? '\n' : ''}` : `${text}\n`);
    };

    // A CSV file is parsed, mapped and validated in a worker thread when it can be (same output).
    const events =
      opts.singleThread !== true && format === 'csv' && canAdaptCsvInWorker(adapter)
        ? mapCsvInWorker(adapter, input, seen)
        : mapStream(adapter, input, format, { seen });
    for await (const event of events) {
      summary.add(event);
      // Appends are synchronous; only a full chunk waits (for the output to drain, when it asks to).
      if (event.kind === 'records' || event.kind === 'lines') {
        if (event.kind === 'lines') records.push(event.jsonl);
        else for (const record of event.records) records.push(`${JSON.stringify(record)}\n`);
        if (entries)
          for (const w of event.warnings) entries.push(`${JSON.stringify({ ...w, warning: true })}\n`);
        warnings += event.warnings.length;
      } else if (entries) {
        for (const entry of event.entries) entries.push(`${JSON.stringify(entry)}\n`);
      }
      if (records.full) await records.flush();
      if (entries?.full) await entries.flush();
      if (progress && now() - lastProgress >= PROGRESS_INTERVAL_MS) {
        lastProgress = now();
        progressLine(false);
      }
    }
    await records.flush();
    await entries?.flush();
    await Promise.all(opened.map(endStream));
    opened.length = 0;

    if (progress) progressLine(true);
    io.stderr.write(
      `read ${summary.read}, mapped ${summary.mapped}, quarantined ${summary.quarantined}, records ${summary.records}\n`,
    );
    if (summary.quarantined > 0 && !quarantine) {
      io.stderr.write('quarantine entries were not written: add --quarantine <file> to keep them\n');
    }
    if (warnings > 0) {
      const where = quarantine
        ? 'in the quarantine file with "warning": true'
        : 'not written: add --quarantine <file>';
      io.stderr.write(`warnings ${warnings} on mapped rows (${where})\n`);
    }
    if (progress) {
      const seconds = (now() - started) / 1000;
      const rss = process.resourceUsage().maxRSS / 1024;
      io.stderr.write(
        `elapsed ${seconds.toFixed(1)} s, ${Math.round(summary.read / Math.max(seconds, 0.001))} rows/s, peak RSS ${rss.toFixed(0)} MiB\n`,
      );
    }
    return MAP_EXIT.OK;
  } catch (error) {
    input?.destroy();
    for (const stream of opened) stream.destroy();
    io.stderr.write(`fsg map: ${error instanceof Error ? error.message : String(error)}\n`);
    return MAP_EXIT.USAGE;
  } finally {
    seen?.close();
  }
}

async function openOutput(file: string): Promise<fs.WriteStream> {
  const stream = fs.createWriteStream(file);
  try {
    await once(stream, 'open');
  } catch (error) {
    throw new CommandUsageError(`${file}: cannot write (${errorCode(error)})`);
  }
  return stream;
}

async function endStream(stream: fs.WriteStream): Promise<void> {
  stream.end();
  await once(stream, 'finish');
}

/**
 * Gathers small writes into chunks; flush waits for 'drain' when the stream asks to (backpressure).
 * Parts are text, or UTF-8 bytes already (the records of the parallel map); a chunk is one or the other.
 */
class BufferedWriter {
  private parts: (string | Uint8Array)[] = [];
  private onlyText = true;
  private size = 0;
  constructor(private readonly stream: Writable) {}

  push(part: string | Uint8Array): void {
    this.parts.push(part);
    if (typeof part !== 'string') this.onlyText = false;
    this.size += part.length;
  }

  get full(): boolean {
    return this.size >= WRITE_CHUNK;
  }

  async flush(): Promise<void> {
    if (this.size === 0) return;
    const chunk = this.onlyText
      ? (this.parts as string[]).join('')
      : Buffer.concat(this.parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
    this.parts = [];
    this.onlyText = true;
    this.size = 0;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }
}

/**
 * Adds `map` to the fsg program. In src/cli.ts:
 *   import { registerMapCommand } from './mapping/map-command';
 *   registerMapCommand(program);
 */
export function registerMapCommand(
  program: Command,
  io: MapCommandIo = { stdout: process.stdout, stderr: process.stderr },
): Command {
  return adapterCommand(program, 'map', {
    description:
      'Map a partner file through its adapter into SIS-style records (JSON Lines); rows that cannot be mapped are quarantined with row, field and reason.',
    argument: ['<file>', 'the partner file (.csv, .json or .ndjson/.jsonl)'],
    formatDefault: 'from the file extension',
  })
    .option('--out <file>', 'records as JSON Lines (default: stdout)')
    .option('--quarantine <file>', 'quarantine entries (and warnings) as JSON Lines')
    .option(
      '--in-memory-dedupe',
      'keep seen identifiers whole in memory instead of in a temporary file (memory grows by ~100 bytes per identifier instead of 10-15)',
      false,
    )
    .option(
      '--single-thread',
      'parse and map in one thread (by default a CSV file is parsed and adapted in a worker thread; same output)',
      false,
    )
    .option('--progress', 'progress line on stderr even when stderr is not a terminal', false)
    .addHelpText(
      'after',
      '\nExit 0 when the file was read through (quarantined rows included); 2 when it could not be.',
    )
    .action(async (file: string, opts: Omit<MapCommandOptions, 'file'>) => {
      process.exitCode = await runMapCommand({ ...opts, file }, io);
    });
}
