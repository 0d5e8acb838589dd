/** Whom to call about a request: each side's contact point, DPO and escalation contact from the agreement. */
import type { Agreement, Contact, PartyContacts } from '../policy/types';
import type { Person } from '../records/accreditation';

/** A contact as the other side sees it: how to reach them, never which user they are. */
export type ShownContact = Omit<Contact, 'userId'>;
export type ShownContacts = Record<keyof PartyContacts, ShownContact>;

export interface RequestContacts {
  requester: ShownContacts | null;
  provider: ShownContacts | null;
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
  const of = (partnerId: string) => {
    const party = contactsOf(agreement, partnerId);
    return party
      ? {
          contactPoint: shown(party.contactPoint),
          dpo: shown(party.dpo),
          escalation: shown(party.escalation),
        }
      : null;
  };
  return { requester: of(requesterPartner), provider: of(providerId) };
}

// The user id only says who may read the report; it is not for the other side.
const shown = ({ name, email, phone }: Contact): ShownContact => ({
  name,
  email,
  ...(phone ? { phone } : {}),
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
