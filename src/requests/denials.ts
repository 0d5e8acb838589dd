/**
 * Denials of lookups and requests: what the caller is told and how much the log keeps. A caller the
 * registry does not know learns that, and nothing of the agreement's terms; a request the agreement
 * does not bound is logged as counts and a digest, never in proportion to what it sends.
 */
import { ProblemError } from '../http/problem';
import { safeOf, type ReasonCode } from '../safes/reasons';
import type { SafeName, SafeResult } from '../safes/types';

/** A decision, or a reader's check (people and setting only): the safes judged and their reasons. */
type Judged = { safes: Partial<Record<SafeName, SafeResult>> };

/**
 * A caller the registry does not know for their partner: the people safe judged nothing else about
 * them. They are told these codes alone, not the fields, obligations, limits and rules of the
 * agreement that the other safes' reasons and the obligations would reveal.
 */
const UNACCREDITED: readonly ReasonCode[] = ['PEOPLE_UNKNOWN_USER', 'PEOPLE_PARTNER_MISMATCH'];

/**
 * A request the agreement does not bound: from a caller without accreditation, over the agreement's
 * limits, or under no agreement (whose limit is none). Its lists are logged compactly.
 */
const UNBOUNDED: readonly ReasonCode[] = [
  ...UNACCREDITED,
  'OUTPUT_TOO_MANY_IDENTIFIERS',
  'OUTPUT_TOO_MANY_RECORDS',
  'OUTPUT_NO_AGREEMENT',
];

/** The named provider is no providing party to the request's agreement (or there is no agreement). */
const PROVIDER_OUTSIDE: readonly ReasonCode[] = ['PROJECT_AGREEMENT_UNKNOWN', 'PROJECT_PROVIDER_NOT_PARTY'];

function codesOf(decision: Judged): string[] {
  return Object.values(decision.safes).flatMap((safe) => safe?.reasons.map((r) => r.code) ?? []);
}

/** Whether the log keeps the identifiers and references a request names as counts and one digest. */
export function loggedCompactly(decision: Judged): boolean {
  return codesOf(decision).some((code) => (UNBOUNDED as readonly string[]).includes(code));
}

/**
 * Whether the provider a request names is outside its agreement. Such a request reaches neither the
 * provider's inbox nor its DPO: its log entries name the requester alone (else anyone with a token could
 * put a case reference, a purpose and keyed hashes in front of any partner's DPO).
 */
export function providerOutside(decision: Judged): boolean {
  return codesOf(decision).some((code) => (PROVIDER_OUTSIDE as readonly string[]).includes(code));
}

/** The codes that say the registry does not know the caller; empty for an accredited user. */
export function unaccreditedCodes(decision: Judged): ReasonCode[] {
  const codes = codesOf(decision);
  return UNACCREDITED.filter((code) => codes.includes(code));
}

/**
 * A 403 problem for what the Five Safes denied, with the lookup's or request's id: to an accredited
 * user, which safes failed and the whole decision; to anyone else, the codes that say so.
 */
export function deniedProblem(
  code: string,
  title: string,
  decision: Judged,
  id: Record<string, string>,
): ProblemError {
  const outside = unaccreditedCodes(decision);
  const failed = outside.length
    ? [...new Set(outside.map(safeOf))]
    : Object.entries(decision.safes)
        .filter(([, result]) => result?.outcome === 'fail')
        .map(([safe]) => safe);
  return new ProblemError({
    code,
    title,
    status: 403,
    detail: `Failed safes: ${failed.join(', ')}.`,
    extensions: outside.length ? { ...id, reasons: outside } : { ...id, decision },
  });
}
