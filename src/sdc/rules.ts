/**
 * Primary SDC rules for aggregate tables, after ACRO ("Automatic Checking of Research Outputs", SACRO
 * project: AI-SDC/ACRO, University of the West of England / UK Data Service). Checked against ACRO's
 * `acro/default.yaml` and its aggregation functions (`agg_threshold`, `agg_nk`, `agg_p_percent`,
 * `agg_negative`, `agg_missing`, `apply_suppression`, `get_summary`):
 *
 * | ACRO setting          | ACRO default | here                  | ACRO definition / our choice                          |
 * | --------------------- | ------------ | --------------------- | ----------------------------------------------------- |
 * | safe_threshold        | 10           | threshold = 10        | fails when count < 10 (10 passes). Same.              |
 * | safe_nk_n / safe_nk_k | 2 / 0.90     | dominance {n:2,k:0.9} | ACRO: fails when top-n/total > k (code uses strict >, |
 * |                       |              |                       | default.yaml's comment says "less than k" is safe).   |
 * |                       |              |                       | HERE: fails when top-n/total >= k (the brief; the     |
 * |                       |              |                       | stricter reading). Differs from ACRO only at exact k. |
 * | safe_pratio_p         | 0.10         | pRatio = 0.1          | (total - largest - second) / largest < p fails. Same. |
 * | zeros_are_disclosive  | True         | zerosDisclosive=true  | see "zeros" below.                                    |
 * | check_missing_values  | False        | checkMissingValues    | HERE default true: a missing value sends the table    |
 * |                       |              | = true                | to review (as ACRO does when the flag is on).         |
 * | (negative values)     | always       | always                | ACRO: any negative value => status "review".          |
 * | safe_round_base       | 5            | roundingBase = 5      | see round.ts.                                         |
 *
 * Definitions used here (all evaluated on the TRUE contributions, never on rounded values):
 * - contributors: count measure, the number of records in the cell; sum measure, the number of records
 *   with a finite value (ACRO's `vals.count()`; missing values are not contributors). Each Contribution is
 *   ONE contributor: callers must pre-aggregate per entity (person, company) when an entity can supply
 *   several records, otherwise dominance and p-ratio under-state the risk.
 * - threshold (counts and sums): 0 < contributors < threshold fails (SDC_THRESHOLD).
 * - zeros: a cell with 0 contributors (an empty combination of observed values) is governed by the zeros
 *   rule only: with zerosDisclosive it fails (SDC_ZERO), without it a 0 is published (the threshold does
 *   not apply to it). A sum cell whose contributions are all 0 also fails SDC_ZERO when zerosDisclosive
 *   (ACRO: p-ratio with total <= 0 returns zeros_are_disclosive); dominance/p-ratio are undefined there.
 * - dominance (sums): sum of the n largest / total >= k fails (SDC_DOMINANCE). With fewer than n (and
 *   so with fewer than 2) contributors the n largest ARE the total, so it fails trivially.
 * - p-ratio (sums): with fewer than 2 contributors it fails trivially (no second contributor: the one
 *   contributor's value is the total); otherwise (total - x1 - x2) / x1 < p fails (SDC_P_RATIO).
 * - boundary tolerance: a ratio within 1e-9 of k or p counts as equal to it, so float noise in sums
 *   cannot flip a result at the boundary (at k fails, at p passes).
 * - negative values (sums): SDC_NEGATIVE; dominance/p-ratio are undefined with negatives and are skipped.
 * - missing values (sums, when checkMissingValues): SDC_MISSING.
 * - SDC_NEGATIVE and SDC_MISSING make the table outcome 'review' (a human decides, as in ACRO). Unlike
 *   ACRO, which then applies no suppression, such cells are also treated as failing for the actions
 *   (suppressed, or the table withheld): the most conservative table is produced for the reviewer.
 * - not implemented: ACRO's "all-values-are-same" check, degrees-of-freedom and survival checks.
 */
import type { Measure, SdcProfile, SdcReason, SdcRules, SdcSettings } from './types';

export const DEFAULT_SDC_RULES: SdcRules = Object.freeze({
  threshold: 10,
  dominance: Object.freeze({ n: 2, k: 0.9 }) as SdcRules['dominance'],
  pRatio: 0.1,
  zerosDisclosive: true,
  checkMissingValues: true,
  actions: Object.freeze(['suppress']) as unknown as SdcRules['actions'],
  roundingBase: 5,
  totals: 'published',
}) as SdcRules;

/**
 * OpenSAFELY's rule for outputs: a count of 7 or less is redacted (threshold 8: 7 fails, 8 passes), every
 * other count is rounded to the nearest 5 (8..12 -> 10, 13..17 -> 15; a count has no ties), and no totals
 * are published, which is why it needs no secondary suppression. Sums keep the default dominance and
 * p-ratio. (OpenSAFELY's other rule, "midpoint 6" rounding, ceil(n / 6) * 6 - 3, is not this one.)
 */
export const SDC_PROFILES: Readonly<Record<SdcProfile, Partial<SdcRules>>> = Object.freeze({
  opensafely: Object.freeze({
    threshold: 8,
    zerosDisclosive: true,
    actions: ['suppress', 'round'] as SdcRules['actions'],
    roundingBase: 5,
    totals: 'none' as const,
  }),
});

/** Ratios this close to a rule parameter are treated as equal to it. */
export const RATIO_TOLERANCE = 1e-9;

/** Merge partial rules over the defaults and validate them; throws RangeError/TypeError when invalid. */
export function resolveRules(settings: SdcSettings = {}): SdcRules {
  const { profile, ...own } = settings;
  if (profile !== undefined && !Object.hasOwn(SDC_PROFILES, profile)) {
    throw new RangeError(`unknown SDC profile ${JSON.stringify(profile)}`);
  }
  const partial: Partial<SdcRules> = { ...(profile ? SDC_PROFILES[profile] : {}), ...own };
  const dominance = { ...DEFAULT_SDC_RULES.dominance, ...(partial.dominance ?? {}) };
  const rules: SdcRules = {
    threshold: partial.threshold ?? DEFAULT_SDC_RULES.threshold,
    dominance,
    pRatio: partial.pRatio ?? DEFAULT_SDC_RULES.pRatio,
    zerosDisclosive: partial.zerosDisclosive ?? DEFAULT_SDC_RULES.zerosDisclosive,
    checkMissingValues: partial.checkMissingValues ?? DEFAULT_SDC_RULES.checkMissingValues,
    actions: [...(partial.actions ?? DEFAULT_SDC_RULES.actions)] as SdcRules['actions'],
    roundingBase: partial.roundingBase ?? DEFAULT_SDC_RULES.roundingBase,
    totals: partial.totals ?? DEFAULT_SDC_RULES.totals,
  };
  if (!Number.isInteger(rules.threshold) || rules.threshold < 0) {
    throw new RangeError(`threshold must be a non-negative integer, got ${String(rules.threshold)}`);
  }
  if (!Number.isInteger(dominance.n) || dominance.n < 1) {
    throw new RangeError(`dominance.n must be a positive integer, got ${String(dominance.n)}`);
  }
  if (!(typeof dominance.k === 'number' && dominance.k > 0 && dominance.k <= 1)) {
    throw new RangeError(`dominance.k must be in (0, 1], got ${String(dominance.k)}`);
  }
  if (!(typeof rules.pRatio === 'number' && Number.isFinite(rules.pRatio) && rules.pRatio >= 0)) {
    throw new RangeError(`pRatio must be a finite number >= 0, got ${String(rules.pRatio)}`);
  }
  if (!Number.isInteger(rules.roundingBase) || rules.roundingBase < 1) {
    throw new RangeError(`roundingBase must be a positive integer, got ${String(rules.roundingBase)}`);
  }
  if (typeof rules.zerosDisclosive !== 'boolean' || typeof rules.checkMissingValues !== 'boolean') {
    throw new TypeError('zerosDisclosive and checkMissingValues must be booleans');
  }
  if (rules.totals !== 'published' && rules.totals !== 'none') {
    throw new RangeError(`totals must be 'published' or 'none', got ${JSON.stringify(rules.totals)}`);
  }
  const actions: string[] = rules.actions;
  for (const a of actions) {
    if (a !== 'suppress' && a !== 'round' && a !== 'withhold') {
      throw new RangeError(`unknown SDC action ${JSON.stringify(a)}`);
    }
  }
  if (new Set(actions).size !== actions.length) throw new RangeError('SDC actions must not repeat');
  if (actions.includes('withhold') && actions.length !== 1) {
    throw new RangeError("'withhold' cannot be combined with other actions");
  }
  return rules;
}

/** What the primary checks need to know about one cell or margin (from the true contributions). */
export interface CellStats {
  /** Count measure: records; sum measure: records with a finite value. */
  contributors: number;
  /** Sum measure only: the finite values. */
  values?: number[];
  /** Sum measure only: records whose value is missing. */
  missing: number;
}

/** Run the primary checks on one cell; an empty array means the cell is safe to publish as it is. */
export function evaluateCell(stats: CellStats, measure: Measure, rules: SdcRules): SdcReason[] {
  const reasons: SdcReason[] = [];
  const isSum = measure !== 'count';
  const values = stats.values ?? [];
  if (isSum && rules.checkMissingValues && stats.missing > 0) {
    reasons.push({
      code: 'SDC_MISSING',
      message: `${stats.missing} contribution(s) have a missing value: needs review`,
    });
  }
  const negatives = isSum ? values.filter((v) => v < 0).length : 0;
  if (negatives > 0) {
    reasons.push({
      code: 'SDC_NEGATIVE',
      message: `${negatives} contribution(s) are negative: dominance and p-ratio are undefined, needs review`,
    });
  }
  const c = stats.contributors;
  if (c === 0) {
    if (rules.zerosDisclosive) {
      reasons.push({ code: 'SDC_ZERO', message: 'empty cell (zero contributors) and zeros are disclosive' });
    }
    return reasons;
  }
  if (c < rules.threshold) {
    reasons.push({
      code: 'SDC_THRESHOLD',
      message: `${c} contributor(s), fewer than the threshold of ${rules.threshold}`,
    });
  }
  if (!isSum || negatives > 0) return reasons;

  const sorted = [...values].sort((a, b) => b - a);
  const total = sorted.reduce((s, v) => s + v, 0);
  if (total === 0) {
    if (rules.zerosDisclosive) {
      reasons.push({ code: 'SDC_ZERO', message: 'all contributions are zero and zeros are disclosive' });
    }
    return reasons;
  }
  const { n, k } = rules.dominance;
  const topN = sorted.slice(0, n).reduce((s, v) => s + v, 0);
  const share = topN / total;
  if (c < n || share >= k - RATIO_TOLERANCE) {
    reasons.push({
      code: 'SDC_DOMINANCE',
      message:
        c < n
          ? `fewer than ${n} contributors: the largest ${n} make up the whole total`
          : `the largest ${n} contributors make up ${fmt(share)} of the total (limit: below ${k})`,
    });
  }
  if (c < 2) {
    reasons.push({
      code: 'SDC_P_RATIO',
      message: 'fewer than 2 contributors: p-ratio fails trivially (the contributor is the total)',
    });
  } else {
    const [x1 = 0, x2 = 0] = sorted;
    const ratio = (total - x1 - x2) / x1;
    if (ratio < rules.pRatio - RATIO_TOLERANCE) {
      reasons.push({
        code: 'SDC_P_RATIO',
        message: `(total - two largest) / largest = ${fmt(ratio)}, below p = ${rules.pRatio}`,
      });
    }
  }
  return reasons;
}

function fmt(x: number): string {
  return String(Math.round(x * 1e4) / 1e4);
}
