/** Whom to call about a request: each side's contact point, DPO and escalation contact from the agreement. */
import type { Agreement, PartyContacts } from '../policy/types';
import type { Person } from '../records/accreditation';

export interface RequestContacts {
  requester: PartyContacts | null;
  provider: PartyContacts | null;
}

/** A party's contacts: own keys only (a partner id such as "constructor" must find no inherited property). */
function contactsOf(agreement: Agreement | undefined, partnerId: string): PartyContacts | null {
  const contacts = agreement?.contacts;
  return contacts && Object.hasOwn(contacts, partnerId) ? contacts[partnerId] : null;
}

export function requestContacts(
  agreement: Agreement | undefined,
  requesterPartner: string,
  providerId: string,
): RequestContacts {
  return { requester: contactsOf(agreement, requesterPartner), provider: contactsOf(agreement, providerId) };
}

/** Whether the person is named with their user id among a party's contacts (contact point, DPO, escalation). */
export function isNamedContact(agreement: Agreement, person: Person): boolean {
  const party = contactsOf(agreement, person.partnerId);
  if (!party) return false;
  return [party.contactPoint, party.dpo, party.escalation].some((c) => c.userId === person.userId);
}

/** Whether the person is the contact point of `partnerId` in the agreement. */
export function isContactPointOf(agreement: Agreement, partnerId: string, person: Person): boolean {
  return (
    person.partnerId === partnerId && contactsOf(agreement, partnerId)?.contactPoint.userId === person.userId
  );
}
