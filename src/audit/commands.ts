/**
 * The `fsg audit …` commands: verify (database or export), export, verify-receipt, verify-consistency,
 * checkpoint.
 * Each returns its exit code: 0 verified, 1 something does not verify; bad input throws (exit 2).
 */
import fs from 'node:fs';
import type { KeyObject } from 'node:crypto';
import type { Writable } from 'node:stream';
import { logTimestamp, TIMESTAMP_RULE } from '../http/timestamps';
import { NO_PROGRESS, type Progress } from '../runtime/progress';
import { openLogReader, openStore, storeAt } from '../store/open';
import type { LogSource } from '../store/port';
import { checkpointKeyFiles, keyIdOf, loadOrCreateCheckpointKey, readPublicKeyFile } from './checkpoint';
import { Checkpointer } from './checkpointer';
import { checkConsistency } from './consistency';
import { EXPORT_FORMATS, verifyExportFile, writeExport, type ExportFormat } from './export';
import { RECEIPT_TYPE, REDACTED_RECEIPT_TYPE, verifyReceipt } from './receipts';
import { failedVerdict, logVerdict, type Finding } from './verdict';
import { verifyLogFast, type FastVerifyReport } from './verify-fast';
import { verifyTail } from './verify-file';
import type { LogVerifyReport, PartialVerifyReport } from './verify-log';

export type Print = (line: string) => void;

export interface VerifyCommand {
  /** A SQLite file or a postgres:// URL to verify; default: the configured store (and that run is logged). */
  db?: string;
  /** A JSON Lines export to verify instead of a database. */
  exportFile?: string;
  /** The gateway's checkpoint public key (PEM) to pin. Default: the configured gateway's own. */
  pubkey?: string;
  /** Files holding a checkpoint, a receipt, or a list of checkpoints, kept outside the log. */
  checkpoints?: string[];
  /** Chain and Merkle roots only, without the deep checks of each row (verify-fast.ts). */
  fast?: boolean;
  /** Pass a log with entries and no checkpoint at all (it fails otherwise). */
  allowNoCheckpoint?: boolean;
  /** The configured store, verified when `db` is not given. */
  configured?: LogSource;
  /** The configured data folder, whose keys/checkpoint.pub.pem is the default key. */
  dataDir: string;
  /** Entries checked so far, of a database (a terminal's progress line). */
  progress?: Progress;
}

/** A SQLite file must exist (opening would create it); a PostgreSQL database is reached when opened. */
function mustExist(source: LogSource): void {
  if (source.kind === 'sqlite' && !fs.existsSync(source.file))
    throw new Error(`${source.file}: no such database.`);
}

/** The key signatures are checked with: the one pinned, else the configured gateway's own; never none. */
function verifyingKey(opts: VerifyCommand): { key: KeyObject; source: string } {
  if (opts.pubkey)
    return { key: readPublicKeyFile(opts.pubkey), source: `pinned with --pubkey ${opts.pubkey}` };
  const own = checkpointKeyFiles(opts.dataDir).publicKeyFile;
  if (!fs.existsSync(own)) {
    throw new Error(
      `no key to check the checkpoints' signatures with: give --pubkey key.pem (the configured gateway's own, ${own}, does not exist)`,
    );
  }
  return { key: readPublicKeyFile(own), source: `the configured gateway's own, ${own}` };
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
    else if (v?.type === RECEIPT_TYPE || v?.type === REDACTED_RECEIPT_TYPE) found.push(v.checkpoint);
    else if (Array.isArray(v?.items)) found.push(...v.items);
    else found.push(value);
  }
  return found;
}

function printCheckpoints(c: LogVerifyReport['checkpoints'], print: Print): void {
  for (const bad of c.invalid) print(`refused: checkpoint ${bad.treeSize ?? '?'}: ${bad.problem}`);
  if (c.latest) {
    print(
      `checkpoints: ${c.matched} of ${c.total} reproduced; the newest signs ${c.latest.treeSize} entries at ${c.latest.timestamp}`,
    );
  } else {
    print('checkpoints: none valid (entries cut off the end cannot be detected without one)');
  }
}

/** What was checked, then `before` (more lines), then, last, the one verdict. */
function printLog(
  report: Omit<LogVerifyReport, 'firstBroken'> & { firstBroken?: Finding },
  key: string,
  print: Print,
  before?: () => void,
): void {
  if (report.firstBroken) print(`${report.checked} entries verified before entry #${report.firstBroken.seq}`);
  else print(`${report.checked} entries verified; head #${report.headSeq ?? 0} ${report.headHash ?? '-'}`);
  printCheckpoints(report.checkpoints, print);
  print(`signatures checked with key ${report.checkpoints.keyId} (${key})`);
  if (!report.firstBroken && report.unsigned > 0) {
    print(
      `${report.unsigned} ${report.unsigned === 1 ? 'entry is' : 'entries are'} after the newest checkpoint: not under a signature yet`,
    );
  }
  before?.();
  print(logVerdict(report));
}

function printPartial(p: PartialVerifyReport, keyId: string, key: string, print: Print): void {
  print(
    `partial export: ${p.checked} entries verified one by one, ${p.linked} links between consecutive entries checked`,
  );
  if (p.redacted > 0) {
    print(
      `${p.redacted} ${p.redacted === 1 ? 'entry is' : 'entries are'} shown redacted (a partner's view: other partners' data cut out): ` +
        "their bodies cannot be checked against their hashes; ask the requester's or the supervisor's DPO for a complete export",
    );
  }
  print('a filtered export cannot show entries missing between those it holds: verify a complete one');
  print(`${p.checkpoints} checkpoints; signatures checked with key ${keyId} (${key})`);
  print(
    `verdict: ok (partial export: ${p.checked} entries verified, ${p.redacted} redacted and not verifiable, ${p.checkpoints} checkpoints)`,
  );
}

export async function runVerify(opts: VerifyCommand, print: Print): Promise<number> {
  if (opts.db && opts.exportFile) throw new Error('give --db or --export, not both');
  if (opts.fast && opts.exportFile) throw new Error('--fast verifies a database, not an export');
  const live = !opts.db && !opts.exportFile;
  const { key: publicKey, source } = verifyingKey(opts);
  const external = readExternal(opts.checkpoints ?? []);
  const strictness = { publicKey, external, allowNoCheckpoint: opts.allowNoCheckpoint === true };

  if (opts.exportFile) {
    if (!fs.existsSync(opts.exportFile)) throw new Error(`${opts.exportFile}: no such file`);
    const result = await verifyExportFile(opts.exportFile, strictness);
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
      printLog({ ...result.log, ...(breaks[0] ? { firstBroken: breaks[0] } : {}) }, source, print, () =>
        print(`${result.complete ? 'complete' : 'partial'} export of ${result.entries} entries`),
      );
    } else if (breaks[0]) {
      print(failedVerdict(breaks[0]));
    } else {
      printPartial(result.partial!, keyIdOf(publicKey), source, print);
    }
    return result.ok ? 0 : 1;
  }

  const at = opts.db !== undefined ? storeAt(opts.db) : opts.configured;
  if (!at) throw new Error('no database to verify: give --db');
  mustExist(at);
  const log = await openLogReader(at);
  const checkpoints = log.rawCheckpoints();
  // Both runs use every core; the default one adds the deep checks (canonical form, columns, indexes, tree).
  const progress = opts.progress ?? NO_PROGRESS;
  const report = await verifyLogFast({
    log,
    checkpoints,
    ...strictness,
    deep: !opts.fast,
    onProgress: (checked, total) => progress.update(checked, total),
  }).finally(() => progress.end());
  if (report.fellBack) print(`the parallel check stopped (${report.fellBack}); the full verifier ran:`);
  if (!report.firstBroken && report.scope === 'chain+merkle') {
    print(
      '--fast: hash chain and Merkle roots checked; NOT checked: canonical form of the bodies, the columns, ' +
        'the partner and keyed-hash indexes that DPO filters use, the order of the times that their ' +
        'periods rely on, the stored Merkle tree that proofs and checkpoints are computed from, and the ' +
        "stored counts of the DPO's statistics (run without --fast for those)",
    );
  }
  // A verification run of the live log is itself logged.
  const logged = live ? await logVerifyRun(at, report, opts.fast === true) : undefined;
  printLog(report, source, print, () => {
    if (report.statistics && !report.statistics.mismatch) {
      print(`statistics: the ${report.statistics.counts} stored counts are what the entries make`);
    }
    if (logged !== undefined) print(`this run is logged as entry #${logged}`);
  });
  return report.ok ? 0 : 1;
}

async function logVerifyRun(source: LogSource, report: FastVerifyReport, fast: boolean): Promise<number> {
  const store = await openStore(source);
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
          ...(fast ? { checks: report.scope } : {}),
          ...(report.statistics?.mismatch ? { statistics: 'mismatch' } : {}),
        },
      },
    ]);
    return entry.seq;
  } finally {
    await store.close();
  }
}

export interface ExportCommand {
  format: string;
  from?: string;
  to?: string;
  partner?: string;
  /** The store: a SQLite file or a PostgreSQL database (storeAt). */
  db: LogSource;
  /** A file to write; default: standard output. */
  out?: string;
  /** Entries written so far (a terminal's progress line). */
  progress?: Progress;
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
  mustExist(opts.db);
  const store = await openStore(opts.db);
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
    const progress = opts.progress ?? NO_PROGRESS;
    // Of a whole log the entries are the seqs up to upToSeq; a filtered one's count is not known ahead.
    const total = Object.keys(filter).length === 0 ? upToSeq : undefined;
    const result = await writeExport(store.audit, out, {
      format,
      filter,
      upToSeq,
      exportedAt: new Date().toISOString(),
      onPage: (entries) => progress.update(entries, total),
    }).finally(() => progress.end());
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
  const result = verifyReceipt(bytes, readPublicKeyFile(pubkey));
  if (!result.ok) {
    print(`FAILED: ${result.problem}`);
    return 1;
  }
  print(
    result.redacted
      ? `ok: entry #${result.seq} is in the log; its body is withheld from this view (${result.redacted.cut.join(', ')} cut), its leaf hash is ${result.redacted.leafHash}`
      : `ok: entry #${result.seq} (${result.type}${result.requestId ? `, request ${result.requestId}` : ''}) is in the log`,
  );
  print(
    `proven against the tree of ${result.treeSize} entries signed at ${result.signedAt} by key ${result.keyId}`,
  );
  return 0;
}

/**
 * Signs a checkpoint over the configured store now (the gateway does so on its own schedule too), after
 * the check the gateway makes at start-up: nothing is signed over entries that do not verify since the
 * newest checkpoint. A log without any checkpoint is signed: asking is the deliberate act.
 */
export async function runCheckpoint(source: LogSource, dataDir: string, print: Print): Promise<number> {
  mustExist(source);
  const signer = loadOrCreateCheckpointKey(dataDir);
  const store = await openStore(source);
  try {
    const log = await openLogReader(source, 'tail');
    const tail = await verifyTail({ log, publicKey: signer.publicKey, allowNoCheckpoint: true });
    if (!tail.ok) {
      print(
        'nothing signed: the entries since the newest checkpoint do not verify (fsg audit verify names why)',
      );
      print(failedVerdict(tail.firstBroken!));
      return 1;
    }
    const checkpointer = new Checkpointer({
      store,
      signer,
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

export interface ConsistencyCommand {
  oldFile: string;
  newFile: string;
  pubkey: string;
  /** A file holding the proof: the gateway's consistency answer (`{proof: [...]}`) or a list of hashes. */
  proofFile?: string;
  /** Else the gateway to ask for it (GET /api/v1/audit/checkpoints/consistency), with a DPO's token. */
  gateway?: string;
  token?: string;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new Error(`${file}: not a JSON file`);
  }
}

/** A checkpoint file: the checkpoint itself, or a receipt holding one. */
function checkpointIn(value: unknown): unknown {
  const v = value as { type?: unknown; checkpoint?: unknown } | null;
  return v?.type === RECEIPT_TYPE || v?.type === REDACTED_RECEIPT_TYPE ? v.checkpoint : value;
}

async function fetchProof(opts: ConsistencyCommand, from: unknown, to: unknown): Promise<unknown> {
  if (!opts.token) throw new Error('--gateway needs a DPO token in FSG_TOKEN (audit:read)');
  const url = new URL('/api/v1/audit/checkpoints/consistency', opts.gateway);
  url.searchParams.set('from', String(from));
  url.searchParams.set('to', String(to));
  let res: globalThis.Response;
  try {
    res = await fetch(url, { headers: { Authorization: `Bearer ${opts.token}` } });
  } catch {
    throw new Error(`${url.origin}: the gateway cannot be reached`);
  }
  const body = (await res.json().catch(() => ({}))) as { proof?: unknown; title?: unknown; detail?: unknown };
  if (!res.ok) {
    throw new Error(
      `the gateway refused the proof (${res.status}): ${String(body.detail ?? body.title ?? '')}`,
    );
  }
  return body.proof;
}

/** `fsg audit verify-consistency old.json new.json`: 0 when the new checkpoint extends the old one. */
export async function runVerifyConsistency(opts: ConsistencyCommand, print: Print): Promise<number> {
  if (Boolean(opts.proofFile) === Boolean(opts.gateway)) {
    throw new Error(
      'give the proof with --proof <file> or ask the gateway with --gateway <url>, one of them',
    );
  }
  const older = checkpointIn(readJson(opts.oldFile)) as { treeSize?: unknown } | null;
  const newer = checkpointIn(readJson(opts.newFile)) as { treeSize?: unknown } | null;
  const publicKey = readPublicKeyFile(opts.pubkey);
  let proof: unknown;
  if (opts.proofFile) {
    const value = readJson(opts.proofFile) as { proof?: unknown };
    proof = Array.isArray(value) ? value : value?.proof;
  } else {
    proof = await fetchProof(opts, older?.treeSize, newer?.treeSize);
  }
  const result = checkConsistency(older, newer, proof, publicKey);
  if (!result.ok) {
    print(`FAILED: ${result.problem}`);
    return 1;
  }
  print(
    `ok: the tree of ${result.newSize} entries signed at ${result.newSignedAt} extends the tree of ${result.oldSize} entries`,
  );
  print(`both checkpoints signed by key ${result.keyId}`);
  return 0;
}
