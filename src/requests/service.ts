/**
 * The detail-request flow: decide, route to the provider, answer and preview, approve or decline,
 * read until expiry, purge. Every step is one store transition that carries its log entries.
 */
import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Receipt } from '../audit/receipts';
import type { Identity } from '../auth/identity';
import type { Secrets } from '../config/secrets';
import { problems } from '../http/problem';
import type { Bundle, Handling } from '../policy/types';
import type { Accreditation } from '../records/accreditation';
import type { CanonicalRecord } from '../records/canonical';
import type { DatasetRecord } from '../datasets/types';
import { partnerAdapter } from '../datasets/partner-adapter';
import { identifierKey } from '../identifiers';
import { mapAll } from '../mapping';
import type { InputFormat, QuarantineEntry } from '../mapping/types';
import { findDataset } from '../safes/data';
import { decide } from '../safes/decide';
import { decideRead } from '../safes/read';
import { partnershipReasons } from '../safes/project';
import type { DecisionContext, RequestInput } from '../safes/types';
import type { Store } from '../store/port';
import type { AuditEventInput } from '../audit/types';
import { quotasOf, takeDailyQuota, type DailyQuotas } from '../quotas/daily-quotas';
import { actorOf, identifierHashes, safesSummary, subjectHashes } from '../audit/entry-fields';
import { decisionEvent, disclosureEvents, stateEvent } from './audit-events';
import { deniedProblem, loggedCompactly } from './denials';
import { aggregateFields } from '../aggregates/query';
import { computeTable } from '../aggregates/tables';
import { stricterHandling } from './handling';
import { checkAnswer, recordDigest, releaseView } from './release';
import { assertSecondPair, firstApprovalDue, fourEyesApply } from './four-eyes';
import type { Preview, RequestState, StoredRequest } from './types';
import type { PartnershipRegistry } from '../partnership/registry';
import type { GatewayMetrics } from '../metrics/gateway-metrics';

export interface RequestServiceDeps {
  store: Store;
  bundle: () => Bundle;
  secrets: Secrets;
  clock: () => Date;
  /** Issues the receipt of a request's disclosure entry (the audit service). */
  receipts?: { receiptForRequest(requestId: string): Promise<Receipt | null> };
  /** Daily quotas; by default the store's (store.quotas: in this process for SQLite, shared for PostgreSQL). */
  quotas?: DailyQuotas;
  /** Decisions, when metrics are kept. */
  metrics?: GatewayMetrics;
  /** Partners' screenings and agreements' acceptances, for the project safe. */
  partnership: PartnershipRegistry;
}

/**
 * What an approval did: released the preview, or (a table under four eyes) recorded the first of two
 * approvals, after which another responder of the provider releases it.
 */
export interface Approval {
  step: 'released' | 'first-approval';
  request: StoredRequest;
}

/** Where the caller stands towards a request; anyone else learns nothing (404). */
type Side = 'requester' | 'provider';

/** The problem code of a read the safes refused. */
export const DISCLOSURE_READ_DENIED = 'disclosure-read-denied';

const OPEN_STATES: RequestState[] = ['awaiting_provider', 'answered', 'withheld'];
const DAY_MS = 24 * 60 * 60 * 1000;

export class RequestService {
  private readonly quotas: DailyQuotas;

  constructor(private readonly deps: RequestServiceDeps) {
    this.quotas = deps.quotas ?? quotasOf(deps.store, 'requests');
  }

  /** Decides the request against the Five Safes and stores it, permitted or denied. */
  async create(
    identity: Identity,
    raw: Omit<RequestInput, 'identifiers' | 'recordRefs'> & Partial<RequestInput>,
    meta: { sourceIp: string; tls: boolean },
  ): Promise<StoredRequest> {
    const input: RequestInput = {
      ...raw,
      identifiers: raw.identifiers ?? [],
      recordRefs: raw.recordRefs ?? [],
      // An aggregate names the fields it reads through its query; the data safe judges those.
      ...(raw.query ? { kind: 'aggregate' as const, fields: aggregateFields(raw.query) } : {}),
    };
    const bundle = this.deps.bundle();
    const now = this.deps.clock();
    const agreement = bundle.agreements.get(input.agreementId);
    const accreditation = await this.deps.store.accreditations.get(identity.partnerId, identity.userId);
    // The request's place in the day's count, taken before the decision: parallel ones get distinct places.
    const quota = await takeDailyQuota(this.quotas, identity, agreement, Boolean(accreditation), now);
    try {
      return await this.decideAndStore(identity, input, bundle, {
        now,
        sourceIp: meta.sourceIp,
        tls: meta.tls,
        accreditation,
        requestsToday: quota?.before ?? 0,
        partnership: await this.deps.partnership.facts(),
      });
    } finally {
      quota?.settle();
    }
  }

  /**
   * The Five Safes' decision on one request, as a new request (permitted: awaiting the provider; else
   * denied) with its decision entry. Every request, alone or one of a question's, is decided here.
   */
  private decided(
    identity: Identity,
    input: RequestInput,
    bundle: Bundle,
    context: DecisionContext,
  ): { request: StoredRequest; events: AuditEventInput[] } {
    const now = context.now;
    const decision = decide(input, identity, context, bundle);
    this.deps.metrics?.decision(decision, input.kind ?? 'detail', identity.partnerId);
    const request: StoredRequest = {
      id: crypto.randomUUID(),
      input,
      requesterUser: identity.userId,
      requesterPartner: identity.partnerId,
      decision,
      state: decision.outcome === 'permit' ? 'awaiting_provider' : 'denied',
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      preview: null,
      previewVersion: 0,
      disclosure: null,
      disclosedAt: null,
      expiresAt: null,
      recordDigests: [],
      declineReason: null,
      purgedAt: null,
    };
    const events = [decisionEvent(request, actorOf(identity), this.deps.secrets.identifierKey)];
    // A request the agreement does not bound is kept as its log entry keeps it: without its lists.
    if (loggedCompactly(decision)) request.input = { ...input, identifiers: [], recordRefs: [] };
    return { request, events };
  }

  /**
   * Detail requests of one person sent together (a question to the partnership: one per provider),
   * each decided as any request and counted in the daily quota; `group` marks each request and adds
   * the group's own log entries. All are stored with their entries in one transaction.
   */
  async createGroup(
    identity: Identity,
    inputs: RequestInput[],
    meta: { sourceIp: string; tls: boolean },
    group: {
      mark(request: StoredRequest): void;
      events(requests: StoredRequest[]): AuditEventInput[];
    },
  ): Promise<StoredRequest[]> {
    const bundle = this.deps.bundle();
    const now = this.deps.clock();
    const accreditation = await this.deps.store.accreditations.get(identity.partnerId, identity.userId);
    const partnership = await this.deps.partnership.facts();
    const uses: { settle(): void }[] = [];
    try {
      const made: { request: StoredRequest; events: AuditEventInput[] }[] = [];
      for (const input of inputs) {
        const agreement = bundle.agreements.get(input.agreementId);
        const quota = await takeDailyQuota(this.quotas, identity, agreement, Boolean(accreditation), now);
        if (quota) uses.push(quota);
        const context = { now, ...meta, accreditation, requestsToday: quota?.before ?? 0, partnership };
        const { request, events } = this.decided(identity, input, bundle, context);
        group.mark(request);
        events.push(stateEvent(request, actorOf(identity), null));
        made.push({ request, events });
      }
      const requests = made.map((m) => m.request);
      await this.deps.store.requests.createAll(requests, [
        ...made.flatMap((m) => m.events),
        ...group.events(requests),
      ]);
      return requests;
    } finally {
      for (const use of uses) use.settle();
    }
  }

  private async decideAndStore(
    identity: Identity,
    input: RequestInput,
    bundle: Bundle,
    context: DecisionContext,
  ): Promise<StoredRequest> {
    const now = context.now;
    const agreement = bundle.agreements.get(input.agreementId);
    const { request, events } = this.decided(identity, input, bundle, context);
    const actor = actorOf(identity);
    if (request.decision.outcome === 'permit' && input.kind === 'aggregate' && agreement && input.query) {
      // The gateway computes the table itself; what happens next is SDC's and the agreement's call.
      const outcome = await computeTable(
        this.deps.store,
        agreement,
        input.providerId,
        input.datasetId,
        input.query,
        this.deps.secrets.identifierKey,
      );
      request.preview = {
        records: [],
        table: outcome.table,
        tableReview: outcome.review,
        outputCheck: { outcome: outcome.sdc.outcome, reasons: outcome.sdc.reasons },
        identifierHashes: [],
        // Logged with the disclosure (never released): "who saw data about X" finds tables too.
        subjectHashes: outcome.subjectHashes,
        quarantine: [],
      };
      request.previewVersion = 1;
      if (outcome.next === 'withheld') request.state = 'withheld';
      if (outcome.next === 'approval') request.state = 'answered';
      if (outcome.next === 'release')
        Object.assign(
          request,
          this.release(request.preview, request.decision.obligations.retentionDays, now),
        );
      events.push(
        stateEvent(request, actor, null, {
          sdc: { ...outcome.sdc, reasons: outcome.sdc.reasons.map((r) => r.code) },
        }),
      );
      if (request.state === 'disclosed') events.push(...disclosureEvents(request, actor, request.preview));
      // The subjects wait in the preview only while a table awaits approval: once logged, or withheld
      // (nothing left), the request does not keep them (their number grows with the dataset).
      if (request.state !== 'answered') request.preview = { ...request.preview, subjectHashes: [] };
    } else {
      events.push(stateEvent(request, actor, null));
    }
    await this.deps.store.requests.create(request, events);
    return request;
  }

  /** The fields of a disclosure: the previewed records or table, with its expiry and digests. */
  private release(preview: Preview, retentionDays: number, now: Date) {
    const disclosure = preview.table ?? preview.records;
    return {
      state: 'disclosed' as const,
      disclosure,
      disclosedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + retentionDays * DAY_MS).toISOString(),
      recordDigests: Array.isArray(disclosure) ? disclosure.map(recordDigest) : [recordDigest(disclosure)],
    };
  }

  /** A request the caller may see, with the side they are on. */
  async get(identity: Identity, id: string): Promise<{ request: StoredRequest; side: Side }> {
    const request = await this.deps.store.requests.get(id);
    const side = request && sideOf(identity, request);
    if (!request || !side) throw problems.notFound('No such request.');
    return { request, side };
  }

  /** The gateway's clock (what is overdue is judged by it). */
  now(): Date {
    return this.deps.clock();
  }

  listOwn(identity: Identity): Promise<StoredRequest[]> {
    return this.deps.store.requests.listByRequester(identity.partnerId, identity.userId);
  }

  inbox(identity: Identity): Promise<StoredRequest[]> {
    return this.deps.store.requests.listByProvider(identity.partnerId, OPEN_STATES);
  }

  /** The responder's answer becomes a preview of exactly what would leave, after the output check. */
  async answer(
    identity: Identity,
    id: string,
    records: CanonicalRecord[],
    quarantine: QuarantineEntry[] = [],
  ): Promise<StoredRequest> {
    const request = await this.answerable(identity, id);
    return this.answerRequest(identity, request, records, quarantine, await this.hitRecords(request));
  }

  /** An answer uploaded in the responder's own format, mapped through its adapter first. */
  async answerUpload(
    identity: Identity,
    id: string,
    adapterId: string,
    format: InputFormat,
    input: Readable,
  ): Promise<StoredRequest> {
    const request = await this.answerable(identity, id);
    const adapter = partnerAdapter(identity, adapterId, format);
    const mapped = await mapAll(adapter, input, format);
    const cited = await this.hitRecords(request);
    return this.answerRequest(identity, request, mapped.records, mapped.quarantine, cited);
  }

  /**
   * An answer made of the provider's shared records that match the request (providerRecords), as they
   * were last uploaded; the same preview and output check as any answer. Refused when none match.
   */
  async answerShared(identity: Identity, id: string): Promise<StoredRequest> {
    const request = await this.answerable(identity, id);
    const { hit, matching } = await this.providerRecords(request);
    if (matching.length === 0) throw problems.badRequest('None of your shared records match this request.');
    const records = matching.map((r) => r.record);
    return this.answerRequest(identity, request, records, [], hit);
  }

  /**
   * A request the caller may answer: on the provider's side, and not an aggregate. A table is the
   * gateway's computation under SDC: records in its place would replace what the responders review.
   */
  private async answerable(identity: Identity, id: string): Promise<StoredRequest> {
    const request = await this.onSide(identity, id, 'provider');
    if (request.input.kind === 'aggregate' || request.input.query) {
      throw problems.conflict(
        'A table is computed by the gateway: it is approved or declined, never answered with records.',
        { state: request.state },
      );
    }
    return request;
  }

  /**
   * The output check and preview of an answer to `request` (already found on the provider's side);
   * `cited` are the provider's records the request cites by hit reference.
   */
  private async answerRequest(
    identity: Identity,
    request: StoredRequest,
    records: CanonicalRecord[],
    quarantine: QuarantineEntry[],
    cited: DatasetRecord[],
  ): Promise<StoredRequest> {
    const agreement = this.deps.bundle().agreements.get(request.input.agreementId);
    const dataset = agreement && findDataset(agreement, request.input);
    const { obligations } = request.decision;
    // Hits are cited by opaque reference; the answer carries the provider's own references.
    const asked = { ...request.input, recordRefs: cited.map((r) => r.sourceRef) };
    const outputCheck = checkAnswer(records, asked, dataset, obligations);
    const key = this.deps.secrets.identifierKey;
    const preview: Preview = {
      records:
        outputCheck.outcome === 'pass'
          ? releaseView(records, obligations, request.input.agreementId, this.deps.secrets.pseudonymKey)
          : [],
      outputCheck,
      identifierHashes: identifierHashes(
        key,
        records.map((r) => r.identifier),
      ),
      subjectHashes: subjectHashes(key, records),
      quarantine,
      preparedBy: { partnerId: identity.partnerId, userId: identity.userId },
    };
    const state: RequestState = outputCheck.outcome === 'pass' ? 'answered' : 'withheld';
    return this.transition(
      identity,
      request,
      OPEN_STATES,
      { state, preview },
      {
        records: records.length,
        quarantined: quarantine.length,
        outputCheck: { outcome: outputCheck.outcome, codes: outputCheck.reasons.map((r) => r.code) },
      },
    );
  }

  /** The provider's records that the request cites by the references hits handed out. */
  async hitRecords(request: StoredRequest): Promise<DatasetRecord[]> {
    const { providerId, datasetId, recordRefs } = request.input;
    return this.deps.store.datasets.resolve(providerId, datasetId, recordRefs);
  }

  /**
   * The provider's own records for a request, for the provider's eyes: `hit`, those it cites by hit
   * reference; `matching`, those and then the ones whose identifier is one it asks about (so a request
   * made by identifier can be answered from the shared dataset too, not only by upload).
   */
  async providerRecords(
    request: StoredRequest,
  ): Promise<{ hit: DatasetRecord[]; matching: DatasetRecord[] }> {
    const { providerId, datasetId, identifiers } = request.input;
    const hit = await this.hitRecords(request);
    if (identifiers.length === 0) return { hit, matching: hit };
    const keys = [...new Set(identifiers.map((i) => identifierKey(i.type, i.value)))];
    const found = await this.deps.store.datasets.lookup(keys, [{ providerId, datasetId }]);
    const known = new Set(hit.map((r) => r.recordRef));
    const more = [...new Set(found.map((h) => h.recordRef))].filter((ref) => !known.has(ref));
    if (more.length === 0) return { hit, matching: hit };
    return {
      hit,
      matching: [...hit, ...(await this.deps.store.datasets.resolve(providerId, datasetId, more))],
    };
  }

  /**
   * Releases the preview until the agreement's retention runs out: exactly the version the responder
   * saw (`previewVersion`), or nothing. A table under `review` needs the responder's written
   * exception reason, which is logged with the disclosure. Under four eyes a table's first approval
   * releases nothing: it names its approver, reason and handling on a new preview version, which
   * another responder of the provider then approves (`first-approval`).
   */
  async approve(
    identity: Identity,
    id: string,
    previewVersion: number,
    reason?: string,
    handling?: Handling,
  ): Promise<Approval> {
    const request = await this.onSide(identity, id, 'provider');
    const preview = request.preview;
    if (request.state !== 'answered' || !preview) {
      throw problems.conflict(`Only an answered request can be approved; this one is ${request.state}.`, {
        state: request.state,
      });
    }
    if (request.previewVersion !== previewVersion) throw previewChanged(request);
    // An open request with an expiry is a question's, lapsed then: the sweep may not have come yet.
    if (request.expiresAt && request.expiresAt <= this.deps.clock().toISOString())
      throw problems.gone('This question lapsed with the agreement’s retention: nothing is released.');
    const bundle = this.deps.bundle();
    await this.assertPartnershipStands(request, bundle);
    const first = firstApprovalDue(bundle, request, preview);
    const fourEyes = fourEyesApply(bundle, request);
    if (fourEyes && !first) assertSecondPair(identity, preview);
    const review = preview.outputCheck.outcome === 'review';
    if (review && !reason) {
      throw problems.badRequest('This table needs review: approve it with a written exception reason.', {
        errors: [{ pointer: '/reason', detail: 'is required for a table under review' }],
      });
    }
    // Never looser than the agreement's, nor than a first approver's choice.
    const chosen = stricterHandling(preview.handling ?? request.decision.obligations.handling, handling);
    if (first) {
      const approved: Preview = {
        ...preview,
        preparedBy: { partnerId: identity.partnerId, userId: identity.userId },
        handling: chosen,
        ...(review ? { preparedReason: reason } : {}),
      };
      return this.firstApproval(identity, request, approved, previewVersion);
    }
    const released = { ...preview, handling: chosen };
    const patch = {
      ...this.release(released, request.decision.obligations.retentionDays, this.deps.clock()),
      // A table's subjects are logged with its disclosure; the request does not keep them after.
      preview: released.table ? { ...released, subjectHashes: [] } : released,
    };
    // Any exception reason is logged with both names: the approver's (the actor) and the first one's.
    const exception = {
      ...(review ? { exceptionReason: reason } : {}),
      ...(fourEyes && preview.preparedBy ? { preparedBy: preview.preparedBy } : {}),
      ...(fourEyes && preview.preparedReason ? { preparedReason: preview.preparedReason } : {}),
    };
    const updated = await this.transition(
      identity,
      request,
      ['answered'],
      patch,
      exception,
      (next) => disclosureEvents(next, actorOf(identity), released, exception),
      previewVersion,
    );
    return { step: 'released', request: updated };
  }

  /**
   * A release waits on the provider, for days maybe: meanwhile a party may have withdrawn its acceptance
   * or a partner's screening may have been refused or lapsed. Then nothing leaves (403 naming the codes).
   */
  private async assertPartnershipStands(request: StoredRequest, bundle: Bundle): Promise<void> {
    const agreement = bundle.agreements.get(request.input.agreementId);
    if (!agreement) throw problems.forbidden('The request’s agreement is no longer loaded.');
    const context = { now: this.deps.clock(), partnership: await this.deps.partnership.facts() };
    const reasons = partnershipReasons(request.input, request.requesterPartner, context, agreement);
    if (reasons.length === 0) return;
    throw problems.forbidden('The partnership no longer clears this release.', {
      codes: reasons.map((r) => r.code),
    });
  }

  /**
   * A table's first approval under four eyes: `approved` (the preview naming the approver, their reason
   * and handling) becomes a new preview version, written only over the version they saw (the store
   * bumps the version when a patch carries a preview); state stays answered, nothing leaves.
   */
  private async firstApproval(
    identity: Identity,
    request: StoredRequest,
    approved: Preview,
    previewVersion: number,
  ): Promise<Approval> {
    const reason = approved.preparedReason;
    const updated = await this.transition(
      identity,
      request,
      ['answered'],
      { state: 'answered', preview: approved },
      { step: 'first-approval', handling: approved.handling, ...(reason ? { exceptionReason: reason } : {}) },
      undefined,
      previewVersion,
    );
    return { step: 'first-approval', request: updated };
  }

  async decline(identity: Identity, id: string, reason: string): Promise<StoredRequest> {
    const request = await this.onSide(identity, id, 'provider');
    return this.transition(
      identity,
      request,
      OPEN_STATES,
      { state: 'declined', declineReason: reason, preview: null },
      { reason },
    );
  }

  async withdraw(identity: Identity, id: string): Promise<StoredRequest> {
    const request = await this.onSide(identity, id, 'requester');
    return this.transition(identity, request, OPEN_STATES, { state: 'withdrawn', preview: null });
  }

  /**
   * The disclosed records, to its recipients only, until expiry. Every read passes the people and
   * setting safes again for the reader (accreditation, role, training, vetting; network, MFA, auth age,
   * hours, TLS) under the request's agreement; a refused read is a 403 naming the codes. Each read,
   * refused or not, is logged.
   */
  async readDisclosure(
    identity: Identity,
    id: string,
    meta: { sourceIp: string; tls: boolean },
  ): Promise<StoredRequest> {
    const accreditation = await this.deps.store.accreditations.get(identity.partnerId, identity.userId);
    const request = await this.recipientOf(identity, id, accreditation);
    const now = this.deps.clock();
    // Nothing to release, nothing to guard: an expired or undisclosed request says so to its recipient.
    if (request.state === 'expired' || (request.expiresAt && request.expiresAt <= now.toISOString())) {
      throw problems.gone('This disclosure has expired and its records were purged.');
    }
    if (request.state !== 'disclosed' || !request.disclosure) {
      throw problems.conflict(`Nothing is disclosed yet; the request is ${request.state}.`, {
        state: request.state,
      });
    }
    const partnership = await this.deps.partnership.facts();
    const check = decideRead(
      request.input,
      identity,
      { now, ...meta, accreditation, partnership },
      this.deps.bundle(),
    );
    const read = {
      type: 'disclosure.read',
      actor: actorOf(identity),
      partners: [request.requesterPartner, request.input.providerId],
      requestId: request.id,
      agreementId: request.input.agreementId,
    };
    const reader = sideOf(identity, request) === 'requester' ? 'requester' : 'team';
    if (check.outcome === 'deny') {
      await this.deps.store.audit.append([
        { ...read, outcome: 'denied', data: { reader, safes: safesSummary(check) } },
      ]);
      throw deniedProblem(DISCLOSURE_READ_DENIED, 'Reading denied by the Five Safes', check, {
        requestId: request.id,
      });
    }
    await this.deps.store.audit.append([
      { ...read, outcome: 'read', data: { recordDigests: request.recordDigests, reader } },
    ]);
    return request;
  }

  /**
   * The requesting analyst, or a member of the team the request named (same partner, accredited in
   * that team): the only people a disclosure is for. Anyone else learns nothing (404).
   */
  private async recipientOf(
    identity: Identity,
    id: string,
    accreditation: Accreditation | undefined,
  ): Promise<StoredRequest> {
    const request = await this.deps.store.requests.get(id);
    if (request && sideOf(identity, request) === 'requester') return request;
    const team = request?.decision.obligations.recipients?.team;
    if (request && team && request.requesterPartner === identity.partnerId) {
      if (accreditation?.partnerId === identity.partnerId && accreditation.teams?.includes(team))
        return request;
    }
    if (request && sideOf(identity, request) === 'provider') {
      throw problems.forbidden('Only the recipients of a disclosure may read it.');
    }
    throw problems.notFound('No such request.');
  }

  /**
   * Purges every disclosure past its expiry (only the digests remain), and lapses the open requests of
   * questions past theirs. Returns how many requests expired.
   */
  async sweepExpired(): Promise<number> {
    const now = this.deps.clock();
    let purged = 0;
    for (const request of await this.deps.store.requests.listExpired(now)) {
      const patch = {
        state: 'expired' as const,
        disclosure: null,
        preview: null,
        purgedAt: now.toISOString(),
      };
      const done = await this.deps.store.requests.transition(
        request.id,
        ['disclosed'],
        patch,
        (updated, previous) => [
          stateEvent(updated, 'system', previous, { recordDigests: updated.recordDigests }),
          {
            ...stateEvent(updated, 'system', previous),
            type: 'purge',
            outcome: 'purged',
            data: { recordDigests: updated.recordDigests },
          },
        ],
      );
      if (done) purged += 1;
    }
    return purged + (await this.lapseQuestions(now));
  }

  /**
   * A question's requests still open when the agreement's retention from the question runs out expire:
   * nothing was released, an unapproved preview is dropped; logged as any change of state.
   */
  private async lapseQuestions(now: Date): Promise<number> {
    let lapsed = 0;
    for (const request of await this.deps.store.requests.listLapsedQuestions(now)) {
      const done = await this.deps.store.requests.transition(
        request.id,
        OPEN_STATES,
        { state: 'expired', preview: null },
        (updated, previous) => [stateEvent(updated, 'system', previous, { reason: 'question-lapsed' })],
      );
      if (done) lapsed += 1;
    }
    return lapsed;
  }

  /**
   * The receipt of the disclosure, for either side of the request: proof, checkable offline with the
   * gateway's public key, that the disclosure entry is in the log. Kept after expiry (digests only).
   */
  async receipt(identity: Identity, id: string): Promise<Receipt> {
    const { request } = await this.get(identity, id);
    const receipt = await this.deps.receipts?.receiptForRequest(request.id);
    if (!receipt) {
      throw problems.conflict(`Nothing was disclosed; the request is ${request.state}.`, {
        state: request.state,
      });
    }
    return receipt;
  }

  private async onSide(identity: Identity, id: string, wanted: Side): Promise<StoredRequest> {
    const { request, side } = await this.get(identity, id);
    if (side !== wanted) throw problems.forbidden(`Only the ${wanted} of a request may do this.`);
    return request;
  }

  private async transition(
    identity: Identity,
    request: StoredRequest,
    from: RequestState[],
    patch: Parameters<Store['requests']['transition']>[2],
    data: Record<string, unknown> = {},
    extra: (updated: StoredRequest) => ReturnType<typeof stateEvent>[] = () => [],
    previewVersion?: number,
  ): Promise<StoredRequest> {
    const updated = await this.deps.store.requests.transition(
      request.id,
      from,
      patch,
      (next, previous) => [stateEvent(next, actorOf(identity), previous, data), ...extra(next)],
      previewVersion,
    );
    if (!updated) {
      const current = (await this.deps.store.requests.get(request.id)) ?? request;
      if (previewVersion !== undefined && from.includes(current.state)) throw previewChanged(current);
      throw problems.conflict(`The request is ${current.state}; this step is not possible now.`, {
        state: current.state,
      });
    }
    return updated;
  }
}

/** A 409 for an approval of a preview that was replaced since the responder saw it. */
function previewChanged(current: StoredRequest) {
  return problems.conflict(
    'The answer was changed since you saw its preview: review the new preview, then approve it.',
    { state: current.state, previewVersion: current.previewVersion },
  );
}

function sideOf(identity: Identity, request: StoredRequest): Side | undefined {
  if (request.requesterPartner === identity.partnerId && request.requesterUser === identity.userId)
    return 'requester';
  // A denied request never reached the provider: to them it does not exist.
  if (request.input.providerId === identity.partnerId && request.state !== 'denied') return 'provider';
  return undefined;
}
