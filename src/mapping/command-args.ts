/**
 * What `fsg map` and `fsg unmap` share: reading --adapter and --format, opening the input file, and
 * the error that names a bad argument (the commands print its message and exit 2).
 */
import { once } from 'node:events';
import fs from 'node:fs';
import type { Command } from 'commander';
import { formatFromFileName, INPUT_FORMATS } from './readers';
import { adapters, getAdapter } from './registry';
import type { Adapter, InputFormat } from './types';

export class CommandUsageError extends Error {}

/**
 * `fsg <name> <argument> --adapter <id> --format <format>`: the part of a command both share; the
 * caller adds its own options and action.
 */
export function adapterCommand(
  program: Command,
  name: string,
  text: { description: string; argument: [string, string]; formatDefault: string },
): Command {
  return program
    .command(name)
    .description(text.description)
    .argument(...text.argument)
    .option('--adapter <id>', `adapter id (${[...adapters.keys()].join(', ')})`)
    .option('--format <format>', `${INPUT_FORMATS.join('|')} (default: ${text.formatDefault})`);
}

/**
 * The adapter of --adapter and the format of --format (else the format a file's name implies, else
 * `fallback`), which the adapter must handle; `verb` says how ("reads", "writes").
 */
export function adapterAndFormat(
  opts: { adapter?: string; format?: string },
  named: { file?: string; fallback?: (adapter: Adapter) => InputFormat; verb: string },
): { adapter: Adapter; format: InputFormat } {
  const adapter = adapterNamed(opts.adapter);
  let format: InputFormat | undefined;
  if (opts.format !== undefined) format = formatNamed(opts.format);
  else format = (named.file ? formatFromFileName(named.file) : undefined) ?? named.fallback?.(adapter);
  if (!format)
    throw new CommandUsageError(`cannot tell the format of ${named.file} from its extension: add --format`);
  if (!adapter.formats.includes(format))
    throw new CommandUsageError(
      `adapter "${adapter.id}" ${named.verb} ${adapter.formats.join(', ')}, not ${format}`,
    );
  return { adapter, format };
}

/** The adapter of --adapter, or a usage error naming the ids there are. */
function adapterNamed(id: string | undefined): Adapter {
  const known = [...adapters.keys()].join(', ');
  if (!id) throw new CommandUsageError(`--adapter <id> is required (one of ${known})`);
  const adapter = getAdapter(id);
  if (!adapter) throw new CommandUsageError(`unknown adapter "${id}" (one of ${known})`);
  return adapter;
}

/** The format of --format, or a usage error naming the formats there are. */
function formatNamed(text: string): InputFormat {
  if (!(INPUT_FORMATS as readonly string[]).includes(text))
    throw new CommandUsageError(`unknown format "${text}" (one of ${INPUT_FORMATS.join(', ')})`);
  return text as InputFormat;
}

/** The input file opened for reading, or a usage error saying why it cannot be. */
export async function openInput(file: string, encoding?: BufferEncoding): Promise<fs.ReadStream> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(file);
  } catch {
    throw new CommandUsageError(`${file}: no such file`);
  }
  if (!stat.isFile()) throw new CommandUsageError(`${file}: not a file`);
  const stream = fs.createReadStream(file, { highWaterMark: 256 * 1024, encoding });
  try {
    await once(stream, 'open');
  } catch (error) {
    throw new CommandUsageError(`${file}: cannot read (${errorCode(error)})`);
  }
  return stream;
}

/** A file error as its code (ENOENT, EACCES): no stack, no more of the path than the caller names. */
export function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}
