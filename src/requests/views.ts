/** What each side sees of a request: the analyst their decision, the provider what is asked of them. */
import { requestContacts } from '../partnership/contacts';
import type { Bundle } from '../policy/types';
import { handlingShownTo, handlingView } from './handling';
import { NO_INFORMATION, type Preview, type StoredRequest } from './types';

/**
 * How a request was answered, as its requester reads it: its state, except that a provider holding
 * nothing on it answered "no information" (a decline with that reason), which is no refusal.
 */
export function answerOf(request: StoredRequest): string {
  return request.state === 'declined' && request.declineReason === NO_INFORMATION
    ? NO_INFORMATION
    : request.state;
}

export function summary(request: StoredRequest) {
  return {
    id: request.id,
    state: request.state,
    agreementId: request.input.agreementId,
    providerId: request.input.providerId,
    datasetId: request.input.datasetId,
    purpose: request.input.purpose,
    caseRef: request.input.caseRef,
    createdAt: request.createdAt,
    updatedAt: request.updatedAt,
    expiresAt: request.expiresAt,
  };
}

export function detail(request: StoredRequest, side: 'requester' | 'provider', bundle: Bundle) {
  const agreement = bundle.agreements.get(request.input.agreementId);
  return {
    ...summary(request),
    requester: {
      partnerId: request.requesterPartner,
      ...(side === 'requester' ? { userId: request.requesterUser } : {}),
    },
    legalBasis: agreement?.legalBasis ?? null,
    // Whom to call on either side: contact point, DPO, escalation (the agreement's contacts).
    contacts: requestContacts(agreement, request.requesterPartner, request.input.providerId),
    fields: request.input.fields,
    identifiers: request.input.identifiers,
    recordRefs: request.input.recordRefs,
    obligations: request.decision.obligations,
    handling: handlingView(handlingShownTo(request, side)),
    ...(side === 'requester' ? { decision: request.decision } : {}),
    preview: side === 'provider' ? previewView(request.preview) : null,
    // What approve must name: the version of the preview the responder is looking at.
    previewVersion: side === 'provider' ? request.previewVersion : null,
    declineReason: request.declineReason,
    answer: answerOf(request),
    ...(request.question ? { question: request.question } : {}),
    disclosedAt: request.disclosedAt,
    recordDigests: request.recordDigests,
  };
}

/**
 * The preview as the provider reads it: what will leave and why. The keyed hashes of its identifiers
 * and subjects are the log's (a table's grow with the dataset), not the reader's.
 */
export function previewView(preview: Preview | null) {
  if (!preview) return null;
  const { identifierHashes: _i, subjectHashes: _s, ...view } = preview;
  return view;
}
