/** What every benchmark returns: rows of the table, each a figure of the gateway beside its baseline. */

export interface ResultRow {
  /** The benchmark that produced the row (decision, http-lookup, log-append, …). */
  benchmark: string;
  /** What is measured, in words: "decisions/s, 100 agreements". */
  figure: string;
  unit: string;
  /** The gateway's figure. */
  gateway: number;
  /** The baseline's figure, measured in the same run on the same machine. */
  baseline: number;
  /** What the baseline is. */
  baselineIs: string;
  /** gateway / baseline. */
  ratio: number;
  /** The target: the ratio must be at least (`min`) or at most (`max`) this. */
  target: { min?: number; max?: number };
  met: boolean;
  /** Sizes, settings and anything the figure needs to be read right. */
  details?: object;
}

export interface BenchContext {
  /** Tiny sizes, a few seconds in all: checks that every benchmark runs and yields a figure. */
  smoke: boolean;
  /** A scratch folder for this run (removed at the end). */
  workDir: string;
  /** Progress on stderr. */
  log: (line: string) => void;
}

export interface Benchmark {
  id: string;
  title: string;
  run(ctx: BenchContext): Promise<ResultRow[]>;
}

/** A row from the two figures; higher is better for a `min` target, lower for a `max` one. */
export function row(
  fields: Omit<ResultRow, 'ratio' | 'met'> & { target: { min?: number; max?: number } },
): ResultRow {
  const ratio = fields.gateway / fields.baseline;
  const { min, max } = fields.target;
  const met =
    Number.isFinite(ratio) && (min === undefined || ratio >= min) && (max === undefined || ratio <= max);
  return { ...fields, ratio, met };
}

export function targetText(target: ResultRow['target']): string {
  if (target.min !== undefined) return `≥ ${target.min}×`;
  if (target.max !== undefined) return `≤ ${target.max}×`;
  return '-';
}

/**
 * Thrown by a benchmark that cannot run here (no PostgreSQL server): the run reports it as not run,
 * with the reason, and gives it no figure.
 */
export class BenchmarkNotRun extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'BenchmarkNotRun';
  }
}
