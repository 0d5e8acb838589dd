/** The policy bundle: partners, agreements and the casbin enforcer, as loaded from `policies/`. */
import type { Enforcer } from 'casbin';

export type Sector = 'public' | 'private' | 'operator';
/** `legal`: accepts agreements on behalf of its partner (the partnership's records, src/partnership). */
export type Role = 'analyst' | 'responder' | 'dpo' | 'admin' | 'legal';
export const ROLES: readonly Role[] = ['analyst', 'responder', 'dpo', 'admin', 'legal'];

/** Signature algorithms a partner's issuer may be pinned to. Never taken from the token. */
export type TokenAlgorithm = 'ES256' | 'ES384' | 'RS256' | 'PS256' | 'EdDSA';

/**
 * An issuer's keys are either one static key (`publicKey` with its `algorithm`: offline deployments, the
 * demo) or a key set (an identity provider that rotates its keys) with the `algorithms` its tokens may
 * use, found at `jwksUri` or through the issuer's discovery document (`discovery: true`); the verifier
 * refuses an entry with more than one source of keys, or none, at load.
 */
export interface IssuerConfig {
  /** The `iss` claim this issuer puts in its tokens. */
  iss: string;
  algorithm?: TokenAlgorithm;
  /** PEM file with the issuer's public key, relative to the bundle folder. */
  publicKey?: string;
  /** The issuer's JSON Web Key Set (https, or http on this machine only). */
  jwksUri?: string;
  /** The key set is the `jwks_uri` of `<iss>/.well-known/openid-configuration` (OpenID Connect Discovery). */
  discovery?: boolean;
  /** The algorithms tokens of the key set may use, pinned here, never taken from the token. */
  algorithms?: TokenAlgorithm[];
  /**
   * The `typ` header API tokens of this issuer must carry (RFC 9068's `at+jwt`): where an identity
   * provider marks its access tokens, an ID token can never pass for one, whatever its audience.
   */
  accessTokenType?: string;
  /** The portal's sign-in with this issuer (OpenID Connect authorization code flow with PKCE). */
  signIn?: IssuerSignIn;
  /** A demo issuer (keys under config/demo/): trusted only while `demo.enabled` is on. */
  demo?: boolean;
  /** How this issuer's tokens are read beyond the signature; left out, the strict defaults apply. */
  assurance?: IssuerAssurance;
}

/**
 * How the portal signs this issuer's users in: the gateway is a client of the issuer's identity
 * provider, registered with `clientId` and the redirect URI `<portal>/portal/oidc/callback`. A client
 * secret is read from an environment variable or a file (never from the bundle); with neither, the
 * client is public and PKCE alone binds the code to the browser that asked for it.
 */
export interface IssuerSignIn {
  clientId: string;
  /** The environment variable holding the client secret. */
  clientSecretEnv?: string;
  /** The file holding the client secret: absolute, or relative to the bundle folder (keep it outside it). */
  clientSecretFile?: string;
  /** Scopes asked for; `openid` is always among them. */
  scopes?: string[];
  /** What the sign-in page's button says; default: "Sign in with <partner name>". */
  label?: string;
}

/** An issuer's assurance settings; each has a strict default (src/auth/assurance.ts). */
export interface IssuerAssurance {
  /**
   * Sets of RFC 8176 `amr` methods: a token whose `amr` holds every method of one set is multi-factor,
   * e.g. `[[mfa], [pwd, otp]]`. Default `[[mfa]]`: the issuer must say `mfa` itself.
   */
  mfaAmr?: string[][];
  /** `acr` values that count as multi-factor (e.g. eIDAS LoA substantial and high). Default: none. */
  mfaAcr?: string[];
  /** The longest token lifetime (exp − iat) accepted; tokens must carry `iat`. Default 3600, at most 86400. */
  maxTokenLifetimeSeconds?: number;
  /** Clock tolerance for exp, nbf, iat and auth_time, at most 60. Default: the gateway's auth.clockSkewSeconds. */
  clockSkewSeconds?: number;
}

export interface Partner {
  id: string;
  name: string;
  sector: Sector;
  country: string;
  issuers: IssuerConfig[];
  /** CIDR ranges requests from this partner's users must come from. */
  networks: string[];
  /** A supervisor partner's DPO sees every partner (the gateway operator). */
  supervisor?: boolean;
}

/** Ordered from least to most sensitive; a ceiling admits its own level and those below. */
export const CLASSIFICATIONS = ['public', 'internal', 'restricted', 'confidential'] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

/** Least to most restrictive: a responder may move a disclosure up this list, never down. */
export const TLP_LEVELS = ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'] as const;
export type Tlp = (typeof TLP_LEVELS)[number];

/** The published meanings of TLP 2.0 (FIRST), shown with every disclosure. */
export const TLP_MEANINGS: Readonly<Record<Tlp, string>> = {
  CLEAR: 'Recipients can spread this to the world; there is no limit on disclosure.',
  GREEN:
    'Limited disclosure: recipients can spread this within their community, but not via publicly accessible channels.',
  AMBER:
    'Limited disclosure: recipients can only spread this on a need-to-know basis within their organisation and its clients.',
  'AMBER+STRICT':
    'Limited disclosure: recipients can only spread this on a need-to-know basis within their organisation only.',
  RED: 'For the eyes and ears of individual recipients only, no further disclosure.',
};

export interface Handling {
  tlp: Tlp;
  /** Onward-sharing conditions, e.g. "no onward disclosure without the provider's permission". */
  conditions: string[];
}

export interface DatasetTerms {
  id: string;
  provider: string;
  objectTypes: string[];
  classification: Classification;
  /** Canonical field paths the requester may receive from this dataset. */
  fields: string[];
  /** Fields released only as keyed pseudonyms (HMAC under the agreement's key). */
  pseudonymise: string[];
  /** Shared with the gateway for hit/no-hit lookups (only existence and a record reference leave). */
  lookup?: boolean;
  /** Fields released only generalised: a date of birth to its year, a postcode to its district. */
  generalise?: Record<string, Generalisation>;
}

/** How aggregate tables are released: statistical disclosure control (defaults as ACRO) and approval. */
export interface AggregateRules {
  /** The provider's responder approves every table before release (a `review` table always needs it). */
  providerApproval: boolean;
  maxDimensions: number;
  /**
   * The dimensions a table may use, a closed list: a canonical field, or a date field with `:month` or
   * `:year` as the finest it may be grouped by (a query may ask for it coarser). Never a field that
   * identifies (FIELD_CATALOGUE) or that a dataset of the agreement pseudonymises.
   */
  dimensions: string[];
  /** Numeric fields a table may sum; absent = counts only. */
  measures?: string[];
  sdc?: {
    threshold?: number;
    dominance?: { n: number; k: number };
    pRatio?: number;
    zerosDisclosive?: boolean;
    checkMissingValues?: boolean;
    actions?: Array<'suppress' | 'round'> | ['withhold'];
    roundingBase?: number;
    /** 'none': no totals or margins are published (default 'published': true totals, checked and rounded). */
    totals?: 'published' | 'none';
    /** A named set of rules (src/sdc/rules.ts SDC_PROFILES); the settings beside it override it. */
    profile?: 'opensafely';
  };
}

export type Generalisation = 'year' | 'district';

export interface AllowedHours {
  /** ISO weekdays 1 (Monday) .. 7 (Sunday). */
  days: number[];
  /** "HH:MM", inclusive, in the agreement's time zone. */
  from: string;
  /** "HH:MM", exclusive; "24:00" means end of day. */
  to: string;
}

/** One person a party names for an agreement; `userId` (of that party) lets them read its report. */
export interface Contact {
  name: string;
  email: string;
  phone?: string;
  userId?: string;
}

/** Whom to call at a party: its contact point, its DPO, and whom to escalate to. */
export interface PartyContacts {
  contactPoint: Contact;
  dpo: Contact;
  escalation: Contact;
}

/** What an analyst can record that a disclosure or a hit led to. */
export const OUTCOME_KINDS = [
  'object-recovered',
  'suspect-identified',
  'owner-traced',
  'case-solved',
  'no-value',
] as const;
export type OutcomeKind = (typeof OUTCOME_KINDS)[number];

/** A goal the partnership set itself, e.g. 5 stolen boats recovered per quarter. */
export interface AgreementGoal {
  id: string;
  title: string;
  outcome: OutcomeKind;
  target: number;
  per: 'month' | 'quarter' | 'year';
}

export interface Agreement {
  id: string;
  title: string;
  version: number;
  /** The date by which the agreement must be revised; past it the project safe refuses. */
  reviseBy: string;
  /** The confidentiality commitment each party accepts with this version. */
  confidentiality?: string;
  /** Hours a provider has to answer a request before it is flagged overdue. */
  responseTimeHours?: number;
  /** Per party id. */
  contacts?: Record<string, PartyContacts>;
  goals?: AgreementGoal[];
  parties: { requesters: string[]; providers: string[] };
  legalBasis: string;
  validity: { from: string; until: string };
  timezone: string;
  purposes: string[];
  datasets: DatasetTerms[];
  safes: {
    people: { roles: Role[]; minVettingLevel: number; trainingMaxAgeDays: number };
    project: {
      /** Per requesting partner, the regular expression a case reference must match in full. */
      caseRefPatterns: Record<string, string>;
      dailyQuotaPerUser: number;
    };
    setting: {
      mfaRequired: boolean;
      maxAuthAgeMinutes?: number;
      allowedHours?: AllowedHours;
      tlsRequired: boolean;
    };
    data: { classificationCeiling: Classification; minimise: boolean };
    output: {
      maxRecordsPerRequest: number;
      /** Identifiers per hit/no-hit lookup; absent = lookups are not allowed. */
      maxLookupIdentifiers?: number;
      /** Aggregate (count/sum) requests; absent = not allowed. */
      aggregates?: AggregateRules;
      handling: Handling;
      retentionDays: number;
    };
  };
  /** Review before release: `fourEyes`, a second responder approves what another prepared. */
  review?: { fourEyes?: boolean };
}

export interface Bundle {
  partners: ReadonlyMap<string, Partner>;
  agreements: ReadonlyMap<string, Agreement>;
  /** Evaluates `(role, partner, action)` from policies/model.conf + policies/policy.csv. */
  enforcer: Enforcer;
  /** sha256 (hex) over the bundle's canonical form; recorded with every decision. */
  digest: string;
  /** Absolute folder the bundle was loaded from (issuer keys are relative to it). */
  dir: string;
}
