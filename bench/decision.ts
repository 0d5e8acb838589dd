/**
 * The Five Safes decision (casbin + all five safes, src/safes/decide.ts) against bare casbin
 * `enforceSync()` with the same model and policies, at 100 and at 10,000 agreements (partners and
 * policy lines grow with them, see lib/bundle.ts). Both run the same sequence of requests, after a
 * warm-up pass over every requesting partner; each call is timed on its own.
 */
import path from 'node:path';
import type { Identity } from '../src/auth/identity';
import { loadBundle } from '../src/policy/load';
import type { Accreditation } from '../src/records/accreditation';
import { decide } from '../src/safes/decide';
import type { DecisionContext, RequestInput } from '../src/safes/types';
import { writeBundle } from './lib/bundle';
import { collectGarbage, percentile, timeCalls } from './lib/stats';
import { inGoodStanding } from '../src/partnership/standing';
import { row, type Benchmark, type ResultRow } from './lib/types';

/** mulberry32: a deterministic sequence, the same for the gateway and its baseline. */
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

interface Case {
  input: RequestInput;
  identity: Identity;
  ctx: DecisionContext;
}

interface SizeResult {
  agreements: number;
  policyLines: number;
  gateway: { rate: number; p99: number; p50: number; calls: number };
  baseline: { rate: number; p99: number; p50: number; calls: number };
  permits: number;
}

async function measure(dir: string, agreements: number, calls: number, seconds: number): Promise<SizeResult> {
  const generated = writeBundle(dir, agreements);
  const bundle = await loadBundle(dir);
  const now = new Date();
  const authTime = Math.floor(now.getTime() / 1000) - 60;
  const random = prng(agreements);
  const ids = [...bundle.agreements.keys()];
  // Every partner screened and every agreement accepted, as a running gateway's snapshot holds them.
  const partnership = inGoodStanding(bundle);
  const cases: Case[] = Array.from({ length: Math.min(calls, 20_000) }, () => {
    const agreement = bundle.agreements.get(ids[Math.floor(random() * ids.length)])!;
    const partnerId = agreement.parties.requesters[0];
    const userId = `analyst@${partnerId}`;
    const accreditation: Accreditation = {
      userId,
      partnerId,
      displayName: userId,
      roles: ['analyst'],
      vettingLevel: 3,
      trainedOn: now.toISOString().slice(0, 10),
      expiresOn: '2099-12-31',
      suspended: false,
    };
    const dataset = agreement.datasets[0];
    return {
      input: {
        kind: 'detail',
        agreementId: agreement.id,
        providerId: dataset.provider,
        datasetId: dataset.id,
        identifiers: [{ type: 'hin', value: 'NL-HXAB7A33G293' }],
        recordRefs: [],
        fields: ['identifier', 'objectType', 'status', 'make', 'model', 'owner.name'],
        purpose: 'stolen-property-investigation',
        caseRef: 'NL-2026-000123',
      },
      identity: {
        userId,
        partnerId,
        issuer: `https://idp.${partnerId}.bench`,
        amr: ['pwd', 'otp'],
        mfa: true,
        mfaClaims: ['amr'],
        authTime,
        expiresAt: authTime + 3600,
      },
      ctx: { now, sourceIp: '127.0.0.1', tls: false, accreditation, requestsToday: 0, partnership },
    };
  });
  const enforcer = bundle.enforcer;
  let permits = 0;
  const gatewayCall = (i: number) => {
    const c = cases[i % cases.length];
    if (decide(c.input, c.identity, c.ctx, bundle).outcome === 'permit') permits++;
  };
  const baselineCall = (i: number) => {
    const c = cases[i % cases.length];
    enforcer.enforceSync('analyst', c.identity.partnerId, 'requests:create');
  };
  // Warm-up: every requesting partner once (JIT, and whatever either side keeps between calls).
  const firstOfPartner = new Map<string, number>();
  cases.forEach(
    (c, i) => firstOfPartner.has(c.identity.partnerId) || firstOfPartner.set(c.identity.partnerId, i),
  );
  for (const i of firstOfPartner.values()) {
    gatewayCall(i);
    baselineCall(i);
  }
  // Alternate halves so that neither side gets the machine in a better moment; a full collection
  // before each, so that neither pays for the other's garbage.
  const half = Math.ceil(calls / 2);
  const timed = (fn: (i: number) => unknown, offset: number) => {
    collectGarbage();
    return timeCalls((i) => fn(i + offset), half, seconds / 2);
  };
  const parts = [
    timed(baselineCall, 0),
    timed(gatewayCall, 0),
    timed(baselineCall, half),
    timed(gatewayCall, half),
  ];
  const sum = (a: (typeof parts)[number], b: (typeof parts)[number]) => {
    const latencies = a.latencies.concat(b.latencies);
    return {
      rate: (a.calls + b.calls) / (a.seconds + b.seconds),
      p99: percentile(latencies, 99),
      p50: percentile(latencies, 50),
      calls: a.calls + b.calls,
    };
  };
  return {
    agreements,
    policyLines: generated.policyLines,
    baseline: sum(parts[0], parts[2]),
    gateway: sum(parts[1], parts[3]),
    permits,
  };
}

export const decisionBenchmark: Benchmark = {
  id: 'decision',
  title: 'Five Safes decision vs bare casbin enforce()',
  async run(ctx) {
    const sizes = ctx.smoke ? [10, 100] : [100, 10_000];
    const calls = ctx.smoke ? 200 : 40_000;
    const seconds = ctx.smoke ? 0.5 : 8;
    const results: SizeResult[] = [];
    for (const n of sizes) {
      ctx.log(`decision: ${n} agreements`);
      results.push(await measure(path.join(ctx.workDir, `bundle-${n}`), n, calls, seconds));
    }
    const rows: ResultRow[] = results.map((r) =>
      row({
        benchmark: 'decision',
        figure: `Five Safes decisions/s, ${r.agreements.toLocaleString('en')} agreements`,
        unit: 'decisions/s',
        gateway: r.gateway.rate,
        baseline: r.baseline.rate,
        baselineIs: `bare casbin enforceSync(), same model and ${r.policyLines} policy lines`,
        target: { min: 0.5 },
        details: r,
      }),
    );
    const [small, large] = results;
    rows.push(
      row({
        benchmark: 'decision',
        figure: `decision p99, ${large.agreements.toLocaleString('en')} vs ${small.agreements.toLocaleString('en')} agreements`,
        unit: 'ms',
        gateway: large.gateway.p99,
        baseline: small.gateway.p99,
        baselineIs: `the same decision's p99 at ${small.agreements} agreements`,
        target: { max: 2 },
        details: {
          casbinP99: { [small.agreements]: small.baseline.p99, [large.agreements]: large.baseline.p99 },
        },
      }),
    );
    return rows;
  },
};
