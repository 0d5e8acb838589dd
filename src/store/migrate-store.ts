/**
 * `fsg migrate-store`: a SQLite deployment moved into an empty PostgreSQL schema, its log verified
 * before and after. The log is copied row for row as stored, never appended again, so every entry keeps
 * its seq, time and hash and every checkpoint signed so far (and every receipt holding one) stays valid
 * for the copy. The state beside it is copied in the same transaction (postgres/import.ts): a failure
 * leaves the target as it was. The source is only read. The one entry written, at the end, is a
 * `store.migrate` entry appended to the copy through the normal append.
 *
 * Exit codes as the other commands: 0 migrated, 1 refused (a log that does not verify, a target that is
 * not empty, a copy that does not verify); bad input throws (exit 2).
 */
import fs from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { readPublicKeyFile } from '../audit/checkpoint';
import { logVerdict } from '../audit/verdict';
import { verifyLogFast } from '../audit/verify-fast';
import { verifyLogFile } from '../audit/verify-file';
import type { LogVerifyReport } from '../audit/verify-log';
import { describeStore, openLogReader, storeAt } from './log-reader';
import type { LogSource } from './port';
import { openPgStore } from './postgres';
import { importIntoPg, TargetNotEmptyError, type ImportSummary } from './postgres/import';
import { openSqliteCopySource } from './sqlite/copy-source';

export type Print = (line: string) => void;

export interface MigrateStoreCommand {
  /** The SQLite file of the deployment. */
  from: string;
  /** postgres://…[?schema=name] (default schema fsg). */
  to: string;
  /** The deployment's checkpoint public key (PEM file). */
  pubkey: string;
}

type PgTarget = Extract<LogSource, { kind: 'postgres' }>;

export async function runMigrateStore(opts: MigrateStoreCommand, print: Print): Promise<number> {
  const target = storeAt(opts.to);
  if (target.kind !== 'postgres') throw new Error('--to: a postgres://… URL');
  if (!fs.existsSync(opts.from)) throw new Error(`${opts.from}: no such database`);
  const publicKey = readPublicKeyFile(opts.pubkey);
  const source: LogSource = { kind: 'sqlite', file: opts.from };

  print(`verifying the source log ${describeStore(source)}`);
  const before = await verifySource(source, publicKey, print);
  if (!before) return 1;

  print(`copying into ${describeStore(target)}`);
  const copied = await copy(opts.from, target, before, print);
  if (!copied) return 1;

  print('verifying the copy');
  const copyLog = await openLogReader(target);
  const after = await verifyLogFile({ log: copyLog, checkpoints: copyLog.rawCheckpoints(), publicKey });
  const difference = compare(before, after);
  if (difference) {
    print(after.firstBroken ? logVerdict(after) : `the copy differs from the source: ${difference}`);
    print(
      `refused: the copy in schema ${target.schema} does not verify as the source did. The source is ` +
        `unchanged; drop the schema (DROP SCHEMA ${target.schema} CASCADE) and run again.`,
    );
    return 1;
  }

  const seq = await logMigration(target, before);
  printSummary(copied, before, print);
  print(`this migration is logged in the copy as entry #${seq}`);
  print(
    `done: set store.kind postgres, store.url and store.schema ${target.schema} (FSG_STORE_KIND, ` +
      'FSG_DATABASE_URL, FSG_DATABASE_SCHEMA), keep the data folder (keys, secrets), and start the gateway',
  );
  return 0;
}

/**
 * The source as `fsg audit verify` checks it (every row, the indexes and the stored tree, against the
 * checkpoints signed by `publicKey`); and, since the PostgreSQL log keeps its times in order from the
 * first entry, a log that does so only from a later one (schema version 11) is checked for that too.
 */
async function verifySource(
  source: LogSource,
  publicKey: KeyObject,
  print: Print,
): Promise<LogVerifyReport | undefined> {
  const log = await openLogReader(source);
  const report = await verifyLogFast({ log, checkpoints: log.rawCheckpoints(), publicKey, deep: true });
  if (report.firstBroken) {
    print(logVerdict(report));
    print(
      report.firstBroken.reason === 'no-checkpoint'
        ? 'refused: no checkpoint signs the source log yet (run `fsg audit checkpoint`); nothing was copied'
        : 'refused: the source log does not verify; nothing was copied',
    );
    return undefined;
  }
  print(
    `${report.entries} entries verified; head #${report.headSeq ?? 0} ${report.headHash ?? '-'}; ` +
      `${report.checkpoints.total} checkpoints (key ${report.checkpoints.keyId})`,
  );
  if ((log.timeOrder() ?? 1) > 1) {
    const ordered = await verifyLogFast({
      log: { ...log, timeOrder: () => 1 },
      checkpoints: log.rawCheckpoints(),
      publicKey,
      deep: true,
    });
    if (ordered.firstBroken) {
      print(logVerdict(ordered));
      print(
        'refused: entries from before this log kept its times in order go back in time; the PostgreSQL ' +
          'log keeps them in order from its first entry, so the copy would not verify; nothing was copied',
      );
      return undefined;
    }
  }
  return report;
}

/** The copy, from one snapshot of the source that must still be the log verified. */
async function copy(
  file: string,
  target: PgTarget,
  verified: LogVerifyReport,
  print: Print,
): Promise<ImportSummary | undefined> {
  const snapshot = openSqliteCopySource(file);
  try {
    const head = snapshot.head();
    if ((head?.seq ?? null) !== verified.headSeq || (head?.hash ?? null) !== verified.headHash) {
      print(
        'refused: the source log changed after it was verified (is a gateway still running on it?): ' +
          'stop the gateway and run again; nothing was copied',
      );
      return undefined;
    }
    return await importIntoPg({ connectionString: target.url, schema: target.schema }, snapshot);
  } catch (error) {
    if (error instanceof TargetNotEmptyError) {
      print(
        `refused: ${error.message}: migrate into an empty schema (a new name in ?schema=, or drop this ` +
          'one if it holds nothing you need); nothing was copied',
      );
      return undefined;
    }
    throw new Error(
      `the copy failed and was rolled back (the target schema is as it was): ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    snapshot.close();
  }
}

/** What differs between the source's report and the copy's (undefined: the same log). */
function compare(before: LogVerifyReport, after: LogVerifyReport): string | undefined {
  if (after.firstBroken) return 'it does not verify';
  if (after.entries !== before.entries) return `${after.entries} entries, not ${before.entries}`;
  if (after.headSeq !== before.headSeq || after.headHash !== before.headHash)
    return `head #${after.headSeq} ${after.headHash}, not #${before.headSeq} ${before.headHash}`;
  const [a, b] = [after.checkpoints, before.checkpoints];
  if (a.total !== b.total || a.matched !== b.matched)
    return `${a.matched} of ${a.total} checkpoints reproduced`;
  if (JSON.stringify(a.latest) !== JSON.stringify(b.latest)) return 'its newest checkpoint is another';
  return undefined;
}

/** The `store.migrate` entry, through the PostgreSQL store's own append; its seq. */
async function logMigration(target: PgTarget, verified: LogVerifyReport): Promise<number> {
  const store = await openPgStore({ connectionString: target.url, schema: target.schema });
  try {
    const [entry] = await store.audit.append([
      {
        type: 'store.migrate',
        actor: 'system',
        partners: [],
        outcome: 'ok',
        data: {
          from: 'sqlite',
          entries: verified.entries,
          headSeq: verified.headSeq,
          headHash: verified.headHash,
          checkpoints: verified.checkpoints.total,
        },
      },
    ]);
    return entry.seq;
  } finally {
    await store.close();
  }
}

function printSummary(copied: ImportSummary, verified: LogVerifyReport, print: Print): void {
  const latest = verified.checkpoints.latest;
  print(
    `log: ${copied.entries} entries, head #${verified.headSeq ?? 0} ${verified.headHash ?? '-'}, ` +
      `${copied.checkpoints} checkpoints (the newest signs ${latest?.treeSize ?? 0} entries), ` +
      `${copied.treeNodes} Merkle nodes: the copy verifies with the same key, head and checkpoints`,
  );
  print(
    `state: ${copied.accreditations} accreditations, ${copied.roleGrants} role grants, ` +
      `${copied.partnershipRecords} partnership records, ` +
      `${copied.requests} requests, ${copied.portalSessions} portal sessions`,
  );
  for (const d of copied.datasets) {
    print(`dataset ${d.providerId}/${d.datasetId}: ${d.records} records, ${d.uploads} uploads`);
  }
}
