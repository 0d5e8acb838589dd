/**
 * Exports of the log, streamed in constant memory: the store is read a page at a time (keyset on seq)
 * and each page is written with backpressure, so memory does not grow with the size of the log.
 *
 * JSON Lines (`fsg.audit-export/v1`), one object per line:
 *   {"kind":"header", ...}        what was exported: filter, snapshot (upToSeq), complete or not
 *   {"kind":"entry","hash":…,…}   one per entry: the hash and every field of the hashed body
 *   {"kind":"checkpoint",…}       the signed checkpoints up to the snapshot
 *   {"kind":"end",…}              counts; its absence shows the file was cut
 * A complete export (no filter) can be verified offline like the database (`fsg audit verify --export`).
 * A partner DPO's export shows each entry as that partner sees it (views.ts): an entry cut down to its
 * partner's view carries `"redacted": [what was cut]` and no longer hashes to its `hash`; the verifier
 * counts such lines as not verifiable instead of failing them.
 *
 * CSV is for reading in a spreadsheet: one row per entry, cells that a spreadsheet would take for a
 * formula neutralised with a leading apostrophe.
 */
import fs from 'node:fs';
import readline from 'node:readline';
import type { Writable } from 'node:stream';
import type { KeyObject } from 'node:crypto';
import type { AuditStore } from '../store/port';
import { BODY_FIELDS, canonicalJson, entryFromBody } from './chain';
import type { AuditEntry, AuditQuery, StoredAuditEntry } from './types';
import type { RawAuditRow } from './verify';
import { verifyLog, verifyPartial, type LogVerifyReport, type PartialVerifyReport } from './verify-log';
import { CUT_TYPES, partnerFilter, viewOf, type PartiesOf } from './views';

export const EXPORT_TYPE = 'fsg.audit-export/v1';
export type ExportFormat = 'jsonl' | 'csv';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['jsonl', 'csv'];
export const CONTENT_TYPES: Record<ExportFormat, string> = {
  jsonl: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

export interface ExportFilter {
  from?: string;
  to?: string;
  partner?: string;
  /** The DPO's own partner when they see only their partner's entries. */
  scope?: string;
}

export interface ExportOptions {
  format: ExportFormat;
  filter: ExportFilter;
  /** The snapshot: entries up to this seq (the head when the export started). */
  upToSeq: number;
  exportedAt: string;
  pageSize?: number;
  /** Called after each page with the number of entries written so far (benchmarks). */
  onPage?: (entries: number) => void;
  /** Whose view the entries are shown in (views.ts), with the agreements' parties; absent: whole entries. */
  viewer?: { partner: string; partiesOf: PartiesOf };
}

export interface ExportResult {
  entries: number;
  checkpoints: number;
}

export const CSV_COLUMNS = [
  'seq',
  'ts',
  'type',
  'actor_user',
  'actor_partner',
  'partners',
  'request_id',
  'agreement_id',
  'outcome',
  'data',
  'prev_hash',
  'hash',
  'redacted',
] as const;

/** True when nothing narrows the export: it holds the whole log up to its snapshot. */
export function isComplete(filter: ExportFilter): boolean {
  return !filter.from && !filter.to && !filter.partner && !filter.scope;
}

/**
 * A cell as a spreadsheet will not run it: one starting with = + - @, a tab or a carriage return (or
 * their full-width forms) gets a leading apostrophe; then RFC 4180 quoting.
 */
export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvRow(stored: StoredAuditEntry, viewer: ExportOptions['viewer']): string {
  const body = view(entryFromBody(stored.body, stored.hash), viewer);
  const cells = [
    body.seq,
    body.ts,
    body.type,
    body.actorUser,
    body.actorPartner,
    (body.partners as string[]).join(';'),
    body.requestId,
    body.agreementId,
    body.outcome,
    JSON.stringify(body.data),
    body.prevHash,
    body.hash,
    (body.redacted ?? []).join(';'),
  ];
  return cells.map(csvCell).join(',') + '\r\n';
}

function view(entry: AuditEntry, viewer: ExportOptions['viewer']): AuditEntry & { redacted?: string[] } {
  return viewer ? viewOf(entry, viewer.partner, viewer.partiesOf) : entry;
}

/** The type written in a canonical body, found without parsing it (the last top-level key). */
const TYPE_OF = /,"type":"([^"\\]*)"}$/;

/**
 * An entry line: the hash, then the stored canonical body's fields as they are (no re-encoding); an entry
 * shown in a partner's view (only some types are cut) is re-encoded with what was cut named.
 */
function jsonLine(entry: StoredAuditEntry, viewer: ExportOptions['viewer']): string {
  const type = viewer && TYPE_OF.exec(entry.body)?.[1];
  if (type && CUT_TYPES.includes(type)) {
    const shown = view(entryFromBody(entry.body, entry.hash), viewer);
    if (shown.redacted) return canonicalJson({ kind: 'entry', ...shown }) + '\n';
  }
  return `{"kind":"entry","hash":"${entry.hash}",${entry.body.slice(1)}\n`;
}

export class ExportAborted extends Error {
  constructor() {
    super('the export output closed before the export ended');
    this.name = 'ExportAborted';
  }
}

/** Writes with backpressure: waits for 'drain' when the buffer is full; fails if the output goes away. */
export async function writeChunk(out: Writable, chunk: string): Promise<void> {
  if (out.destroyed || out.writableEnded) throw new ExportAborted();
  if (out.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const cleanup = () => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      out.off('error', onClose);
    };
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onClose = () => {
      cleanup();
      reject(new ExportAborted());
    };
    out.on('drain', onDrain);
    out.on('close', onClose);
    out.on('error', onClose);
  });
}

/** Streams the export to `out` (which it does not end). */
export async function writeExport(
  audit: Pick<AuditStore, 'queryStored' | 'checkpoints'>,
  out: Writable,
  options: ExportOptions,
): Promise<ExportResult> {
  const { format, filter, upToSeq } = options;
  const limit = options.pageSize ?? 1000;
  const query: AuditQuery = {
    maxSeq: upToSeq,
    ...(filter.scope ? { scopePartner: filter.scope } : {}),
    ...partnerFilter(filter.scope, filter.partner),
    ...(filter.from ? { from: filter.from } : {}),
    ...(filter.to ? { to: filter.to } : {}),
  };
  if (format === 'jsonl') {
    const header = {
      kind: 'header',
      type: EXPORT_TYPE,
      exportedAt: options.exportedAt,
      upToSeq,
      complete: isComplete(filter),
      filter: { ...filter },
    };
    await writeChunk(out, canonicalJson(header) + '\n');
  } else {
    await writeChunk(out, CSV_COLUMNS.join(',') + '\r\n');
  }

  let entries = 0;
  let after: number | undefined;
  for (;;) {
    const page = await audit.queryStored(query, { order: 'asc', after, limit });
    if (page.length === 0) break;
    let chunk = '';
    for (const entry of page)
      chunk += format === 'jsonl' ? jsonLine(entry, options.viewer) : csvRow(entry, options.viewer);
    await writeChunk(out, chunk);
    entries += page.length;
    options.onPage?.(entries);
    after = page[page.length - 1].seq;
    if (page.length < limit) break;
  }

  let checkpoints = 0;
  if (format === 'jsonl') {
    let afterSize = 0;
    for (;;) {
      const page = (await audit.checkpoints({ afterSize, limit, order: 'asc' })).filter(
        (c) => c.treeSize <= upToSeq,
      );
      if (page.length === 0) break;
      await writeChunk(out, page.map((c) => canonicalJson({ kind: 'checkpoint', ...c }) + '\n').join(''));
      checkpoints += page.length;
      afterSize = page[page.length - 1].treeSize;
      if (page.length < limit) break;
    }
    await writeChunk(out, canonicalJson({ kind: 'end', entries, checkpoints }) + '\n');
  }
  return { entries, checkpoints };
}

// ---------------------------------------------------------------------------------------------------
// Reading a JSON Lines export back for verification.

export interface ExportVerifyReport {
  ok: boolean;
  complete: boolean;
  header: Record<string, unknown> | null;
  /** Entry lines read. */
  entries: number;
  /** A complete export: the full verification. */
  log?: LogVerifyReport;
  /** A filtered export: each entry on its own, links where seqs follow each other. */
  partial?: PartialVerifyReport;
  /** What is wrong with the file itself (first line, a line that is not JSON, a missing end line). */
  fileProblem?: { line: number; seq: number; reason: string; message: string };
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** An entry line as the verifier's raw row: the body is rebuilt from the line's fields. */
export function rowFromLine(line: Record<string, unknown>): RawAuditRow {
  const keys = Object.keys(line)
    .filter((k) => k !== 'kind' && k !== 'hash' && k !== 'redacted')
    .sort();
  const expected = [...BODY_FIELDS].sort();
  let body: string | null = null;
  if (keys.length === expected.length && keys.every((k, i) => k === expected[i])) {
    const fields: Record<string, unknown> = {};
    for (const field of BODY_FIELDS) fields[field] = line[field];
    try {
      body = canonicalJson(fields);
    } catch {
      body = null;
    }
  }
  let partners: string | null;
  try {
    partners = Array.isArray(line.partners) ? canonicalJson(line.partners) : null;
  } catch {
    partners = null;
  }
  return {
    seq: typeof line.seq === 'number' ? line.seq : Number.NaN,
    ts: str(line.ts),
    type: str(line.type),
    actor_user: str(line.actorUser),
    actor_partner: str(line.actorPartner),
    partners,
    request_id: str(line.requestId),
    agreement_id: str(line.agreementId),
    outcome: str(line.outcome),
    body,
    prev_hash: str(line.prevHash),
    hash: str(line.hash),
    ...(line.redacted !== undefined
      ? { redacted: Array.isArray(line.redacted) ? line.redacted.map(String) : [String(line.redacted)] }
      : {}),
  };
}

function lines(file: string): AsyncIterable<string> {
  return readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
}

function parseLine(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies a JSON Lines export in two passes over the file (first the header, checkpoints and end
 * line, then the entries streamed through the verifier), so memory stays constant in the entries.
 */
export async function verifyExportFile(
  file: string,
  options: { publicKey: KeyObject; external?: unknown[]; allowNoCheckpoint?: boolean },
): Promise<ExportVerifyReport> {
  let header: Record<string, unknown> | null = null;
  let end: Record<string, unknown> | null = null;
  let entries = 0;
  let lastSeq: number | null = null;
  let lineNo = 0;
  let fileProblem: ExportVerifyReport['fileProblem'];
  const checkpoints: unknown[] = [];
  for await (const text of lines(file)) {
    lineNo++;
    if (text === '' && !fileProblem) continue;
    const line = parseLine(text);
    const problem = (reason: string, message: string) =>
      (fileProblem ??= { line: lineNo, seq: lastSeq === null ? 1 : lastSeq + 1, reason, message });
    if (!line) {
      problem('malformed', `line ${lineNo} is not a JSON object`);
      continue;
    }
    if (lineNo === 1) {
      if (line.kind !== 'header' || line.type !== EXPORT_TYPE)
        problem('malformed', `line 1 is not a ${EXPORT_TYPE} header`);
      header = line;
      continue;
    }
    if (end) problem('inserted', `line ${lineNo} follows the end line`);
    if (line.kind === 'entry') {
      entries++;
      if (typeof line.seq === 'number') lastSeq = line.seq;
    } else if (line.kind === 'checkpoint') {
      const { kind: _kind, ...checkpoint } = line;
      checkpoints.push(checkpoint);
    } else if (line.kind === 'end') {
      end = line;
    } else {
      problem('malformed', `line ${lineNo} is of unknown kind ${JSON.stringify(line.kind)}`);
    }
  }
  if (!header) {
    return {
      ok: false,
      complete: false,
      header: null,
      entries: 0,
      fileProblem: fileProblem ?? { line: 1, seq: 1, reason: 'malformed', message: 'the file is empty' },
    };
  }
  if (!end) {
    fileProblem ??= {
      line: lineNo + 1,
      seq: (lastSeq ?? 0) + 1,
      reason: 'truncated',
      message: `the export ends without its end line: it was cut after entry #${lastSeq ?? 0}`,
    };
  } else if (end.entries !== entries || end.checkpoints !== checkpoints.length) {
    fileProblem ??= {
      line: lineNo,
      seq: (lastSeq ?? 0) + 1,
      reason: 'malformed',
      message: `the end line counts ${String(end.entries)} entries and ${String(end.checkpoints)} checkpoints, the file holds ${entries} and ${checkpoints.length}`,
    };
  }

  if (
    header.complete === true &&
    Number.isSafeInteger(header.upToSeq) &&
    (lastSeq ?? 0) < (header.upToSeq as number)
  ) {
    fileProblem ??= {
      line: lineNo,
      seq: (lastSeq ?? 0) + 1,
      reason: 'truncated',
      message: `the header exports entries up to #${String(header.upToSeq)} but the last entry line is #${lastSeq ?? 0}`,
    };
  }

  async function* rows(): AsyncIterable<RawAuditRow> {
    for await (const text of lines(file)) {
      const line = parseLine(text);
      if (line?.kind === 'entry') yield rowFromLine(line);
    }
  }

  const complete = header.complete === true;
  // A file cut short has lost its checkpoint lines too: that is the finding, not a second one.
  if (fileProblem) options = { ...options, allowNoCheckpoint: true };
  if (complete) {
    const log = await verifyLog({ ...options, rows: rows(), checkpoints });
    return {
      ok: log.ok && !fileProblem,
      complete,
      header,
      entries,
      log,
      ...(fileProblem ? { fileProblem } : {}),
    };
  }
  const partial = await verifyPartial(rows(), { ...options, checkpoints });
  return {
    ok: partial.ok && !fileProblem,
    complete,
    header,
    entries,
    partial,
    ...(fileProblem ? { fileProblem } : {}),
  };
}
