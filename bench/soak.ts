/**
 * Soak: the real gateway in a child process (127.0.0.1, a temporary data folder, the demo partners,
 * `--records` records in boatreg-nl's vessels dataset, `--analysts` accredited police-nl analysts with
 * a token each, a daily quota no run reaches) under a mixed open-loop load for a bounded time:
 * lookups (most of it), detail requests, DPO reads of /audit/events and /audit/stats by the supervisor
 * DPO and two partner DPOs (police-nl, named by nearly every entry; insureco, named by few), and now
 * and then a responder's upsert of a `--upload-rows` boatreg-nl CSV. Per minute: requests, latency
 * percentiles per kind, failures (5xx, network errors, timeouts) and refusals (403/429) apart, the
 * gateway's RSS and heap, the log's entry count and the WAL's size. Prints tables at the end, writes
 * JSON to `--results` (bench/results/soak-<start>.json) and exits 1 when a request failed.
 *
 *   npm run soak -- [--minutes 10] [--rate 50] [--analysts 600] [--records 10000] [--upload-rows 2000]
 *   node dist/bench/soak.js …   (after npm run build)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/config/load';
import { generateBoatreg } from './generate-boatreg';
import { startChild } from './lib/child';
import { call, detailBody, lookupBody, uploadCsv, type BenchGateway } from './lib/gateway-calls';
import { failures, openLoop, summarise, type Outcome, type Summary } from './lib/open-loop';
import { hinOf } from './lib/records';
import { machine, MiB } from './lib/stats';

interface Settings {
  seconds: number;
  rate: number;
  analysts: number;
  records: number;
  uploadRows: number;
  results: string;
}

/** One request of the run: the i-th, started `at` ms into the load. */
interface Turn {
  gw: BenchGateway;
  i: number;
  at: number;
  random: () => number;
}

interface Kind {
  kind: string;
  /** Percent of requests (uploads too: they scale with the rate). */
  weight: number;
  send: (c: Turn) => Promise<Outcome>;
}

const DPOS = [
  ['supervisorDpo', 'gateway'],
  ['policeDpo', 'police-nl'],
  ['insurerDpo', 'insureco'],
] as const;

/** The mix: lookups (half hit a record), detail requests, each DPO's reads, now and then an upload. */
function mixOf(settings: Settings, uploadFile: string): Kind[] {
  const analyst = (c: Turn) => c.gw.tokens[c.i % c.gw.tokens.length];
  return [
    {
      kind: 'lookup',
      weight: 87.4,
      send: (c) =>
        call(c.gw.url, 'lookup', c.at, '/api/v1/lookups', {
          token: analyst(c),
          json: lookupBody(hinOf(Math.floor(c.random() * 2 * settings.records))),
        }),
    },
    {
      kind: 'detail',
      weight: 8,
      send: (c) =>
        call(c.gw.url, 'detail', c.at, '/api/v1/requests', {
          token: analyst(c),
          json: detailBody(hinOf(Math.floor(c.random() * settings.records))),
        }),
    },
    ...DPOS.flatMap(([dpo, partner]) =>
      (
        [
          ['events', 1, '/api/v1/audit/events?limit=100'],
          ['stats', 0.5, '/api/v1/audit/stats'],
        ] as const
      ).map(([what, weight, route]) => ({
        kind: `${what}:${partner}`,
        weight,
        send: (c: Turn) => call(c.gw.url, `${what}:${partner}`, c.at, route, { token: c.gw.staff[dpo] }),
      })),
    ),
    {
      kind: 'upload',
      weight: 0.1,
      send: (c) => uploadCsv(c.gw, c.at, uploadFile, 'upsert', 120_000),
    },
  ];
}

/** mulberry32: deterministic, so two runs send the same mix. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The first requests are one of each kind (a short run sees them all), then the mix at random. */
function chooser(mix: Kind[], random: () => number): (i: number) => Kind {
  const total = mix.reduce((sum, m) => sum + m.weight, 0);
  return (i) => {
    if (i < mix.length) return mix[i];
    let r = random() * total;
    for (const m of mix) if ((r -= m.weight) < 0) return m;
    return mix[0];
  };
}

interface Sample {
  /** Seconds since the load began. */
  at: number;
  rssMiB?: number;
  heapUsedMiB?: number;
  walMiB?: number;
  logEntries?: number;
}

/** The gateway's resident set now, from /proc (it answers even while the gateway's event loop is busy). */
function rssMiB(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

const walMiB = (storeFile: string) => {
  try {
    return fs.statSync(`${storeFile}-wal`).size / MiB;
  } catch {
    return 0;
  }
};

/** The log's entry count: the newest entry's seq, as the supervisor DPO reads it. */
async function logEntries(gw: BenchGateway): Promise<number | undefined> {
  const o = await call(gw.url, 'head', 0, '/api/v1/audit/events?limit=1', {
    token: gw.staff.supervisorDpo,
    timeoutMs: 10_000,
    keepText: true,
  });
  if (o.status !== 200) return undefined;
  return (JSON.parse(o.text!) as { items: { seq: number }[] }).items[0]?.seq ?? 0;
}

interface MinuteReport {
  minute: number;
  all: Summary;
  kinds: Record<string, Summary>;
  /** The largest RSS and heap seen in the minute, the WAL's largest size, the log at its end. */
  rssMiB?: number;
  heapUsedMiB?: number;
  walMiB?: number;
  logEntries?: number;
}

function byKind(outcomes: Outcome[]): Record<string, Summary> {
  const groups = new Map<string, Outcome[]>();
  for (const o of outcomes) {
    if (!groups.has(o.kind)) groups.set(o.kind, []);
    groups.get(o.kind)!.push(o);
  }
  return Object.fromEntries(
    [...groups].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, summarise(v)]),
  );
}

const largest = (values: (number | undefined)[]) =>
  values.reduce<number | undefined>((m, v) => (v === undefined ? m : Math.max(m ?? v, v)), undefined);

function minuteReports(outcomes: Outcome[], samples: Sample[], seconds: number): MinuteReport[] {
  const reports: MinuteReport[] = [];
  for (let minute = 0; minute * 60 < seconds; minute++) {
    const inMinute = outcomes.filter((o) => Math.floor(o.at / 60_000) === minute);
    const sampled = samples.filter((s) => Math.floor(s.at / 60) === minute);
    reports.push({
      minute: minute + 1,
      all: summarise(inMinute),
      kinds: byKind(inMinute),
      rssMiB: largest(sampled.map((s) => s.rssMiB)),
      heapUsedMiB: largest(sampled.map((s) => s.heapUsedMiB)),
      walMiB: largest(sampled.map((s) => s.walMiB)),
      logEntries: sampled
        .map((s) => s.logEntries)
        .filter((n) => n !== undefined)
        .pop(),
    });
  }
  return reports;
}

function table(header: string[], lines: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padStart(i === 0 ? 0 : widths[i]).padEnd(widths[i])).join(' | ')} |`;
  return [fmt(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(fmt)].join('\n');
}

const n = (value: number | undefined, digits = 0) =>
  value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);

function report(minutes: MinuteReport[], kinds: Record<string, Summary>): string {
  const perMinute = table(
    [
      'minute',
      'requests',
      'failed',
      'refused',
      'lookup p50',
      'lookup p99',
      'slowest p99',
      'RSS MiB',
      'heap MiB',
      'log entries',
      'WAL MiB',
    ],
    minutes.map((m) => {
      const slowest = Object.entries(m.kinds).sort(([, a], [, b]) => b.p99 - a.p99)[0];
      return [
        String(m.minute),
        String(m.all.count),
        String(m.all.errors + m.all.other),
        String(m.all.refused),
        `${n(m.kinds.lookup?.p50, 1)} ms`,
        `${n(m.kinds.lookup?.p99, 1)} ms`,
        slowest ? `${slowest[0]} ${n(slowest[1].p99)} ms` : '-',
        n(m.rssMiB),
        n(m.heapUsedMiB),
        n(m.logEntries),
        n(m.walMiB, 1),
      ];
    }),
  );
  const perKind = table(
    ['kind', 'count', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'failed', 'refused', 'statuses'],
    Object.entries(kinds).map(([kind, s]) => [
      kind,
      String(s.count),
      n(s.p50, 1),
      n(s.p95, 1),
      n(s.p99, 1),
      n(s.max, 1),
      String(s.errors + s.other),
      String(s.refused),
      Object.entries(s.statuses)
        .map(([status, count]) => `${status}×${count}`)
        .join(' '),
    ]),
  );
  return `\nPer minute (failed: 5xx, network errors, timeouts and unexpected 4xx; refused: 403/429):\n${perMinute}\n\nPer kind, the whole run:\n${perKind}\n`;
}

const OPTIONS = ['minutes', 'seconds', 'rate', 'analysts', 'records', 'upload-rows', 'results'];

function parseArgs(argv: string[]): Settings {
  for (let k = 0; k < argv.length; k += 2) {
    if (!OPTIONS.includes(argv[k].replace(/^--/, '')) || argv[k + 1] === undefined) {
      throw new Error(
        `usage: soak [--minutes 10] [--rate 50] [--analysts 600] [--records 10000] [--upload-rows 2000] [--results DIR]`,
      );
    }
  }
  const value = (name: string, fallback: number) => {
    const i = argv.indexOf(`--${name}`);
    if (i === -1) return fallback;
    const v = Number(argv[i + 1]);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} takes a positive number`);
    return v;
  };
  const i = argv.indexOf('--results');
  // --seconds (not in the usage): a few seconds' run for the smoke test.
  const seconds = argv.includes('--seconds') ? value('seconds', 5) : value('minutes', 10) * 60;
  // Tokens must outlive the run, and the setting safe allows an authentication 12 hours old at most.
  if (seconds > 600 * 60) throw new Error('--minutes: at most 600');
  return {
    seconds,
    rate: value('rate', 50),
    analysts: Math.round(value('analysts', 600)),
    records: Math.round(value('records', 10_000)),
    uploadRows: Math.round(value('upload-rows', 2_000)),
    results: i === -1 ? path.join(PROJECT_ROOT, 'bench', 'results') : path.resolve(argv[i + 1]),
  };
}

async function main(argv: string[]): Promise<number> {
  const settings = parseArgs(argv);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-soak-'));
  try {
    return await soak(settings, workDir);
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

async function soak(settings: Settings, workDir: string): Promise<number> {
  const log = (line: string) => void process.stderr.write(`${line}\n`);
  const startedAt = new Date();
  const uploadFile = path.join(workDir, 'upload.csv');
  await generateBoatreg({ rows: settings.uploadRows, out: uploadFile, seed: 11 });
  const gateway = startChild<BenchGateway>(
    ['gateway', workDir, String(settings.records), String(settings.analysts)],
    {
      logFile: path.join(workDir, 'gateway.log'),
      timeoutMs: 300_000,
      env: {
        BENCH_DAILY_QUOTA: '1000000',
        BENCH_TOKEN_TTL_SECONDS: String(Math.max(3600, Math.ceil(settings.seconds + 900))),
        BENCH_MEMORY_REPORT_MS: '1000',
      },
    },
  );
  let heapUsed: number | undefined;
  gateway.process.on('message', (m: { memory?: NodeJS.MemoryUsage }) => {
    if (m.memory) heapUsed = m.memory.heapUsed / MiB;
  });
  try {
    const gw = await gateway.first;
    const pid = gateway.process.pid!;
    log(
      `soak: ${settings.seconds} s at ${settings.rate} requests/s, ${settings.analysts} analysts, ` +
        `${settings.records} records, uploads of ${settings.uploadRows} rows; gateway ${gw.url} (pid ${pid})`,
    );
    const samples: Sample[] = [];
    const started = performance.now();
    const sampleNow = async () => {
      const sample: Sample = {
        at: (performance.now() - started) / 1000,
        rssMiB: rssMiB(pid),
        heapUsedMiB: heapUsed,
        walMiB: walMiB(gw.storeFile),
      };
      samples.push(sample);
      sample.logEntries = await logEntries(gw);
    };
    let sampling: Promise<void> | undefined;
    const sampler = setInterval(() => {
      // One at a time: a gateway that stalls is sampled when it answers.
      sampling ??= sampleNow().finally(() => (sampling = undefined));
    }, 5_000);
    await sampleNow();
    const random = prng(42);
    const mix = mixOf(settings, uploadFile);
    const choose = chooser(mix, random);
    let outcomes: Outcome[];
    try {
      outcomes = await openLoop(settings.rate, settings.seconds, (i, at) =>
        choose(i).send({ gw, i, at, random }),
      );
    } finally {
      clearInterval(sampler);
      await sampling;
    }
    await sampleNow();
    // The closing sample belongs to the last minute of load.
    samples[samples.length - 1].at = Math.min(samples[samples.length - 1].at, settings.seconds - 0.001);

    const minutes = minuteReports(outcomes, samples, settings.seconds);
    const kinds = byKind(outcomes);
    const total = summarise(outcomes);

    const result = {
      startedAt: startedAt.toISOString(),
      settings: { ...settings, mix: mix.map(({ kind, weight }) => ({ kind, weight })) },
      machine: machine(),
      total,
      kinds,
      minutes,
      samples,
      failures: failures(outcomes),
    };
    process.stdout.write(report(minutes, kinds));
    for (const [what, count] of Object.entries(result.failures))
      process.stdout.write(`failed: ${count}× ${what}\n`);
    fs.mkdirSync(settings.results, { recursive: true });
    const file = path.join(settings.results, `soak-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(
      `\n${total.count} requests, ${total.errors + total.other} failed, ${total.refused} refused; written to ${file}\n`,
    );
    return total.errors + total.other > 0 ? 1 : 0;
  } finally {
    await gateway.stop();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: Error) => {
      process.stderr.write(`soak: ${error.message}\n`);
      process.exitCode = 2;
    },
  );
}
