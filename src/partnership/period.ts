/**
 * A report's period: a quarter (`2026-Q4`), a month (`2026-11`) or a year (`2026`), as local dates of
 * the agreement's time zone. The default is the quarter `today` falls in.
 */
import type { AgreementGoal } from '../policy/types';

export interface Period {
  /** As asked: 2026-Q4, 2026-11 or 2026. */
  label: string;
  /** First and last day, inclusive (YYYY-MM-DD). */
  fromDay: string;
  toDay: string;
  /** Its months, YYYY-MM, in order. */
  months: string[];
}

const pad = (n: number) => String(n).padStart(2, '0');

function monthsOf(year: number, first: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${year}-${pad(first + i)}`);
}

function lastDayOf(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return `${month}-${pad(new Date(Date.UTC(y, m, 0)).getUTCDate())}`;
}

/** The period `text` names, or undefined when it names none (years 2000-2999). */
export function parsePeriod(text: string): Period | undefined {
  const match = /^(2\d{3})(?:-(?:Q([1-4])|(0[1-9]|1[0-2])))?$/.exec(text);
  if (!match) return undefined;
  const year = Number(match[1]);
  const months = match[2]
    ? monthsOf(year, (Number(match[2]) - 1) * 3 + 1, 3)
    : match[3]
      ? monthsOf(year, Number(match[3]), 1)
      : monthsOf(year, 1, 12);
  return { label: text, fromDay: `${months[0]}-01`, toDay: lastDayOf(months[months.length - 1]), months };
}

/** The quarter `today` (YYYY-MM-DD) is in. */
export function quarterOf(today: string): Period {
  const quarter = Math.floor((Number(today.slice(5, 7)) - 1) / 3) + 1;
  return parsePeriod(`${today.slice(0, 4)}-Q${quarter}`)!;
}

/** A goal's target over the period: per month × the period's months, per quarter × months / 3, … */
export function scaledTarget(goal: Pick<AgreementGoal, 'target' | 'per'>, period: Period): number {
  const monthsPer = { month: 1, quarter: 3, year: 12 }[goal.per];
  return Math.round(((goal.target * period.months.length) / monthsPer) * 100) / 100;
}

/** Every day of the period, in order. */
export function daysOf(period: Pick<Period, 'fromDay' | 'toDay'>): string[] {
  const days: string[] = [];
  const end = Date.parse(`${period.toDay}T00:00:00Z`);
  for (let t = Date.parse(`${period.fromDay}T00:00:00Z`); t <= end; t += 86_400_000) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}
