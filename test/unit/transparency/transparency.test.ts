/**
 * The transparency report's pure parts: public counts go through the tables' disclosure control (a
 * small count is never shown as it is), quarters, and why an agreement is not in force.
 */
import path from 'node:path';
import { loadBundle } from '../../../src/policy/load';
import { countText, publicCount, publicRules } from '../../../src/transparency/public-counts';
import { closedQuarters, quarterOf } from '../../../src/transparency/quarters';
import { notInForceReasons } from '../../../src/transparency/service';
import { factsOf, inGoodStanding } from '../../../src/partnership/standing';

describe('publicCount', () => {
  const defaults = publicRules(undefined);

  it('never shows a count of 3 as 3: default rules, the OpenSAFELY profile, every demo agreement', async () => {
    const bundle = await loadBundle(path.resolve(__dirname, '../../../policies'));
    const ruleSets = [
      defaults,
      publicRules({ profile: 'opensafely' }),
      ...[...bundle.agreements.values()].map((a) => publicRules(a.safes.output.aggregates?.sdc)),
    ];
    for (const rules of ruleSets) {
      const shown = publicCount(3, rules);
      expect(shown).toEqual({ fewerThan: rules.threshold });
      expect(countText(shown)).not.toMatch(/\b3\b/);
    }
  });

  it('shows zero as "fewer than" the threshold when zeros are disclosive, as 0 when not', () => {
    expect(publicCount(0, defaults)).toEqual({ fewerThan: 10 });
    expect(publicCount(0, publicRules({ zerosDisclosive: false }))).toEqual({ value: 0, roundedTo: 5 });
  });

  it('rounds a count at or above the threshold to the rounding base', () => {
    expect(publicCount(9, defaults)).toEqual({ fewerThan: 10 });
    expect(publicCount(10, defaults)).toEqual({ value: 10, roundedTo: 5 });
    expect(publicCount(12, defaults)).toEqual({ value: 10, roundedTo: 5 });
    expect(publicCount(13, defaults)).toEqual({ value: 15, roundedTo: 5 });
    expect(publicCount(13, publicRules({ roundingBase: 10 }))).toEqual({ value: 10, roundedTo: 10 });
    expect(countText(publicCount(9, defaults))).toBe('fewer than 10');
    expect(countText(publicCount(12, defaults))).toBe('10');
  });

  it('says "fewer than 1" rather than "fewer than 0" of a disclosive zero under a threshold of 0', () => {
    expect(publicCount(0, publicRules({ threshold: 0 }))).toEqual({ fewerThan: 1 });
  });
});

describe('quarters', () => {
  it('finds the quarter of a day and the four closed before it, across a year', () => {
    expect(quarterOf('2026-12-04')).toEqual({ label: '2026-Q4', from: '2026-10-01', to: '2026-12-31' });
    expect(closedQuarters('2027-02-28', 4)).toEqual([
      { label: '2026-Q1', from: '2026-01-01', to: '2026-03-31' },
      { label: '2026-Q2', from: '2026-04-01', to: '2026-06-30' },
      { label: '2026-Q3', from: '2026-07-01', to: '2026-09-30' },
      { label: '2026-Q4', from: '2026-10-01', to: '2026-12-31' },
    ]);
    expect(closedQuarters('2027-01-01', 1)).toEqual([
      { label: '2026-Q4', from: '2026-10-01', to: '2026-12-31' },
    ]);
  });
});

describe('notInForceReasons', () => {
  it('names each reason an agreement is not in force, in the public’s words', async () => {
    const bundle = await loadBundle(path.resolve(__dirname, '../../../policies'));
    const boats = bundle.agreements.get('stolen-boats')!;
    const facts = inGoodStanding(bundle);
    const at = (iso: string) => new Date(`${iso}T12:00:00Z`);
    expect(notInForceReasons(boats, facts, at('2026-06-01'))).toEqual([]);
    expect(notInForceReasons(boats, facts, at('2025-12-01'))).toEqual([
      { code: 'not-yet-valid', text: 'not yet valid (from 2026-01-01)' },
    ]);
    expect(notInForceReasons(boats, facts, at('2031-02-01')).map((r) => r.code)).toEqual([
      'expired',
      'revision-overdue',
    ]);
    // The revision date is read in the agreement's zone: 23:30 UTC on 31 Dec is already 1 Jan there.
    expect(notInForceReasons(boats, facts, new Date('2027-12-31T23:30:00Z'))).toEqual([
      { code: 'revision-overdue', text: 'past its revision date 2027-12-31' },
    ]);
    expect(notInForceReasons(boats, factsOf([], []), at('2026-06-01'))).toEqual([
      { code: 'awaiting-acceptance', text: 'awaiting acceptance' },
    ]);
  });
});
