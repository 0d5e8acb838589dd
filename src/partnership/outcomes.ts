/**
 * Outcomes: what a disclosure or a hit led to, recorded by the analyst who asked (or a member of the
 * team the request named), any time after release. Kept in the partnership's ledger; the log keeps the
 * kind and a digest of the note, never the note.
 */
import type { Identity } from '../auth/identity';
import { problems } from '../http/problem';
import { bodyValidator } from '../http/validate';
import { OUTCOME_KINDS, type Bundle, type OutcomeKind } from '../policy/types';
import type { StoredRequest } from '../requests/types';
import type { Store } from '../store/port';
import { outcomeEvent } from './events';
import type { PartnershipRegistry, Recorded } from './registry';
import type { Outcome } from './types';

/** An outcome as a reader sees it: the provider's side without the note. */
export type OutcomeSeen = Omit<Outcome, 'note'> & { note?: string };

export interface OutcomeInput {
  kind: OutcomeKind;
  note?: string;
}

export const validateOutcome = bodyValidator<OutcomeInput>({
  type: 'object',
  additionalProperties: false,
  required: ['kind'],
  properties: {
    kind: { enum: [...OUTCOME_KINDS] },
    note: { type: 'string', maxLength: 500 },
  },
});

export interface OutcomeServiceDeps {
  store: Store;
  bundle: () => Bundle;
  partnership: PartnershipRegistry;
  clock: () => Date;
}

/**
 * The most outcomes one disclosure or lookup keeps: a few things it led to, corrected now and then,
 * never a store (and a log) that one analyst grows without end.
 */
export const MAX_OUTCOMES_PER_SOURCE = 20;

/** How far back a lookup is looked for among its analyst's lookup entries (newest first). */
const LOOKUP_PAGE = 500;

export class OutcomeService {
  constructor(private readonly deps: OutcomeServiceDeps) {}

  /** `body` is checked once the caller is known to be the request's: a stranger learns nothing from a 400. */
  async recordForRequest(identity: Identity, id: string, body: unknown): Promise<Recorded<Outcome>> {
    const request = await this.requestOf(identity, id);
    const input = validateOutcome(body);
    // A released table counts as a disclosure; an expired one was disclosed too.
    if (!request.disclosedAt) {
      throw problems.conflict(`Nothing was disclosed yet; the request is ${request.state}.`, {
        state: request.state,
      });
    }
    const outcome = this.outcome(identity, request.input.agreementId, { kind: 'request', id }, input);
    const partners = [...new Set([request.requesterPartner, request.input.providerId])];
    return this.record(outcome, partners);
  }

  async recordForLookup(identity: Identity, lookupId: string, body: unknown): Promise<Recorded<Outcome>> {
    const lookup = await this.lookupOf(identity, lookupId);
    const input = validateOutcome(body);
    const hits = (lookup.data?.hits ?? []) as { providerId: string }[];
    if (lookup.outcome !== 'permit' || hits.length === 0) {
      throw problems.conflict('Only a lookup with at least one hit can lead to an outcome.');
    }
    const agreementId = lookup.agreementId ?? '';
    const outcome = this.outcome(identity, agreementId, { kind: 'lookup', id: lookupId }, input);
    const partners = [...new Set([identity.partnerId, ...hits.map((h) => h.providerId)])];
    return this.record(outcome, partners);
  }

  /**
   * The outcomes recorded for a request, to either side of it (or the requester's team). The provider
   * learns what its answer led to, not the analyst's note: police information, perhaps about a person,
   * that no Five Safes decision lets go to a partner.
   */
  async listForRequest(identity: Identity, id: string): Promise<Recorded<OutcomeSeen>[]> {
    const request = await this.deps.store.requests.get(id);
    if (request && (await this.isRecipient(identity, request))) {
      return this.ofSource(request.input.agreementId, 'request', id);
    }
    if (!request || request.state === 'denied' || request.input.providerId !== identity.partnerId) {
      throw problems.notFound('No such request.');
    }
    const outcomes = await this.ofSource(request.input.agreementId, 'request', id);
    return outcomes.map(({ record: { note: _note, ...seen }, ...o }) => ({ ...o, record: seen }));
  }

  async ofSource(agreementId: string, kind: 'request' | 'lookup', id: string): Promise<Recorded<Outcome>[]> {
    const all = await this.deps.partnership.outcomes(agreementId);
    return all.filter((o) => o.record.source.kind === kind && o.record.source.id === id);
  }

  private outcome(
    identity: Identity,
    agreementId: string,
    source: Outcome['source'],
    input: OutcomeInput,
  ): Outcome {
    return {
      agreementId,
      source,
      kind: input.kind,
      note: input.note ?? '',
      by: { partnerId: identity.partnerId, userId: identity.userId },
    };
  }

  private async record(outcome: Outcome, partners: string[]): Promise<Recorded<Outcome>> {
    const { kind, id } = outcome.source;
    if ((await this.ofSource(outcome.agreementId, kind, id)).length >= MAX_OUTCOMES_PER_SOURCE) {
      throw problems.conflict(`This ${kind} has ${MAX_OUTCOMES_PER_SOURCE} outcomes already.`);
    }
    const recordedAt = this.deps.clock().toISOString();
    const seq = await this.deps.partnership.recordOutcome(outcome, [
      outcomeEvent(outcome, partners, this.deps.partnership.digest),
    ]);
    return { seq, recordedAt, record: outcome };
  }

  /** The request, if the caller is its analyst or of the team it named; anyone else: 404 (or 403 to the provider). */
  private async requestOf(identity: Identity, id: string): Promise<StoredRequest> {
    const request = await this.deps.store.requests.get(id);
    if (request && (await this.isRecipient(identity, request))) return request;
    if (request && request.state !== 'denied' && request.input.providerId === identity.partnerId) {
      throw problems.forbidden('Only the requesting analyst records what a disclosure led to.');
    }
    throw problems.notFound('No such request.');
  }

  private async isRecipient(identity: Identity, request: StoredRequest): Promise<boolean> {
    if (request.requesterPartner !== identity.partnerId) return false;
    if (request.requesterUser === identity.userId) return true;
    const team = request.decision.obligations.recipients?.team;
    if (!team) return false;
    const accreditation = await this.deps.store.accreditations.get(identity.partnerId, identity.userId);
    return accreditation?.teams?.includes(team) === true;
  }

  /**
   * The caller's own lookup entry: found among their lookup entries in the log, newest first (the log
   * is the lookup's only record; the store's actor index makes this a scan of the caller's lookups).
   */
  private async lookupOf(identity: Identity, lookupId: string) {
    const actor = { partnerId: identity.partnerId, userId: identity.userId };
    let after: number | undefined;
    for (;;) {
      const page = await this.deps.store.audit.query(
        { actor, types: ['lookup'] },
        { order: 'desc', limit: LOOKUP_PAGE, after },
      );
      const found = page.find((e) => e.data?.lookupId === lookupId);
      if (found) return found;
      if (page.length < LOOKUP_PAGE) throw problems.notFound('No such lookup.');
      after = page[page.length - 1].seq;
    }
  }
}
