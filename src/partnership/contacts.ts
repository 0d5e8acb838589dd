/** Whom to call about a request: each side's contact point, DPO and escalation contact from the agreement. */
import type { Agreement, Contact, PartyContacts } from '../policy/types';
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

/**
 * Whom to call on either side: names, e-mail and phone. Never the user ids the agreement keeps to let
 * contacts read the report: another partner's accounts (and who of them approves) are not the reader's.
 */
export function requestContacts(
  agreement: Agreement | undefined,
  requesterPartner: string,
  providerId: string,
): RequestContacts {
  const callable = (contacts: PartyContacts | null): PartyContacts | null =>
    contacts && {
      contactPoint: withoutUserId(contacts.contactPoint),
      dpo: withoutUserId(contacts.dpo),
      escalation: withoutUserId(contacts.escalation),
    };
  return {
    requester: callable(contactsOf(agreement, requesterPartner)),
    provider: callable(contactsOf(agreement, providerId)),
  };
}

const withoutUserId = ({ name, email, phone }: Contact): Contact => ({
  name,
  email,
  ...(phone === undefined ? {} : { phone }),
});

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
