/** The built `fsg` command (dist/, `npm run build`) in a child process, on a data folder of the test's. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { TestGateway } from './gateway';

export const ROOT = path.resolve(__dirname, '../..');
export const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');

export function assertBuilt(): void {
  if (!fs.existsSync(CLI)) throw new Error('Build first: npm test runs `npm run build` before jest.');
}

/** Runs `fsg args…` with FSG_DATA_DIR = `dataDir()` (read at each run) and quiet logs. */
export function cliRunner(dataDir: () => string) {
  return (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const result = spawnSync(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, FSG_DATA_DIR: dataDir(), FSG_LOG_LEVEL: 'silent', ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
    const lines = result.stdout.trimEnd().split('\n');
    return { code: result.status, out: result.stdout, err: result.stderr, last: lines[lines.length - 1] };
  };
}

/**
 * Signs a checkpoint, closes the gateway and keeps a copy of its log and its public key in `dir` (what
 * a DPO or a partner runs `fsg audit` on); the gateway's data folder is removed.
 */
export async function keepSignedLog(gw: TestGateway, dir: string): Promise<{ db: string; pubkey: string }> {
  await gw.checkpointer.checkpoint();
  await gw.store.close();
  const db = path.join(dir, 'copy.sqlite');
  fs.copyFileSync(gw.dbFile, db);
  const pubkey = path.join(dir, 'checkpoint.pub.pem');
  fs.copyFileSync(path.join(gw.dataDir, 'keys', 'checkpoint.pub.pem'), pubkey);
  fs.rmSync(gw.dataDir, { recursive: true, force: true });
  return { db, pubkey };
}
