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
