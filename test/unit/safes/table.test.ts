/**
 * One row per way a safe can fail: from a fully permitted baseline, change one thing and check that
 * exactly the expected code appears and only the expected safe fails. Every catalogue code must have
 * a row.
 */
import { REASON_CODES, safeOf } from '../../../src/safes/reasons';
import type { ReasonCode } from '../../../src/safes/reasons';
import type { Tlp } from '../../../src/policy/types';
import type { SafeName } from '../../../src/safes/types';
import {
  asAggregate,
  asLookup,
  codesOf,
  decideWith,
  failingSafes,
  withStanding,
} from '../../helpers/bundle-fixture';
import type { Scenario } from '../../helpers/bundle-fixture';

interface Row {
  code: ReasonCode;
  change: string;
  apply: (s: Scenario) => unknown;
  /** Safes expected to fail when the change cannot avoid touching more than one; default: the code's. */
  safes?: SafeName[];
}

const NO_AGREEMENT: SafeName[] = ['project', 'data', 'output'];
const minutesAgo = (s: Scenario, m: number) => s.ctx.now.getTime() / 1000 - m * 60;
const identifiers = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ type: 'hin', value: `NL-ABC${i}` }));

const ROWS: Row[] = [
  // people
  {
    code: 'PEOPLE_UNKNOWN_USER',
    change: 'no accreditation',
    apply: (s) => (s.ctx.accreditation = undefined),
  },
  {
    code: 'PEOPLE_UNKNOWN_USER',
    change: "another user's accreditation",
    apply: (s) => (s.ctx.accreditation!.userId = 'bert'),
  },
  {
    code: 'PEOPLE_PARTNER_MISMATCH',
    change: 'accreditation of another partner',
    apply: (s) => (s.ctx.accreditation!.partnerId = 'police-se'),
  },
  {
    code: 'PEOPLE_ROLE_NOT_PERMITTED',
    change: 'only a responder',
    apply: (s) => (s.ctx.accreditation!.roles = ['responder']),
  },
  {
    code: 'PEOPLE_ROLE_NOT_PERMITTED',
    change: 'role not named by the agreement',
    apply: (s) => (s.agreement.safes.people.roles = ['dpo']),
  },
  {
    code: 'PEOPLE_ROLE_NOT_PERMITTED',
    change: 'agreement names the role but casbin does not allow it',
    apply: (s) => {
      s.agreement.safes.people.roles = ['analyst', 'dpo'];
      s.ctx.accreditation!.roles = ['dpo'];
    },
  },
  {
    code: 'PEOPLE_VETTING_INSUFFICIENT',
    change: 'vetting level 1',
    apply: (s) => (s.ctx.accreditation!.vettingLevel = 1),
  },
  {
    code: 'PEOPLE_TRAINING_OUTDATED',
    change: 'trained in 2025',
    apply: (s) => (s.ctx.accreditation!.trainedOn = '2025-01-01'),
  },
  {
    code: 'PEOPLE_TRAINING_OUTDATED',
    change: 'malformed training date',
    apply: (s) => (s.ctx.accreditation!.trainedOn = '2026-02-30'),
  },
  {
    code: 'PEOPLE_ACCREDITATION_EXPIRED',
    change: 'expired yesterday',
    apply: (s) => (s.ctx.accreditation!.expiresOn = '2026-06-14'),
  },
  { code: 'PEOPLE_SUSPENDED', change: 'suspended', apply: (s) => (s.ctx.accreditation!.suspended = true) },

  // project
  {
    code: 'PROJECT_AGREEMENT_UNKNOWN',
    change: 'unknown agreement',
    apply: (s) => (s.input.agreementId = 'stolen-kites'),
    safes: NO_AGREEMENT,
  },
  {
    code: 'PROJECT_AGREEMENT_NOT_IN_FORCE',
    change: 'ended yesterday',
    apply: (s) => (s.agreement.validity.until = '2026-06-14'),
  },
  {
    code: 'PROJECT_AGREEMENT_NOT_IN_FORCE',
    change: 'starts tomorrow',
    apply: (s) => (s.agreement.validity.from = '2026-06-16'),
  },
  {
    code: 'PROJECT_REQUESTER_NOT_PARTY',
    change: 'partner not a requester',
    apply: (s) => (s.agreement.parties.requesters = ['police-se']),
  },
  {
    code: 'PROJECT_PROVIDER_NOT_PARTY',
    change: 'provider not a party',
    apply: (s) => (s.agreement.parties.providers = ['insureco']),
  },
  {
    code: 'PROJECT_PURPOSE_OUT_OF_SCOPE',
    change: 'other purpose',
    apply: (s) => (s.input.purpose = 'marketing'),
  },
  {
    code: 'PROJECT_DATASET_OUT_OF_SCOPE',
    change: "another provider's dataset",
    apply: (s) => (s.input.datasetId = 'theft-claims'),
    safes: ['project', 'data'],
  },
  {
    code: 'PROJECT_NO_LOOKUP_DATASET',
    change: 'a lookup under an agreement that shares no dataset for lookups',
    apply: (s) => {
      asLookup(s);
      for (const dataset of s.agreement.datasets) dataset.lookup = false;
    },
    // With nothing shared, no identifier type is in scope either.
    safes: ['project', 'data'],
  },
  {
    code: 'PROJECT_CASE_REF_INVALID',
    change: 'case reference too short',
    apply: (s) => (s.input.caseRef = 'NL-2026-00012'),
  },
  {
    code: 'PROJECT_CASE_REF_INVALID',
    change: 'case reference only partly matches',
    apply: (s) => (s.input.caseRef = 'NL-2026-000123\n'),
  },
  {
    code: 'PROJECT_CASE_REF_INVALID',
    change: 'no pattern for the partner',
    apply: (s) => (s.agreement.safes.project.caseRefPatterns = { 'police-se': '^SE-\\d{4}-\\d{6}$' }),
  },
  { code: 'PROJECT_QUOTA_EXCEEDED', change: 'quota reached', apply: (s) => (s.ctx.requestsToday = 50) },
  {
    code: 'PROJECT_AGREEMENT_NOT_ACCEPTED',
    change: 'a provider withdrew its acceptance',
    apply: (s) => withStanding(s, { notAccepted: ['insureco'] }),
  },
  {
    code: 'PROJECT_AGREEMENT_NOT_ACCEPTED',
    change: 'a new version, accepted by no party yet',
    apply: async (s) => {
      await withStanding(s, {});
      s.agreement = { ...s.agreement, version: s.agreement.version + 1 };
    },
  },
  {
    code: 'PROJECT_AGREEMENT_REVISION_OVERDUE',
    change: 'past the revision date',
    apply: (s) => (s.agreement.reviseBy = '2026-06-14'),
  },
  {
    code: 'PROJECT_PARTNER_NOT_CLEARED',
    change: 'the provider was refused at screening',
    apply: (s) => withStanding(s, { screenings: { 'boatreg-nl': { outcome: 'refused' } } }),
  },
  {
    code: 'PROJECT_PARTNER_SCREENING_LAPSED',
    change: "the requester's review was due yesterday",
    apply: (s) => withStanding(s, { screenings: { 'police-nl': { nextReviewOn: '2026-06-14' } } }),
  },

  // setting
  {
    code: 'SETTING_NETWORK_NOT_ALLOWED',
    change: "another partner's network",
    apply: (s) => (s.ctx.sourceIp = '192.0.2.10'),
  },
  {
    code: 'SETTING_NETWORK_NOT_ALLOWED',
    change: 'unparsable address',
    apply: (s) => (s.ctx.sourceIp = 'not-an-address'),
  },
  {
    code: 'SETTING_NETWORK_NOT_ALLOWED',
    change: 'shorthand IPv4 form',
    apply: (s) => (s.ctx.sourceIp = '127.1'),
  },
  {
    code: 'SETTING_MFA_REQUIRED',
    change: 'no amr set of the issuer is met',
    apply: (s) => (s.identity.mfa = false),
  },
  {
    code: 'SETTING_MFA_REQUIRED',
    change: 'an issuer that counts no claim as MFA',
    apply: (s) => Object.assign(s.identity, { mfa: false, mfaClaims: [] }),
  },
  {
    code: 'SETTING_AUTH_TOO_OLD',
    change: 'authenticated 721 minutes ago',
    apply: (s) => (s.identity.authTime = minutesAgo(s, 721)),
  },
  {
    code: 'SETTING_AUTH_TOO_OLD',
    change: 'authentication time unknown',
    apply: (s) => (s.identity.authTime = undefined),
  },
  {
    code: 'SETTING_OUTSIDE_HOURS',
    change: 'window ends at 12:00 local, now is 12:00',
    apply: (s) =>
      (s.agreement.safes.setting.allowedHours = { days: [1, 2, 3, 4, 5], from: '08:00', to: '12:00' }),
  },
  {
    code: 'SETTING_OUTSIDE_HOURS',
    change: 'Monday not an allowed day',
    apply: (s) =>
      (s.agreement.safes.setting.allowedHours = { days: [2, 3, 4, 5, 6, 7], from: '00:00', to: '24:00' }),
  },
  {
    code: 'SETTING_OUTSIDE_HOURS',
    change: 'unknown time zone',
    apply: (s) => (s.agreement.timezone = 'Europe/Atlantis'),
  },
  {
    code: 'SETTING_TLS_REQUIRED',
    change: 'TLS required, plain connection',
    apply: (s) => (s.agreement.safes.setting.tlsRequired = true),
  },

  // data
  { code: 'DATA_NO_FIELDS', change: 'no fields', apply: (s) => (s.input.fields = []) },
  {
    code: 'DATA_FIELD_UNKNOWN',
    change: 'non-canonical field',
    apply: (s) => s.input.fields.push('owner.shoeSize'),
  },
  {
    code: 'DATA_FIELD_UNKNOWN',
    change: 'inherited property name',
    apply: (s) => s.input.fields.push('constructor'),
  },
  {
    code: 'DATA_FIELD_NOT_ALLOWED',
    change: "field of another dataset's terms",
    apply: (s) => s.input.fields.push('theft.date'),
  },
  {
    code: 'DATA_CLASSIFICATION_ABOVE_CEILING',
    change: 'ceiling lowered to internal',
    apply: (s) => (s.agreement.safes.data.classificationCeiling = 'internal'),
  },
  {
    code: 'DATA_CLASSIFICATION_ABOVE_CEILING',
    change: 'dataset classified confidential',
    apply: (s) => (s.agreement.datasets[0].classification = 'confidential'),
  },
  {
    code: 'DATA_DATASET_UNKNOWN',
    change: 'unknown dataset',
    apply: (s) => (s.input.datasetId = 'kites'),
    safes: ['project', 'data'],
  },
  {
    code: 'DATA_IDENTIFIER_TYPE_NOT_IN_SCOPE',
    change: 'a VIN looked up under the boats agreement',
    apply: (s) => {
      asLookup(s);
      s.input.identifiers = [{ type: 'vin', value: '1M8GDM9AXKP042788' }];
    },
  },
  {
    code: 'DATA_NO_AGREEMENT',
    change: 'unknown agreement',
    apply: (s) => (s.input.agreementId = 'stolen-kites'),
    safes: NO_AGREEMENT,
  },

  // output
  {
    code: 'DATA_DIMENSION_NOT_ALLOWED',
    change: 'a table by a released field the agreement does not list as a dimension',
    apply: (s) => {
      asAggregate(s);
      s.input.query!.groupBy = ['owner.postcode'];
      s.input.fields = ['owner.postcode'];
    },
  },
  {
    code: 'DATA_DIMENSION_NOT_ALLOWED',
    change: 'a date finer than the agreement lists it (theft.date by day, listed by month)',
    apply: (s) => {
      asAggregate(s);
      s.input = { ...s.input, providerId: 'insureco', datasetId: 'theft-claims' };
      s.input.query!.groupBy = ['theft.date'];
      s.input.fields = ['theft.date'];
    },
  },
  {
    code: 'DATA_DIMENSION_NOT_ALLOWED',
    change: 'a date by month where the dataset releases it by year only',
    apply: (s) => {
      asAggregate(s);
      const vessels = s.agreement.datasets[0]!;
      vessels.fields.push('owner.dateOfBirth');
      vessels.generalise = { 'owner.dateOfBirth': 'year' };
      s.agreement.safes.output.aggregates!.dimensions.push('owner.dateOfBirth');
      s.input.query!.groupBy = ['owner.dateOfBirth:month'];
      s.input.fields = ['owner.dateOfBirth'];
    },
  },
  {
    code: 'DATA_DIMENSION_IDENTIFYING',
    change: "a table by the owner's name (even if an agreement listed it)",
    apply: (s) => {
      asAggregate(s);
      s.agreement.safes.output.aggregates!.dimensions.push('owner.name');
      s.input.query!.groupBy = ['owner.name'];
      s.input.fields = ['owner.name'];
    },
  },
  {
    code: 'DATA_DIMENSION_IDENTIFYING',
    change: 'a table by a field the dataset pseudonymises',
    apply: (s) => {
      asAggregate(s);
      s.agreement.datasets[0]!.pseudonymise.push('colour');
      s.input.query!.groupBy = ['colour'];
      s.input.fields = ['colour'];
    },
  },
  {
    code: 'DATA_MEASURE_NOT_ALLOWED',
    change: 'a sum the agreement does not list as a measure',
    apply: (s) => {
      asAggregate(s);
      s.agreement.safes.output.aggregates!.measures = [];
      s.input.query!.measure = { sum: 'year' };
    },
  },
  {
    code: 'DATA_OBJECT_TYPE_NOT_SHARED',
    change: 'a table of objects the dataset does not share',
    apply: (s) => {
      asAggregate(s);
      s.input.query!.objectType = 'vehicle-part-not-shared';
    },
  },
  {
    code: 'OUTPUT_NOTHING_REQUESTED',
    change: 'no identifiers, no record refs',
    apply: (s) => (s.input.identifiers = []),
  },
  {
    code: 'OUTPUT_TOO_MANY_RECORDS',
    change: '26 identifiers',
    apply: (s) => (s.input.identifiers = identifiers(26)),
  },
  {
    code: 'OUTPUT_TOO_MANY_IDENTIFIERS',
    change: 'a lookup of 101 identifiers',
    apply: (s) => {
      asLookup(s);
      s.input.identifiers = identifiers(101);
    },
  },
  {
    code: 'OUTPUT_TOO_MANY_IDENTIFIERS',
    change: 'a lookup under an agreement that sets no lookup limit',
    apply: (s) => {
      asLookup(s);
      delete s.agreement.safes.output.maxLookupIdentifiers;
    },
  },
  {
    code: 'OUTPUT_AGGREGATES_NOT_ALLOWED',
    change: 'an aggregate under an agreement that allows none',
    apply: (s) => {
      asAggregate(s);
      delete s.agreement.safes.output.aggregates;
    },
    // Without the agreement's list, no dimension is allowed either (deny by default).
    safes: ['data', 'output'],
  },
  {
    code: 'OUTPUT_AGGREGATE_SHAPE_INVALID',
    change: 'a three-dimensional table where two are allowed',
    apply: (s) => {
      asAggregate(s);
      s.input.query!.groupBy = ['make', 'year', 'model'];
      s.input.fields = ['make', 'year', 'model'];
    },
  },
  {
    code: 'OUTPUT_AGGREGATE_SHAPE_INVALID',
    change: 'a sum over a field that is not a number',
    apply: (s) => {
      asAggregate(s);
      s.input.query!.measure = { sum: 'make' };
    },
    // Not one of the agreement's measures either.
    safes: ['data', 'output'],
  },
  {
    code: 'OUTPUT_RECIPIENT_NOT_ALLOWED',
    change: 'disclosure to a team the analyst is not in',
    apply: (s) => (s.input.recipients = { team: 'financial-crime' }),
  },
  {
    code: 'OUTPUT_HANDLING_INVALID',
    change: 'TLP that does not exist',
    apply: (s) => (s.agreement.safes.output.handling.tlp = 'PURPLE' as Tlp),
  },
  {
    code: 'OUTPUT_RETENTION_INVALID',
    change: 'retention 0 days',
    apply: (s) => (s.agreement.safes.output.retentionDays = 0),
  },
  {
    code: 'OUTPUT_RETENTION_INVALID',
    change: 'retention 366 days',
    apply: (s) => (s.agreement.safes.output.retentionDays = 366),
  },
  {
    code: 'OUTPUT_RETENTION_INVALID',
    change: 'retention 1.5 days',
    apply: (s) => (s.agreement.safes.output.retentionDays = 1.5),
  },
  {
    code: 'OUTPUT_NO_AGREEMENT',
    change: 'unknown agreement',
    apply: (s) => (s.input.agreementId = 'stolen-kites'),
    safes: NO_AGREEMENT,
  },
];

describe('safes: one failing row per reason code', () => {
  it('the baseline is permitted by every safe', async () => {
    const d = await decideWith();
    expect(failingSafes(d)).toEqual([]);
    expect(d.outcome).toBe('permit');
  });

  it.each(ROWS.map((r) => [r.code, r.change, r] as const))('%s: %s', async (code, _change, row) => {
    expect((await decideWith()).outcome).toBe('permit');
    const d = await decideWith(row.apply);
    expect(d.outcome).toBe('deny');
    expect(d.safes[safeOf(code)].reasons.map((r) => r.code)).toContain(code);
    expect(failingSafes(d)).toEqual(row.safes ?? [safeOf(code)]);
  });

  it('permits the baseline as a hit/no-hit lookup too', async () => {
    const decision = await decideWith(asLookup);
    expect(failingSafes(decision)).toEqual([]);
    expect(decision.obligations.fields).toEqual([]);
  });

  it('permits the baseline as an aggregate too', async () => {
    const decision = await decideWith(asAggregate);
    expect(failingSafes(decision)).toEqual([]);
    expect(decision.obligations.fields).toEqual(['make', 'year']);
  });

  it('permits a dimension coarser than the agreement lists it (theft.date by year, listed by month)', async () => {
    const decision = await decideWith((s) => {
      asAggregate(s);
      s.input = { ...s.input, providerId: 'insureco', datasetId: 'theft-claims' };
      s.input.query!.groupBy = ['make', 'theft.date:year'];
      s.input.fields = ['make', 'theft.date'];
    });
    expect(failingSafes(decision)).toEqual([]);
  });

  it('every catalogue code has at least one failing row', () => {
    const covered = new Set(ROWS.map((r) => r.code));
    expect(REASON_CODES.filter((c) => !covered.has(c))).toEqual([]);
  });

  it('every code a row produces is in the catalogue', async () => {
    for (const row of ROWS) {
      for (const code of codesOf(await decideWith(row.apply))) expect(REASON_CODES).toContain(code);
    }
  });
});
