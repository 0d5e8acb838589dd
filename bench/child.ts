/**
 * What the benchmarks run in a process of their own (so that the load generator and the measured
 * code do not share one event loop, and memory is the child's own):
 *
 *   node child.js gateway <workDir> <records> <analysts>  the real gateway (startGateway) on 127.0.0.1:0
 *     (env: BENCH_DAILY_QUOTA, the stolen-boats quota per user, default 1,000; BENCH_TOKEN_TTL_SECONDS,
 *     default 3,600; BENCH_MEMORY_REPORT_MS: report process.memoryUsage() over IPC this often;
 *     FSG_STORE_KIND, FSG_DATABASE_URL, FSG_DATABASE_SCHEMA: its store, SQLite in workDir by default;
 *     BENCH_SEED=0: the store was seeded by another instance, with the same workDir, so the same
 *     checkpoint key)
 *   node child.js express <bodyBytes>            a bare express 5 endpoint answering a fixed JSON body
 *   node child.js map <csvFile>                  `fsg map --adapter boatreg-nl <csvFile> --out /dev/null`
 *   node child.js csv-parse <csvFile>            csv-parse alone, same options as the CSV reader
 *
 * Servers report {url, tokens?, staff?, storeFile?} over the IPC channel and stop on "stop" or when the parent goes away.
 * The others print one JSON line with their figures and exit.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Accreditation } from '../src/records/accreditation';
import type { LogSource } from '../src/store/port';

// Each mode loads only what it runs (a child that parses CSV need not load the gateway).

/**
 * This process's peak resident set, MiB: VmHWM from /proc/self/status where there is one. Not
 * getrusage's maxrss, which on Linux keeps the high-water mark of the parent across fork and exec
 * (a child of a large parent would report the parent's size).
 */
function peakRssMiB(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}

/** Reports to the parent; `last`: then lets go of the channel, so the process can end. */
function send(message: unknown, last = false): void {
  if (!process.send) {
    process.stdout.write(`${JSON.stringify(message)}\n`);
    return;
  }
  process.send(message, () => {
    if (last) process.disconnect();
  });
}

/** Stops on "stop" from the parent, or when the parent's channel closes (it died). */
function onStop(stop: () => Promise<void>): void {
  let stopping = false;
  const go = () => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('message', (m) => m === 'stop' && go());
  process.on('disconnect', go);
  process.on('SIGTERM', go);
}

/**
 * The policy bundle as shipped, with issuer key paths made absolute for the copy and the daily quota of
 * stolen-boats raised from 50 to `quota` (1,000 by default) per analyst (the benchmarks spread their
 * lookups over many analysts, each still well under that).
 */
function benchBundle(dir: string, PROJECT_ROOT: string, quota: number): string {
  const target = path.join(dir, 'policies');
  fs.cpSync(path.join(PROJECT_ROOT, 'policies'), target, { recursive: true });
  const partners = path.join(target, 'partners.yaml');
  fs.writeFileSync(
    partners,
    fs
      .readFileSync(partners, 'utf8')
      .replaceAll('../config/demo/', `${path.join(PROJECT_ROOT, 'config', 'demo')}/`),
  );
  const boats = path.join(target, 'agreements', 'stolen-boats.yaml');
  fs.writeFileSync(
    boats,
    fs.readFileSync(boats, 'utf8').replace(/dailyQuotaPerUser: \d+/, `dailyQuotaPerUser: ${quota}`),
  );
  return target;
}

/** Accredited police-nl analysts, like the demo's anna, one token each. */
function benchAnalysts(count: number, now: Date): Accreditation[] {
  const day = (offset: number) => new Date(now.getTime() + offset * 86_400_000).toISOString().slice(0, 10);
  return Array.from({ length: count }, (_, i) => ({
    userId: `bench-analyst-${String(i).padStart(4, '0')}`,
    partnerId: 'police-nl',
    displayName: `Bench analyst ${i}`,
    roles: ['analyst'],
    vettingLevel: 2,
    trainedOn: day(-30),
    expiresOn: day(365),
    suspended: false,
  }));
}

/**
 * Who besides the analysts gets a token: demo users (seeded by the gateway in demo mode) and a DPO of
 * insureco, a partner few entries name (seeded here).
 */
const STAFF = {
  responder: { userId: 'bram', partnerId: 'boatreg-nl' },
  supervisorDpo: { userId: 'sam', partnerId: 'gateway' },
  policeDpo: { userId: 'dana', partnerId: 'police-nl' },
  insurerDpo: { userId: 'bench-dpo-insureco', partnerId: 'insureco' },
} as const;
export type Staff = Record<keyof typeof STAFF, string>;

/** Reports process.memoryUsage() to the parent every `ms` (not while the event loop is blocked). */
function reportMemory(ms: number): void {
  if (ms > 0) setInterval(() => send({ memory: process.memoryUsage() }), ms).unref();
}

/** The store variables of this process (FSG_STORE_KIND…), passed on to the gateway's configuration. */
function storeEnv(): Record<string, string> {
  const names = ['FSG_STORE_KIND', 'FSG_DATABASE_URL', 'FSG_DATABASE_SCHEMA'];
  return Object.fromEntries(names.flatMap((n) => (process.env[n] ? [[n, process.env[n]]] : [])));
}

/**
 * The shared dataset the lookups search, the analysts and a DPO of insureco, stored before the gateway
 * starts, and signed as `fsg audit checkpoint` would: the gateway does not start on entries no
 * checkpoint covers.
 */
async function seed(source: LogSource, records: number, users: Accreditation[], dataDir: string) {
  const { loadOrCreateCheckpointKey } = await import('../src/audit/checkpoint');
  const { openStore } = await import('../src/store/open');
  const { fillDataset } = await import('./lib/records');
  const store = await openStore(source);
  try {
    await fillDataset(store, records, () => undefined);
    const insurerDpo: Accreditation = {
      ...users[0],
      ...STAFF.insurerDpo,
      displayName: 'Bench DPO of insureco',
      roles: ['dpo'],
    };
    await store.accreditations.seed([...users, insurerDpo], (added) => [
      {
        type: 'accreditation.change',
        actor: 'system',
        partners: ['police-nl'],
        outcome: 'create',
        data: { added: added.length },
      },
    ]);
    const signer = loadOrCreateCheckpointKey(dataDir);
    await store.audit.checkpoint((head) => signer.sign(head, new Date().toISOString()));
  } finally {
    await store.close();
  }
}

/** A configuration file (FSG_CONFIG) with every rate limit on and out of the benchmarks' reach. */
function highRateLimits(workDir: string): string {
  const high = { points: 1_000_000_000, durationSeconds: 60 };
  const file = path.join(workDir, 'rate-limits.json');
  const rules = { perAddress: high, failedAuth: high, lookups: high, perPerson: high };
  fs.writeFileSync(file, JSON.stringify({ rateLimits: { enabled: true, ...rules } })); // JSON is YAML
  return file;
}

async function gateway(workDir: string, records: number, analysts: number): Promise<void> {
  const { issueDemoToken } = await import('../src/auth/demo-tokens');
  const { loadConfig, PROJECT_ROOT } = await import('../src/config/load');
  const { startGateway, storeFile, storeSource } = await import('../src/gateway');
  const { loadBundle } = await import('../src/policy/load');
  const env = {
    FSG_DATA_DIR: path.join(workDir, 'data'),
    FSG_POLICY_DIR: benchBundle(workDir, PROJECT_ROOT, Number(process.env.BENCH_DAILY_QUOTA ?? 1000)),
    FSG_HOST: '127.0.0.1',
    FSG_PORT: '0',
    FSG_DEMO: 'true',
    FSG_LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    // Rate limits on, as in production, so that their cost is measured; but far above the defaults:
    // the load comes from one address, and from each analyst far faster than a person makes calls.
    FSG_CONFIG: highRateLimits(workDir),
    ...storeEnv(),
  };
  const config = loadConfig(env, workDir);
  const users = benchAnalysts(analysts, new Date());
  if (process.env.BENCH_SEED !== '0') await seed(storeSource(config), records, users, config.dataDir);
  const running = await startGateway(config);
  const bundle = await loadBundle(config.policyDir);
  const token = (userId: string, partnerId: string) =>
    issueDemoToken({
      userId,
      partner: bundle.partners.get(partnerId)!,
      bundleDir: bundle.dir,
      audience: config.auth.audience,
      ttlSeconds: Number(process.env.BENCH_TOKEN_TTL_SECONDS ?? 3600),
      mfa: true,
    });
  const tokens: string[] = [];
  for (const user of users) tokens.push(await token(user.userId, user.partnerId));
  const staff = {} as Staff;
  for (const [role, who] of Object.entries(STAFF))
    staff[role as keyof Staff] = await token(who.userId, who.partnerId);
  onStop(() => {
    // Keep-alive connections of the load generator would hold close() up until they time out.
    const closing = running.close();
    running.server.closeAllConnections();
    return closing;
  });
  send({ url: running.url, tokens, staff, storeFile: storeFile(config) });
  reportMemory(Number(process.env.BENCH_MEMORY_REPORT_MS ?? 0));
}

async function bareExpress(bodyBytes: number): Promise<void> {
  const { default: express } = await import('express');
  const app = express();
  // A JSON body of the gateway's answer size: an id and padding.
  const base = { id: crypto.randomUUID(), pad: '' };
  base.pad = 'x'.repeat(Math.max(0, bodyBytes - JSON.stringify(base).length));
  app.post('/api/v1/lookups', (_req, res) => {
    res.json(base);
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  onStop(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  send({ url: `http://127.0.0.1:${port}` });
}

/**
 * `fsg map` as a user runs it (the CLI's own argument parsing), in this process so that its peak RSS
 * is this process's. The summary line it writes to stderr is read back for the counts.
 */
async function map(file: string): Promise<void> {
  const { buildCli } = await import('../src/cli');
  const captured: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stderr.write;
  const started = process.hrtime.bigint();
  try {
    await buildCli().parseAsync([
      'node',
      'fsg',
      'map',
      '--adapter',
      'boatreg-nl',
      file,
      '--out',
      '/dev/null',
    ]);
  } finally {
    process.stderr.write = write;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const text = captured.join('');
  const read = /read (\d+), mapped (\d+), quarantined (\d+), records (\d+)/.exec(text);
  if (process.exitCode || !read) throw new Error(`fsg map failed (${process.exitCode}): ${text}`);
  send(
    {
      rows: Number(read[1]),
      mapped: Number(read[2]),
      quarantined: Number(read[3]),
      records: Number(read[4]),
      seconds,
      maxRssMiB: peakRssMiB(),
    },
    true,
  );
}

async function csvParseAlone(file: string): Promise<void> {
  const { parse: parseCsv } = await import('csv-parse');
  const { CSV_OPTIONS } = await import('../src/mapping/csv-reader');
  const started = process.hrtime.bigint();
  // The reader's options, and rows as objects keyed by the header, as csv-parse alone gives them.
  const parser = parseCsv({ ...CSV_OPTIONS, columns: true });
  fs.createReadStream(file, { highWaterMark: 256 * 1024 }).pipe(parser);
  let rows = 0;
  for await (const record of parser as AsyncIterable<Record<string, string>>) if (record) rows++;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  send({ rows, seconds, maxRssMiB: peakRssMiB() }, true);
}

async function main(argv: string[]): Promise<void> {
  const [mode, a, b, c] = argv;
  if (mode === 'gateway') return gateway(a, Number(b), Number(c ?? '1000'));
  if (mode === 'express') return bareExpress(Number(a));
  if (mode === 'map') return map(a);
  if (mode === 'csv-parse') return csvParseAlone(a);
  throw new Error(`unknown child mode ${mode}`);
}

main(process.argv.slice(2)).catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});
