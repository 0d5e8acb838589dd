/**
 * What both sides' request pages find out about a request: its id from the path and the rounding its
 * agreement applies. Apart from the pages so that neither page module imports the other's.
 */
import { problems } from '../../http/problem';
import { requestContacts, type RequestContacts } from '../../partnership/contacts';
import type { StoredRequest } from '../../requests/types';
import { resolveRules } from '../../sdc';
import type { Ctx } from '../context';

/** The rounding base the request's agreement applies to tables (what "rounded" means). */
export function roundingBaseOf(ctx: Ctx, request: StoredRequest): number | undefined {
  const sdc = ctx.deps.bundle().agreements.get(request.input.agreementId)?.safes.output.aggregates?.sdc;
  return sdc ? resolveRules(sdc).roundingBase : undefined;
}

export function idOf(ctx: Ctx): string {
  const id = String(ctx.req.params.id);
  if (!/^[0-9a-f-]{36}$/.test(id)) throw problems.notFound('No such request.');
  return id;
}

/** Whom to call on either side of the request (the agreement's contacts). */
export function contactsOf(ctx: Ctx, request: StoredRequest): RequestContacts {
  const agreement = ctx.deps.bundle().agreements.get(request.input.agreementId);
  return requestContacts(agreement, request.requesterPartner, request.input.providerId);
}
