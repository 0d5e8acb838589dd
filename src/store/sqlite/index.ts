/** The default store: one SQLite file through better-sqlite3. */
import type { KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { verifyLogFast } from '../../audit/verify-fast';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../../config/file-modes';
import type { StatsZones } from '../../audit/stats';
import type { Store } from '../port';
import { createAccreditationRows, createAccreditations } from './accreditations';
import { createPartnership } from './partnership';
import { createAudit } from './audit';
import { openSqliteLogReader } from './audit-reader';
import type { DatasetScope } from './dataset-staging';
import { createDatasets, createLookups } from './datasets';
import { createGroupCommitter, type CommitInfo } from './group-commit';
import { startLookupWriter, type LookupWriter } from './lookup-writer';
import { startUploadThread, uploadThreadAvailable } from './upload-thread';
import { MIGRATIONS, migrate } from './migrations';
import { createPortalSessions } from './portal-sessions';
import { configureWriter } from './pragmas';
import { createRequests } from './requests';
import { createRoleGrants } from './role-grants';
import { processQuotas } from '../../quotas/daily-quotas';
import { memoryRateLimits } from '../rate-limits';
import { leaveCheckpointsToThread, startWalCheckpointer, type WalCheckpointer } from './wal-checkpointer';
import { createWriteTurns } from './write-turns';

export { openStoredTree, readRawAuditRows, readRawCheckpoints } from './audit-reader';
export { LATEST_VERSION, MIGRATIONS } from './migrations';
export type { CommitInfo } from './group-commit';
export { lookupWriterAvailable } from './lookup-writer';

export interface SqliteStoreOptions {
  /** Path of the database file (its folder is created), or ':memory:'. */
  file: string;
  /** Clock for audit timestamps and updatedAt; tests pin it. */
  now?: () => Date;
  /**
   * Called after each group commit (one transaction, one fsync, many writes), before any of its
   * writers hears back: tests and benchmarks count transactions with it.
   */
  onCommit?: (info: CommitInfo) => void;
  /** Most writes in one group transaction (default 1,000). */
  maxBatch?: number;
  /**
   * Each agreement's time zone (the bundle's), in which the DPO's statistics count days: the counts of
   * the log from before schema version 11 are made in them, and an agreement whose zone changed since
   * the last open is counted again now (audit-stats.ts). Absent: as the database last recorded.
   */
  statsZones?: StatsZones;
  /**
   * Where lookups (their row and log entry) are written: on this thread's connection (`inline`, the
   * default), or by a worker thread with a connection of its own (`worker`: the fsync of their
   * commits no longer blocks the event loop; lookup-writer.ts). `worker` needs the compiled build
   * (`lookupWriterAvailable()`) and a file, and takes its audit timestamps from the real clock.
   */
  lookupWriter?: 'inline' | 'worker';
  /**
   * With the lookup writer, the WAL is copied into the database by a thread (wal-checkpointer.ts); if
   * that thread fails, SQLite's own checkpoints take over and this is told (the gateway logs it).
   */
  onCheckpointerFailed?: (error: Error) => void;
  /**
   * Where an upload is appended, sorted and merged (dataset-staging.ts): a thread of its own for each
   * upload (`thread`, the default when compiled and on a file), or this thread's connection (`inline`).
   */
  uploadWriter?: 'thread' | 'inline';
}

/**
 * How long one transaction of an upload's thread may run. Short: a writer that waits for the lock
 * waits for the step's commit, which grows with the pages the step wrote (performance.md, "Uploads
 * beside the live dataset").
 */
const THREAD_BUDGET_MS = 3;

export function openSqliteStore(opts: SqliteStoreOptions): Store {
  const now = opts.now ?? (() => new Date());
  if (opts.file !== ':memory:' && !opts.file.startsWith('file:')) {
    // Raw identifiers live here: the folder 0700 and the file 0600 (SQLite gives -wal and -shm the
    // database file's mode), whatever the umask.
    fs.mkdirSync(path.dirname(path.resolve(opts.file)), { recursive: true, mode: PRIVATE_DIR_MODE });
    fs.closeSync(fs.openSync(opts.file, 'a', PRIVATE_FILE_MODE));
  }
  const db = new Database(opts.file);
  try {
    configureWriter(db);
    migrate(db, MIGRATIONS, { statsZones: opts.statsZones });
  } catch (err) {
    db.close();
    throw err;
  }

  // Writes waiting for the lookup writer's thread, which an upload step there gives way to.
  const waiting = createWriteTurns();
  // Every write goes through the group committer: concurrent writes share one transaction and one
  // fsync, and none is acknowledged before that transaction has committed.
  const group = createGroupCommitter(db, {
    waiting,
    maxBatch: opts.maxBatch,
    onCommit: opts.onCommit,
    memory: {
      save: () => audit.memory.save(),
      restore: (s) => audit.memory.restore(s),
      begin: () => audit.memory.begin(),
      beforeCommit: () => audit.memory.beforeCommit(),
      end: () => audit.memory.end(),
    },
  });
  const unit = group.run.bind(group) as <T>(fn: () => T) => Promise<T>;
  const audit = createAudit(db, now, unit);
  // Before the lookup writer starts: no write waits for a recount.
  if (opts.statsZones) {
    const zones = opts.statsZones;
    db.transaction(() => audit.stats.useZones(zones)).immediate();
  }
  const lookupReader = openLookupReader(opts.file);
  let lookupWriter: LookupWriter | undefined;
  let checkpointer: WalCheckpointer | undefined;
  if (opts.lookupWriter === 'worker') {
    if (!lookupReader) throw new Error('a lookup writer thread needs a database file');
    // The WAL is copied into the database by a thread of its own, not inside the writers' commits.
    checkpointer = startWalCheckpointer({
      file: opts.file,
      onFailed: (error) => {
        if (db.open) leaveCheckpointsToThread(db, false);
        opts.onCheckpointerFailed?.(error);
      },
    });
    leaveCheckpointsToThread(db);
    lookupWriter = startLookupWriter({
      file: opts.file,
      onCommit: opts.onCommit,
      onAppend: () => audit.notifyAppended(),
      checkpointSignal: checkpointer.signal,
      waiting,
    });
  }
  const accreditationRows = createAccreditationRows(db);
  // With the lookup writer, an upload's steps run on its thread too (dataset-staging.ts).
  const stagingDir = lookupReader ? openStagingDir(opts.file) : undefined;
  const stagingFileOf = (uploadId: string) =>
    stagingDir ? path.join(stagingDir, `${process.pid}-${uploadId}.db`) : ':memory:';
  const useThreads = stagingDir !== undefined && opts.uploadWriter !== 'inline' && uploadThreadAvailable();
  const datasets = createDatasets(db, audit.appendInTx, unit, {
    reader: lookupReader ?? db,
    ...(lookupReader ? { openStreamReader: () => openLookupReader(opts.file)! } : {}),
    stagingFileOf,
    waiting,
    ...(stagingDir
      ? {
          openConnection: () => {
            const connection = new Database(opts.file, { fileMustExist: true });
            configureWriter(connection);
            return connection;
          },
        }
      : {}),
    ...(useThreads
      ? {
          startWriter: (scope: DatasetScope, uploadId: string) =>
            startUploadThread({
              file: opts.file,
              stagingFile: stagingFileOf(uploadId),
              scope,
              waiting: waiting.buffer as SharedArrayBuffer,
              budgetMs: THREAD_BUDGET_MS,
            }),
        }
      : {}),
  });
  const requests = createRequests(db, audit.appendInTx, now, unit);
  const lookups = createLookups(db, audit.appendInTx, unit, lookupWriter);
  return {
    kind: 'sqlite',
    accreditations: createAccreditations(db, accreditationRows, audit.appendInTx, unit),
    roleGrants: createRoleGrants(db, accreditationRows, audit.appendInTx, unit),
    requests,
    datasets,
    lookups,
    // This process owns the database: the day's count is kept in memory, loaded once per key.
    quotas: processQuotas({ lookups, requests }, now),
    rateLimits: memoryRateLimits(),
    audit: lookupReader
      ? {
          ...audit.store,
          verifyAll: (key) => verifyOnThread(opts.file, key),
          ...(lookupWriter ? { checkpoint: (sign) => lookupWriter.checkpoint(sign) } : {}),
        }
      : audit.store,
    portalSessions: createPortalSessions(db, unit),
    partnership: createPartnership(db, audit.appendInTx, unit),
    async ping() {
      try {
        return db.prepare('SELECT 1 AS ok').get() !== undefined;
      } catch {
        return false;
      }
    },
    queueDepths: () => ({
      writer: group.pending,
      ...(lookupWriter ? { 'lookup-writer': lookupWriter.pending } : {}),
    }),
    async close() {
      // Sweeps of published uploads stop between steps; writes already asked for are committed (and
      // acknowledged) before the file closes.
      await datasets.close();
      if (db.open) group.flushNow();
      await lookupWriter?.close();
      await checkpointer?.close();
      if (lookupReader?.open) lookupReader.close();
      if (db.open) db.close();
    },
  };
}

/**
 * The folder of the uploads' staging files, beside the database (0700: they hold raw records). Files
 * of processes that are gone (an upload cut off by a crash) are removed; a live process's are its own.
 */
function openStagingDir(file: string): string {
  const dir = path.join(path.dirname(path.resolve(file)), 'staging');
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  for (const name of fs.readdirSync(dir)) {
    const pid = Number(name.split('-')[0]);
    const owned = Number.isSafeInteger(pid) && pid > 0 && (pid === process.pid || processAlive(pid));
    if (!owned) fs.rmSync(path.join(dir, name), { force: true });
  }
  return dir;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The DPO's "verify now": the parallel verifier on one worker thread (its own read-only connection), so
 * the event loop only joins the jobs' results and the second core stays with the requests. Entries
 * appended meanwhile are not part of this run; it covers the log as it was when it started.
 */
function verifyOnThread(file: string, publicKey: KeyObject) {
  const log = openSqliteLogReader(file);
  return verifyLogFast({ log, checkpoints: log.rawCheckpoints(), publicKey, deep: true, threads: 1 });
}

/**
 * A read-only connection for hit/no-hit lookups, the hot read over the largest table. Each lookup reads
 * the last committed state (WAL), which is all a lookup may see anyway: writes are acknowledged only
 * once committed. None for an in-memory database (another connection could not see it).
 *
 * It does not map the file into memory (mmap_size), though that spares a system call per page: in WAL
 * mode SQLite unmaps the whole file whenever another connection has committed since the last read, and
 * the gateway commits lookups hundreds of times a second, so every lookup remapped and faulted its
 * pages in again: slower per lookup in the HTTP benchmark, though faster with no writes at all
 * (docs/performance.md).
 */
/** A read-only connection to the store's file (lookups', and each stream of a dataset's records). */
function openLookupReader(file: string): Database.Database | undefined {
  if (file === ':memory:' || file.startsWith('file:')) return undefined;
  const reader = new Database(file, { readonly: true, fileMustExist: true });
  try {
    reader.pragma('busy_timeout = 5000');
    return reader;
  } catch (error) {
    reader.close();
    throw error;
  }
}
