/**
 * Safe output: is what leaves bounded, and is its handling well defined? Checked here on the request;
 * the actual answer is checked again before release.
 */
import { TLP_LEVELS } from '../policy/types';
import type { Bundle } from '../policy/types';
import type { Identity } from '../auth/identity';
import type { DecisionContext, Reason, RequestInput, SafeResult } from './types';
import { reason } from './reasons';

const MAX_RETENTION_DAYS = 365;

export function checkOutput(
  input: RequestInput,
  _identity: Identity,
  _ctx: DecisionContext,
  bundle: Bundle,
): SafeResult {
  const agreement = bundle.agreements.get(input.agreementId);
  const reasons: Reason[] = [];
  const asked = input.identifiers.length + input.recordRefs.length;

  if (!agreement) reasons.push(reason('OUTPUT_NO_AGREEMENT'));
  if (asked === 0) reasons.push(reason('OUTPUT_NOTHING_REQUESTED'));
  if (agreement) {
    const rules = agreement.safes.output;
    // Negated so that a missing or NaN limit fails closed.
    if (input.kind === 'lookup') {
      if (!(asked <= (rules.maxLookupIdentifiers ?? 0))) {
        reasons.push(reason('OUTPUT_TOO_MANY_IDENTIFIERS', `at most ${rules.maxLookupIdentifiers ?? 0}`));
      }
    } else if (!(asked <= rules.maxRecordsPerRequest)) {
      reasons.push(reason('OUTPUT_TOO_MANY_RECORDS', `at most ${rules.maxRecordsPerRequest}`));
    }
    const tlps: readonly string[] = TLP_LEVELS;
    if (!tlps.includes(rules.handling?.tlp)) reasons.push(reason('OUTPUT_HANDLING_INVALID'));
    const days = rules.retentionDays;
    if (!Number.isInteger(days) || days < 1 || days > MAX_RETENTION_DAYS) {
      reasons.push(reason('OUTPUT_RETENTION_INVALID'));
    }
  }

  return { outcome: reasons.length ? 'fail' : 'pass', reasons };
}
