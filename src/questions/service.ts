/**
 * A question to the partnership: an analyst's identifiers and short text put to every provider of an
 * agreement at once. It is a group of ordinary detail requests, one per provider, each decided by the
 * Five Safes as any request (RequestService.createGroup) and answered through the usual review; the
 * question itself is one log entry, written in the same transaction as its requests.
 */
import crypto from 'node:crypto';
import type { Identity } from '../auth/identity';
import { actorOf, namedInLog } from '../audit/entry-fields';
import type { AuditEventInput } from '../audit/types';
import { keyedHash, type Secrets } from '../config/secrets';
import { problems } from '../http/problem';
import type { Bundle } from '../policy/types';
import { loggedCompactly, providerOutside } from '../requests/denials';
import type { RequestService } from '../requests/service';
import { NO_INFORMATION, type StoredRequest } from '../requests/types';
import type { IdentifierInput, RequestInput } from '../safes/types';
import type { Store } from '../store/port';
import { questionTargets } from './providers';
import { assertQuestionText } from './text';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface QuestionInput {
  agreementId: string;
  purpose: string;
  caseRef: string;
  identifiers: IdentifierInput[];
  text: string;
  /** A team of the analyst's partner that may read the answers too (as for a request). */
  recipients?: { team: string };
}

export interface QuestionServiceDeps {
  store: Store;
  bundle: () => Bundle;
  secrets: Secrets;
  requests: RequestService;
}

/** A question as its readers get it: its requests, one per provider. */
export interface Question {
  id: string;
  text: string;
  requests: StoredRequest[];
}

export class QuestionService {
  constructor(private readonly deps: QuestionServiceDeps) {}

  /** Puts the question to every provider of the agreement; each provider's request is decided alone. */
  async ask(
    identity: Identity,
    input: QuestionInput,
    meta: { sourceIp: string; tls: boolean },
  ): Promise<Question> {
    assertQuestionText(input.text);
    const agreement = this.deps.bundle().agreements.get(input.agreementId);
    if (!agreement) {
      throw problems.badRequest('No such agreement.', {
        errors: [{ pointer: '/agreementId', detail: 'is not an agreement of the partnership' }],
      });
    }
    const question = { id: crypto.randomUUID(), text: input.text };
    const inputs: RequestInput[] = questionTargets(agreement, input.identifiers).map(
      ({ providerId, dataset, fields }) => ({
        agreementId: input.agreementId,
        providerId,
        datasetId: dataset.id,
        identifiers: input.identifiers,
        recordRefs: [],
        fields,
        purpose: input.purpose,
        caseRef: input.caseRef,
        ...(input.recipients ? { recipients: input.recipients } : {}),
      }),
    );
    // An agreement whose providers share nothing under it has no one to ask.
    if (inputs.length === 0) throw problems.badRequest('No provider shares a dataset under this agreement.');
    const requests = await this.deps.requests.createGroup(identity, inputs, meta, {
      mark(request) {
        request.question = question;
        // An open question lapses with the agreement's retention (the sweep expires what is still open).
        if (request.state === 'awaiting_provider') {
          const days = request.decision.obligations.retentionDays;
          request.expiresAt = new Date(Date.parse(request.createdAt) + days * DAY_MS).toISOString();
        }
      },
      events: (made) => [this.askedEvent(identity, question, input, made)],
    });
    return { ...question, requests };
  }

  /**
   * The question's entry: who asked whom under which agreement, the requests it became, keyed hashes of
   * its identifiers (as a request's) and a keyed digest of its text (the text itself is the store's).
   */
  private askedEvent(
    identity: Identity,
    question: { id: string; text: string },
    input: QuestionInput,
    requests: StoredRequest[],
  ): AuditEventInput {
    const key = this.deps.secrets.identifierKey;
    const reached = requests.filter((r) => !providerOutside(r.decision)).map((r) => r.input.providerId);
    const compact = requests.some((r) => loggedCompactly(r.decision));
    return {
      type: 'question.asked',
      actor: actorOf(identity),
      partners: [...new Set([identity.partnerId, ...reached])],
      agreementId: input.agreementId,
      outcome: requests.some((r) => r.state !== 'denied') ? 'asked' : 'denied',
      data: {
        questionId: question.id,
        purpose: input.purpose,
        caseRef: input.caseRef,
        requests: requests.map((r) => ({ providerId: r.input.providerId, requestId: r.id })),
        ...namedInLog(key, { identifiers: input.identifiers }, compact),
        textDigest: keyedHash(key, `question:${question.text}`),
      },
    };
  }

  /**
   * A question for the analyst who asked it, or a member of the team it named (same partner, accredited
   * in that team), as for reading a request's disclosure. Anyone else learns nothing (404).
   */
  async get(identity: Identity, id: string): Promise<Question> {
    const requests = await this.deps.store.requests.listByQuestion(id);
    const first = requests[0];
    if (!first?.question || !(await this.mayRead(identity, first))) {
      throw problems.notFound('No such question.');
    }
    return { id, text: first.question.text, requests };
  }

  private async mayRead(identity: Identity, request: StoredRequest): Promise<boolean> {
    if (request.requesterPartner !== identity.partnerId) return false;
    if (request.requesterUser === identity.userId) return true;
    const team = request.decision.obligations.recipients?.team;
    if (!team) return false;
    const accreditation = await this.deps.store.accreditations.get(identity.partnerId, identity.userId);
    return accreditation?.teams?.includes(team) ?? false;
  }

  /** The provider's answer "we hold no information on this": a decline with its own reason. */
  noInformation(identity: Identity, requestId: string): Promise<StoredRequest> {
    return this.deps.requests.decline(identity, requestId, NO_INFORMATION);
  }
}
