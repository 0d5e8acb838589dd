/**
 * The public transparency report (issue 21, item 8): the agreements in force with their terms and their
 * activity per quarter through disclosure control, without signing in; an agreement a party withdrew
 * from, or past its revision date, listed as not in force with the reason only.
 */
import { quarterOf } from '../../src/transparency/quarters';
import fs from 'node:fs';
import path from 'node:path';
import { agreementDigest } from '../../src/partnership/digest';
import { acceptanceEvent } from '../../src/partnership/events';
import type { Acceptance } from '../../src/partnership/types';
import { boatRequest, createTestGateway, type TestGateway } from '../helpers/gateway';
import { rateLimitsConfig } from '../helpers/rate-limits';

const API = '/api/v1/transparency';
const PAGE = '/transparency';
const MINUTE = 61_000;

type Report = {
  inForce: Array<Record<string, unknown> & { id: string; activity: Array<Record<string, unknown>> }>;
  notInForce: Array<{ id: string; reasons: { code: string; text: string }[] }>;
};

let gw: TestGateway;
beforeAll(async () => {
  gw = await createTestGateway();
});
afterAll(() => gw?.close());

const report = async (): Promise<Report> => {
  const res = await gw.http.get(API);
  expect(res.status).toBe(200);
  return res.body as Report;
};
const inForce = (r: Report, id: string) => r.inForce.find((a) => a.id === id);

/** The quarter of the gateway's clock, in the demo agreements' zone (Amsterdam). */
function currentQuarter(): string {
  const day = new Date(gw.now().getTime() + 2 * 3600_000).toISOString().slice(0, 10);
  return quarterOf(day).label;
}

/** From the gateway's clock to two days into the next quarter. */
function toNextQuarter(): number {
  const now = gw.now();
  const quarter = Math.floor(now.getUTCMonth() / 3);
  const next = Date.UTC(now.getUTCFullYear(), quarter * 3 + 3, 2, 12);
  return next - now.getTime();
}

async function requestAs(user: string, times: number) {
  const token = await gw.token(user);
  for (let i = 0; i < times; i++) {
    const res = await gw.http
      .post('/api/v1/requests')
      .set('Authorization', `Bearer ${token}`)
      .send(boatRequest());
    expect(res.status).toBe(201);
  }
}

describe('the transparency report, in order', () => {
  it('lists both agreements in force with parties, DPOs, legal basis and safeguards, no token needed', async () => {
    const r = await report();
    expect(r.inForce.map((a) => a.id)).toEqual(['stolen-boats', 'stolen-vehicles']);
    expect(r.notInForce).toEqual([]);
    const boats = inForce(r, 'stolen-boats')!;
    expect(boats).toMatchObject({
      status: 'in-force',
      reviseBy: '2027-12-31',
      purposes: ['stolen-property-investigation', 'recovery-of-stolen-property'],
      legalBasis: expect.stringContaining('Art. 6(1)(e) GDPR'),
      retentionDays: 30,
    });
    expect(boats.parties).toEqual([
      {
        id: 'police-nl',
        name: 'Politie Nederland',
        sector: 'public',
        roles: ['requester'],
        dpo: { name: 'Dana Mulder', email: 'fg@politie.example' },
      },
      {
        id: 'boatreg-nl',
        name: 'Nederlands Bootregister',
        sector: 'private',
        roles: ['provider'],
        dpo: { name: 'Eva Bos', email: 'privacy@boatreg.example' },
      },
      {
        id: 'insureco',
        name: 'InsureCo Europe',
        sector: 'private',
        roles: ['provider'],
        dpo: { name: 'Noor Hendriks', email: 'dpo@insureco.example' },
      },
    ]);
    expect(boats.safeguards).toMatchObject({
      people: { roles: ['analyst'], minimumVettingLevel: 2, trainingMaxAgeDays: 365 },
      project: { caseReferenceRequired: true, dailyQuotaPerUser: 50 },
      setting: { mfaRequired: true, networksRestricted: true, tlsRequired: false },
      data: { classificationCeiling: 'restricted', minimise: true },
      output: {
        maxRecordsPerRequest: 25,
        retentionDays: 30,
        handling: { tlp: 'AMBER' },
        tables: { allowed: true, threshold: 10, roundingBase: 5 },
      },
    });
    const vessels = (boats.categories as Array<{ dataset: string; fields: Record<string, unknown>[] }>).find(
      (c) => c.dataset === 'vessels',
    )!;
    expect(vessels.fields).toEqual(
      expect.arrayContaining([
        { field: 'owner.name', personalData: true, classification: 'restricted', released: 'pseudonymised' },
        {
          field: 'owner.postcode',
          personalData: true,
          classification: 'restricted',
          released: 'generalised to district',
        },
        { field: 'make', personalData: false, classification: 'public', released: 'as-is' },
      ]),
    );
    expect(boats.activity).toHaveLength(4);
  });

  it('publishes closed quarters only: 12 requests show rounded to 10, none "fewer than 10"', async () => {
    await requestAs('anna', 12);
    gw.advance(MINUTE); // past the report's minute in the cache
    // The quarter under way is never published: watched as it grows one request at a time, its rounded
    // figure would flip at a known count and give the true one away.
    const quarter = currentQuarter();
    let boats = inForce(await report(), 'stolen-boats')!;
    expect(boats.activity.map((q) => q.quarter)).not.toContain(quarter);
    expect(boats.activity).toHaveLength(4);
    expect((await gw.http.get(PAGE)).text).not.toContain(quarter);

    // Once it has closed: the requests rounded to the base, a count below the threshold as "fewer than".
    // (Requests after the move would fail the setting safe: the tokens' sign-in keeps real time.)
    gw.advance(toNextQuarter());
    boats = inForce(await report(), 'stolen-boats')!;
    const closed = boats.activity.at(-1)!;
    expect(closed).toMatchObject({
      quarter,
      requests: { value: 10, roundedTo: 5 },
      disclosures: { fewerThan: 10 },
    });
    expect((await gw.http.get(PAGE)).text).toContain('fewer than 10');
  });

  it('serves the page with a strict CSP, no script or inline style, and no personal data or user ids', async () => {
    const res = await gw.http.get(PAGE);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const csp = res.headers['content-security-policy'];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|script-src/);
    expect(res.text).not.toMatch(/<script|<style|\sstyle=|\son\w+=/i);
    const css = res.text.match(/<link rel="stylesheet" href="([^"]+)"/)![1];
    const sheet = await gw.http.get(css);
    expect(sheet.status).toBe(200);
    expect(sheet.headers['content-type']).toMatch(/^text\/css/);
    expect(res.text).toContain('Dana Mulder');
    expect(res.text).not.toContain('past its revision date'); // said only once it is past
    const json = JSON.stringify(await report());
    for (const text of [res.text, json]) {
      // No contact points, escalation contacts, user ids or data subjects: only DPOs are public.
      expect(text).not.toMatch(/Anna de Vries|Lotte Vermeer|\+31 20 555|Jan Pietersen|userId/);
      expect(text).not.toMatch(/\b(anna|dana|lotte|bram|ruben|iris|ivo|sven|tom)\b/);
      expect(text).not.toMatch(/NL-HXAB7A33G293|NL-2026-000123|screening|cleared/i);
    }
  });

  it('moves an agreement a party withdrew from to "not in force: awaiting acceptance", without activity', async () => {
    const agreement = gw.bundle.agreements.get('stolen-boats')!;
    const withdrawal: Acceptance = {
      agreementId: agreement.id,
      partnerId: 'insureco',
      action: 'withdraw',
      version: agreement.version,
      digest: agreementDigest(agreement),
      confidentialityDigest: null,
      by: { partnerId: 'insureco', userId: 'ivo' },
      role: 'legal',
    };
    await gw.partnership.recordAcceptances(
      [withdrawal],
      [acceptanceEvent(withdrawal, gw.partnership.digest)],
    );
    // A change of standing is shown at once, whatever the cache.
    const r = await report();
    expect(r.inForce.map((a) => a.id)).toEqual(['stolen-vehicles']);
    expect(r.notInForce).toEqual([
      {
        id: 'stolen-boats',
        title: agreement.title,
        version: agreement.version,
        status: 'not-in-force',
        reasons: [{ code: 'awaiting-acceptance', text: 'awaiting acceptance' }],
      },
    ]);
    const page = (await gw.http.get(PAGE)).text;
    expect(page).toMatch(/not in force:\s+awaiting acceptance/);
    expect(page).not.toContain('<section class="agreement" id="agreement-stolen-boats"');
    expect(page).toContain('<section class="agreement" id="agreement-stolen-vehicles"');
  });

  it('says "past its revision date" once past reviseBy, and the project safe refuses with its code', async () => {
    gw.advance(400 * 24 * 3600_000); // from late 2026 to 2028
    const r = await report();
    expect(r.inForce).toEqual([]);
    const vehicles = r.notInForce.find((a) => a.id === 'stolen-vehicles')!;
    expect(vehicles.reasons).toEqual([
      { code: 'revision-overdue', text: 'past its revision date 2027-12-31' },
    ]);
    expect((await gw.http.get(PAGE)).text).toContain('past its revision date 2027-12-31');

    const res = await gw.http
      .post('/api/v1/requests')
      .set('Authorization', `Bearer ${await gw.token('anna')}`)
      .send(boatRequest());
    expect(res.status).toBe(403);
    const codes = res.body.decision.safes.project.reasons.map((x: { code: string }) => x.code);
    expect(codes).toContain('PROJECT_AGREEMENT_REVISION_OVERDUE');
  });
});

describe('links to the page', () => {
  it('from the portal’s sign-in page and from the root’s JSON', async () => {
    const signIn = await gw.http.get('/portal/sign-in');
    expect(signIn.status).toBe(200);
    expect(signIn.text).toContain(`href="${PAGE}"`);
    const root = await gw.http.get('/').set('Accept', 'application/json');
    expect(root.body.transparency).toBe(PAGE);
  });
});

describe('the per-address rate limit', () => {
  let limited: TestGateway;
  let config: string;
  beforeAll(async () => {
    config = rateLimitsConfig({ perAddress: { points: 2, durationSeconds: 60 } });
    limited = await createTestGateway({ FSG_CONFIG: config });
  });
  afterAll(async () => {
    await limited?.close();
    fs.rmSync(path.dirname(config), { recursive: true, force: true });
  });

  it('counts the page and the JSON against the address, then answers 429 problem+json', async () => {
    expect((await limited.http.get(PAGE)).status).toBe(200);
    expect((await limited.http.get(API)).status).toBe(200);
    const refused = await limited.http.get(API);
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ status: 429, limit: 'perAddress' });
  });
});
