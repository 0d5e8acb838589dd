/**
 * A fully permitted baseline for the safes: an analyst like the demo's anna, asking the boat registry
 * under a `stolen-boats`-like agreement, with the real casbin policy from policies/. Tests clone the
 * baseline, change one thing and decide.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newEnforcer, newModelFromString, StringAdapter } from 'casbin';
import type { Enforcer } from 'casbin';
import type { Agreement, Bundle, Partner } from '../../src/policy/types';
import type { Identity } from '../../src/auth/identity';
import { decide } from '../../src/safes/decide';
import { SAFE_NAMES } from '../../src/safes/types';
import { factsOf, inGoodStanding, type PartnershipFacts } from '../../src/partnership/standing';
import type { Screening } from '../../src/partnership/types';
import type { Decision, DecisionContext, RequestInput, SafeName } from '../../src/safes/types';

const POLICIES = join(__dirname, '..', '..', 'policies');

/** Monday 15 June 2026, 12:00 in Amsterdam (CEST). */
export const BASELINE_NOW = '2026-06-15T10:00:00.000Z';
export const BASELINE_DIGEST = 'a'.repeat(64);

export interface Scenario {
  input: RequestInput;
  identity: Identity;
  ctx: DecisionContext;
  agreement: Agreement;
  partners: Partner[];
}

let enforcer: Promise<Enforcer> | undefined;

/** The casbin enforcer from policies/model.conf + policies/policy.csv, built once per test file. */
export function policyEnforcer(): Promise<Enforcer> {
  enforcer ??= newEnforcer(
    newModelFromString(readFileSync(join(POLICIES, 'model.conf'), 'utf8')),
    new StringAdapter(readFileSync(join(POLICIES, 'policy.csv'), 'utf8')),
  );
  return enforcer;
}

export function baselineAgreement(): Agreement {
  return {
    id: 'stolen-boats',
    title: 'Tracing stolen boats and boat engines',
    version: 3,
    parties: { requesters: ['police-nl'], providers: ['boatreg-nl', 'insureco'] },
    legalBasis: 'Art. 6(1)(e) GDPR; Wet politiegegevens art. 8 and 13.',
    validity: { from: '2026-01-01', until: '2027-12-31' },
    reviseBy: '2027-06-30',
    timezone: 'Europe/Amsterdam',
    purposes: ['stolen-property-investigation', 'recovery-of-stolen-property'],
    datasets: [
      {
        id: 'vessels',
        provider: 'boatreg-nl',
        objectTypes: ['boat', 'boat-engine'],
        classification: 'restricted',
        fields: [
          'sourceRef',
          'linkId',
          'objectType',
          'status',
          'identifier',
          'make',
          'model',
          'colour',
          'year',
          'owner.name',
          'owner.postcode',
        ],
        pseudonymise: ['owner.name'],
        lookup: true,
      },
      {
        id: 'theft-claims',
        provider: 'insureco',
        objectTypes: ['boat', 'boat-engine'],
        classification: 'restricted',
        fields: [
          'sourceRef',
          'linkId',
          'objectType',
          'status',
          'identifier',
          'make',
          'model',
          'year',
          'theft.date',
          'theft.place',
        ],
        pseudonymise: [],
      },
    ],
    safes: {
      people: { roles: ['analyst'], minVettingLevel: 2, trainingMaxAgeDays: 365 },
      project: { caseRefPatterns: { 'police-nl': '^NL-\\d{4}-\\d{6}$' }, dailyQuotaPerUser: 50 },
      setting: {
        mfaRequired: true,
        maxAuthAgeMinutes: 720,
        tlsRequired: false,
        allowedHours: { days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '24:00' },
      },
      data: { classificationCeiling: 'restricted', minimise: true },
      output: {
        maxRecordsPerRequest: 25,
        maxLookupIdentifiers: 100,
        aggregates: {
          providerApproval: true,
          maxDimensions: 2,
          dimensions: ['objectType', 'status', 'make', 'model', 'colour', 'year', 'theft.date:month'],
          measures: ['year'],
        },
        retentionDays: 30,
        handling: { tlp: 'AMBER', conditions: ["No onward disclosure without the provider's permission."] },
      },
    },
  };
}

function partner(id: string, sector: Partner['sector'], extra: string): Partner {
  return { id, name: id, sector, country: 'NL', issuers: [], networks: ['127.0.0.0/8', '::1/128', extra] };
}

export function baselineScenario(): Scenario {
  const now = new Date(BASELINE_NOW);
  return {
    input: {
      agreementId: 'stolen-boats',
      providerId: 'boatreg-nl',
      datasetId: 'vessels',
      identifiers: [{ type: 'hin', value: 'NL-ABC12345D606' }],
      recordRefs: [],
      fields: ['identifier', 'make', 'owner.name'],
      purpose: 'stolen-property-investigation',
      caseRef: 'NL-2026-000123',
    },
    identity: {
      userId: 'anna',
      partnerId: 'police-nl',
      issuer: 'https://idp.police-nl.demo',
      amr: ['pwd', 'otp'],
      mfa: true,
      mfaClaims: ['amr'],
      authTime: now.getTime() / 1000 - 30 * 60,
      expiresAt: now.getTime() / 1000 + 5 * 60,
    },
    ctx: {
      now,
      sourceIp: '10.10.4.2',
      tls: false,
      accreditation: {
        userId: 'anna',
        partnerId: 'police-nl',
        displayName: 'Anna Analyst',
        roles: ['analyst'],
        vettingLevel: 2,
        trainedOn: '2026-02-01',
        expiresOn: '2027-06-30',
        suspended: false,
        teams: ['vehicle-crime'],
      },
      requestsToday: 0,
      partnership: GOOD_STANDING_PLACEHOLDER,
    },
    agreement: baselineAgreement(),
    partners: [
      partner('police-nl', 'public', '10.10.0.0/16'),
      partner('police-se', 'public', '10.20.0.0/16'),
      partner('boatreg-nl', 'private', '192.0.2.0/24'),
      partner('insureco', 'private', '203.0.113.0/24'),
    ],
  };
}

/** Moves the scenario to another instant, keeping the user's authentication 30 minutes old. */
export function at(s: Scenario, iso: string): Scenario {
  s.ctx.now = new Date(iso);
  s.identity.authTime = s.ctx.now.getTime() / 1000 - 30 * 60;
  return s;
}

export function toBundle(s: Scenario, policy: Enforcer): Bundle {
  return {
    partners: new Map(s.partners.map((p) => [p.id, p])),
    agreements: new Map([[s.agreement.id, s.agreement]]),
    enforcer: policy,
    digest: BASELINE_DIGEST,
    dir: POLICIES,
  };
}

/**
 * Stands for "every partner cleared, every party accepted the scenario's agreement as it is when
 * decided" (a test that changes the agreement does not also have to accept it again).
 */
const GOOD_STANDING_PLACEHOLDER = factsOf([], []);

/** The scenario's context, with the placeholder replaced by the facts it stands for. */
export function contextOf(s: Scenario, bundle: Bundle): DecisionContext {
  return s.ctx.partnership === GOOD_STANDING_PLACEHOLDER
    ? { ...s.ctx, partnership: standingOf(s, bundle) }
    : s.ctx;
}

/** Every partner the scenario names cleared, every party having accepted the agreement as it is now. */
function standingOf(s: Scenario, bundle: Bundle, change: StandingChange = {}): PartnershipFacts {
  const good = inGoodStanding(bundle, [s.identity.partnerId, s.input.providerId].filter(Boolean));
  const screenings = [...good.screenings.values()].map((sc) => ({
    ...sc,
    ...change.screenings?.[sc.partnerId],
  }));
  const accepted = new Map(good.accepted);
  const parties = new Map(accepted.get(s.agreement.id));
  for (const p of change.notAccepted ?? []) parties.delete(p);
  accepted.set(s.agreement.id, parties);
  return { screenings: new Map(screenings.map((sc) => [sc.partnerId, sc])), accepted };
}

export interface StandingChange {
  screenings?: Record<string, Partial<Screening>>;
  notAccepted?: string[];
}

/** Sets the scenario's partnership facts: good standing, changed as given (for the agreement as it is now). */
export async function withStanding(s: Scenario, change: StandingChange): Promise<void> {
  s.ctx.partnership = standingOf(s, toBundle(s, await policyEnforcer()), change);
}

/** Decides a scenario after `change` was applied to a fresh baseline. */
export async function decideWith(change: (s: Scenario) => unknown = () => undefined): Promise<Decision> {
  const s = baselineScenario();
  await change(s);
  const bundle = toBundle(s, await policyEnforcer());
  return decide(s.input, s.identity, contextOf(s, bundle), bundle);
}

export function failingSafes(d: Decision): SafeName[] {
  return SAFE_NAMES.filter((name) => d.safes[name].outcome === 'fail');
}

export function codesOf(d: Decision): string[] {
  return SAFE_NAMES.flatMap((name) => d.safes[name].reasons.map((r) => r.code));
}

/** Turns the scenario's request into a hit/no-hit lookup: no provider, dataset or fields. */
export function asLookup(s: Scenario): void {
  s.input = { ...s.input, kind: 'lookup', providerId: '', datasetId: '', fields: [] };
}

/** Turns the scenario's request into an aggregate: a table of counts by make and year. */
export function asAggregate(s: Scenario): void {
  s.input = {
    ...s.input,
    kind: 'aggregate',
    identifiers: [],
    recordRefs: [],
    fields: ['make', 'year'],
    query: { type: 'aggregate', groupBy: ['make', 'year'], measure: 'count' },
  };
}
