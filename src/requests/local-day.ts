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

/** The instant local midnight began, on `now`'s date in `timeZone` (for per-day quotas). */
export function startOfLocalDay(now: Date, timeZone: string): Date {
  const second = Math.floor(now.getTime() / 1000);
  const known = last.get(timeZone);
  if (known && known.second === second) return new Date(known.start);
  const parts = Object.fromEntries(
    stampFormat(timeZone)
      .formatToParts(now)
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
  const offsetMs = localAsUtc - second * 1000;
  const start = Date.UTC(+parts.year, +parts.month - 1, +parts.day) - offsetMs;
  last.set(timeZone, { second, start });
  return new Date(start);
}

/** `at`'s date in `timeZone`, as YYYY-MM-DD (the day an entry counts under in per-day figures). */
export function localDate(at: Date, timeZone: string): string {
  return dateFormat(timeZone).format(at);
}
