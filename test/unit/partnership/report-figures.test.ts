import type { AuditEntry } from '../../../src/audit/types';
import { parsePeriod, quarterOf, scaledTarget } from '../../../src/partnership/period';
import type { Recorded } from '../../../src/partnership/registry';
import { inGoodStanding } from '../../../src/partnership/standing';
import { BASELINE_NOW, baselineAgreement } from '../../helpers/bundle-fixture';
import {
  activityByMonth,
  inForce,
  quantile,
  responseTimes,
  screeningStatus,
} from '../../../src/partnership/report-figures';
import type { Screening } from '../../../src/partnership/types';
import type { Agreement } from '../../../src/policy/types';

describe('periods', () => {
  it('reads a quarter, a month and a year, and nothing else', () => {
    expect(parsePeriod('2026-Q4')).toMatchObject({ fromDay: '2026-10-01', toDay: '2026-12-31' });
    expect(parsePeriod('2024-02')).toMatchObject({
      fromDay: '2024-02-01',
      toDay: '2024-02-29',
      months: ['2024-02'],
    });
    expect(parsePeriod('2026')?.months).toHaveLength(12);
    for (const bad of ['2026-Q0', '2026-13', '26', '2026-1', '2026-Q4 ', ''])
      expect(parsePeriod(bad)).toBeUndefined();
    expect(quarterOf('2026-12-04').label).toBe('2026-Q4');
  });

  it('scales a goal to the period', () => {
    const q = parsePeriod('2026-Q4')!;
    expect(scaledTarget({ target: 5, per: 'quarter' }, q)).toBe(5);
    expect(scaledTarget({ target: 2, per: 'month' }, q)).toBe(6);
    expect(scaledTarget({ target: 12, per: 'year' }, parsePeriod('2026-11')!)).toBe(1);
  });
});

const entry = (e: Partial<AuditEntry>): AuditEntry => ({
  seq: 1,
  ts: '2026-11-02T09:00:00.000Z',
  type: 'decision',
  actorUser: 'anna',
  actorPartner: 'police-nl',
  partners: ['police-nl', 'boatreg-nl'],
  requestId: null,
  agreementId: 'a',
  outcome: 'permit',
  data: {},
  prevHash: '',
  hash: '',
  ...e,
});

describe('activity', () => {
  it('takes the stored counts by month and counts tables, hits and questions from the entries', () => {
    const period = parsePeriod('2026-Q4')!;
    const counts = [
      { day: '2026-10-03', agreement: 'a', measure: 'requests', n: 2 },
      { day: '2026-11-03', agreement: 'a', measure: 'requests', n: 1 },
      { day: '2026-11-03', agreement: 'a', measure: 'safe:project', n: 1 },
      { day: '2026-11-03', agreement: 'a', measure: 'reason:PROJECT_PURPOSE', n: 1 },
    ];
    const entries = [
      entry({ data: { kind: 'aggregate' } }),
      entry({ type: 'lookup', data: { hits: [{}, {}] } }),
      entry({ type: 'question.asked' }),
    ];
    const a = activityByMonth(period, counts, entries, (ts) => ts.slice(0, 7));
    expect(a.byMonth.map((m) => m.requests)).toEqual([2, 1, 0]);
    expect(a.byMonth[1]).toMatchObject({ tables: 1, detailRequests: 0, hits: 2, questions: 1 });
    expect(a.total).toMatchObject({ requests: 3, tables: 1, detailRequests: 2 });
    expect(a.deniedBySafe).toEqual({ project: 1 });
    expect(a.denialReasons).toEqual({ PROJECT_PURPOSE: 1 });
  });
});

describe('response times', () => {
  const agreement = {
    parties: { requesters: ['police-nl'], providers: ['boatreg-nl'] },
    responseTimeHours: 10,
  };
  const created = (id: string, ts: string) =>
    entry({ type: 'request.state', requestId: id, ts, data: { from: null, to: 'awaiting_provider' } });
  const moved = (id: string, ts: string, to: string) =>
    entry({ type: 'request.state', requestId: id, ts, data: { from: 'awaiting_provider', to } });

  it('measures created → first answer per provider, median and p90, and counts the overdue', () => {
    const states = [
      created('r1', '2026-11-01T00:00:00.000Z'),
      moved('r1', '2026-11-01T02:00:00.000Z', 'answered'),
      moved('r1', '2026-11-01T05:00:00.000Z', 'disclosed'),
      created('r2', '2026-11-02T00:00:00.000Z'),
      moved('r2', '2026-11-02T12:00:00.000Z', 'declined'),
      created('r3', '2026-11-03T00:00:00.000Z'),
      created('old', '2026-09-01T00:00:00.000Z'),
    ];
    const [times] = responseTimes(
      agreement as unknown as Agreement,
      states,
      (ts) => ts >= '2026-10',
      new Date('2026-11-03T11:00:00.000Z'),
    );
    expect(times).toEqual({
      providerId: 'boatreg-nl',
      received: 3,
      answered: 2,
      medianHours: 2,
      p90Hours: 12,
      overdue: 2,
    });
  });

  it('takes the nearest rank', () => {
    expect(quantile([], 0.5)).toBeNull();
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBe(9);
  });
});

describe('screening during the period', () => {
  const screening = (nextReviewOn: string, outcome: Screening['outcome'] = 'cleared'): Screening => ({
    partnerId: 'p',
    reviewedOn: '2026-01-01',
    reviewer: { partnerId: 'gateway', userId: 'ada' },
    outcome,
    conditions: [],
    riskNotes: '',
    contact: { name: 'n', email: 'e@x' },
    nextReviewOn,
  });
  const rec = (s: Screening, recordedAt: string): Recorded<Screening> => ({ seq: 1, recordedAt, record: s });
  const days = ['2026-11-28', '2026-11-29', '2026-11-30', '2026-12-01', '2026-12-02'];

  it('shows a lapse inside the period from the day after the review date, and a renewal after it', () => {
    const status = screeningStatus(
      'p',
      [
        rec(screening('2026-11-29'), '2026-01-01T10:00:00Z'),
        rec(screening('2027-12-01'), '2026-12-02T10:00:00Z'),
      ],
      (at) => at.slice(0, 10),
      days,
      '2026-12-04',
    );
    expect(status.today).toBe('cleared');
    expect(status.duringPeriod).toEqual([
      { status: 'cleared', since: '2026-11-28' },
      { status: 'lapsed', since: '2026-11-30' },
      { status: 'cleared', since: '2026-12-02' },
    ]);
  });

  it('names the conditions of a clearance with conditions', () => {
    const withConditions = {
      ...screening('2027-12-01', 'cleared-with-conditions'),
      conditions: ['Audit yearly'],
    };
    const status = screeningStatus(
      'p',
      [rec(withConditions, '2026-11-28T10:00:00Z')],
      (at) => at.slice(0, 10),
      days,
      '2026-12-04',
    );
    expect(status).toMatchObject({ today: 'cleared', conditions: ['Audit yearly'] });
    expect(
      screeningStatus(
        'p',
        [rec(screening('2027-12-01'), '2026-11-28T10:00:00Z')],
        (at) => at.slice(0, 10),
        days,
        '2026-12-04',
      ).conditions,
    ).toEqual([]);
  });

  it('says unscreened for a partner with no screening', () => {
    const status = screeningStatus('p', [], (at) => at.slice(0, 10), days, '2026-12-04');
    expect(status).toMatchObject({ today: 'unscreened', nextReviewOn: null });
  });
});

describe('in force', () => {
  const agreement = baselineAgreement();
  const accepted = (except: string[] = []) => {
    const everyone = inGoodStanding({
      partners: new Map(),
      agreements: new Map([[agreement.id, agreement]]),
    } as never);
    const parties = new Map(everyone.accepted.get(agreement.id));
    for (const p of except) parties.delete(p);
    return { ...everyone, accepted: new Map([[agreement.id, parties]]) };
  };

  it('is in force when every party accepted this version, before its revision date, within its validity', () => {
    expect(inForce(agreement, accepted(), new Date(BASELINE_NOW))).toMatchObject({ now: true, why: [] });
  });

  it('says why not: the parties that have not accepted, and a revision date gone by', () => {
    const party = agreement.parties.providers[0];
    const after = new Date(Date.parse(`${agreement.reviseBy}T12:00:00Z`) + 2 * 86_400_000);
    // Still within its validity (until 2027-12-31): the revision date alone is gone by.
    const status = inForce(agreement, accepted([party]), after);
    expect(status.now).toBe(false);
    expect(status.notAcceptedBy).toEqual([party]);
    expect(status.why).toContain(`past its revision date ${agreement.reviseBy}`);
  });
});
