/** Small writes for store tests: a plain log event, a lookup's log event, and a way to make one fail. */
import type { AuditEventInput } from '../../src/audit/types';

export const event = (i: number): AuditEventInput => ({
  type: 'test',
  actor: 'system',
  partners: ['police-nl'],
  data: { i },
});

/** A lookup's entry; naming the partner `refused` makes it fail where REFUSE_ENTRIES is installed. */
export const lookupEvent = (id: string, partner = 'police-nl'): AuditEventInput => ({
  type: 'lookup',
  actor: { userId: 'anna', partnerId: 'police-nl' },
  partners: [partner],
  agreementId: 'stolen-boats',
  data: { lookupId: id },
});

/**
 * Triggers that refuse an entry naming the partner `refused`, after its audit_log row was written
 * (its partner rows come next): ABORT ends the statement, ROLLBACK the whole transaction.
 */
export const REFUSE_ENTRIES = {
  abort: `CREATE TRIGGER refuse_entries BEFORE INSERT ON audit_partners WHEN NEW.partner = 'refused'
          BEGIN SELECT RAISE(ABORT, 'refused entry'); END`,
  rollback: `CREATE TRIGGER refuse_entries BEFORE INSERT ON audit_partners WHEN NEW.partner = 'refused'
             BEGIN SELECT RAISE(ROLLBACK, 'refused entry'); END`,
} as const;
