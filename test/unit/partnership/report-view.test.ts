import type { Report } from '../../../src/partnership/report';
import { parsePeriod } from '../../../src/partnership/period';
import { reportView } from '../../../src/portal/pages/reports-views';

const period = parsePeriod('2026-Q4')!;
const month = (m: string) => ({
  month: m,
  requests: 2,
  detailRequests: 1,
  tables: 1,
  lookups: 3,
  hits: 1,
  permits: 4,
  denials: 1,
  disclosures: 1,
  recordsReleased: 3,
  questions: 0,
});

const report = {
  agreement: {
    id: 'stolen-boats',
    title: 'Tracing <stolen> boats',
    version: 4,
    timezone: 'Europe/Amsterdam',
  },
  period: { ...period, from: '', to: '' },
  generatedAt: '2026-12-04T10:00:00.000Z',
  activity: {
    total: month('2026-Q4'),
    byMonth: period.months.map(month),
    deniedBySafe: { project: 1 },
    denialReasons: { PROJECT_PURPOSE_NOT_ALLOWED: 1 },
  },
  responseTimes: {
    responseTimeHours: 72,
    providers: [
      { providerId: 'boatreg-nl', received: 2, answered: 1, medianHours: 3.5, p90Hours: 3.5, overdue: 1 },
    ],
  },
  outcomes: {
    recorded: 1,
    byKind: { 'object-recovered': 1 },
    goals: [
      {
        id: 'boats-recovered',
        title: 'Boats recovered',
        outcome: 'object-recovered',
        target: 5,
        per: 'quarter',
        achieved: 1,
      },
    ],
  },
  screening: [
    {
      partnerId: 'insureco',
      today: 'lapsed',
      conditions: [],
      nextReviewOn: '2026-11-29',
      duringPeriod: [
        { status: 'cleared', since: '2026-10-01' },
        { status: 'lapsed', since: '2026-11-30' },
      ],
    },
  ],
  changes: { acceptances: [], policyLoads: [] },
  inForce: {
    now: false,
    reviseBy: '2026-11-30',
    notAcceptedBy: [],
    why: ['past its revision date 2026-11-30'],
  },
} as unknown as Report;

describe('the report page', () => {
  const text = reportView(report).text;

  it('says why the agreement is not in force, and shows a lapse inside the period', () => {
    expect(text).toContain('Not in force now: past its revision date 2026-11-30.');
    expect(text).toContain('lapsed since 2026-11-30');
  });

  it('draws its charts as SVG beside tables, escapes what it is given, and carries no script', () => {
    expect(text.match(/<svg/g)?.length).toBe(4);
    expect(text).toContain('Tracing &lt;stolen&gt; boats');
    expect(text).not.toMatch(/<script|style=/i);
    expect(text).toContain('3.5 h');
  });

  it('offers the period picker and the print note, both left out of print', () => {
    expect(text).toMatch(/<form\s+class="period-picker no-print"\s+method="get"/);
    expect(text).toContain('href="#print-note"');
    expect(text).toContain('Save as PDF');
  });
});
