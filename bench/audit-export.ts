/**
 * Log export in constant memory: builds a log of N entries (default 1,000,000, shaped like real
 * decision and disclosure entries), then exports it as JSON Lines and as CSV, and verifies the JSON
 * Lines export, each in a fresh child process that samples its own memory as it goes. The figures in
 * docs/performance.md ("Log export") come from this script.
 *
 *   npx tsc -p tsconfig.json --outDir dist/bench-build
 *   node dist/bench-build/bench/audit-export.js [--entries 1000000] [--dir /tmp/fsg-bench] [--keep]
 *
 * (Built under dist/ so that node_modules is found.)
 *
 * Results are printed and written to bench/results/audit-export.json (run it from the project folder,
 * or give --results DIR). With --dir and --keep an existing database is reused.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Checkpointer } from '../src/audit/checkpointer';
import { createSigner, readPublicKey } from '../src/audit/checkpoint';
import { verifyExportFile, writeExport, type ExportFormat } from '../src/audit/export';
import type { AuditEventInput } from '../src/audit/types';
import { openSqliteStore } from '../src/store/sqlite';

interface Sample {
  entries: number;
  rssMiB: number;
  heapUsedMiB: number;
}

interface PhaseResult {
  phase: string;
  entries: number;
  seconds: number;
  bytes: number;
  peakRssMiB: number;
  /** The kernel's own peak (getrusage maxrss), whatever the sampling missed. */
  maxRssMiB: number;
  peakHeapUsedMiB: number;
  samples: Sample[];
}

const MiB = 1024 * 1024;
const PARTNERS = ['police-nl', 'police-se', 'boatreg-nl', 'autodealers-nl', 'insureco'];

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const hex = (n: number, salt: string) => crypto.createHash('sha256').update(`${salt}:${n}`).digest('hex');

/** Entries like the request flow writes: decisions with per-safe results, disclosures with digests. */
function event(i: number): AuditEventInput {
  const requester = PARTNERS[i % 2];
  const provider = PARTNERS[2 + (i % 3)];
  const base = {
    actor: { userId: `analyst-${i % 500}`, partnerId: requester },
    partners: [requester, provider],
    requestId: crypto.randomUUID(),
    agreementId: i % 2 ? 'stolen-boats' : 'stolen-vehicles',
  };
  if (i % 4 === 3) {
    return {
      ...base,
      type: 'disclosure',
      outcome: 'disclosed',
      data: {
        policyDigest: hex(1, 'policy'),
        purpose: 'stolen-property-investigation',
        caseRef: `NL-2026-${String(i % 1_000_000).padStart(6, '0')}`,
        recipients: [`analyst-${i % 500}`],
        recordDigests: [hex(i, 'r1'), hex(i, 'r2')],
        identifierHashes: [hex(i % 50_000, 'id')],
        subjectHashes: [hex(i % 80_000, 'subject')],
        fieldsReleased: ['identifier', 'objectType', 'status', 'make', 'model', 'owner.name'],
        pseudonymised: ['owner.name'],
        handling: { tlp: 'AMBER', conditions: ['No onward disclosure without the provider’s permission.'] },
        expiresAt: '2026-12-31T00:00:00.000Z',
      },
    };
  }
  const deny = i % 10 === 0;
  return {
    ...base,
    type: 'decision',
    outcome: deny ? 'deny' : 'permit',
    data: {
      policyDigest: hex(1, 'policy'),
      agreementVersion: 3,
      safes: Object.fromEntries(
        ['people', 'project', 'setting', 'data', 'output'].map((safe) => [
          safe,
          deny && safe === 'setting'
            ? { outcome: 'fail', codes: ['SETTING_MFA_REQUIRED'] }
            : { outcome: 'pass', codes: [] },
        ]),
      ),
      providerId: provider,
      datasetId: 'vessels',
      purpose: 'stolen-property-investigation',
      caseRef: `NL-2026-${String(i % 1_000_000).padStart(6, '0')}`,
      fields: ['identifier', 'objectType', 'status', 'make', 'model', 'owner.name'],
      identifierHashes: [hex(i % 50_000, 'id')],
      recordRefHashes: [],
    },
  };
}

async function build(file: string, entries: number): Promise<number> {
  const started = Date.now();
  const store = openSqliteStore({ file });
  const signer = createSigner(crypto.generateKeyPairSync('ed25519').privateKey);
  const checkpointer = new Checkpointer({
    store,
    signer,
    clock: () => new Date(),
    policy: { everyEntries: 1000, everySeconds: 300 },
  });
  const batch = 2000;
  for (let done = 0; done < entries; done += batch) {
    const n = Math.min(batch, entries - done);
    await store.audit.append(Array.from({ length: n }, (_, k) => event(done + k + 1)));
    // A checkpoint every 10,000 entries, as a busy gateway would sign them.
    if ((done + n) % 10_000 === 0 || done + n === entries) await checkpointer.checkpoint();
    if ((done + n) % 100_000 === 0) process.stderr.write(`built ${done + n} entries\n`);
  }
  await store.close();
  fs.writeFileSync(path.join(path.dirname(file), 'checkpoint.pub.pem'), signer.publicKeyPem);
  return (Date.now() - started) / 1000;
}

/** In the child: one phase, sampling memory every 100 ms and at each page. */
async function child(phase: string, db: string, out: string): Promise<void> {
  const samples: Sample[] = [];
  let entries = 0;
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
    return m;
  };
  const timer = setInterval(sample, 100);
  const started = process.hrtime.bigint();
  let nextMark = 0;
  const marks = [0.01, 0.1, 0.25, 0.5, 0.75, 1];
  const total = Number(process.env.BENCH_ENTRIES);
  const onPage = (n: number) => {
    entries = n;
    const m = sample();
    while (nextMark < marks.length && n >= marks[nextMark] * total) {
      samples.push({ entries: n, rssMiB: m.rss / MiB, heapUsedMiB: m.heapUsed / MiB });
      nextMark++;
    }
  };
  if (phase === 'verify-jsonl') {
    // The verifier streams too: sample it against the entries it has read.
    const pem = fs.readFileSync(path.join(path.dirname(db), 'checkpoint.pub.pem'), 'utf8');
    const report = await verifyExportFile(out, { publicKey: readPublicKey(pem) });
    entries = report.entries;
    if (!report.ok)
      throw new Error(
        `the export did not verify: ${JSON.stringify(report.log?.firstBroken ?? report.fileProblem)}`,
      );
    const m = sample();
    samples.push({ entries, rssMiB: m.rss / MiB, heapUsedMiB: m.heapUsed / MiB });
  } else {
    const format = phase.replace('export-', '') as ExportFormat;
    const store = openSqliteStore({ file: db });
    const upToSeq = (await store.audit.head())!.seq;
    const stream = fs.createWriteStream(out);
    await writeExport(store.audit, stream, {
      format,
      filter: {},
      upToSeq,
      exportedAt: new Date().toISOString(),
      onPage,
    });
    await new Promise<void>((resolve) => stream.end(resolve));
    await store.close();
  }
  clearInterval(timer);
  const result: PhaseResult = {
    phase,
    entries,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    bytes: fs.statSync(out).size,
    peakRssMiB: peakRss / MiB,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    peakHeapUsedMiB: peakHeap / MiB,
    samples,
  };
  process.stdout.write(JSON.stringify(result));
}

function runChild(phase: string, db: string, out: string, entries: number): PhaseResult {
  const res = spawnSync(process.execPath, [__filename, '--child', phase, '--db', db, '--out', out], {
    env: { ...process.env, BENCH_ENTRIES: String(entries) },
    encoding: 'utf8',
    maxBuffer: 16 * MiB,
  });
  if (res.status !== 0) throw new Error(`${phase} failed: ${res.stderr}`);
  return JSON.parse(res.stdout) as PhaseResult;
}

async function main(): Promise<void> {
  const phase = arg('child');
  if (phase) return child(phase, arg('db')!, arg('out')!);

  const entries = Number(arg('entries', '1000000'));
  const dir = arg('dir') ?? fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-bench-'));
  fs.mkdirSync(dir, { recursive: true });
  const db = path.join(dir, 'audit.sqlite');
  let buildSeconds = 0;
  if (!fs.existsSync(db)) buildSeconds = await build(db, entries);
  const jsonl = path.join(dir, 'export.jsonl');
  const csv = path.join(dir, 'export.csv');
  const phases = [
    runChild('export-jsonl', db, jsonl, entries),
    runChild('export-csv', db, csv, entries),
    runChild('verify-jsonl', db, jsonl, entries),
  ];
  const summary = {
    entries,
    buildSeconds,
    databaseMiB: fs.statSync(db).size / MiB,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}, ${os.cpus().length} CPU, ${Math.round(os.totalmem() / 1024 ** 3)} GiB`,
    phases,
  };
  for (const p of phases) {
    process.stdout.write(
      `${p.phase}: ${p.entries} entries, ${(p.bytes / MiB).toFixed(0)} MiB in ${p.seconds.toFixed(1)} s ` +
        `(${Math.round(p.entries / p.seconds)}/s); peak RSS ${p.maxRssMiB.toFixed(0)} MiB, ` +
        `peak heap ${p.peakHeapUsedMiB.toFixed(0)} MiB\n`,
    );
    for (const s of p.samples) {
      process.stdout.write(
        `  at ${s.entries}: RSS ${s.rssMiB.toFixed(0)} MiB, heap ${s.heapUsedMiB.toFixed(0)} MiB\n`,
      );
    }
  }
  const target = arg('results') ?? (fs.existsSync('package.json') ? path.resolve('bench', 'results') : dir);
  fs.mkdirSync(target, { recursive: true });
  fs.writeFileSync(path.join(target, 'audit-export.json'), JSON.stringify(summary, null, 2) + '\n');
  if (!process.argv.includes('--keep')) fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exitCode = 1;
});
