/**
 * Time zones, in one place: an agreement's wall clock (the setting safe's allowed hours, the dates
 * people and project compare), the local day an entry counts under in the DPO's statistics, and the
 * start of a per-day quota's day. Formatters are made once per zone: making one costs far more than
 * using it.
 */

/** Whether `zone` is an IANA time zone this runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Per time zone, a formatter of these options, made once. */
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

export interface ZonedClock {
  /** Local calendar date, YYYY-MM-DD. */
  date: string;
  /** ISO weekday, 1 (Monday) .. 7 (Sunday). */
  weekday: number;
  /** Minutes since local midnight. */
  minutes: number;
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
// Building a DateTimeFormat is costly; the set of agreement time zones is small.
const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * The last reading per zone, by UTC second: a reading changes at most once a second (zone offsets are
 * whole seconds), and a decision asks for the same one several times (people, project, setting).
 */
const lastReading = new Map<string, { second: number; clock: ZonedClock }>();

/** Wall-clock reading of `now` in an IANA time zone. Throws RangeError for an unknown zone. */
export function zonedClock(now: Date, timeZone: string): ZonedClock {
  const second = Math.floor(now.getTime() / 1000);
  const last = lastReading.get(timeZone);
  if (last && last.second === second) return { ...last.clock };
  const clock = readClock(now, timeZone);
  if (lastReading.size >= formatters.size + 16) lastReading.clear();
  lastReading.set(timeZone, { second, clock });
  return { ...clock };
}

function readClock(now: Date, timeZone: string): ZonedClock {
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, fmt);
  }
  const parts: Record<string, string> = {};
  for (const p of fmt.formatToParts(now)) parts[p.type] = p.value;
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    weekday: WEEKDAYS[parts.weekday] ?? 0,
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

/** Today's date in the zone (agreement dates are local to it); UTC when the zone is unknown. */
export function localDateOrUtc(now: Date, timeZone: string | undefined): string {
  try {
    return zonedClock(now, timeZone ?? 'UTC').date;
  } catch {
    return zonedClock(now, 'UTC').date;
  }
}
