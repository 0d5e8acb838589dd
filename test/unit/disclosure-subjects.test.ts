/**
 * A released table's data subjects are logged in `disclosure.subjects` entries of at most
 * SUBJECTS_PER_ENTRY hashes each: a table over a large dataset must not write one entry (and one line
 * of every export, verify and receipt proof) in proportion to the dataset.
 */
import crypto from 'node:crypto';
import { disclosureEvents, SUBJECTS_PER_ENTRY } from '../../src/requests/audit-events';
import type { Preview, StoredRequest } from '../../src/requests/types';

const pass = { outcome: 'pass' as const, reasons: [] };
const request = {
  id: 'req-1',
  input: {
    agreementId: 'stolen-vehicles',
    providerId: 'autodealers-nl',
    datasetId: 'sales-ledger',
    purpose: 'stolen-property-investigation',
    caseRef: 'NL-2026-900001',
  },
  requesterUser: 'anna',
  requesterPartner: 'police-nl',
  decision: {
    outcome: 'permit',
    safes: { people: pass, projects: pass, settings: pass, data: pass, output: pass },
    obligations: { fields: [], pseudonymise: [], handling: 'restricted' },
    policyDigest: 'sha256:policy',
    agreementVersion: 1,
    decidedAt: '2026-12-04T00:00:00Z',
  },
  recordDigests: [],
  expiresAt: '2026-12-31T00:00:00Z',
} as unknown as StoredRequest;

const hash = (i: number) => crypto.createHash('sha256').update(`subject ${i}`).digest('hex');

function tablePreview(subjectHashes: string[]): Preview {
  return {
    records: [],
    table: { dimensions: [['Toyota']], cells: [] } as unknown as Preview['table'],
    outputCheck: { outcome: 'pass', reasons: [] },
    identifierHashes: [],
    subjectHashes,
    quarantine: [],
  };
}

const actor = { userId: 'dirk', partnerId: 'autodealers-nl' };
type SubjectsData = { kind: string; part: number; parts: number; subjectHashes: string[] };

describe('disclosureEvents: a table’s subjects', () => {
  it('caps each disclosure.subjects entry and splits the rest into numbered parts, sorted and deduplicated', () => {
    const total = 2 * SUBJECTS_PER_ENTRY + 500;
    const hashes = Array.from({ length: total }, (_, i) => hash(i));
    // As computeTable may give them: in record order, some twice.
    const given = [...hashes.slice(0, 10), ...hashes].reverse();
    const events = disclosureEvents(request, actor, tablePreview(given));
    expect(events.map((e) => e.type)).toEqual([
      'disclosure',
      'disclosure.subjects',
      'disclosure.subjects',
      'disclosure.subjects',
    ]);
    expect(events[0]!.data.subjectHashes).toEqual([]);
    const parts = events.slice(1).map((e) => e.data as SubjectsData);
    expect(parts.map((p) => [p.kind, p.part, p.parts, p.subjectHashes.length])).toEqual([
      ['aggregate', 1, 3, SUBJECTS_PER_ENTRY],
      ['aggregate', 2, 3, SUBJECTS_PER_ENTRY],
      ['aggregate', 3, 3, 500],
    ]);
    expect(parts.flatMap((p) => p.subjectHashes)).toEqual([...hashes].sort());
    for (const e of events.slice(1)) {
      expect(e.requestId).toBe('req-1');
      expect(e.outcome).toBe('disclosed');
      // The provider's side only, the gateway as actor (the requester's DPO must not search them).
      expect([e.partners, e.actor]).toEqual([['autodealers-nl'], 'system']);
    }
  });

  it('writes one part when the subjects fit, and none when there are none', () => {
    const hashes = Array.from({ length: SUBJECTS_PER_ENTRY }, (_, i) => hash(i));
    const events = disclosureEvents(request, actor, tablePreview(hashes));
    expect(events.map((e) => e.type)).toEqual(['disclosure', 'disclosure.subjects']);
    expect(events[1]!.data).toEqual({
      kind: 'aggregate',
      part: 1,
      parts: 1,
      subjectHashes: [...hashes].sort(),
    });
    expect(disclosureEvents(request, actor, tablePreview([])).map((e) => e.type)).toEqual(['disclosure']);
  });

  it('gives the same entries for the same subjects in any order', () => {
    const hashes = Array.from({ length: SUBJECTS_PER_ENTRY + 1 }, (_, i) => hash(i));
    const a = disclosureEvents(request, actor, tablePreview(hashes));
    const b = disclosureEvents(request, actor, tablePreview([...hashes].reverse()));
    expect(b).toEqual(a);
  });
});
