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
import { parse as parseCsv } from 'csv-parse';
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
  constructor(readonly error: Error & { code?: string; lines?: number }) {}
}

/**
 * CSV with a header row; every value a string. Nothing is relaxed: a record with the wrong number of
 * fields or a bad quote is skipped by csv-parse and reported here as malformed, and the read goes on.
 */
export async function* readCsv(input: Readable): AsyncGenerator<SourceItem> {
  const parser = parseCsv({
    columns: true,
    bom: true,
    // Files mix line ends more often than one would hope (an edited export): both are row ends.
    record_delimiter: ['\r\n', '\n'],
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (error) => {
      // Called synchronously while parsing: pushing here keeps the skipped record in its place.
      parser.push(new SkippedCsvRecord(error as SkippedCsvRecord['error']));
    },
  });
  input.on('error', (error) => parser.destroy(error));
  input.pipe(parser);
  let row = 0;
  try {
    for await (const item of parser as AsyncIterable<unknown>) {
      row++;
      if (item instanceof SkippedCsvRecord) {
        if (item.error.code === 'CSV_QUOTE_NOT_CLOSED') {
          const message = `${csvMessage(item.error)}: everything from this row to the end was inside the quote`;
          yield { row, malformed: message, fatal: true };
        } else {
          yield { row, malformed: csvMessage(item.error) };
        }
      } else {
        yield { row, value: item };
      }
    }
  } catch (error) {
    if (!isCsvError(error)) throw error;
    yield {
      row: row + 1,
      malformed: `${csvMessage(error)}; the rest of the input was not read`,
      fatal: true,
    };
  } finally {
    input.unpipe(parser);
    if (!input.destroyed) input.destroy();
    if (!parser.destroyed) parser.destroy();
  }
}

function isCsvError(error: unknown): error is Error & { code: string } {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^(CSV_|INVALID_)/.test(code);
}

function csvMessage(error: Error & { code?: string }): string {
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
