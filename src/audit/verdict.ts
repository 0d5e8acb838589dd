/**
 * The one verdict of a verification, as one line: the last line `fsg audit verify` prints, and what the
 * DPO's "verify now" shows. Either `ok` with what it covered, or `FAILED` at the first finding; never
 * both, whatever else was printed before it.
 */
import type { BreakReason } from './verify';

export interface Finding {
  seq: number;
  reason: BreakReason | string;
  message?: string;
}

/** `verdict: FAILED at entry #s: reason: message` (the message left out when it is not to be shown). */
export function failedVerdict(finding: Finding): string {
  const message = finding.message ? `: ${finding.message}` : '';
  return `verdict: FAILED at entry #${finding.seq}: ${finding.reason}${message}`;
}

/**
 * The verdict of a log (database or complete export): entries, checkpoints, entries after the newest; or
 * the first broken entry; or, of an intact log, stored statistics that the entries do not make.
 */
export function logVerdict(report: {
  firstBroken?: Finding;
  entries: number;
  checkpoints: { total: number };
  unsigned: number;
  statistics?: { mismatch?: string };
}): string {
  if (report.firstBroken) return failedVerdict(report.firstBroken);
  if (report.statistics?.mismatch) return `verdict: FAILED: statistics: ${report.statistics.mismatch}`;
  return `verdict: ok (${report.entries} entries, ${report.checkpoints.total} checkpoints, ${report.unsigned} after the newest)`;
}
