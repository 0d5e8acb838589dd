/**
 * The one reader of dates given as filters (the DPO API's from/to, the portal's day fields, `fsg audit
 * export --from/--to`). Filters are compared as text with the log's timestamps, so a date is answered
 * in the form the log writes (UTC, `toISOString()`), and refused when that form could not compare
 * right: a leap second (:60, which JavaScript's Date cannot hold) and an instant outside the years
 * 0000–9999 once in UTC (written "+010000-…", which sorts before "2026-…": a filter that matched nothing).
 */

/** RFC 3339 date-time (offset with or without its colon, as ajv's date-time), or a bare date. */
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:([Zz])|([+-])(\d{2}):?(\d{2})))?$/;

/** What a refused date is told, beside its field. */
export const TIMESTAMP_RULE =
  'must be an RFC 3339 date-time with a time zone, in the years 0000-9999, without a leap second';

const daysIn = (year: number, month: number) =>
  month === 2
    ? year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
      ? 29
      : 28
    : [4, 6, 9, 11].includes(month)
      ? 30
      : 31;

/**
 * `text` as the log writes timestamps, or undefined when it is not one it can compare with. A bare
 * date (YYYY-MM-DD, midnight UTC) only when `allowDate`.
 */
export function logTimestamp(text: string, options: { allowDate?: boolean } = {}): string | undefined {
  const m = RFC3339.exec(text);
  if (!m || (m[4] === undefined && !options.allowDate)) return undefined;
  const [, year, month, day, hour = '00', minute = '00', second = '00', fraction = '', z, sign, oh, om] = m;
  const bad =
    +month < 1 ||
    +month > 12 ||
    +day < 1 ||
    +day > daysIn(+year, +month) ||
    +hour > 23 ||
    +minute > 59 ||
    +second > 59 ||
    (sign !== undefined && (+oh > 23 || +om > 59));
  if (bad) return undefined;
  const zone = z || sign === undefined ? 'Z' : `${sign}${oh}:${om}`;
  const ms = Date.parse(`${year}-${month}-${day}T${hour}:${minute}:${second}${fraction.slice(0, 4)}${zone}`);
  if (Number.isNaN(ms)) return undefined;
  const iso = new Date(ms).toISOString();
  return /^\d{4}-/.test(iso) ? iso : undefined;
}
