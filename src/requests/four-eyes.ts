/**
 * Four eyes (`review.fourEyes` on an agreement): a second responder of the provider approves an answer,
 * never the one who prepared it; a table the gateway computed takes two approvals, the first naming its
 * approver. One rule for the service (which refuses) and the portal (which says so).
 */
import type { Identity } from '../auth/identity';
import { ProblemError } from '../http/problem';
import type { Bundle } from '../policy/types';
import type { Preview, StoredRequest } from './types';

/**
 * Whether approving `request`'s preview takes two responders. A detail answer is prepared by the
 * responder who answered; a table is computed by the gateway, so its first approver takes that place.
 */
export function fourEyesApply(bundle: Bundle, request: StoredRequest): boolean {
  return bundle.agreements.get(request.input.agreementId)?.review?.fourEyes === true;
}

/**
 * Whether approving this preview now is a table's first approval (four eyes, nobody named yet): it
 * records the approver and releases nothing.
 */
export function firstApprovalDue(bundle: Bundle, request: StoredRequest, preview: Preview): boolean {
  return fourEyesApply(bundle, request) && Boolean(preview.table) && !preview.preparedBy;
}

/** Whether `identity` prepared the preview (the same person: partner and user). */
export function preparedByCaller(identity: Identity, preview: Preview): boolean {
  const by = preview.preparedBy;
  return by !== undefined && by.partnerId === identity.partnerId && by.userId === identity.userId;
}

/**
 * The approver is not the one who prepared the answer. An answer nobody is named for (stored before
 * four eyes) cannot show a second pair of eyes: refused too.
 */
export function assertSecondPair(identity: Identity, preview: Preview): void {
  if (preview.preparedBy && !preparedByCaller(identity, preview)) return;
  throw new ProblemError({
    code: 'four-eyes-required',
    title: 'A second responder must approve',
    status: 403,
    detail: preview.preparedBy
      ? 'This agreement asks for four eyes: another responder of your organisation must approve the answer you prepared.'
      : 'This agreement asks for four eyes, and nobody is named as having prepared this answer: answer it again, then have another responder approve it.',
  });
}
