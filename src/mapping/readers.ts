/**
 * Streamed readers: a byte stream in, one parsed source row at a time out, pulled (so backpressure
 * reaches the file). A row that cannot be parsed comes out as `{ malformed }` instead of aborting the
 * read wherever the format allows it to be skipped; the row counter counts it all the same, so that
 * mapped + quarantined = rows read.
 *
 * Row numbers are 1-based over data rows: a CSV header is not a row, blank lines are not rows.
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { parse as parseCsv, type Parser } from 'csv-parse';
import { parser as jsonParser } from 'stream-json';
import { streamArray } from 'stream-json/streamers/StreamArray';
import type { InputFormat } from './types';

export type SourceItem =
  | { row: number; value: unknown }
  /** The row could not be parsed; `fatal` when nothing after it could be read either. */
  | { row: number; malformed: string; fatal?: boolean };

export const INPUT_FORMATS: readonly InputFormat[] = ['csv', 'json', 'ndjson'];

/** The format a file name implies: .csv, .json, .ndjson / .jsonl; undefined for anything else. */
export function formatFromFileName(file: string): InputFormat | undefined {
  const lower = file.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl')) return 'ndjson';
  if (lower.endsWith('.json')) return 'json';
  return undefined;
}

export function readRows(input: Readable, format: InputFormat): AsyncIterable<SourceItem> {
  switch (format) {
    case 'csv':
      return readCsv(input);
    case 'json':
      return readJsonArray(input);
    case 'ndjson':
      return readNdjson(input);
    default:
      throw new Error(`unknown input format "${String(format)}" (csv, json or ndjson)`);
  }
}

/** A record csv-parse skipped (skip_records_with_error), pushed in line so row numbers stay in order. */
class SkippedCsvRecord {
  constructor(readonly error: CsvParseError) {}
}

type CsvParseError = Error & { code?: string; lines?: number; column?: unknown };

/** A CSV data row as csv-parse reads it: its cells, and the header's names (one array per file). */
export interface CsvRow {
  row: number;
  cells: string[];
  columns: string[];
}

export type CsvItem = SourceItem | CsvRow;

/** The reader's csv-parse options (bench/child.ts runs csv-parse alone with the same ones). */
export const CSV_OPTIONS = {
  bom: true,
  // Files mix line ends more often than one would hope (an edited export): both are row ends.
  record_delimiter: ['\r\n', '\n'],
  skip_empty_lines: true,
  skip_records_with_error: true,
};

/**
 * A header line longer than this that has not ended yet is read the slow way (see readCsvRows):
 * the bytes kept to read it again stay bounded.
 */
const HEADER_REPLAY_LIMIT = 4 * 1024 * 1024;

/**
 * CSV with a header row; every value a string. Nothing is relaxed: a record with the wrong number of
 * fields or a bad quote is skipped by csv-parse and reported here as malformed, and the read goes on.
 * Rows are objects keyed by the header, as csv-parse's `columns: true` makes them.
 */
export async function* readCsv(input: Readable): AsyncGenerator<SourceItem> {
  for await (const item of readCsvRows(input)) {
    yield 'cells' in item ? { row: item.row, value: csvObject(item.columns, item.cells) } : item;
  }
}

/**
 * The row of csv-parse's `columns: true` from its cells: own properties, as csv-parse defines them
 * (so a column named "__proto__" is a property, not the prototype; a repeated name keeps its last cell).
 */
export function csvObject(columns: string[], cells: string[]): Record<string, string> {
  const value: Record<string, string> = {};
  for (let i = 0; i < cells.length; i++) {
    Object.defineProperty(value, columns[i]!, {
      value: cells[i],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return value;
}

/**
 * readCsv's items with the rows as cells: what `fsg map` sends to its worker. Exactly readCsv's rows,
 * quarantine messages included, read more cheaply: csv-parse with `columns: true` builds every row
 * with a defineProperty per cell (~40 % of its time), so the file is read as arrays of cells, and the
 * two messages that differ between the modes are written as `columns: true` writes them (the field
 * count's and an opening quote's, which names the column).
 *
 * The modes differ in more than messages in one case: a header line with an error (a bad quote),
 * which `columns: true` still takes as the header (and then drops the next record). So the header
 * line is first read by a parser with `columns: true` semantics (a columns function, which sees the
 * header); if it ends without error, the bytes read so far are read again by the array parser, which
 * goes on with the file; if not, that first parser reads the whole file, as before.
 */
export async function* readCsvRows(input: Readable): AsyncGenerator<CsvItem> {
  let header: string[] | undefined;
  let headerFailed = false;
  const probe = parseCsv({
    ...CSV_OPTIONS,
    columns: (names: string[]) => (header = names),
    on_skip: (error) => {
      // Called synchronously while parsing: pushing here keeps the skipped record in its place.
      if (header === undefined) headerFailed = true;
      probe.push(new SkippedCsvRecord(error as CsvParseError));
    },
  });
  let parser: Parser = probe;
  let arrays = false;

  // Until the header line has ended (or failed), the input goes to the probe only, and is kept.
  let replay: (Buffer | string)[] = [];
  let replayBytes = 0;
  let decide!: () => void;
  const decided = new Promise<void>((resolve) => (decide = resolve));
  let settled = false;
  const settle = (read: 'arrays' | 'objects') => {
    if (settled) return;
    settled = true;
    input.pause();
    input.removeListener('data', onData);
    input.removeListener('end', onEnd);
    if (read === 'arrays') {
      arrays = true;
      parser = parseCsv({
        ...CSV_OPTIONS,
        on_skip: (error) => {
          parser.push(new SkippedCsvRecord(error as CsvParseError));
        },
      });
      probe.destroy();
      for (const chunk of replay) parser.write(chunk);
    }
    replay = [];
    input.pipe(parser);
    decide();
  };
  const onData = (chunk: Buffer | string) => {
    replay.push(chunk);
    replayBytes += chunk.length;
    probe.write(chunk);
    if (headerFailed) settle('objects');
    else if (header !== undefined) settle('arrays');
    else if (replayBytes > HEADER_REPLAY_LIMIT) settle('objects');
  };
  // No header line at all (an empty file): the probe reads what there is.
  const onEnd = () => {
    settled = true;
    input.removeListener('data', onData);
    probe.end();
    decide();
  };
  input.on('data', onData);
  input.once('end', onEnd);
  // An input that fails before its header line has ended (a body that does not decode, a client gone)
  // must not leave the reader waiting for a header: the failure is thrown once it stops waiting.
  let failedEarly: Error | undefined;
  input.on('error', (error) => {
    if (settled) return void parser.destroy(error);
    settled = true;
    failedEarly = error;
    input.removeListener('data', onData);
    decide();
  });

  let row = 0;
  let columns: string[] | undefined;
  try {
    await decided;
    if (failedEarly) throw failedEarly;
    for await (const item of parser as AsyncIterable<unknown>) {
      if (item instanceof SkippedCsvRecord) {
        row++;
        const error = arrays ? asColumnsError(item.error, columns) : item.error;
        if (error.code === 'CSV_QUOTE_NOT_CLOSED') {
          const message = `${csvMessage(error)}: everything from this row to the end was inside the quote`;
          yield { row, malformed: message, fatal: true };
        } else {
          yield { row, malformed: csvMessage(error) };
        }
      } else if (!arrays) {
        yield { row: ++row, value: item };
      } else if (columns === undefined) {
        // The header line: not a row.
        columns = item as string[];
      } else {
        yield { row: ++row, cells: item as string[], columns };
      }
    }
  } catch (error) {
    if (!isCsvError(error)) throw error;
    yield {
      row: row + 1,
      malformed: `${csvMessage(arrays ? asColumnsError(error, columns) : error)}; the rest of the input was not read`,
      fatal: true,
    };
  } finally {
    input.removeListener('data', onData);
    input.unpipe(parser);
    if (!input.destroyed) input.destroy();
    for (const p of [probe, parser]) if (!p.destroyed) p.destroy();
  }
}

/**
 * A csv-parse error of a data row read as an array, as csv-parse writes it when it reads rows as
 * objects (`columns: true`): the field count against the header's, and the column's name, not its
 * index, where an opening quote is misplaced. Other messages are the same in both modes.
 */
function asColumnsError(error: CsvParseError, columns: string[] | undefined): CsvParseError {
  if (columns === undefined) return error;
  if (error.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH') {
    const m = /^Invalid Record Length: expect (\d+), got (\d+) on line (\d+)$/.exec(error.message);
    if (!m) return error;
    return rewritten(
      'CSV_RECORD_INCONSISTENT_COLUMNS',
      `Invalid Record Length: columns length is ${m[1]!}, got ${m[2]!} on line ${m[3]!}`,
    );
  }
  if (error.code === 'INVALID_OPENING_QUOTE' && typeof error.column === 'number') {
    const index = `Invalid Opening Quote: a quote is found on field ${error.column} at line `;
    if (!error.message.startsWith(index)) return error;
    const name = error.column < columns.length ? columns[error.column]! : null;
    return rewritten(
      error.code,
      `Invalid Opening Quote: a quote is found on field ${JSON.stringify(name)} at line ${error.message.slice(index.length)}`,
    );
  }
  return error;
}

function rewritten(code: string, message: string): CsvParseError {
  return Object.assign(new Error(message), { code });
}

function isCsvError(error: unknown): error is Error & { code: string } {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^(CSV_|INVALID_)/.test(code);
}

function csvMessage(error: CsvParseError): string {
  return `CSV ${error.code ?? 'error'}: ${error.message}`;
}

/** A top-level JSON array, element by element (stream-json): the whole document is never in memory. */
export async function* readJsonArray(input: Readable): AsyncGenerator<SourceItem> {
  const tokens = jsonParser();
  const elements = streamArray();
  let syntaxError: Error | undefined;
  input.on('error', (error) => elements.destroy(error));
  tokens.on('error', (error: Error) => {
    // Keep the elements parsed so far: stop feeding and end, then report the rest as unreadable.
    syntaxError = error;
    input.unpipe(tokens);
    tokens.unpipe(elements);
    elements.end();
  });
  input.pipe(tokens).pipe(elements);
  let row = 0;
  try {
    for await (const item of elements as AsyncIterable<{ key: number; value: unknown }>) {
      row++;
      yield { row, value: item.value };
    }
  } catch (error) {
    if (!isStreamArrayError(error)) throw error;
    syntaxError = error as Error;
  } finally {
    input.unpipe(tokens);
    for (const stream of [input, tokens, elements]) if (!stream.destroyed) stream.destroy();
  }
  if (syntaxError) {
    yield {
      row: row + 1,
      malformed: `JSON: ${syntaxError.message}; the rest of the input was not read`,
      fatal: true,
    };
  }
}

function isStreamArrayError(error: unknown): boolean {
  return error instanceof Error && /Top-level object should be an array/.test(error.message);
}

/** Newline-delimited JSON: one value per line; a line that does not parse is malformed, the rest is read. */
export async function* readNdjson(input: Readable): AsyncGenerator<SourceItem> {
  let row = 0;
  let line = 0;
  const one = (text: string): SourceItem | undefined => {
    line++;
    const trimmed = text.trim();
    if (trimmed === '') return undefined;
    row++;
    try {
      return { row, value: JSON.parse(trimmed) as unknown };
    } catch (error) {
      return { row, malformed: `line ${line}: ${(error as Error).message}` };
    }
  };
  for await (const text of lines(input)) {
    const item = one(text);
    if (item) yield item;
  }
}

/** Lines of a byte stream (LF or CRLF), decoded as UTF-8 across chunk boundaries; a BOM is dropped. */
export async function* lines(input: Readable): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let first = true;
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    let text = rest + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield text.slice(start, end);
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  rest += decoder.end();
  if (rest.length > 0) yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}
