/** Per time zone, a formatter of these options, made once: making one costs far more than using it. */
function perZone(options: Intl.DateTimeFormatOptions): (timeZone: string) => Intl.DateTimeFormat {
  const made = new Map<string, Intl.DateTimeFormat>();
  return (timeZone) => {
    let format = made.get(timeZone);
    if (!format) {
      format = new Intl.DateTimeFormat('en-CA', { ...options, timeZone });
      made.set(timeZone, format);
    }
    return format;
  };
}

const stampFormat = perZone({
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
const dateFormat = perZone({ year: 'numeric', month: '2-digit', day: '2-digit' });

/** The last answer per zone, by UTC second (the answer depends on `now` only to the second). */
const last = new Map<string, { second: number; start: number }>();

/** The zone's offset from UTC at `at` (ms), and `at`'s local date and time. */
function zoned(at: number, timeZone: string): { offsetMs: number; year: number; month: number; day: number } {
  const parts = Object.fromEntries(
    stampFormat(timeZone)
      .formatToParts(new Date(at))
      .map((p) => [p.type, p.value]),
  );
  const localAsUtc = Date.UTC(
    +parts.year,
    +parts.month - 1,
    +parts.day,
    +parts.hour,
    +parts.minute,
    +parts.second,
  );
  return {
    offsetMs: localAsUtc - Math.floor(at / 1000) * 1000,
    year: +parts.year,
    month: +parts.month,
    day: +parts.day,
  };
}

/**
 * The instant local midnight began, on `now`'s date in `timeZone` (for per-day quotas). The offset is
 * the one at midnight, not now's: on the day the clocks change they differ, and now's offset would move
 * the day's start by the change halfway through the day (a second quota key, the first hour's uses
 * uncounted). From now's offset, a first guess, then the offset at that guess: where midnight does not
 * exist (clocks jump at 24:00) this gives the first instant of the day.
 */
export function startOfLocalDay(now: Date, timeZone: string): Date {
  const second = Math.floor(now.getTime() / 1000);
  const known = last.get(timeZone);
  if (known && known.second === second) return new Date(known.start);
  const today = zoned(now.getTime(), timeZone);
  const midnightAsUtc = Date.UTC(today.year, today.month - 1, today.day);
  const guess = midnightAsUtc - today.offsetMs;
  const start = midnightAsUtc - zoned(guess, timeZone).offsetMs;
  last.set(timeZone, { second, start });
  return new Date(start);
}

/** `at`'s date in `timeZone`, as YYYY-MM-DD (the day an entry counts under in per-day figures). */
export function localDate(at: Date, timeZone: string): string {
  return dateFormat(timeZone).format(at);
}

/** A local date and the instants it lasts: [start, end) in ms. */
export interface LocalDay {
  day: string;
  start: number;
  end: number;
}

const HOUR_MS = 3_600_000;

/**
 * The first instant in (lo, hi] at which `reached` holds of the date in `timeZone`, given that it does
 * not at lo and does at hi (a date never goes back as time goes on: clocks set back cross no midnight).
 */
function firstWhen(reached: (date: string) => boolean, timeZone: string, lo: number, hi: number): number {
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (reached(localDate(new Date(mid), timeZone))) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * The local date of `at` (ms) in `timeZone`, and when it began and ends, to the millisecond. Dates are
 * compared as text: for years 1000-9999 (a RangeError outside, where that order does not hold).
 */
export function localDayAt(at: number, timeZone: string): LocalDay {
  const day = localDate(new Date(at), timeZone);
  const step = (from: number, by: number, beyond: (date: string) => boolean) => {
    for (let i = 1, t = from + by; i <= 4; i++, t += by)
      if (beyond(localDate(new Date(t), timeZone))) return t;
    throw new RangeError(`no local day around ${new Date(at).toISOString()} in ${timeZone}`);
  };
  const before = step(at, -30 * HOUR_MS, (date) => date < day);
  const after = step(at, 30 * HOUR_MS, (date) => date > day);
  return {
    day,
    start: firstWhen((date) => date >= day, timeZone, before, at),
    end: firstWhen((date) => date > day, timeZone, at, after),
  };
}

/**
 * `localDate` for many instants, mostly close together (the entries of a log): the last day seen in
 * each zone is kept with its bounds, so an instant inside it costs two comparisons instead of a format.
 */
export function localDays(): (at: number, timeZone: string) => string {
  const last = new Map<string, LocalDay>();
  return (at, timeZone) => {
    const known = last.get(timeZone);
    if (known && at >= known.start && at < known.end) return known.day;
    let found: LocalDay;
    try {
      found = localDayAt(at, timeZone);
    } catch {
      return localDate(new Date(at), timeZone); // a year outside 1000-9999: not kept
    }
    last.set(timeZone, found);
    return found.day;
  };
}
