/**
 * Hit/no-hit (Prüm-style): the analyst learns which providers hold a record for an identifier, and
 * a reference to cite in a detail request; no field values and no personal data leave.
 */
import crypto from 'node:crypto';
import type { Identity } from '../auth/identity';
import type { Secrets } from '../config/secrets';
import { identifierKey } from '../identifiers';
import type { Agreement, Bundle } from '../policy/types';
import { countedBy, memoryQuotas, takeDailyQuota, type DailyQuotas } from '../quotas/daily-quotas';
import { namedInLog, safesSummary } from '../requests/audit-events';
import { loggedCompactly } from '../requests/denials';
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

export interface LookupResult {
  id: string;
  decision: Decision;
  hits: LookupHit[];
}

export interface LookupServiceDeps {
  store: Store;
  bundle: () => Bundle;
  secrets: Secrets;
  clock: () => Date;
  /** Daily quotas; by default counted in this process, loaded from the store's lookup entries. */
  quotas?: DailyQuotas;
}

export class LookupService {
  private readonly quotas: DailyQuotas;

  constructor(private readonly deps: LookupServiceDeps) {
    this.quotas = deps.quotas ?? memoryQuotas(countedBy(deps.store.lookups), deps.clock);
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
    const accreditation = await this.deps.store.accreditations.get(identity.partnerId, identity.userId);
    // The lookup's place in the day's count, taken before the decision: parallel lookups get distinct ones.
    const quota = await takeDailyQuota(this.quotas, identity, agreement, Boolean(accreditation), now);
    try {
      const decision = decide(
        input,
        identity,
        { now, sourceIp: meta.sourceIp, tls: meta.tls, accreditation, requestsToday: quota?.before ?? 0 },
        bundle,
      );
      const hits = decision.outcome === 'permit' && agreement ? await this.hits(agreement, body) : [];
      const id = crypto.randomUUID();
      const providersHit = [...new Set(hits.map((h) => h.providerId))];
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
            ...namedInLog(this.deps.secrets.identifierKey, body, loggedCompactly(decision)),
            // Each hit names the identifier it answers (its place in identifierHashes): a provider's
            // DPO sees only the hashes of the identifiers that hit that provider (audit/views.ts).
            hits: hits.map((h) => ({ providerId: h.providerId, recordRef: h.recordRef, query: h.query })),
          },
        },
      ]);
      return { id, decision, hits };
    } finally {
      quota?.settle();
    }
  }

  /** The hits of a permitted lookup: only providers party to the agreement, only their lookup datasets. */
  private async hits(agreement: Agreement, body: LookupInput): Promise<LookupHit[]> {
    const scopes = lookupDatasets(agreement)
      .filter((d) => agreement.parties.providers.includes(d.provider))
      .map((d) => ({ providerId: d.provider, datasetId: d.id }));
    const keys = body.identifiers.map((i) => identifierKey(i.type, i.value));
    const found = await this.deps.store.datasets.lookup([...new Set(keys)], scopes);
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
