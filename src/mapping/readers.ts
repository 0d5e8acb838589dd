/**
 * Streamed readers: a byte stream in, one parsed source row at a time out, pulled (so backpressure
 * reaches the file). A row that cannot be parsed comes out as `{ malformed }` instead of aborting the
 * read wherever the format allows it to be skipped; the row counter counts it all the same, so that
 * mapped + quarantined = rows read.
 *
 * Row numbers are 1-based over data rows: a CSV header is not a row, blank lines are not rows. Where
 * the format has lines (CSV, NDJSON), each row also has its `line`: the number an editor shows for
 * its (first) line, header and blank lines counted.
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { parser as jsonParser } from 'stream-json';
import { streamArray } from 'stream-json/streamers/StreamArray';
import { csvObject, readCsvRows } from './csv-reader';
import type { InputFormat } from './types';

export type SourceItem =
  | { row: number; line?: number; value: unknown }
  /**
   * The row could not be parsed: why, and the quarantine code and field to report (default
   * ROW_MALFORMED, no field); `fatal` when nothing after it could be read either.
   */
  | { row: number; line?: number; malformed: string; code?: string; field?: string | null; fatal?: boolean };

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

/** CSV with a header row (csv-reader.ts); every value a string, rows as objects keyed by the header. */
export async function* readCsv(input: Readable): AsyncGenerator<SourceItem> {
  for await (const item of readCsvRows(input)) {
    yield 'cells' in item
      ? { row: item.row, line: item.line, value: csvObject(item.columns, item.cells) }
      : item;
  }
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
      return { row, line, value: JSON.parse(trimmed) as unknown };
    } catch (error) {
      return { row, line, malformed: `line ${line}: ${(error as Error).message}` };
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
