/**
 * The WAL checkpointer (wal-checkpointer.ts): a thread copies the WAL into the database beside a
 * writer whose own autocheckpoint is only a safety net, the writer finishes each copy between its
 * transactions, and the WAL then starts again from its beginning instead of growing. Compiled build
 * (a worker thread cannot load TypeScript): `npm test` builds it first.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type * as CheckpointerModule from '../../src/store/sqlite/wal-checkpointer';

const COMPILED = path.resolve(__dirname, '../../dist/src/store/sqlite/wal-checkpointer.js');
if (!fs.existsSync(COMPILED)) throw new Error(`${COMPILED} is missing: run npm run build first`);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const compiled = require(COMPILED) as typeof CheckpointerModule;
const { checkpointFinisher, leaveCheckpointsToThread, startWalCheckpointer } = compiled;
const { SQLITE_AUTOCHECKPOINT_PAGES, WAL_SAFETY_PAGES } = compiled;

let dir: string;
let file: string;
let db: Database.Database;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-checkpointer-'));
  file = path.join(dir, 'store.db');
  db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  leaveCheckpointsToThread(db);
});

afterEach(() => {
  if (db.open) db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The WAL header's checkpoint sequence number: SQLite adds one each time the WAL starts again. */
function walRestarts(): number {
  const header = Buffer.alloc(32);
  const fd = fs.openSync(`${file}-wal`, 'r');
  try {
    fs.readSync(fd, header, 0, 32, 0);
  } finally {
    fs.closeSync(fd);
  }
  return header.readUInt32BE(12);
}

const PAGE = 4096;
const insert = () => db.prepare<[string]>('INSERT INTO t (body) VALUES (?)');
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** `commits` transactions of 8 rows of a page each, a turn of the event loop between them. */
async function write(commits: number, between: () => void): Promise<number> {
  const row = insert();
  const body = 'x'.repeat(PAGE);
  for (let i = 0; i < commits; i++) {
    db.transaction(() => {
      for (let j = 0; j < 8; j++) row.run(body);
    }).immediate();
    between();
    await tick();
  }
  return commits * 8;
}

describe('WAL checkpointer thread', () => {
  it('sets the writer’s own autocheckpoint to the safety net', () => {
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(WAL_SAFETY_PAGES);
  });

  it('copies the WAL beside the writer, which then starts it again instead of letting it grow', async () => {
    let rounds = 0;
    const checkpointer = startWalCheckpointer({ file, everyMs: 5, onCopied: (n) => (rounds = n) });
    try {
      const finish = checkpointFinisher(db, checkpointer.signal);
      const rows = await write(600, finish);
      expect(rounds).toBeGreaterThan(3);
      // Over 4,800 pages were written, under the safety net's 10,000: only the thread and the finisher
      // could have let the WAL start again, and the file stays a fraction of what went through it.
      expect(walRestarts()).toBeGreaterThanOrEqual(3);
      expect(fs.statSync(`${file}-wal`).size).toBeLessThan((rows * PAGE) / 2);
    } finally {
      await checkpointer.close();
    }
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 4800 });
    db.close();
    const reopened = new Database(file, { readonly: true });
    try {
      expect(reopened.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(reopened.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 4800 });
    } finally {
      reopened.close();
    }
  });

  it('when the thread fails, tells so, and the writer goes back to SQLite’s own checkpoints', async () => {
    let failed: Error | undefined;
    // A file that is not there: the thread's connection cannot open.
    const checkpointer = startWalCheckpointer({
      file: path.join(dir, 'missing.db'),
      everyMs: 5,
      onFailed: (error) => (failed = error),
    });
    const finish = checkpointFinisher(db, checkpointer.signal);
    for (let i = 0; i < 200 && !failed; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(failed?.message).toMatch(/SQLITE_CANTOPEN/);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(WAL_SAFETY_PAGES);
    finish();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(SQLITE_AUTOCHECKPOINT_PAGES);
    await checkpointer.close();
  });

  it('stops when closed, and a second close is the same', async () => {
    let failed = false;
    const checkpointer = startWalCheckpointer({ file, everyMs: 5, onFailed: () => (failed = true) });
    const first = checkpointer.close();
    expect(checkpointer.close()).toBe(first);
    await first;
    expect(failed).toBe(false);
    // Its connection is closed: this one is the last, and closing it removes the WAL.
    db.close();
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
  });
});
