/**
 * What a DPO's pages cost as the log grows: the statistics (`GET /api/v1/audit/stats`, the Activity
 * page's figures) on a log of 1,000,000 entries against the same call on 10,000, for the supervisor's
 * DPO and a partner's; and a partner DPO's first page of entries (`GET /api/v1/audit/events`, the
 * portal's log page) against the supervisor's, both at 1,000,000. Both logs hold the same mix of
 * entries (bench/lib/events.ts, with denials) spread over the same 30 days, so the statistics have the
 * same rows and only the number of entries differs. Calls go to the AuditService the API routes call.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AuditService } from '../src/audit/service';
import { statsZonesOf } from '../src/audit/stats';
import { Checkpointer } from '../src/audit/checkpointer';
import { createSigner } from '../src/audit/checkpoint';
import type { AuditEventInput } from '../src/audit/types';
import type { Identity } from '../src/auth/identity';
import { PROJECT_ROOT } from '../src/config/load';
import { loadBundle } from '../src/policy/load';
import { LATEST_VERSION, openSqliteStore } from '../src/store/sqlite';
import { benchEvent } from './lib/events';
import { msSince, percentile } from './lib/stats';
import { row, type Benchmark } from './lib/types';
import { buildLog } from './log-verify';

const DAY_MS = 86_400_000;
/** This generator's version: a cached log of another version is not reused. */
const GENERATOR = 2;
/** Transactions (one time each: a transaction's entries share their ts) in each log. */
const BATCHES = 500;
const SPAN_DAYS = 30;

/** benchEvent with denials: one decision in five fails the setting safe, one lookup in ten the people safe. */
export function dpoEvent(i: number): AuditEventInput {
  const event = benchEvent(i);
  const safes = event.data.safes as Record<string, { outcome: string; codes: string[] }> | undefined;
  const fail = (safe: string, code: string) => ({
    ...event,
    outcome: 'deny',
    data: { ...event.data, safes: { ...safes, [safe]: { outcome: 'fail', codes: [code] } } },
  });
  if (event.type === 'decision' && i % 20 === 1) return fail('setting', 'SETTING_MFA_REQUIRED');
  if (event.type === 'lookup' && i % 20 === 2) return fail('people', 'PEOPLE_VETTING_EXPIRED');
  return event;
}

function dpo(partnerId: string): Identity {
  return {
    userId: 'dpo',
    partnerId,
    issuer: `https://idp.${partnerId}.bench`,
    amr: ['pwd', 'otp'],
    mfa: true,
    mfaClaims: [],
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
  };
}

/** Median of calls made until `maxCalls` or `maxSeconds` (at least one), after one warm-up call. */
async function median(
  fn: () => Promise<unknown>,
  maxCalls: number,
  maxSeconds: number,
): Promise<{ median: number; p90: number; calls: number }> {
  await fn();
  const latencies: number[] = [];
  const started = process.hrtime.bigint();
  while (latencies.length < maxCalls && (latencies.length === 0 || msSince(started) < maxSeconds * 1000)) {
    const t = process.hrtime.bigint();
    await fn();
    latencies.push(msSince(t));
  }
  return { median: percentile(latencies, 50), p90: percentile(latencies, 90), calls: latencies.length };
}

export const dpoPagesBenchmark: Benchmark = {
  id: 'dpo-pages',
  title:
    "DPO statistics and a partner DPO's first page at 1,000,000 entries vs 10,000 and vs the supervisor's",
  async run(ctx) {
    const small = ctx.smoke ? 200 : 10_000;
    const large = ctx.smoke ? 2_000 : 1_000_000;
    const end = Date.now();
    const spread = (entries: number) => (done: number) =>
      new Date(end - SPAN_DAYS * DAY_MS + Math.floor((done / entries) * SPAN_DAYS * DAY_MS));
    const bundle = await loadBundle(path.join(PROJECT_ROOT, 'policies'));
    const statsZones = statsZonesOf(bundle.agreements.values());
    const t = process.hrtime.bigint();
    // A full run keeps its logs between runs (building a million entries takes minutes on this machine):
    // under the temporary folder, named by size, schema version and this generator's version.
    const folder = ctx.smoke ? ctx.workDir : path.join(os.tmpdir(), 'fsg-bench-cache');
    fs.mkdirSync(folder, { recursive: true });
    const files = [small, large].map((n) =>
      path.join(folder, `dpo-pages-${n}-v${LATEST_VERSION}-g${GENERATOR}.sqlite`),
    );
    const built: number[] = [];
    for (const [k, n] of [small, large].entries()) {
      if (fs.existsSync(files[k])) continue;
      ctx.log(`dpo-pages: building a log of ${n.toLocaleString('en')} entries over ${SPAN_DAYS} days`);
      const building = `${files[k]}.${process.pid}.building`;
      // As many transactions (so as many distinct times) in both logs: only their density differs.
      const batch = Math.max(1, Math.round(n / BATCHES));
      await buildLog(building, n, { event: dpoEvent, timeAt: spread(n), batch, statsZones });
      fs.renameSync(building, files[k]);
      built.push(n);
    }
    const buildSeconds = msSince(t) / 1000;

    const secrets = { identifierKey: crypto.randomBytes(32), pseudonymKey: crypto.randomBytes(32) };
    const signer = createSigner(crypto.generateKeyPairSync('ed25519').privateKey);
    const opened = files.map((file) => {
      const store = openSqliteStore({ file, statsZones });
      const clock = () => new Date();
      const checkpointer = new Checkpointer({
        store,
        signer,
        clock,
        policy: { everyEntries: 1000, everySeconds: 300 },
      });
      return {
        store,
        service: new AuditService({ store, bundle: () => bundle, secrets, clock, checkpointer }),
      };
    });
    const supervisor = dpo('gateway');
    const partner = dpo('boatreg-nl');
    const [calls, seconds] = ctx.smoke ? [3, 1] : [20, 20];
    try {
      const stats: Record<string, Awaited<ReturnType<typeof median>>> = {};
      for (const [who, identity] of [
        ['supervisor', supervisor],
        ['partner', partner],
      ] as const) {
        for (const [k, n] of [small, large].entries()) {
          ctx.log(`dpo-pages: statistics, ${who} DPO, ${n.toLocaleString('en')} entries`);
          stats[`${who}-${n}`] = await median(() => opened[k].service.stats(identity, {}), calls, seconds);
        }
      }
      const page = (identity: Identity) => () =>
        opened[1].service.events(identity, {}, { limit: 50, order: 'desc' });
      ctx.log('dpo-pages: first events page at the large log, supervisor and partner DPO');
      const supervisorPage = await median(page(supervisor), ctx.smoke ? 3 : 200, seconds);
      const partnerPage = await median(page(partner), ctx.smoke ? 3 : 200, seconds);
      const rows = await Promise.all(
        [supervisor, partner].map((identity) => opened[1].service.stats(identity, {})),
      );
      const common = {
        entries: { small, large },
        days: SPAN_DAYS,
        statsRows: rows.map((r) => r.length),
        built,
        buildSeconds,
      };
      const statsRow = (who: 'supervisor' | 'partner', label: string) =>
        row({
          benchmark: 'dpo-pages',
          figure: `DPO statistics (${label}), ${large.toLocaleString('en')} vs ${small.toLocaleString('en')} entries, median`,
          unit: 'ms',
          gateway: stats[`${who}-${large}`].median,
          baseline: stats[`${who}-${small}`].median,
          baselineIs: `the same call on a log of ${small.toLocaleString('en')} entries over the same days`,
          target: { max: 2 },
          details: { ...common, large: stats[`${who}-${large}`], small: stats[`${who}-${small}`] },
        });
      return [
        statsRow('supervisor', "the supervisor's DPO"),
        statsRow('partner', "a partner's DPO"),
        row({
          benchmark: 'dpo-pages',
          figure: `a partner DPO's first events page at ${large.toLocaleString('en')} entries vs the supervisor's, median`,
          unit: 'ms',
          gateway: partnerPage.median,
          baseline: supervisorPage.median,
          baselineIs: "the supervisor DPO's first page of the same log",
          target: { max: 2 },
          details: { ...common, limit: 50, partner: partnerPage, supervisor: supervisorPage },
        }),
      ];
    } finally {
      for (const { store } of opened) await store.close();
    }
  },
};
