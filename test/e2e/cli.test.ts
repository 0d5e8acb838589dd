/** The `fsg` command as a user runs it: the built CLI in a child process, on a temporary data folder. */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createTokenVerifier } from '../../src/auth/verifier';
import { loadBundle } from '../../src/policy/load';
import { boatRequest, createTestGateway, vesselAnswer } from '../helpers/gateway';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
let dataDir: string;

function fsg(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, FSG_DATA_DIR: dataDir, FSG_LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

beforeAll(() => {
  if (!fs.existsSync(CLI)) throw new Error('Build first: npm test runs `npm run build` before jest.');
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-cli-'));
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('fsg', () => {
  it.each([
    [[]],
    [['serve']],
    [['init']],
    [['token']],
    [['policy']],
    [['policy', 'check']],
    [['audit']],
    [['audit', 'verify']],
    [['map']],
  ])('prints help for %j', (args) => {
    const res = fsg([...args, '--help']);
    expect(res.code).toBe(0);
    expect(res.out).toMatch(/^Usage: fsg/);
  });

  it('policy check prints the digest of a valid bundle, and names file, path and reason of an invalid one', async () => {
    const ok = fsg(['policy', 'check']);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain(`digest: sha256:${(await loadBundle(path.join(ROOT, 'policies'))).digest}`);
    const broken = path.join(dataDir, 'bundle');
    fs.cpSync(path.join(ROOT, 'policies'), broken, { recursive: true });
    const file = path.join(broken, 'agreements', 'stolen-vehicles.yaml');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('retentionDays: 14', 'retentionDays: 400'));
    const bad = fsg(['policy', 'check', broken]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain(`${file}: /safes/output/retentionDays: must be <= 365`);
  });

  it('token prints a demo token the gateway accepts, and is refused outside demo mode', async () => {
    const res = fsg(['token', '--user', 'sven', '--ttl', '15m', '--mfa']);
    expect(res.code).toBe(0);
    const bundle = await loadBundle(path.join(ROOT, 'policies'));
    const verifier = createTokenVerifier({
      partners: bundle.partners,
      bundleDir: bundle.dir,
      audience: 'five-safes-gateway',
      clockSkewSeconds: 60,
      acceptDemoIssuers: true,
    });
    const identity = await verifier.verify(res.out.trim());
    expect(identity).toMatchObject({ userId: 'sven', partnerId: 'police-se', amr: ['pwd', 'otp'] });
    expect(identity.expiresAt - Date.now() / 1000).toBeLessThanOrEqual(15 * 60);
    const refused = fsg(['token', '--user', 'sven'], { FSG_DEMO: 'false' });
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/demo\.enabled is false/);
    expect(fsg(['token', '--user', 'mallory']).err).toMatch(/not a demo user/);
    expect(fsg(['token', '--user', 'anna', '--ttl', '3d']).err).toMatch(/at most 24h/);
  });

  it('stops on a bad configuration with the key and the problem in one line', () => {
    const res = fsg(['serve'], { FSG_PORT: '70000' });
    expect(res.code).toBe(2);
    expect(res.err.trim()).toBe('fsg: configuration: server.port: must be <= 65535');
  });

  it('audit verify passes on a lifecycle database and, after one row is altered with plain SQL, fails naming it', async () => {
    const gw = await createTestGateway();
    const anna = { Authorization: `Bearer ${await gw.token('anna')}` };
    const bram = { Authorization: `Bearer ${await gw.token('bram')}` };
    const id = (await gw.http.post('/api/v1/requests').set(anna).send(boatRequest())).body.id;
    const answer = await gw.http.post(`/api/v1/requests/${id}/answer`).set(bram).send(vesselAnswer());
    await gw.http
      .post(`/api/v1/requests/${id}/approve`)
      .set(bram)
      .send({ previewVersion: answer.body.previewVersion });
    const db = path.join(dataDir, 'copy.sqlite');
    const pubkey = path.join(dataDir, 'gateway.pub.pem');
    await gw.store.close();
    fs.copyFileSync(gw.dbFile, db);
    fs.copyFileSync(path.join(gw.dataDir, 'keys', 'checkpoint.pub.pem'), pubkey);
    fs.rmSync(gw.dataDir, { recursive: true, force: true });

    const ok = fsg(['audit', 'verify', '--db', db, '--pubkey', pubkey]);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^\d+ entries verified/);
    expect(ok.out).toMatch(/\nverdict: ok \(/);

    const sql = new Database(db);
    const disclosure = sql.prepare("SELECT seq FROM audit_log WHERE type = 'disclosure'").get() as {
      seq: number;
    };
    // The log refuses updates through the gateway's own connection; an attacker drops that guard first.
    sql.exec('DROP TRIGGER audit_log_no_update');
    sql
      .prepare(
        'UPDATE audit_log SET body = replace(body, \'"tlp":"AMBER"\', \'"tlp":"CLEAR"\') WHERE seq = ?',
      )
      .run(disclosure.seq);
    sql.close();
    const bad = fsg(['audit', 'verify', '--db', db, '--pubkey', pubkey]);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain(`verdict: FAILED at entry #${disclosure.seq}: hash-mismatch: `);
  });

  // A real process starts, the demo's datasets seeded first: its own waits are the limit, not jest's 5 s.
  it('serve starts on the configured port, answers, and shuts down cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [CLI, 'serve'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, FSG_DATA_DIR: dataDir, FSG_PORT: '0', FSG_LOG_LEVEL: 'silent' },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    try {
      // The banner ends with the curl line; wait for all of it.
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no start: ${out}`)), 20_000);
        child.stdout.on('data', () => {
          const match = /listening on (http:\/\/\S+)[\s\S]*curl .*\/api\/v1\/requests\n/.exec(out);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        });
      });
      expect(out).toContain('fsg token --user anna --mfa');
      // Every demo user is named, the legal contacts too (the list is the demo's file, not a copy).
      expect(out).toMatch(/demo user \(anna, tom, [^)]*\bada, ben, lotte, olof, ruben, joost, ivo\)/);
      // The portal's address is the first line.
      expect(out.split('\n')[0]).toBe(`Portal: ${url}/portal/`);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('SIGTERM: shutting down');
  }, 60_000);
});
