/**
 * Types for the statistical disclosure control (SDC) engine. See rules.ts for the rule definitions and
 * where they come from (ACRO), and table.ts for how a table is built, protected and published.
 */

export type SdcAction = 'suppress' | 'round' | 'withhold';

export interface SdcRules {
  /** Default 10: a cell built from fewer contributors fails; exactly 10 passes. */
  threshold: number;
  /** Default n=2, k=0.9: a SUM cell fails when its n largest contributors make up >= k of its total. */
  dominance: { n: number; k: number };
  /** Default 0.1: a SUM cell fails when (total - largest - secondLargest) / largest < p. */
  pRatio: number;
  /** Default true: a cell with zero contributors (or a sum whose contributions are all zero) fails. */
  zerosDisclosive: boolean;
  /**
   * Default true (ACRO's own default is false): a SUM cell with a missing value (null, undefined, NaN or
   * +-Infinity) is flagged SDC_MISSING and the table goes to review. When false, missing values are
   * silently dropped (they are not contributors).
   */
  checkMissingValues: boolean;
  /** Applied in this explicit order; e.g. ['suppress','round'] or ['round'] or ['withhold']. */
  actions: Array<'suppress' | 'round'> | ['withhold'];
  /** Default 5: rounding base for the 'round' action (a positive integer). */
  roundingBase: number;
  /**
   * Default 'published': totals (margins) are computed from the true values and checked and rounded
   * like a cell, on their own. 'none': no totals or margins are published, so no suppressed cell can be
   * derived from them and no secondary suppression is needed.
   */
  totals: 'published' | 'none';
}

/**
 * Named sets of rules an agreement may choose instead of listing them (its own settings still override).
 * 'opensafely': counts of 7 or less redacted, all others rounded to the nearest 5, no totals.
 */
export type SdcProfile = 'opensafely';

/** What an agreement writes: a profile (optional) and any rules over it. */
export type SdcSettings = Partial<SdcRules> & { profile?: SdcProfile };

export type Measure = 'count' | { sum: string };

/** One contributing record: its group values and (for sums) its value; value null/undefined = missing. */
export interface Contribution {
  group: string[];
  value?: number | null;
}

export type SdcReasonCode =
  | 'SDC_THRESHOLD'
  | 'SDC_DOMINANCE'
  | 'SDC_P_RATIO'
  | 'SDC_ZERO'
  | 'SDC_NEGATIVE'
  | 'SDC_MISSING'
  | 'SDC_SECONDARY';

export interface SdcReason {
  code: SdcReasonCode;
  message: string;
}

export type CellStatus = 'ok' | 'suppressed' | 'rounded';

/**
 * One cell (or margin) of the table. This is the AUDIT record: `contributors` and the reason messages
 * describe suppressed cells too and must not leave the gateway; release `publishedView(table)` instead.
 */
export interface CellResult {
  key: string[];
  contributors: number;
  value: number | null;
  status: CellStatus;
  reasons: SdcReason[];
}

/**
 * Margins. 2-D tables: `rows` (one per value of the first dimension, key [rowValue]), `columns` (one per
 * value of the second dimension, key [columnValue]) and `total` (key []). Every other dimensionality
 * publishes only the grand `total`.
 */
export interface TableMargins {
  rows?: CellResult[];
  columns?: CellResult[];
  total: CellResult;
}

export type SdcOutcome = 'pass' | 'fail' | 'review';

export interface TableResult {
  groupBy: string[];
  measure: Measure;
  /** Observed values of each dimension, sorted; `cells` is their cartesian product in row-major order. */
  dimensions: string[][];
  cells: CellResult[];
  margins: TableMargins;
  outcome: SdcOutcome;
  /** Which actions ran, in order ('withhold' only when it actually withheld the table). */
  applied: SdcAction[];
  /**
   * 'none' when the rules publish no totals: the margins above are then the audit's record only (value
   * null, no reasons) and stand in no equation an intruder could use. Absent: totals are published.
   */
  totals?: 'none';
}

/** What may be released: values and statuses only (no contributor counts, no reasons). */
export interface PublishedCell {
  key: string[];
  value: number | null;
  status: CellStatus;
}

export interface PublishedTable {
  groupBy: string[];
  measure: Measure;
  /** The categories whose labels may leave (publishedView's label rule); none for a withheld table. */
  dimensions: string[][];
  /** Per dimension, how many categories were dropped because no published entry stands for them. */
  hiddenCategories?: number[];
  withheld: boolean;
  cells: PublishedCell[];
  margins: { rows?: PublishedCell[]; columns?: PublishedCell[]; total: PublishedCell | null };
}
