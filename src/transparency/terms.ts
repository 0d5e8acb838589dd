/**
 * What the public may know of an agreement in force: parties, purposes, legal basis, the categories of
 * data, the five safes as configured and each party's DPO (whose contact is public by law, GDPR Art.
 * 37(7)). Never user ids, contact points, networks, case-reference patterns or screening standing.
 */
import { FIELD_CATALOGUE } from '../records/canonical';
import { TLP_MEANINGS, type Agreement, type Bundle, type Classification, type Tlp } from '../policy/types';
import { partiesOf } from '../partnership/standing';
import type { SdcRules } from '../sdc';

export interface PublicParty {
  id: string;
  name: string;
  sector: string;
  /** requester (asks for data), provider (shares data), or both. */
  roles: ('requester' | 'provider')[];
  /** Absent when the agreement names none. */
  dpo?: { name: string; email: string; phone?: string };
}

export interface PublicField {
  field: string;
  personalData: boolean;
  classification: Classification;
  /** How the field leaves: as it is, as a keyed pseudonym, or generalised (to a year, a district). */
  released: 'as-is' | 'pseudonymised' | `generalised to ${string}`;
}

export interface PublicDataCategory {
  dataset: string;
  provider: string;
  providerName: string;
  objectTypes: string[];
  classification: Classification;
  /** Shared for hit/no-hit lookups (only whether a record exists leaves). */
  lookups: boolean;
  fields: PublicField[];
}

export interface Safeguards {
  people: { roles: string[]; minimumVettingLevel: number; trainingMaxAgeDays: number };
  project: { caseReferenceRequired: boolean; dailyQuotaPerUser: number };
  setting: {
    mfaRequired: boolean;
    maxAuthAgeMinutes?: number;
    /** Requests are accepted only from each requester's registered networks. */
    networksRestricted: boolean;
    allowedHours?: { days: number[]; from: string; to: string };
    tlsRequired: boolean;
  };
  data: { classificationCeiling: Classification; minimise: boolean };
  output: {
    maxRecordsPerRequest: number;
    maxLookupIdentifiers?: number;
    handling: { tlp: Tlp; meaning: string; conditions: string[] };
    retentionDays: number;
    /** Tables (counts and sums): released only through statistical disclosure control. */
    tables: { allowed: boolean; threshold: number; roundingBase: number; providerApproval?: boolean };
  };
}

export interface PublicTerms {
  parties: PublicParty[];
  purposes: string[];
  legalBasis: string;
  categories: PublicDataCategory[];
  safeguards: Safeguards;
  retentionDays: number;
}

function partyOf(bundle: Bundle, agreement: Agreement, id: string): PublicParty {
  const partner = bundle.partners.get(id);
  const dpo = agreement.contacts?.[id]?.dpo;
  const roles: PublicParty['roles'] = [];
  if (agreement.parties.requesters.includes(id)) roles.push('requester');
  if (agreement.parties.providers.includes(id)) roles.push('provider');
  return {
    id,
    name: partner?.name ?? id,
    sector: partner?.sector ?? 'unknown',
    roles,
    // Name, e-mail and a phone only where given: never the DPO's user id.
    ...(dpo ? { dpo: { name: dpo.name, email: dpo.email, ...(dpo.phone ? { phone: dpo.phone } : {}) } } : {}),
  };
}

function categoriesOf(bundle: Bundle, agreement: Agreement): PublicDataCategory[] {
  return agreement.datasets.map((d) => ({
    dataset: d.id,
    provider: d.provider,
    providerName: bundle.partners.get(d.provider)?.name ?? d.provider,
    objectTypes: d.objectTypes,
    classification: d.classification,
    lookups: d.lookup === true,
    fields: d.fields.map((field): PublicField => {
      const info = FIELD_CATALOGUE[field];
      const generalised = d.generalise?.[field];
      return {
        field,
        personalData: info?.personal ?? false,
        classification: info?.classification ?? d.classification,
        released: d.pseudonymise.includes(field)
          ? 'pseudonymised'
          : generalised
            ? `generalised to ${generalised}`
            : 'as-is',
      };
    }),
  }));
}

function safeguardsOf(bundle: Bundle, agreement: Agreement, sdc: SdcRules): Safeguards {
  const { people, project, setting, data, output } = agreement.safes;
  return {
    people: {
      roles: people.roles,
      minimumVettingLevel: people.minVettingLevel,
      trainingMaxAgeDays: people.trainingMaxAgeDays,
    },
    project: {
      caseReferenceRequired: agreement.parties.requesters.every((r) =>
        Object.hasOwn(project.caseRefPatterns, r),
      ),
      dailyQuotaPerUser: project.dailyQuotaPerUser,
    },
    setting: {
      mfaRequired: setting.mfaRequired,
      ...(setting.maxAuthAgeMinutes !== undefined ? { maxAuthAgeMinutes: setting.maxAuthAgeMinutes } : {}),
      // The setting safe refuses a partner without networks, so "restricted" is what it enforces.
      networksRestricted: agreement.parties.requesters.every(
        (r) => (bundle.partners.get(r)?.networks.length ?? 0) > 0,
      ),
      ...(setting.allowedHours ? { allowedHours: setting.allowedHours } : {}),
      tlsRequired: setting.tlsRequired,
    },
    data: { classificationCeiling: data.classificationCeiling, minimise: data.minimise },
    output: {
      maxRecordsPerRequest: output.maxRecordsPerRequest,
      ...(output.maxLookupIdentifiers !== undefined
        ? { maxLookupIdentifiers: output.maxLookupIdentifiers }
        : {}),
      handling: {
        tlp: output.handling.tlp,
        meaning: TLP_MEANINGS[output.handling.tlp],
        conditions: output.handling.conditions,
      },
      retentionDays: output.retentionDays,
      tables: {
        allowed: output.aggregates !== undefined,
        threshold: sdc.threshold,
        roundingBase: sdc.roundingBase,
        ...(output.aggregates ? { providerApproval: output.aggregates.providerApproval } : {}),
      },
    },
  };
}

export function publicTerms(bundle: Bundle, agreement: Agreement, sdc: SdcRules): PublicTerms {
  return {
    parties: partiesOf(agreement).map((id) => partyOf(bundle, agreement, id)),
    purposes: agreement.purposes,
    legalBasis: agreement.legalBasis,
    categories: categoriesOf(bundle, agreement),
    safeguards: safeguardsOf(bundle, agreement, sdc),
    retentionDays: agreement.safes.output.retentionDays,
  };
}
