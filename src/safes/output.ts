/**
 * Safe output: is what leaves bounded, and is its handling well defined? Checked here on the request;
 * the actual answer is checked again before release.
 */
import { TLP_LEVELS } from '../policy/types';
import type { Agreement, Bundle } from '../policy/types';
import { FIELD_CATALOGUE } from '../records/canonical';
import type { Identity } from '../auth/identity';
import type { DecisionContext, Reason, RequestInput, SafeResult } from './types';
import { reason } from './reasons';

const MAX_RETENTION_DAYS = 365;

export function checkOutput(
  input: RequestInput,
  _identity: Identity,
  ctx: DecisionContext,
  bundle: Bundle,
): SafeResult {
  const agreement = bundle.agreements.get(input.agreementId);
  const reasons: Reason[] = [];
  const asked = input.identifiers.length + input.recordRefs.length;

  if (!agreement) reasons.push(reason('OUTPUT_NO_AGREEMENT'));
  // A disclosure may go to a team only of the requester's own partner, one they belong to.
  const team = input.recipients?.team;
  if (team !== undefined && !(ctx.accreditation?.teams ?? []).includes(team)) {
    reasons.push(reason('OUTPUT_RECIPIENT_NOT_ALLOWED'));
  }
  // A table names no records; its output is judged by its shape now and by SDC on the real numbers.
  if (input.kind === 'aggregate') reasons.push(...aggregateShape(input, agreement));
  else if (asked === 0) reasons.push(reason('OUTPUT_NOTHING_REQUESTED'));
  if (agreement) {
    const rules = agreement.safes.output;
    // Negated so that a missing or NaN limit fails closed.
    if (input.kind === 'lookup') {
      if (!(asked <= (rules.maxLookupIdentifiers ?? 0))) {
        reasons.push(reason('OUTPUT_TOO_MANY_IDENTIFIERS', `at most ${rules.maxLookupIdentifiers ?? 0}`));
      }
    } else if (input.kind !== 'aggregate' && !(asked <= rules.maxRecordsPerRequest)) {
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

function aggregateShape(input: RequestInput, agreement: Agreement | undefined): Reason[] {
  const rules = agreement?.safes.output.aggregates;
  if (!agreement) return [];
  if (!rules) return [reason('OUTPUT_AGGREGATES_NOT_ALLOWED')];
  const query = input.query;
  const dims = query?.groupBy.length ?? 0;
  if (!query || dims < 1 || !(dims <= rules.maxDimensions)) {
    return [reason('OUTPUT_AGGREGATE_SHAPE_INVALID', `1 to ${rules.maxDimensions} dimensions`)];
  }
  if (input.identifiers.length || input.recordRefs.length) {
    return [reason('OUTPUT_AGGREGATE_SHAPE_INVALID', 'a table names no identifiers or records')];
  }
  if (typeof query.measure === 'object' && FIELD_CATALOGUE[query.measure.sum]?.numeric !== true) {
    return [reason('OUTPUT_AGGREGATE_SHAPE_INVALID', `${query.measure.sum} is not numeric`)];
  }
  return [];
}
