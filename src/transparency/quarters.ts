/** Calendar quarters of local dates (YYYY-MM-DD), as the public page counts activity. */

export interface Quarter {
  /** e.g. "2026-Q4". */
  label: string;
  /** Its first and last day. */
  from: string;
  to: string;
}

const pad = (n: number) => String(n).padStart(2, '0');

function quarterAt(year: number, index: number): Quarter {
  const firstMonth = index * 3 + 1;
  const lastMonth = firstMonth + 2;
  // Day 0 of the next month is the last day of this one.
  const lastDay = new Date(Date.UTC(year, lastMonth, 0)).getUTCDate();
  return {
    label: `${year}-Q${index + 1}`,
    from: `${year}-${pad(firstMonth)}-01`,
    to: `${year}-${pad(lastMonth)}-${pad(lastDay)}`,
  };
}

/** The quarter a local date falls in. */
export function quarterOf(day: string): Quarter {
  return quarterAt(Number(day.slice(0, 4)), Math.floor((Number(day.slice(5, 7)) - 1) / 3));
}

/**
 * The `count` quarters before the one of `today`, oldest first: only closed quarters are published, as a
 * quarter under way, watched while it grows, would give its true count away where its rounding flips.
 */
export function closedQuarters(today: string, count: number): Quarter[] {
  const year = Number(today.slice(0, 4));
  const index = Math.floor((Number(today.slice(5, 7)) - 1) / 3);
  const quarters: Quarter[] = [];
  for (let back = count; back >= 1; back--) {
    const n = year * 4 + index - back;
    quarters.push(quarterAt(Math.floor(n / 4), n % 4));
  }
  return quarters;
}
