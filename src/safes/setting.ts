/**
 * Safe setting: does the access environment prevent misuse? Network of origin, MFA (as the verifier
 * read it with the issuer's settings), auth age, allowed hours and TLS. The agreement's wall clock is
 * read in time/zones.ts; dayNumber, the calendar arithmetic people and project share, lives here.
 */
import ipaddr from 'ipaddr.js';
import type { AllowedHours, Bundle } from '../policy/types';
import type { Identity } from '../auth/identity';
import type { DecisionContext, Reason, RequestInput, SafeResult } from './types';
import { reason } from './reasons';
import { zonedClock, type ZonedClock } from '../time/zones';

export function checkSetting(
  input: RequestInput,
  identity: Identity,
  ctx: DecisionContext,
  bundle: Bundle,
): SafeResult {
  const agreement = bundle.agreements.get(input.agreementId);
  // Without an agreement the strictest defaults apply: MFA required, no further windows to test.
  const rules = agreement?.safes.setting ?? { mfaRequired: true, tlsRequired: false };
  const reasons: Reason[] = [];

  const networks = bundle.partners.get(identity.partnerId)?.networks ?? [];
  const address = parseAddress(ctx.sourceIp);
  if (!address) reasons.push(reason('SETTING_NETWORK_NOT_ALLOWED', 'source address not parsable'));
  else if (!networks.some((cidr) => inNetwork(address, cidr)))
    reasons.push(reason('SETTING_NETWORK_NOT_ALLOWED'));

  // The verifier read MFA from the claims the issuer's settings name; the reason names them, not their values.
  if (rules.mfaRequired && !identity.mfa) reasons.push(reason('SETTING_MFA_REQUIRED', mfaDetail(identity)));

  if (rules.maxAuthAgeMinutes !== undefined) {
    if (identity.authTime === undefined) {
      reasons.push(reason('SETTING_AUTH_TOO_OLD', 'authentication time unknown'));
    } else {
      const ageMinutes = (ctx.now.getTime() - identity.authTime * 1000) / 60_000;
      // Written as a negated "within" so that NaN limits fail closed.
      if (!(ageMinutes <= rules.maxAuthAgeMinutes)) {
        reasons.push(reason('SETTING_AUTH_TOO_OLD', `limit ${rules.maxAuthAgeMinutes} minutes`));
      }
    }
  }

  if (rules.allowedHours && agreement) {
    const problem = outsideHours(ctx.now, agreement.timezone, rules.allowedHours);
    if (problem) reasons.push(reason('SETTING_OUTSIDE_HOURS', problem));
  }

  if (rules.tlsRequired && !ctx.tls) reasons.push(reason('SETTING_TLS_REQUIRED'));

  return { outcome: reasons.length ? 'fail' : 'pass', reasons };
}

function mfaDetail(identity: Identity): string {
  const claims = identity.mfaClaims;
  return claims.length === 0
    ? "the token's issuer counts no claim as multi-factor"
    : `${claims.join(' or ')}: no value the token's issuer counts as multi-factor`;
}

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * Strict parse: dotted-quad IPv4 only (no "127.1" or hex forms, which could sneak past a proxy
 * header), IPv6 with IPv4-mapped addresses unwrapped so ::ffff:10.10.0.5 matches 10.10.0.0/16.
 */
export function parseAddress(raw: string): Address | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(raw)) return ipaddr.IPv4.parse(raw);
  if (ipaddr.IPv6.isValid(raw)) return ipaddr.process(raw);
  return undefined;
}

/** Parsed CIDR ranges (they come from the bundle: few); null for a malformed one. */
const ranges = new Map<string, [Address, number] | null>();
const MAX_RANGES = 10_000;

function inNetwork(address: Address, cidr: string): boolean {
  let parsed = ranges.get(cidr);
  if (parsed === undefined) {
    try {
      parsed = ipaddr.parseCIDR(cidr);
    } catch {
      parsed = null; // a malformed range admits nobody
    }
    if (ranges.size >= MAX_RANGES) ranges.clear();
    ranges.set(cidr, parsed);
  }
  if (parsed === null) return false;
  const [range, bits] = parsed;
  return range.kind() === address.kind() && address.match(range, bits);
}

/** Undefined when `now` is inside the window, else a short detail for the reason. */
function outsideHours(now: Date, timeZone: string, hours: AllowedHours): string | undefined {
  const from = minutesOf(hours.from);
  const to = minutesOf(hours.to);
  if (from === undefined || to === undefined || from >= 24 * 60 || from === to)
    return 'allowed hours invalid';
  let clock: ZonedClock;
  try {
    clock = zonedClock(now, timeZone);
  } catch {
    return 'time zone invalid';
  }
  const today = hours.days.includes(clock.weekday);
  const yesterday = hours.days.includes(clock.weekday === 1 ? 7 : clock.weekday - 1);
  // from > to is an overnight window: it starts on an allowed day and runs past midnight.
  const inside =
    from < to
      ? today && clock.minutes >= from && clock.minutes < to
      : (today && clock.minutes >= from) || (yesterday && clock.minutes < to);
  return inside ? undefined : `allowed ${hours.from}-${hours.to} ${timeZone}`;
}

/** "HH:MM" → minutes since midnight; "24:00" is the end of the day. */
function minutesOf(hhmm: string): number | undefined {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59 || h > 24 || (h === 24 && min !== 0)) return undefined;
  return h * 60 + min;
}

/** Days since the epoch for a strict YYYY-MM-DD date; undefined when malformed or impossible. */
export function dayNumber(isoDate: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = Date.UTC(y, mo - 1, d);
  const back = new Date(t);
  // Date.UTC rolls 2026-02-30 over into March; reject instead of guessing.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d)
    return undefined;
  return t / 86_400_000;
}
