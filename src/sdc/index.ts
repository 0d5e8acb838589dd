/**
 * Statistical disclosure control (SDC) for aggregate tables, after ACRO (see rules.ts for the rules and
 * defaults, table.ts for the table shape, actions and outcome, suppress.ts for secondary suppression,
 * round.ts for rounding and check.ts for the independent recoverability audit).
 */
export * from './types';
export { DEFAULT_SDC_RULES, SDC_PROFILES, RATIO_TOLERANCE, resolveRules, evaluateCell } from './rules';
export type { CellStats } from './rules';
export { roundHalfUp } from './round';
export { protectGrid, protectLine, gridDetermined } from './suppress';
export type { ProtectEntry, GridProtection, LineProtection } from './suppress';
export { recoverable, determinedEntries, unitRows } from './check';
export type { EntryRef } from './check';
export { aggregate, publishedView, MAX_CELLS } from './table';
