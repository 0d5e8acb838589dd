/**
 * The `fsg audit …` commands: verify (database or export), export, verify-receipt, checkpoint.
 * Each returns its exit code: 0 verified, 1 something does not verify; bad input throws (exit 2).
 */
import fs from 'node:fs';
import type { KeyObject } from 'node:crypto';
import type { Writable } from 'node:stream';
import { logTimestamp, TIMESTAMP_RULE } from '../http/timestamps';
import { openSqliteStore, readRawCheckpoints } from '../store/sqlite';
import { checkpointKeyFiles, loadOrCreateCheckpointKey, readPublicKey } from './checkpoint';
import { Checkpointer } from './checkpointer';
import { EXPORT_FORMATS, verifyExportFile, writeExport, type ExportFormat } from './export';
import { RECEIPT_TYPE, verifyReceipt } from './receipts';
import { verifyLogFast } from './verify-fast';
import type { LogVerifyReport } from './verify-log';

export type Print = (line: string) => void;

export interface VerifyCommand {
  /** A database file to verify; default: the configured store (and that run is logged). */
  db?: string;
  /** A JSON Lines export to verify instead of a database. */
  exportFile?: string;
  /** The gateway's checkpoint public key (PEM). Default for the configured store: its own. */
  pubkey?: string;
  /** Files holding a checkpoint, a receipt, or a list of checkpoints, kept outside the log. */
  checkpoints?: string[];
  /** Chain and Merkle roots only, without the deep checks of each row (verify-fast.ts). */
  fast?: boolean;
  configuredDb: string;
  dataDir: string;
}

function readKey(file: string): KeyObject {
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file}: cannot be read`);
  }
  return readPublicKey(pem, file);
}

/** Checkpoints from files: a checkpoint, a receipt (its checkpoint), or `{items: [...]}` / an array. */
function readExternal(files: string[]): unknown[] {
  const found: unknown[] = [];
  for (const file of files) {
    let value: unknown;
    try {
      value = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      throw new Error(`${file}: not a JSON file`);
    }
    const v = value as { type?: unknown; checkpoint?: unknown; items?: unknown };
    if (Array.isArray(value)) found.push(...(value as unknown[]));
    else if (v?.type === RECEIPT_TYPE) found.push(v.checkpoint);
    else if (Array.isArray(v?.items)) found.push(...v.items);
    else found.push(value);
  }
  return found;
}

function printCheckpoints(report: LogVerifyReport, print: Print): void {
  const c = report.checkpoints;
  for (const bad of c.invalid) print(`FAILED: checkpoint ${bad.treeSize ?? '?'}: ${bad.problem}`);
  if (c.total === 0) {
    print('checkpoints: none (entries cut off the end cannot be detected without one)');
    return;
  }
  const latest = c.latest!;
  print(
    `checkpoints: ${c.matched} of ${c.total} reproduced; the newest signs ${latest.treeSize} entries at ${latest.timestamp}`,
  );
  print(
    c.signaturesChecked
      ? `signatures checked with key ${c.keyId}`
      : 'signatures NOT checked: give --pubkey with the gateway key to check who signed them',
  );
  if (report.ok && report.unsigned > 0) {
    const what =
      report.unsigned === 1
        ? 'entry after the newest checkpoint is'
        : 'entries after the newest checkpoint are';
    print(`${report.unsigned} ${what} not under a signature yet`);
  }
}

type Break = { seq: number; reason: string; message: string };

function printLog(
  report: LogVerifyReport,
  print: Print,
  first: Break | undefined = report.firstBroken,
): void {
  if (first) {
    print(`FAILED at entry #${first.seq} (${first.reason}): ${first.message}`);
    print(`${Math.min(report.checked, first.seq - 1)} entries before it verified.`);
  } else {
    print(`ok: ${report.checked} entries verified; head #${report.headSeq ?? 0} ${report.headHash ?? '-'}`);
  }
  printCheckpoints(report, print);
}

export async function runVerify(opts: VerifyCommand, print: Print): Promise<number> {
  if (opts.db && opts.exportFile) throw new Error('give --db or --export, not both');
  const ownKey = checkpointKeyFiles(opts.dataDir).publicKeyFile;
  const live = !opts.db && !opts.exportFile;
  const keyFile = opts.pubkey ?? (live && fs.existsSync(ownKey) ? ownKey : undefined);
  const publicKey = keyFile ? readKey(keyFile) : undefined;
  const external = readExternal(opts.checkpoints ?? []);
  if (external.length > 0 && !publicKey)
    throw new Error('--checkpoint needs --pubkey to check who signed it');
  if (opts.fast && opts.exportFile) throw new Error('--fast verifies a database, not an export');

  if (opts.exportFile) {
    if (!fs.existsSync(opts.exportFile)) throw new Error(`${opts.exportFile}: no such file`);
    const result = await verifyExportFile(opts.exportFile, { publicKey, external });
    const breaks = [
      result.log?.firstBroken,
      result.partial?.firstBroken,
      result.fileProblem && {
        ...result.fileProblem,
        message: `${result.fileProblem.message} (line ${result.fileProblem.line})`,
      },
    ].filter((b): b is NonNullable<typeof b> => Boolean(b));
    breaks.sort((a, b) => a.seq - b.seq);
    if (result.log) {
      printLog(result.log, print, breaks[0]);
      if (result.ok) print(`complete export of ${result.entries} entries`);
    } else if (breaks[0]) {
      const b = breaks[0];
      print(`FAILED at entry #${b.seq} (${b.reason}): ${b.message}`);
    } else {
      const p = result.partial!;
      print(
        `ok: partial export: ${p.checked} entries verified one by one, ${p.linked} links between consecutive entries checked`,
      );
      print('a filtered export cannot show entries missing between those it holds: verify a complete one');
    }
    return result.ok ? 0 : 1;
  }

  const file = opts.db ?? opts.configuredDb;
  if (!fs.existsSync(file)) throw new Error(`${file}: no such database.`);
  const checkpoints = readRawCheckpoints(file);
  // Both runs use every core; the default one adds the deep checks (canonical form, columns, indexes).
  const report = await verifyLogFast({ file, checkpoints, external, publicKey, deep: !opts.fast });
  if (report.fellBack) print(`the parallel check stopped (${report.fellBack}); the full verifier ran:`);
  printLog(report, print);
  if (report.ok && report.scope === 'chain+merkle') {
    print(
      '--fast: hash chain and Merkle roots checked; NOT checked: canonical form of the bodies, the columns, ' +
        'and the partner and keyed-hash indexes that DPO filters use (run without --fast for those)',
    );
  }
  if (live) {
    // A verification run of the live log is itself logged.
    const store = openSqliteStore({ file });
    try {
      const [entry] = await store.audit.append([
        {
          type: 'audit.verify',
          actor: 'system',
          partners: [],
          outcome: report.ok ? 'ok' : 'failed',
          data: {
            via: 'cli',
            entries: report.entries,
            firstBroken: report.firstBroken
              ? { seq: report.firstBroken.seq, reason: report.firstBroken.reason }
              : null,
            checkpoints: report.checkpoints.total,
            ...(opts.fast ? { checks: report.scope } : {}),
          },
        },
      ]);
      print(`this run is logged as entry #${entry.seq}`);
    } finally {
      await store.close();
    }
  }
  return report.ok ? 0 : 1;
}

export interface ExportCommand {
  format: string;
  from?: string;
  to?: string;
  partner?: string;
  db: string;
  /** A file to write; default: standard output. */
  out?: string;
}

/** --from/--to through the one date reader (http/timestamps.ts); a bare date is midnight UTC. */
function isoOption(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const iso = logTimestamp(value, { allowDate: true });
  if (iso === undefined) throw new Error(`--${name}: ${TIMESTAMP_RULE} (or a date YYYY-MM-DD): ${value}`);
  return iso;
}

/** Streams an export to a file or stdout; the export is logged in the database first. */
export async function runExport(opts: ExportCommand, stdout: Writable, print: Print): Promise<number> {
  if (!EXPORT_FORMATS.includes(opts.format as ExportFormat)) {
    throw new Error(`--format must be one of ${EXPORT_FORMATS.join(', ')}`);
  }
  const format = opts.format as ExportFormat;
  if (opts.partner !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(opts.partner)) {
    throw new Error('--partner: not a partner id');
  }
  const filter = {
    ...(opts.from ? { from: isoOption('from', opts.from) } : {}),
    ...(opts.to ? { to: isoOption('to', opts.to) } : {}),
    ...(opts.partner ? { partner: opts.partner } : {}),
  };
  if (!fs.existsSync(opts.db)) throw new Error(`${opts.db}: no such database.`);
  const store = openSqliteStore({ file: opts.db });
  try {
    const upToSeq = (await store.audit.head())?.seq ?? 0;
    await store.audit.append([
      {
        type: 'audit.export',
        actor: 'system',
        partners: opts.partner ? [opts.partner] : [],
        outcome: 'started',
        data: { format, filter, scope: 'all', upToSeq, via: 'cli' },
      },
    ]);
    const out = opts.out ? fs.createWriteStream(opts.out, { mode: 0o600 }) : stdout;
    const result = await writeExport(store.audit, out, {
      format,
      filter,
      upToSeq,
      exportedAt: new Date().toISOString(),
    });
    if (opts.out) {
      await new Promise<void>((resolve, reject) => {
        out.once('error', reject);
        out.end(resolve);
      });
    }
    print(
      `exported ${result.entries} entries` +
        (format === 'jsonl' ? ` and ${result.checkpoints} checkpoints` : '') +
        ` (up to #${upToSeq})${opts.out ? ` to ${opts.out}` : ''}`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

export function runVerifyReceipt(file: string, pubkey: string, print: Print): number {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    throw new Error(`${file}: cannot be read`);
  }
  const result = verifyReceipt(bytes, readKey(pubkey));
  if (!result.ok) {
    print(`FAILED: ${result.problem}`);
    return 1;
  }
  print(
    `ok: entry #${result.seq} (${result.type}${result.requestId ? `, request ${result.requestId}` : ''}) is in the log`,
  );
  print(
    `proven against the tree of ${result.treeSize} entries signed at ${result.signedAt} by key ${result.keyId}`,
  );
  return 0;
}

/** Signs a checkpoint over the configured store now (the gateway does so on its own schedule too). */
export async function runCheckpoint(db: string, dataDir: string, print: Print): Promise<number> {
  if (!fs.existsSync(db)) throw new Error(`${db}: no such database.`);
  const store = openSqliteStore({ file: db });
  try {
    const checkpointer = new Checkpointer({
      store,
      signer: loadOrCreateCheckpointKey(dataDir),
      clock: () => new Date(),
      policy: { everyEntries: 1, everySeconds: 1 },
    });
    const checkpoint = await checkpointer.checkpoint();
    print(checkpoint ? JSON.stringify(checkpoint, null, 2) : 'the log is empty: nothing to sign');
    return 0;
  } finally {
    await store.close();
  }
}
