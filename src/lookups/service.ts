/**
 * Hit/no-hit (Prüm-style): the analyst learns which providers hold a record for an identifier, and
 * a reference to cite in a detail request; no field values and no personal data leave.
 */
import crypto from 'node:crypto';
import type { Identity } from '../auth/identity';
import type { Secrets } from '../config/secrets';
import { checkIdentifier, identifierKey, isIdentifierType, type IdentifierIssue } from '../identifiers';
import type { Agreement, Bundle } from '../policy/types';
import { quotasOf, takeDailyQuota, type DailyQuotas } from '../quotas/daily-quotas';
import { namedInLog, safesSummary } from '../audit/entry-fields';
import { loggedCompactly } from '../requests/denials';
import type { PartnershipRegistry } from '../partnership/registry';
import { providersNotCleared } from '../partnership/standing';
import type { GatewayMetrics } from '../metrics/gateway-metrics';
import { decide } from '../safes/decide';
import { lookupDatasets } from '../safes/data';
import type { Decision, IdentifierInput, RequestInput } from '../safes/types';
import type { Store } from '../store/port';

export interface LookupInput {
  agreementId: string;
  identifiers: IdentifierInput[];
  purpose: string;
  caseRef: string;
}

/** A hit: which of the asked identifiers (by position), who holds it, as what, and a reference. */
export interface LookupHit {
  query: number;
  providerId: string;
  objectType: string;
  identifierType: string;
  recordRef: string;
}

/**
 * What became of one asked identifier, in request order: `invalid` ones (the validator's errors) are
 * never looked up, so "no-hit" always means a well-formed identifier was searched and not found.
 * Warnings (e.g. a European VIN whose position 9 is no check digit) do not stop the search.
 */
export interface LookupIdentifierResult {
  query: number;
  type: string;
  /** The type's normalised form of the value (the requester's own input, tidied). */
  normalised: string;
  status: 'hit' | 'no-hit' | 'invalid';
  errors?: IdentifierIssue[];
  warnings?: IdentifierIssue[];
}

export interface LookupResult {
  id: string;
  decision: Decision;
  hits: LookupHit[];
  results: LookupIdentifierResult[];
}

export interface LookupServiceDeps {
  store: Store;
  bundle: () => Bundle;
  secrets: Secrets;
  clock: () => Date;
  /** Daily quotas; by default the store's (store.quotas: in this process for SQLite, shared for PostgreSQL). */
  quotas?: DailyQuotas;
  /** Decisions, lookups and hits, when metrics are kept. */
  metrics?: GatewayMetrics;
  /** Partners' screenings and agreements' acceptances, for the project safe and the search. */
  partnership: PartnershipRegistry;
}

export class LookupService {
  private readonly quotas: DailyQuotas;

  constructor(private readonly deps: LookupServiceDeps) {
    this.quotas = deps.quotas ?? quotasOf(deps.store, 'lookups');
  }

  async lookup(
    identity: Identity,
    body: LookupInput,
    meta: { sourceIp: string; tls: boolean },
  ): Promise<LookupResult> {
    const bundle = this.deps.bundle();
    const now = this.deps.clock();
    const agreement = bundle.agreements.get(body.agreementId);
    const input: RequestInput = {
      ...body,
      kind: 'lookup',
      providerId: '',
      datasetId: '',
      fields: [],
      recordRefs: [],
    };
    // Checked before the quota's place is taken, so nothing between taking and settling it can throw.
    const checks = body.identifiers.map(checkOne);
    const accreditation = await this.deps.store.accreditations.get(identity.partnerId, identity.userId);
    // The lookup's place in the day's count, taken before the decision: parallel lookups get distinct ones.
    const quota = await takeDailyQuota(this.quotas, identity, agreement, Boolean(accreditation), now);
    try {
      const partnership = await this.deps.partnership.facts();
      const decision = decide(
        input,
        identity,
        {
          now,
          sourceIp: meta.sourceIp,
          tls: meta.tls,
          accreditation,
          requestsToday: quota?.before ?? 0,
          partnership,
        },
        bundle,
      );
      this.deps.metrics?.decision(decision, 'lookup', identity.partnerId);
      // A provider not cleared by the partnership's screening takes part in no exchange: not searched.
      const searched = decision.outcome === 'permit' ? agreement : undefined;
      const excluded = searched ? providersNotCleared(searched, partnership, now) : [];
      const hits = searched ? await this.hits(searched, body, checks, excluded) : [];
      const id = crypto.randomUUID();
      const providersHit = [...new Set(hits.map((h) => h.providerId))];
      const compactly = loggedCompactly(decision);
      // The log entry is the lookup's only record; a quota's count is loaded from these entries.
      await this.deps.store.lookups.create([
        {
          type: 'lookup',
          actor: { userId: identity.userId, partnerId: identity.partnerId },
          // A provider's DPO sees the lookups that touched its data.
          partners: [identity.partnerId, ...providersHit],
          agreementId: body.agreementId,
          outcome: decision.outcome,
          data: {
            lookupId: id,
            policyDigest: decision.policyDigest,
            safes: safesSummary(decision),
            purpose: body.purpose,
            caseRef: body.caseRef,
            ...namedInLog(this.deps.secrets.identifierKey, body, compactly),
            // Each hit names the identifier it answers (its place in identifierHashes): a provider's
            // DPO sees only the hashes of the identifiers that hit that provider (audit/views.ts).
            hits: hits.map((h) => ({ providerId: h.providerId, recordRef: h.recordRef, query: h.query })),
            // Which identifiers were not looked up, and why (codes only: no value). Cut from a provider's view.
            ...(checks.some((c) => !c.valid) ? { invalid: invalidInLog(checks, compactly) } : {}),
            ...(excluded.length ? { notSearched: excluded } : {}),
          },
        },
      ]);
      this.deps.metrics?.lookup(identity.partnerId, decision.outcome, checks.length, hits);
      return { id, decision, hits, results: resultsOf(checks, hits) };
    } finally {
      quota?.settle();
    }
  }

  /** The hits of a permitted lookup: only providers party to the agreement, only their lookup datasets. */
  private async hits(
    agreement: Agreement,
    body: LookupInput,
    checks: readonly IdentifierCheckOf[],
    excluded: readonly { providerId: string }[],
  ): Promise<LookupHit[]> {
    const scopes = lookupDatasets(agreement)
      .filter((d) => agreement.parties.providers.includes(d.provider))
      .filter((d) => !excluded.some((e) => e.providerId === d.provider))
      .map((d) => ({ providerId: d.provider, datasetId: d.id }));
    // An invalid identifier is never searched: its key is left out (undefined) and finds nothing.
    const keys = body.identifiers.map((i, q) =>
      checks[q].valid ? identifierKey(i.type, i.value) : undefined,
    );
    const asked = [...new Set(keys.filter((k): k is string => k !== undefined))];
    const found = asked.length ? await this.deps.store.datasets.lookup(asked, scopes) : [];
    return keys.flatMap((key, query) =>
      found
        .filter((h) => h.identifierKey === key)
        .map((h) => ({
          query,
          providerId: h.providerId,
          objectType: h.objectType,
          identifierType: h.identifierType,
          recordRef: h.recordRef,
        })),
    );
  }
}

interface IdentifierCheckOf {
  type: string;
  valid: boolean;
  value: string;
  errors: IdentifierIssue[];
  warnings: IdentifierIssue[];
}

/** The validator's verdict on one asked identifier (the schema has already held its type to the six). */
function checkOne(identifier: { type: string; value: string }): IdentifierCheckOf {
  const type = identifier.type;
  if (!isIdentifierType(type)) {
    // Unreachable behind the schema; fail closed rather than search an unchecked value.
    const unknown = { code: 'IDENTIFIER_TYPE_UNKNOWN', message: 'not a known identifier type' };
    return { type, valid: false, value: identifier.value, errors: [unknown], warnings: [] };
  }
  return { type, ...checkIdentifier(type, identifier.value) };
}

/**
 * The invalid identifiers' places and codes; for an entry logged compactly (an over-limit or unknown
 * caller's lookup: requests/denials.ts) only how many and which codes, so the entry stays bounded.
 */
function invalidInLog(checks: readonly IdentifierCheckOf[], compactly: boolean): unknown {
  const codesOf = (c: IdentifierCheckOf) => [...new Set(c.errors.map((e) => e.code))];
  const invalid = checks.flatMap((c, query) => (c.valid ? [] : [{ query, codes: codesOf(c) }]));
  if (!compactly) return invalid;
  return { count: invalid.length, codes: [...new Set(invalid.flatMap((i) => i.codes))].sort() };
}

/** Each asked identifier's answer in request order (a denied lookup has no hits: all its valid ones no-hit). */
function resultsOf(
  checks: readonly IdentifierCheckOf[],
  hits: readonly LookupHit[],
): LookupIdentifierResult[] {
  const hit = new Set(hits.map((h) => h.query));
  return checks.map((c, query) => ({
    query,
    type: c.type,
    normalised: c.value,
    status: !c.valid ? 'invalid' : hit.has(query) ? 'hit' : 'no-hit',
    ...(c.errors.length ? { errors: c.errors } : {}),
    ...(c.warnings.length ? { warnings: c.warnings } : {}),
  }));
}
