/** The decision as a whole: never short-circuited, obligations, and what it records. */
import { decide } from '../../../src/safes/decide';
import { checkPeople } from '../../../src/safes/people';
import { checkSetting } from '../../../src/safes/setting';
import { REASONS, reason } from '../../../src/safes/reasons';
import { SAFE_NAMES } from '../../../src/safes/types';
import {
  BASELINE_DIGEST,
  BASELINE_NOW,
  baselineScenario,
  codesOf,
  decideWith,
  failingSafes,
  policyEnforcer,
  toBundle,
} from '../../helpers/bundle-fixture';
import type { Scenario } from '../../helpers/bundle-fixture';

const failEverything = (s: Scenario) => {
  s.ctx.accreditation!.suspended = true;
  s.input.purpose = 'marketing';
  s.ctx.sourceIp = '203.0.113.9';
  s.input.fields = ['owner.shoeSize'];
  s.input.identifiers = [];
};

describe('decide', () => {
  it('reports all five safes when all five fail (known agreement)', async () => {
    const d = await decideWith(failEverything);
    expect(d.outcome).toBe('deny');
    expect(failingSafes(d)).toEqual([...SAFE_NAMES]);
    expect(codesOf(d)).toEqual([
      'PEOPLE_SUSPENDED',
      'PROJECT_PURPOSE_OUT_OF_SCOPE',
      'SETTING_NETWORK_NOT_ALLOWED',
      'DATA_FIELD_UNKNOWN',
      'OUTPUT_NOTHING_REQUESTED',
    ]);
  });

  it('reports all five safes when the agreement is unknown, each with what it can still judge', async () => {
    const d = await decideWith((s) => {
      s.input.agreementId = 'stolen-kites';
      s.ctx.accreditation!.suspended = true;
      s.ctx.accreditation!.expiresOn = '2026-01-01';
      s.ctx.accreditation!.roles = ['responder'];
      s.identity.mfa = false;
      s.input.fields = [];
      s.input.identifiers = [];
    });
    expect(failingSafes(d)).toEqual([...SAFE_NAMES]);
    expect(codesOf(d)).toEqual([
      'PEOPLE_ROLE_NOT_PERMITTED',
      'PEOPLE_ACCREDITATION_EXPIRED',
      'PEOPLE_SUSPENDED',
      'PROJECT_AGREEMENT_UNKNOWN',
      'SETTING_MFA_REQUIRED',
      'DATA_NO_AGREEMENT',
      'DATA_NO_FIELDS',
      'OUTPUT_NO_AGREEMENT',
      'OUTPUT_NOTHING_REQUESTED',
    ]);
  });

  it('reports every failing reason of a safe, not just the first', async () => {
    const d = await decideWith((s) => {
      s.ctx.accreditation!.vettingLevel = 0;
      s.ctx.accreditation!.trainedOn = '2020-01-01';
      s.ctx.accreditation!.suspended = true;
    });
    expect(d.safes.people.reasons.map((r) => r.code)).toEqual([
      'PEOPLE_VETTING_INSUFFICIENT',
      'PEOPLE_TRAINING_OUTDATED',
      'PEOPLE_SUSPENDED',
    ]);
  });

  it('records digest, agreement version and decision time', async () => {
    const d = await decideWith();
    expect(d).toMatchObject({ policyDigest: BASELINE_DIGEST, agreementVersion: 3, decidedAt: BASELINE_NOW });
    expect(SAFE_NAMES.every((n) => d.safes[n].outcome === 'pass' && d.safes[n].reasons.length === 0)).toBe(
      true,
    );
  });

  it('computes obligations: requested ∩ allowed in request order, pseudonymised subset, output terms', async () => {
    const d = await decideWith((s) => {
      s.input.fields = ['owner.name', 'make', 'theft.date', 'make', 'identifier', 'owner.postcode'];
      s.agreement.datasets[0].generalise = { 'owner.postcode': 'district', 'owner.dateOfBirth': 'year' };
      s.input.recipients = { team: 'vehicle-crime' };
    });
    expect(d.outcome).toBe('deny'); // theft.date is not allowed; obligations are still computed
    expect(d.obligations).toEqual({
      fields: ['owner.name', 'make', 'identifier', 'owner.postcode'],
      pseudonymise: ['owner.name'],
      // Only what is released is generalised: the date of birth was not asked for.
      generalise: { 'owner.postcode': 'district' },
      recipients: { user: 'anna', team: 'vehicle-crime' },
      maxRecords: 25,
      handling: { tlp: 'AMBER', conditions: ["No onward disclosure without the provider's permission."] },
      retentionDays: 30,
    });
  });

  it('pseudonymises only fields that are actually released', async () => {
    const d = await decideWith((s) => (s.input.fields = ['identifier', 'owner.postcode']));
    expect(d.outcome).toBe('permit');
    expect(d.obligations.fields).toEqual(['identifier', 'owner.postcode']);
    expect(d.obligations.pseudonymise).toEqual([]);
  });

  it('copies the handling, so later bundle changes cannot rewrite a decision', async () => {
    const s = baselineScenario();
    const d = decide(s.input, s.identity, s.ctx, toBundle(s, await policyEnforcer()));
    s.agreement.safes.output.handling.conditions.push('changed later');
    expect(d.obligations.handling.conditions).toHaveLength(1);
  });

  it('has empty, zero, TLP:RED obligations and no version without an agreement', async () => {
    const d = await decideWith((s) => (s.input.agreementId = 'stolen-kites'));
    expect(d.agreementVersion).toBeNull();
    expect(d.obligations).toEqual({
      fields: [],
      pseudonymise: [],
      generalise: {},
      recipients: { user: 'anna', team: null },
      maxRecords: 0,
      handling: { tlp: 'RED', conditions: [] },
      retentionDays: 0,
    });
  });

  it('releases no fields when the dataset is unknown', async () => {
    const d = await decideWith((s) => (s.input.datasetId = 'kites'));
    expect(d.obligations.fields).toEqual([]);
    expect(d.obligations.pseudonymise).toEqual([]);
    expect(d.obligations.maxRecords).toBe(25);
  });

  it('is pure: frozen inputs are not modified and the same inputs give the same decision', async () => {
    const s = baselineScenario();
    failEverything(s);
    const bundle = toBundle(s, await policyEnforcer());
    const frozen = deepFreeze({ input: s.input, identity: s.identity, ctx: s.ctx, agreement: s.agreement });
    const first = decide(frozen.input, frozen.identity, frozen.ctx, bundle);
    expect(decide(frozen.input, frozen.identity, frozen.ctx, bundle)).toEqual(first);
  });

  it('never puts identifier values, case references or user names in reasons', async () => {
    const d = await decideWith((s) => {
      failEverything(s);
      s.input.identifiers = [{ type: 'hin', value: 'NL-SECRET-HIN' }];
      s.input.caseRef = 'NL-SECRET-CASE';
      s.input.fields = ['owner.name', 'theft.date'];
    });
    const text = JSON.stringify(d.safes);
    for (const secret of ['NL-SECRET-HIN', 'NL-SECRET-CASE', 'anna', 'Anna Analyst', '203.0.113.9']) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('single safes without an agreement (fail closed, never short-circuit)', () => {
  it('people still checks role, expiry and suspension but not agreement terms', async () => {
    const s = baselineScenario();
    s.input.agreementId = 'stolen-kites';
    s.ctx.accreditation!.vettingLevel = 0;
    const bundle = toBundle(s, await policyEnforcer());
    expect(checkPeople(s.input, s.identity, s.ctx, bundle).outcome).toBe('pass');
    s.ctx.accreditation!.suspended = true;
    expect(checkPeople(s.input, s.identity, s.ctx, bundle).reasons).toEqual([reason('PEOPLE_SUSPENDED')]);
  });

  it('setting requires MFA by default', async () => {
    const s = baselineScenario();
    s.input.agreementId = 'stolen-kites';
    s.identity.mfa = false;
    const result = checkSetting(s.input, s.identity, s.ctx, toBundle(s, await policyEnforcer()));
    expect(result.reasons.map((r) => r.code)).toEqual(['SETTING_MFA_REQUIRED']);
  });

  it('setting reads MFA from the identity only, never from amr, and names the claim that failed', async () => {
    const s = baselineScenario();
    const bundle = toBundle(s, await policyEnforcer());
    // Two methods the verifier did not count: refused whatever they are.
    Object.assign(s.identity, { amr: ['pwd', 'otp'], mfa: false, mfaClaims: ['amr', 'acr'] });
    expect(checkSetting(s.input, s.identity, s.ctx, bundle).reasons).toEqual([
      reason('SETTING_MFA_REQUIRED', "amr or acr: no value the token's issuer counts as multi-factor"),
    ]);
    Object.assign(s.identity, { amr: [], mfa: false, mfaClaims: [] });
    expect(checkSetting(s.input, s.identity, s.ctx, bundle).reasons).toEqual([
      reason('SETTING_MFA_REQUIRED', "the token's issuer counts no claim as multi-factor"),
    ]);
    // The verifier counted acr: no amr needed.
    Object.assign(s.identity, { amr: [], mfa: true, mfaClaims: ['acr'] });
    expect(checkSetting(s.input, s.identity, s.ctx, bundle).outcome).toBe('pass');
  });
});

describe('reason()', () => {
  it('uses the catalogue message, adding the detail in brackets', () => {
    expect(reason('DATA_FIELD_UNKNOWN')).toEqual({
      code: 'DATA_FIELD_UNKNOWN',
      message: REASONS.DATA_FIELD_UNKNOWN,
    });
    expect(reason('DATA_FIELD_UNKNOWN', 'owner.shoeSize').message).toBe(
      `${REASONS.DATA_FIELD_UNKNOWN} (owner.shoeSize)`,
    );
  });
});

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
