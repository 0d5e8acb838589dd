/**
 * Hit/no-hit (Prüm-style): the analyst learns which providers hold a record for an identifier, and
 * a reference to cite in a detail request; no field values and no personal data leave.
 */
import crypto from 'node:crypto';
import type { Identity } from '../auth/identity';
import type { Secrets } from '../config/secrets';
import { identifierKey } from '../identifiers';
import type { Bundle } from '../policy/types';
import { identifierHashes, safesSummary } from '../requests/audit-events';
import { startOfLocalDay } from '../requests/local-day';
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

export class LookupService {
  constructor(
    private readonly deps: { store: Store; bundle: () => Bundle; secrets: Secrets; clock: () => Date },
  ) {}

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
    const [accreditation, requestsToday] = await Promise.all([
      this.deps.store.accreditations.get(identity.partnerId, identity.userId),
      this.deps.store.lookups.countSince(
        identity.partnerId,
        identity.userId,
        body.agreementId,
        startOfLocalDay(now, agreement?.timezone ?? 'UTC'),
      ),
    ]);
    const decision = decide(
      input,
      identity,
      { now, sourceIp: meta.sourceIp, tls: meta.tls, accreditation, requestsToday },
      bundle,
    );

    let hits: LookupHit[] = [];
    if (decision.outcome === 'permit' && agreement) {
      // Only providers party to the agreement, and only the datasets they share for lookups.
      const scopes = lookupDatasets(agreement)
        .filter((d) => agreement.parties.providers.includes(d.provider))
        .map((d) => ({ providerId: d.provider, datasetId: d.id }));
      const keys = body.identifiers.map((i) => identifierKey(i.type, i.value));
      const found = await this.deps.store.datasets.lookup([...new Set(keys)], scopes);
      hits = keys.flatMap((key, query) =>
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

    const id = crypto.randomUUID();
    const providersHit = [...new Set(hits.map((h) => h.providerId))];
    // The log entry is the lookup's only record; the quota (countSince above) counts these entries.
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
          identifierHashes: identifierHashes(this.deps.secrets.identifierKey, body.identifiers),
          hits: hits.map((h) => ({ providerId: h.providerId, recordRef: h.recordRef })),
        },
      },
    ]);
    return { id, decision, hits };
  }
}
