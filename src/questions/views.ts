/** What the asking analyst sees of a question: its text and, per provider, where its request stands. */
import { safesSummary } from '../audit/entry-fields';
import { answerOf } from '../requests/views';
import type { StoredRequest } from '../requests/types';
import type { Question } from './service';

/** One provider's request of a question: its state, its answer, and the safes that failed if denied. */
export function questionRequestView(request: StoredRequest) {
  const failed = Object.entries(safesSummary(request.decision))
    .filter(([, safe]) => safe.outcome === 'fail')
    .map(([name, safe]) => ({ safe: name, codes: safe.codes }));
  return {
    providerId: request.input.providerId,
    datasetId: request.input.datasetId,
    requestId: request.id,
    state: request.state,
    answer: answerOf(request),
    decision: { outcome: request.decision.outcome, failed },
    expiresAt: request.expiresAt,
  };
}

export function questionView(question: Question) {
  const first = question.requests[0];
  return {
    id: question.id,
    text: question.text,
    agreementId: first.input.agreementId,
    purpose: first.input.purpose,
    caseRef: first.input.caseRef,
    askedAt: first.createdAt,
    requests: question.requests.map(questionRequestView),
  };
}
