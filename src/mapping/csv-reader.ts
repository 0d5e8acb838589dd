/**
 * The CSV reader: a byte stream in, one item per row out (its cells, or why it could not be read),
 * each with the line an editor shows for it. Every line after the header is accounted for: a blank
 * line is no row; a row is one line, or several when a quoted field holds a line break; a record that
 * cannot be read makes its first line a row of its own (quarantined) and the reading goes on at the
 * line after it. So rows read = the header's following lines, less blank lines, less the extra lines
 * of records whose quoted fields hold line breaks.
 *
 * The dialect is csv-parse's with CSV_OPTIONS (RFC 4180: commas, double quotes, "" inside quotes, a
 * UTF-8 BOM, LF or CRLF line ends), nothing relaxed: a well-formed file gives the rows csv-parse gives.
 *
 * Why not csv-parse itself: with skip_records_with_error it drops a record with a bad quote but cannot
 * tell where that record ends (its documentation says so), so after `"Accord"x` it read on inside the
 * quote and swallowed the rows after it; and it cannot be restarted at a given line. Finding where a
 * broken record ends takes a quote-aware line splitter, which is most of a CSV parser: this one also
 * splits the fields, in the same pass.
 */
import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import type { SourceItem } from './readers';

/** A CSV data row: its cells, the header's names (one array per file) and its first line in the file. */
export interface CsvRow {
  row: number;
  line: number;
  cells: string[];
  columns: string[];
}

export type CsvItem = SourceItem | CsvRow;

/**
 * The dialect, as csv-parse's options: what the reader reads like csv-parse on a well-formed file
 * (the tests hold it to that; bench/child.ts runs csv-parse alone with them as the mapping's baseline).
 */
export const CSV_OPTIONS = {
  bom: true,
  // Files mix line ends more often than one would hope (an edited export): both are row ends.
  record_delimiter: ['\r\n', '\n'],
  skip_empty_lines: true,
  skip_records_with_error: true,
};

/**
 * The most characters a record whose quoted field runs on over several lines may hold: a quote that
 * is not closed by then is taken as a broken one (the lines kept to read again stay bounded).
 */
export const MAX_RUN_ON_CHARS = 1024 * 1024;

/** Quarantine codes of the CSV reader (a field count that is not the header's stays ROW_MALFORMED). */
export const CSV_CODES = {
  MALFORMED_QUOTE: 'CSV_MALFORMED_QUOTE',
  INVALID_ENCODING: 'CSV_INVALID_ENCODING',
  HEADER_MALFORMED: 'CSV_HEADER_MALFORMED',
  FIELD_COUNT: 'ROW_MALFORMED',
} as const;

export async function* readCsvRows(input: Readable): AsyncGenerator<CsvItem> {
  const records = new CsvRecords();
  const splitter = new LineSplitter(records);
  try {
    for await (const chunk of input as AsyncIterable<Buffer | string>) {
      splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      for (const item of records.take()) yield item;
    }
    splitter.end();
    records.end();
    for (const item of records.take()) yield item;
  } finally {
    if (!input.destroyed) input.destroy();
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

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const COMMA = 0x2c;

/** A physical line: its number (1-based), text without the LF, whether an LF ended it, whether its bytes were UTF-8. */
interface Line {
  no: number;
  text: string;
  ended: boolean;
  utf8: boolean;
}

interface LineSink {
  line(text: string, ended: boolean, utf8: boolean): void;
}

/** Cuts bytes into lines at LF (never inside a UTF-8 character) and decodes them, marking those that are not UTF-8. */
class LineSplitter {
  private partial: Buffer[] = [];

  constructor(private readonly sink: LineSink) {}

  push(chunk: Buffer): void {
    const last = chunk.lastIndexOf(LF);
    if (last === -1) {
      if (chunk.length > 0) this.partial.push(chunk);
      return;
    }
    let whole = chunk.subarray(0, last + 1);
    if (this.partial.length > 0) {
      this.partial.push(whole);
      whole = Buffer.concat(this.partial);
      this.partial = [];
    }
    this.lines(whole);
    if (last + 1 < chunk.length) this.partial.push(chunk.subarray(last + 1));
  }

  /** The last line, when the input does not end with a line end. */
  end(): void {
    if (this.partial.length === 0) return;
    const rest = Buffer.concat(this.partial);
    this.partial = [];
    this.sink.line(rest.toString('utf8'), false, isUtf8(rest));
  }

  /** Whole lines (the bytes end with an LF): decoded at once when they are all UTF-8, the usual case. */
  private lines(bytes: Buffer): void {
    if (isUtf8(bytes)) {
      const text = bytes.toString('utf8');
      for (let start = 0, lf = text.indexOf('\n'); lf !== -1; start = lf + 1, lf = text.indexOf('\n', start))
        this.sink.line(text.slice(start, lf), true, true);
      return;
    }
    for (let start = 0, lf = bytes.indexOf(LF); lf !== -1; start = lf + 1, lf = bytes.indexOf(LF, start)) {
      const line = bytes.subarray(start, lf);
      this.sink.line(line.toString('utf8'), true, isUtf8(line));
    }
  }
}

/** What is wrong with a record, found while reading the last of its lines so far. */
type Problem =
  | { kind: 'after-quote'; column: number; char: string }
  | { kind: 'stray-quote'; column: number }
  | { kind: 'not-closed'; column: number; atEnd: boolean }
  | { kind: 'fields'; count: number }
  | { kind: 'encoding' };

/** A line scanned: the record ends on it, or runs on (a quoted field holds the line break), or is broken. */
type Scan = { cells: string[] } | { cells: string[]; quoted: string } | { problem: Problem };

/** A record whose quoted field runs on past its first line: its lines so far, cells, and that field. */
interface RunOn {
  lines: Line[];
  cells: string[];
  quoted: string;
  /** The field whose quote opened on the first line. */
  column: number;
  chars: number;
}

/** Lines in, rows out (`take`): records, the header, and the rule that a broken record is its first line. */
class CsvRecords implements LineSink {
  private ready: CsvItem[] = [];
  private lineCount = 0;
  private row = 0;
  private columns: string[] | undefined;
  private headerLine = 0;
  /** Why the header could not be read (no row can be read then). */
  private headerProblem: string | undefined;
  private runOn: RunOn | undefined;

  take(): CsvItem[] {
    const items = this.ready;
    if (items.length > 0) this.ready = [];
    return items;
  }

  line(text: string, ended: boolean, utf8: boolean): void {
    const no = ++this.lineCount;
    // A UTF-8 BOM is not part of the first line.
    const own = no === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    this.read([{ no, text: own, ended, utf8 }]);
  }

  /** The end of the input: a quote still open there was never closed. */
  end(): void {
    while (this.runOn) {
      const { lines, column } = this.runOn;
      this.read(this.fail(lines, { kind: 'not-closed', column, atEnd: true }));
    }
  }

  /** Reads lines in order, and again those after the first line of a record that turned out broken. */
  private read(lines: Line[]): void {
    const todo = lines.reverse();
    for (let line = todo.pop(); line !== undefined; line = todo.pop()) {
      const again = this.step(line);
      if (again) for (let i = again.length - 1; i >= 0; i--) todo.push(again[i]!);
    }
  }

  /** One line; returns the lines to read again when it showed the record it is part of to be broken. */
  private step(line: Line): Line[] | undefined {
    const runOn = this.runOn;
    if (runOn === undefined) {
      // A blank line is no row (inside a quoted field it is part of the field).
      if (line.text === '' || (line.ended && line.text === '\r')) return undefined;
      if (!line.utf8) return this.fail([line], { kind: 'encoding' });
      return this.settle([line], scanLine(line.text, line.ended));
    }
    runOn.lines.push(line);
    if (!line.utf8) return this.fail(runOn.lines, { kind: 'encoding' });
    runOn.chars += line.text.length;
    return this.settle(runOn.lines, scanLine(line.text, line.ended, runOn));
  }

  private settle(lines: Line[], scan: Scan): Line[] | undefined {
    if ('problem' in scan) return this.fail(lines, scan.problem);
    if ('quoted' in scan) {
      if (this.runOn === undefined) {
        const column = scan.cells.length;
        this.runOn = { lines, cells: scan.cells, quoted: scan.quoted, column, chars: lines[0]!.text.length };
      } else {
        this.runOn.quoted = scan.quoted;
      }
      if (this.runOn.chars <= MAX_RUN_ON_CHARS) return undefined;
      return this.fail(lines, { kind: 'not-closed', column: this.runOn.column, atEnd: false });
    }
    const { cells } = scan;
    if (this.columns !== undefined && cells.length !== this.columns.length)
      return this.fail(lines, { kind: 'fields', count: cells.length });
    this.runOn = undefined;
    const first = lines[0]!.no;
    if (this.columns !== undefined) {
      this.ready.push({ row: ++this.row, line: first, cells, columns: this.columns });
    } else if (this.headerProblem === undefined) {
      this.columns = cells;
      this.headerLine = first;
    } else {
      this.ready.push({
        row: ++this.row,
        line: first,
        malformed: `line ${first}: not read: the header (line ${this.headerLine}) could not be read: ${this.headerProblem}`,
        code: CSV_CODES.HEADER_MALFORMED,
        field: null,
      });
    }
    return undefined;
  }

  /**
   * The record of `lines` is broken: its first line becomes a row of its own (quarantined; or, for the
   * header, the reason no row can be read), and the lines after it are to be read again on their own.
   */
  private fail(lines: Line[], problem: Problem): Line[] {
    const runOn = this.runOn;
    this.runOn = undefined;
    const first = lines[0]!.no;
    const last = lines[lines.length - 1]!.no;
    const what = this.describe(problem);
    const text =
      runOn && problem.kind !== 'not-closed'
        ? `the quote opened in field ${this.fieldName(runOn.column)} runs on to line ${last}, where ${what}; the lines after line ${first} are read on their own`
        : what;
    if (this.columns === undefined && this.headerProblem === undefined) {
      this.headerProblem = text;
      this.headerLine = first;
    } else {
      const column = runOn ? runOn.column : 'column' in problem ? problem.column : undefined;
      this.ready.push({
        row: ++this.row,
        line: first,
        malformed: `line ${first}: ${text}`,
        code: codeOf(problem),
        field: column !== undefined && this.columns ? (this.columns[column] ?? null) : null,
      });
    }
    return lines.slice(1);
  }

  private describe(problem: Problem): string {
    switch (problem.kind) {
      case 'after-quote':
        return `a closing quote in field ${this.fieldName(problem.column)} is followed by ${JSON.stringify(problem.char)}, not by a comma or the end of the line`;
      case 'stray-quote':
        return `field ${this.fieldName(problem.column)} holds a quote but does not start with one`;
      case 'not-closed':
        return `the quote opened in field ${this.fieldName(problem.column)} is not closed ${problem.atEnd ? 'by the end of the file' : `within ${MAX_RUN_ON_CHARS} characters`}`;
      case 'fields':
        return `the record has ${problem.count} fields, the header (line ${this.headerLine}) ${this.columns!.length}`;
      case 'encoding':
        return 'the line is not valid UTF-8';
    }
  }

  /** A field by its header name when there is one, else by its number. */
  private fieldName(column: number): string {
    const name = this.columns?.[column];
    return name === undefined ? String(column + 1) : JSON.stringify(name);
  }
}

function codeOf(problem: Problem): string {
  if (problem.kind === 'fields') return CSV_CODES.FIELD_COUNT;
  if (problem.kind === 'encoding') return CSV_CODES.INVALID_ENCODING;
  return CSV_CODES.MALFORMED_QUOTE;
}

/**
 * One line of a record: from its start, or (`from`) inside the quoted field that ran on into it.
 * Strict, as csv-parse is without its relax options: a quote opens a field only as its first
 * character, and a closing quote is followed by a comma or the line's end.
 */
function scanLine(text: string, ended: boolean, from?: { cells: string[]; quoted: string }): Scan {
  const n = text.length;
  // Outside quotes, the CR of a CRLF line end is not data (a CR anywhere else is).
  const stop = ended && n > 0 && text.charCodeAt(n - 1) === CR ? n - 1 : n;
  // Most lines have no quote at all.
  if (from === undefined && text.indexOf('"') === -1) {
    return { cells: (stop === n ? text : text.slice(0, stop)).split(',') };
  }
  const cells = from ? from.cells : [];
  let quoted = from?.quoted;
  let i = 0;
  for (;;) {
    if (quoted !== undefined) {
      // Inside quotes, up to the closing one ("" stands for a quote).
      let start = i;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q === -1) {
          if (!ended) return { problem: { kind: 'not-closed', column: cells.length, atEnd: true } };
          // The line break is the field's.
          return { cells, quoted: `${quoted}${text.slice(start)}\n` };
        }
        if (text.charCodeAt(q + 1) === QUOTE) {
          quoted += text.slice(start, q + 1);
          i = q + 2;
          start = i;
          continue;
        }
        quoted += text.slice(start, q);
        i = q + 1;
        break;
      }
      cells.push(quoted);
      quoted = undefined;
      if (i === stop) return { cells };
      if (text.charCodeAt(i) !== COMMA)
        return { problem: { kind: 'after-quote', column: cells.length - 1, char: text[i]! } };
      i++;
    }
    // The start of a field.
    if (i < stop && text.charCodeAt(i) === QUOTE) {
      quoted = '';
      i++;
      continue;
    }
    let end = text.indexOf(',', i);
    if (end === -1 || end > stop) end = stop;
    const cell = text.slice(i, end);
    if (cell.indexOf('"') !== -1) return { problem: { kind: 'stray-quote', column: cells.length } };
    cells.push(cell);
    if (end === stop) return { cells };
    i = end + 1;
  }
}
