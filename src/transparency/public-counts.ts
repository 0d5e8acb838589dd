/**
 * Counts published to everyone go through the same disclosure control as tables: each count is a cell
 * of a one-dimensional table (by quarter) checked with the agreement's SDC rules (ACRO's defaults where
 * it sets none). A cell that fails (below the threshold, or a disclosive zero) is shown only as "fewer
 * than <threshold>"; every other cell is rounded to the rounding base. No total is published, so a
 * suppressed cell stands in no equation and needs no secondary suppression.
 */
import { evaluateCell, resolveRules, roundHalfUp, type SdcRules, type SdcSettings } from '../sdc';

export type PublicCount = { value: number; roundedTo: number } | { fewerThan: number };

/** The rules the agreement's tables use, for its public counts. */
export const publicRules = (settings: SdcSettings | undefined): SdcRules => resolveRules(settings ?? {});

export function publicCount(count: number, rules: SdcRules): PublicCount {
  const failing = evaluateCell({ contributors: count, missing: 0 }, 'count', rules);
  // A threshold of 0 would say "fewer than 0" of a disclosive zero: it is at least 1.
  if (failing.length) return { fewerThan: Math.max(rules.threshold, 1) };
  return { value: roundHalfUp(count, rules.roundingBase), roundedTo: rules.roundingBase };
}

/** How the page writes a published count. */
export function countText(count: PublicCount): string {
  return 'fewerThan' in count ? `fewer than ${count.fewerThan}` : String(count.value);
}
