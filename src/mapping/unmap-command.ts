/**
 * `fsg unmap --adapter <id> <records.jsonl>`: SIS-style records (the JSON Lines `fsg map` writes) back
 * into the partner's own format, one row per linkId, through the adapter's reverse mapping. The file
 * is checked whole before anything is written: a bad line is named by line, record and field, and
 * then nothing is written (a half-written partner file would look complete).
 */
import fs from 'node:fs';
import readline from 'node:readline';
import type { Writable } from 'node:stream';
import { Command } from 'commander';
import type { CanonicalRecord } from '../records/canonical';
import { recordProblems } from '../records/validate';
import { adapterAndFormat, adapterCommand, CommandUsageError, errorCode, openInput } from './command-args';
import type { Adapter, CsvTable, InputFormat } from './types';

export interface UnmapCommandOptions {
  adapter?: string;
  file: string;
  format?: string;
  out?: string;
}

export interface UnmapCommandIo {
  stdout: Writable;
  stderr: Writable;
}

/** Exit codes: 0 written, 1 the records file holds bad records (named on stderr), 2 usage. */
export const UNMAP_EXIT = { OK: 0, BAD_INPUT: 1, USAGE: 2 } as const;

/** At most this many bad lines are listed (the count of the rest is given). */
const MAX_LISTED = 50;

export async function runUnmapCommand(opts: UnmapCommandOptions, io: UnmapCommandIo): Promise<number> {
  try {
    // The output's extension names the format, else it is the adapter's first.
    const { adapter, format } = adapterAndFormat(opts, {
      file: opts.out,
      fallback: (a) => a.formats[0]!,
      verb: 'writes',
    });
    if (!adapter.unmap) throw new CommandUsageError(`adapter "${adapter.id}" has no reverse mapping`);
    const { records, problems } = await readRecords(opts.file, adapter);
    if (problems.length > 0) {
      for (const problem of problems.slice(0, MAX_LISTED)) io.stderr.write(`${opts.file}: ${problem}\n`);
      if (problems.length > MAX_LISTED)
        io.stderr.write(`${opts.file}: ${problems.length - MAX_LISTED} more problems not listed\n`);
      io.stderr.write(`fsg unmap: ${problems.length} bad records; nothing written\n`);
      return UNMAP_EXIT.BAD_INPUT;
    }
    const rows = adapter.unmap!(records);
    const text = render(adapter, format, rows);
    if (opts.out) await writeFile(opts.out, text);
    else io.stdout.write(text);
    io.stderr.write(`records ${records.length}, rows ${rows.length} (${format})\n`);
    return UNMAP_EXIT.OK;
  } catch (error) {
    // A bad argument or an unreadable file: its message (no stack), as `fsg map` does.
    io.stderr.write(`fsg unmap: ${error instanceof Error ? error.message : String(error)}\n`);
    return UNMAP_EXIT.USAGE;
  }
}

/** Every line of the file as a record of this adapter, or why not ("line 3 (record 2), field …: …"). */
async function readRecords(
  file: string,
  adapter: Adapter,
): Promise<{ records: CanonicalRecord[]; problems: string[] }> {
  const input = await openInput(file, 'utf8');
  const records: CanonicalRecord[] = [];
  const problems: string[] = [];
  let line = 0;
  for await (const text of readline.createInterface({ input, crlfDelay: Infinity })) {
    line++;
    if (text.trim() === '') continue;
    const where = `line ${line} (record ${records.length + problems.length + 1})`;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      problems.push(`${where}: not a JSON value`);
      continue;
    }
    const found = recordProblems(value);
    if (found.length > 0) {
      for (const p of found) problems.push(`${where}, field ${p.pointer || '(record)'}: ${p.message}`);
      continue;
    }
    const record = value as CanonicalRecord;
    const foreign = foreignField(record, adapter);
    if (foreign) problems.push(`${where}, field ${foreign}`);
    else records.push(record);
  }
  return { records, problems };
}

/** A record this adapter cannot write back: another adapter's link, or an object type it does not know. */
function foreignField(record: CanonicalRecord, adapter: Adapter): string | undefined {
  if (!adapter.objectTypes.includes(record.objectType))
    return `/objectType: adapter "${adapter.id}" does not write ${record.objectType} records`;
  if (record.linkId !== undefined && !record.linkId.startsWith(`${adapter.id}:`))
    return `/linkId: "${record.linkId}" is not a link of adapter "${adapter.id}"`;
  return undefined;
}

function render(adapter: Adapter, format: InputFormat, rows: Record<string, unknown>[]): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(rows, null, 2)}\n`;
    case 'ndjson':
      return rows.map((row) => `${JSON.stringify(row)}\n`).join('');
    case 'csv':
      return csvText(adapter.toCsv ? adapter.toCsv(rows) : csvTableOf(rows));
  }
}

/** Rows that are CSV-shaped already: their keys, in order of first appearance, are the header. */
function csvTableOf(rows: Record<string, unknown>[]): CsvTable {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const text = rows.map((row) =>
    Object.fromEntries(columns.map((c) => [c, row[c] === undefined ? '' : String(row[c])])),
  );
  return { columns, rows: text };
}

/** RFC 4180 as the CSV reader reads it: commas, LF line ends, quotes only where a cell needs them. */
export function csvText(table: CsvTable): string {
  const line = (cells: string[]) => `${cells.map(csvCell).join(',')}\n`;
  return line(table.columns) + table.rows.map((row) => line(table.columns.map((c) => row[c] ?? ''))).join('');
}

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

async function writeFile(file: string, text: string): Promise<void> {
  try {
    await fs.promises.writeFile(file, text);
  } catch (error) {
    throw new CommandUsageError(`${file}: cannot write (${errorCode(error)})`);
  }
}

/** Adds `unmap` to the fsg program (src/cli.ts calls it beside registerMapCommand). */
export function registerUnmapCommand(
  program: Command,
  io: UnmapCommandIo = { stdout: process.stdout, stderr: process.stderr },
): Command {
  return adapterCommand(program, 'unmap', {
    description:
      "Write SIS-style records (the JSON Lines of `fsg map`) back in the adapter's partner format: one row per linkId.",
    argument: ['<records>', 'records as JSON Lines (.jsonl), as `fsg map` writes them'],
    formatDefault: "from the --out extension, else the adapter's first format",
  })
    .option('-o, --out <file>', 'the partner file to write (default: stdout)')
    .addHelpText(
      'after',
      '\nExit 0 when written; 1 when a record is bad (line, record and field on stderr, nothing written); 2 when the command could not run.',
    )
    .action(async (file: string, opts: Omit<UnmapCommandOptions, 'file'>) => {
      process.exitCode = await runUnmapCommand({ ...opts, file }, io);
    });
}
