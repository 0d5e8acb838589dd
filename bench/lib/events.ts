/** Audit events shaped like the gateway's own (lookups, decisions, disclosures), for the log benchmarks. */
import crypto from 'node:crypto';
import type { AuditEventInput } from '../../src/audit/types';

const PARTNERS = ['police-nl', 'police-se', 'boatreg-nl', 'autodealers-nl', 'insureco'];
const hex = (n: number, salt: string) => crypto.createHash('sha256').update(`${salt}:${n}`).digest('hex');
const SAFES = ['people', 'project', 'setting', 'data', 'output'];

/** Event i: 1/2 lookups, 1/4 decisions, 1/4 disclosures; about 0.6 to 1 KiB of canonical JSON each. */
export function benchEvent(i: number): AuditEventInput {
  const requester = PARTNERS[i % 2];
  const provider = PARTNERS[2 + (i % 3)];
  const actor = { userId: `analyst-${i % 500}`, partnerId: requester };
  const caseRef = `NL-2026-${String(i % 1_000_000).padStart(6, '0')}`;
  const safes = Object.fromEntries(SAFES.map((safe) => [safe, { outcome: 'pass', codes: [] }]));
  if (i % 2 === 0) {
    return {
      type: 'lookup',
      actor,
      partners: [requester, provider],
      agreementId: 'stolen-boats',
      outcome: 'permit',
      data: {
        lookupId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        policyDigest: hex(1, 'policy'),
        safes,
        purpose: 'stolen-property-investigation',
        caseRef,
        identifierHashes: [hex(i % 50_000, 'id')],
        hits: i % 4 === 0 ? [{ providerId: provider, recordRef: hex(i, 'ref') }] : [],
      },
    };
  }
  const base = {
    actor,
    partners: [requester, provider],
    requestId: `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`,
    agreementId: i % 3 ? 'stolen-boats' : 'stolen-vehicles',
  };
  if (i % 4 === 3) {
    return {
      ...base,
      type: 'disclosure',
      outcome: 'disclosed',
      data: {
        policyDigest: hex(1, 'policy'),
        purpose: 'stolen-property-investigation',
        caseRef,
        recipients: [actor.userId],
        recordDigests: [hex(i, 'r1'), hex(i, 'r2')],
        identifierHashes: [hex(i % 50_000, 'id')],
        subjectHashes: [hex(i % 80_000, 'subject')],
        fieldsReleased: ['identifier', 'objectType', 'status', 'make', 'model', 'owner.name'],
        pseudonymised: ['owner.name'],
        handling: { tlp: 'AMBER', conditions: ['No onward disclosure without the provider’s permission.'] },
        expiresAt: '2026-12-31T00:00:00.000Z',
      },
    };
  }
  return {
    ...base,
    type: 'decision',
    outcome: 'permit',
    data: {
      policyDigest: hex(1, 'policy'),
      agreementVersion: 3,
      safes,
      providerId: provider,
      datasetId: 'vessels',
      purpose: 'stolen-property-investigation',
      caseRef,
      fields: ['identifier', 'objectType', 'status', 'make', 'model', 'owner.name'],
      identifierHashes: [hex(i % 50_000, 'id')],
      recordRefHashes: [],
    },
  };
}
