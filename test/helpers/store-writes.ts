/** Small writes for store tests: a plain log event, and a lookup with its log event. */
import type { AuditEventInput } from '../../src/audit/types';
import type { StoredLookup } from '../../src/datasets/types';

export const event = (i: number): AuditEventInput => ({
  type: 'test',
  actor: 'system',
  partners: ['police-nl'],
  data: { i },
});

export const lookup = (id: string, createdAt = '2026-06-15T10:00:00.000Z'): StoredLookup => ({
  id,
  agreementId: 'stolen-boats',
  requesterUser: 'anna',
  requesterPartner: 'police-nl',
  outcome: 'permit',
  hits: 0,
  createdAt,
});

export const lookupEvent = (id: string): AuditEventInput => ({
  type: 'lookup',
  actor: { userId: 'anna', partnerId: 'police-nl' },
  partners: ['police-nl'],
  data: { lookupId: id },
});
