/** An agreement's standing from its ledger: each party's acceptance in effect, and why it is not in force. */
import { agreementStatus } from '../../../src/partnership/acceptance';
import { agreementDigest } from '../../../src/partnership/digest';
import type { Recorded } from '../../../src/partnership/registry';
import { validateScreening } from '../../../src/partnership/screening';
import type { Acceptance } from '../../../src/partnership/types';
import { baselineAgreement } from '../../helpers/bundle-fixture';

const agreement = baselineAgreement();
const current = agreementDigest(agreement);
const NAMES = new Map([['police-nl', { name: 'Politie' }]]);
let seq = 0;

function entry(
  partnerId: string,
  action: Acceptance['action'],
  digest = current,
  version = 3,
): Recorded<Acceptance> {
  seq++;
  return {
    seq,
    recordedAt: `2026-06-0${seq}T10:00:00.000Z`,
    record: {
      agreementId: agreement.id,
      partnerId,
      action,
      version,
      digest,
      confidentialityDigest: null,
      by: { partnerId, userId: 'legal' },
      role: 'legal',
    },
  };
}

const june = new Date('2026-06-15T10:00:00.000Z');

describe('agreementStatus', () => {
  it('is in force when every party’s acceptance in effect names the digest loaded', () => {
    const records = ['police-nl', 'boatreg-nl', 'insureco'].map((p) => entry(p, 'accept'));
    const status = agreementStatus(agreement, records, NAMES, june);
    expect(status).toMatchObject({ inForce: true, notInForce: [], digest: current });
    expect(status.parties[0]).toMatchObject({ name: 'Politie', sides: ['requester'] });
    expect(status.history.map((h) => h.seq)).toEqual([...records].reverse().map((r) => r.seq));
  });

  it('counts a withdrawal, and an acceptance of another version, as no acceptance of this one', () => {
    const records = [
      entry('police-nl', 'accept'),
      entry('boatreg-nl', 'accept'),
      entry('boatreg-nl', 'withdraw'),
      entry('insureco', 'accept', 'b'.repeat(64), 2),
    ];
    const status = agreementStatus(agreement, records, NAMES, june);
    expect(status.notInForce).toEqual([{ code: 'awaiting-parties', parties: ['boatreg-nl', 'insureco'] }]);
    expect(status.parties.map((p) => p.acceptance?.current ?? null)).toEqual([true, null, false]);
  });

  it('accepted again after a withdrawal, the newest acceptance is in effect', () => {
    const records = [
      entry('police-nl', 'accept'),
      entry('boatreg-nl', 'withdraw'),
      entry('boatreg-nl', 'accept'),
      entry('insureco', 'accept'),
    ];
    expect(agreementStatus(agreement, records, NAMES, june).inForce).toBe(true);
  });

  it('says when it is past its revision date or its validity, in the agreement’s time zone', () => {
    const records = ['police-nl', 'boatreg-nl', 'insureco'].map((p) => entry(p, 'accept'));
    // 23:30 UTC on 30 June is 1 July in Amsterdam: past reviseBy 2027-06-30.
    const late = agreementStatus(agreement, records, NAMES, new Date('2027-06-30T23:30:00.000Z'));
    expect(late.notInForce).toEqual([{ code: 'revision-overdue', reviseBy: '2027-06-30' }]);
    const early = agreementStatus(agreement, records, NAMES, new Date('2025-12-31T12:00:00.000Z'));
    expect(early.notInForce).toEqual([{ code: 'not-yet-valid', from: '2026-01-01' }]);
  });
});

describe('validateScreening’s dates', () => {
  const body = (reviewedOn: string, nextReviewOn: string) => ({
    reviewedOn,
    outcome: 'cleared',
    conditions: [],
    riskNotes: '',
    contact: { name: 'Desk', email: 'desk@example.org' },
    nextReviewOn,
  });
  const pointers = (b: object) => {
    try {
      validateScreening(b, june);
      return [];
    } catch (error) {
      return ((error as { extensions: { errors: { pointer: string }[] } }).extensions.errors ?? []).map(
        (e) => e.pointer,
      );
    }
  };

  it('takes a next review up to three years on, the same day included', () => {
    expect(pointers(body('2026-06-15', '2029-06-15'))).toEqual([]);
    expect(pointers(body('2026-06-15', '2029-06-16'))).toEqual(['/nextReviewOn']);
    expect(pointers(body('2026-06-15', '2026-06-15'))).toEqual(['/nextReviewOn']);
  });

  it('refuses a review dated in the future, a day’s grace aside', () => {
    expect(pointers(body('2026-06-16', '2027-01-01'))).toEqual([]);
    expect(pointers(body('2026-06-17', '2027-01-01'))).toEqual(['/reviewedOn']);
  });

  it('lists the schema’s problems with the dates’ together, and no date check on a malformed date', () => {
    expect(pointers({ ...body('2026-06-15', '2026-06-01'), outcome: 'maybe' })).toEqual([
      '/outcome',
      '/nextReviewOn',
    ]);
    expect(pointers(body('2026-02-30', '2026-06-01'))).toEqual(['/reviewedOn']);
  });
});
