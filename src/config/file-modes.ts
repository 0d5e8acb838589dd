/**
 * The data folder holds raw identifiers and owners' details (shared datasets, disclosures until they
 * expire) and the gateway's keys: only the gateway's own user may read it. New folders are made 0700
 * and files 0600 where they are created (here, config/secrets.ts, audit/checkpoint.ts, the SQLite
 * store, whose -wal and -shm files take the database file's mode); what an older gateway or an
 * operator left looser is tightened at start, and each change is logged by name relative to the
 * data folder (no path that could name a person).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../http/logger';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** What the gateway keeps in the data folder and in the database's folder that no one else may read. */
function privatePaths(dataDir: string, dbFile: string): string[] {
  const keys = path.join(dataDir, 'keys');
  return [
    dataDir,
    path.dirname(dbFile),
    keys,
    ...['identifier.key', 'pseudonym.key', 'checkpoint.key'].map((name) => path.join(keys, name)),
    ...['', '-wal', '-shm', '-journal'].map((suffix) => `${dbFile}${suffix}`),
  ];
}

const octal = (mode: number) => `0${(mode & 0o7777).toString(8)}`;

/** Makes the data folder (0700) if it is missing, and takes group and other access off what is there. */
export function secureDataDir(dataDir: string, dbFile: string, logger: Logger): void {
  const dir = path.resolve(dataDir);
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  for (const file of new Set(privatePaths(dir, path.resolve(dbFile)))) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      continue; // not made yet: it will be made private
    }
    const name = path.relative(dir, file) || '.';
    if ((stat.mode & 0o077) === 0) continue;
    // A shared folder such as /tmp (sticky) is not the gateway's to close.
    if (stat.isDirectory() && stat.mode & 0o1000) {
      logger.warn('data folder is shared; its files are private, the folder is left as it is', {
        file: name,
      });
      continue;
    }
    const mode = stat.mode & 0o7700;
    try {
      fs.chmodSync(file, mode);
      logger.warn('file mode tightened', { file: name, from: octal(stat.mode), to: octal(mode) });
    } catch (error) {
      logger.error('file mode could not be tightened', {
        file: name,
        mode: octal(stat.mode),
        error: (error as NodeJS.ErrnoException).code ?? 'unknown',
      });
    }
  }
}
