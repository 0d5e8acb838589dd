/**
 * The report's parts from log entries alone: a release from its request's entries (the legal basis from
 * the bundle, or said to be gone), and a lookup's hit for the identifier asked about.
 */
import type { AuditEntry } from '../../src/audit/types';
import type { Agreement } from '../../src/policy/types';
import { releaseOf, searchOf } from '../../src/subject-access/report';

let seq = 0;
function entry(type: string, data: Record<string, unknown>, over: Partial<AuditEntry> = {}): AuditEntry {
  seq += 1;
  return {
    seq,
    ts: `2026-05-0${seq}T10:00:00.000Z`,
    type,
    actorUser: 'anna',
    actorPartner: 'police-nl',
    partners: ['police-nl', 'boatreg-nl'],
    requestId: 'r-1',
    agreementId: 'stolen-boats',
    outcome: null,
    data,
    prevHash: '0'.repeat(64),
    hash: '1'.repeat(64),
    ...over,
  };
}

const decision = () =>
  entry('decision', { agreementVersion: 3, providerId: 'boatreg-nl', datasetId: 'vessels' });
const disclosure = () =>
  entry('disclosure', {
    purpose: 'stolen-property-investigation',
    caseRef: 'NL-2026-000123',
    policyDigest: 'abc',
    recipients: [{ partnerId: 'police-nl', userId: 'anna' }],
    handling: { tlp: 'AMBER' },
    expiresAt: '2026-06-01T00:00:00.000Z',
  });
const agreement = { legalBasis: 'Art. 6(1)(e) GDPR', version: 4 } as Agreement;

describe('a release from its entries', () => {
  it('takes the version from the decision, the legal basis from the bundle, the purge from its entry', () => {
    const entries = [decision(), disclosure(), entry('purge', {}, { actorUser: null, actorPartner: null })];
    const release = releaseOf('r-1', 'identifier', entries, () => agreement)!;
    expect(release).toMatchObject({
      kind: 'records',
      agreementVersion: 3,
      legalBasis: { text: 'Art. 6(1)(e) GDPR', version: 4 },
      providerId: 'boatreg-nl',
      expiresAt: '2026-06-01T00:00:00.000Z',
      purgedAt: entries[2].ts,
      seqs: { decision: entries[0].seq, disclosure: entries[1].seq, purge: entries[2].seq, subjects: [] },
    });
  });

  it('says when the agreement is no longer in the bundle, and is nothing without a disclosure', () => {
    expect(releaseOf('r-1', 'name-only', [decision(), disclosure()], () => undefined)).toMatchObject({
      legalBasis: null,
      purgedAt: null,
      matchedBy: 'name-only',
    });
    expect(releaseOf('r-1', 'identifier', [decision()], () => agreement)).toBeUndefined();
  });
});

describe('a lookup that named the identifier', () => {
  it('hit when a hit answers the identifier’s place, not another’s', () => {
    const lookup = entry('lookup', {
      identifierHashes: ['h0', 'h1'],
      hits: [{ providerId: 'boatreg-nl', query: 1 }],
    });
    expect(searchOf(lookup, 'h1')).toMatchObject({
      kind: 'lookup',
      hit: true,
      by: { partnerId: 'police-nl', userId: 'anna' },
    });
    expect(searchOf(lookup, 'h0')).toMatchObject({ kind: 'lookup', hit: false });
    expect(searchOf(entry('decision', {}), 'h0')).toMatchObject({ kind: 'request' });
  });
});
