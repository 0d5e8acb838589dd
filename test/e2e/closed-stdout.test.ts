/**
 * `fsg … | head`: a reader that closes stdout early ends the command quietly, with its usual status,
 * and no EPIPE error or stack trace.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertBuilt, CLI, ROOT, keepSignedLog } from '../helpers/cli';
import { createTestGateway } from '../helpers/gateway';

let dir: string;
let db: string;
let pubkey: string;

beforeAll(async () => {
  assertBuilt();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-closed-stdout-'));
  const gw = await createTestGateway();
  // Far more than a pipe's buffer (64 KiB): the export must write after the reader has gone.
  const notes = Array.from({ length: 2000 }, (_, i) => ({
    type: 'note',
    actor: 'system' as const,
    partners: [],
    data: { i },
  }));
  await gw.store.audit.append(notes);
  ({ db, pubkey } = await keepSignedLog(gw, dir));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs `fsg args…`, closes its stdout after `lines` lines have been read, and waits for its end. */
function runClosingAfter(args: string[], lines: number) {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, FSG_DATA_DIR: path.join(dir, 'data'), FSG_LOG_LEVEL: 'silent' },
  });
  let out = '';
  let err = '';
  const close = () => child.stdout.destroy();
  if (lines === 0) close();
  else
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.split('\n').length > lines) close();
    });
  child.stderr.on('data', (chunk: Buffer) => void (err += chunk.toString()));
  return new Promise<{ code: number | null; signal: string | null; out: string; err: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, out, err })),
  );
}

describe('fsg with its stdout closed early', () => {
  it('export | head -1 ends quietly with status 0', async () => {
    const res = await runClosingAfter(['audit', 'export', '--db', db, '--format', 'jsonl'], 1);
    expect(res.out.split('\n')[0]).toMatch(/^\{/);
    expect({ code: res.code, signal: res.signal, err: res.err }).toEqual({ code: 0, signal: null, err: '' });
  }, 30_000);

  it('verify with its stdout closed ends quietly with its verdict status', async () => {
    const res = await runClosingAfter(['audit', 'verify', '--db', db, '--pubkey', pubkey], 0);
    expect({ code: res.code, signal: res.signal, err: res.err }).toEqual({ code: 0, signal: null, err: '' });
  }, 30_000);
});
