/**
 * `fsg audit verify-consistency old.json new.json`: a partner's DPO keeps a signed checkpoint and later
 * checks that the newest one extends it, with the proof from a file or fetched from the gateway. A
 * checkpoint of a rewritten log (validly signed), a smaller new tree and a bad signature all fail.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { assertBuilt, CLI, ROOT } from '../helpers/cli';
import { createTestGateway, type TestGateway } from '../helpers/gateway';

let gw: TestGateway;
let server: http.Server;
let url: string;
let dir: string;
let token: string;
const file = (name: string, value: unknown) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return p;
};
const files: Record<string, string> = {};
let oldCheckpoint: { treeSize: number; headHash: string; timestamp: string };
let newCheckpoint: { treeSize: number; headHash: string; timestamp: string; signature: string };

const notes = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    type: 'note',
    actor: 'system' as const,
    partners: [],
    data: { i },
  }));

beforeAll(async () => {
  assertBuilt();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-consistency-'));
  gw = await createTestGateway();
  token = await gw.token('dana');
  await gw.store.audit.append(notes(5));
  oldCheckpoint = (await gw.checkpointer.checkpoint())!;
  await gw.store.audit.append(notes(7));
  newCheckpoint = (await gw.checkpointer.checkpoint())!;
  const res = await gw.http
    .get(`/api/v1/audit/checkpoints/consistency?from=${oldCheckpoint.treeSize}&to=${newCheckpoint.treeSize}`)
    .set({ Authorization: `Bearer ${token}` });
  expect(res.status).toBe(200);
  files.old = file('old.json', oldCheckpoint);
  files.new = file('new.json', newCheckpoint);
  files.proof = file('proof.json', res.text);
  files.pubkey = path.join(gw.dataDir, 'keys', 'checkpoint.pub.pem');
  server = http.createServer(gw.handler).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await gw.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The CLI without blocking this process: it may ask this process's gateway for the proof. */
function fsg(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, FSG_DATA_DIR: path.join(dir, 'data'), FSG_LOG_LEVEL: 'silent', ...env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => void (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => void (err += c.toString()));
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, out, err })),
  );
}

const check = (oldFile: string, newFile: string, ...how: string[]) =>
  fsg(['audit', 'verify-consistency', oldFile, newFile, '--pubkey', files.pubkey, ...how], {
    FSG_TOKEN: token,
  });

describe('fsg audit verify-consistency', () => {
  it('passes for a real later checkpoint, with the proof from a file or from the gateway', async () => {
    for (const how of [
      ['--proof', files.proof],
      ['--gateway', url],
    ]) {
      const res = await check(files.old, files.new, ...how);
      expect(res.out).toMatch(
        new RegExp(
          `^ok: the tree of ${newCheckpoint.treeSize} entries signed at .* extends the tree of ${oldCheckpoint.treeSize} entries\n`,
        ),
      );
      expect(res.code).toBe(0);
    }
  }, 30_000);

  it('fails for a validly signed checkpoint of a rewritten log', async () => {
    const forged = gw.checkpointer.signer.sign(
      {
        treeSize: newCheckpoint.treeSize,
        rootHash: crypto.createHash('sha256').update('another history').digest('hex'),
        headHash: newCheckpoint.headHash,
      },
      newCheckpoint.timestamp,
    );
    const res = await check(files.old, file('forged.json', forged), '--proof', files.proof);
    expect(res.code).toBe(1);
    expect(res.out).toMatch(/^FAILED: the tree of \d+ entries does not extend the tree of \d+ entries/);
  }, 30_000);

  it('fails for a smaller new tree and for a bad signature', async () => {
    const smaller = await check(files.new, files.old, '--proof', files.proof);
    expect(smaller.code).toBe(1);
    expect(smaller.out).toMatch(/^FAILED: the new checkpoint signs \d+ entries, fewer than/);

    const s = newCheckpoint.signature;
    const badSignature = { ...newCheckpoint, signature: (s[0] === '0' ? '1' : '0') + s.slice(1) };
    const bad = await check(files.old, file('bad-signature.json', badSignature), '--proof', files.proof);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/^FAILED: the new checkpoint: checkpoint of size \d+: bad signature/);
  }, 30_000);

  it('fails with a clear message when the gateway refuses the proof', async () => {
    const res = await fsg(
      ['audit', 'verify-consistency', files.old, files.new, '--pubkey', files.pubkey, '--gateway', url],
      { FSG_TOKEN: await gw.token('anna') },
    );
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/^fsg: the gateway refused the proof \(403\)/);
  }, 30_000);
});
