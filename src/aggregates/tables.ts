/**
 * An aggregate request, once permitted: the gateway computes the table from the provider's shared
 * dataset, applies statistical disclosure control under the agreement's rules, and decides what
 * happens next: released, held for the provider's approval (always for a `review` table), or withheld.
 */
import type { Agreement } from '../policy/types';
import type { CanonicalRecord } from '../records/canonical';
import { subjectHashes } from '../requests/audit-events';
import { aggregate, publishedView, type PublishedTable, type SdcOutcome } from '../sdc';
import type { Reason } from '../safes/types';
import type { Store } from '../store/port';
import { contributions } from './compute';
import type { AggregateQuery } from './query';

export interface TableOutcome {
  /** What the responder previews and, on release, the analyst reads. */
  table: PublishedTable;
  sdc: { outcome: SdcOutcome; applied: string[]; cells: number; suppressed: number; reasons: Reason[] };
  next: 'release' | 'approval' | 'withheld';
  /**
   * Keyed hashes of the data subjects (owners) of the records that contributed, so "who saw data about
   * this person" finds the table too. For the log only: never released.
   */
  subjectHashes: string[];
}

export async function computeTable(
  store: Store,
  agreement: Agreement,
  providerId: string,
  datasetId: string,
  query: AggregateQuery,
  subjectKey: Buffer,
): Promise<TableOutcome> {
  const dataset = agreement.datasets.find((d) => d.id === datasetId && d.provider === providerId);
  const rules = agreement.safes.output.aggregates;
  if (!dataset || !rules) throw new Error('an aggregate was permitted without its dataset or rules');
  const owners: CanonicalRecord[] = [];
  const rows = await contributions(
    store.datasets.records(providerId, datasetId),
    query,
    new Set(dataset.objectTypes),
    dataset.generalise,
    (record) => {
      if (record.owner?.name) owners.push({ owner: { name: record.owner.name } } as CanonicalRecord);
    },
  );
  const result = aggregate(rows, query.groupBy, query.measure, rules.sdc);
  const cells = [
    ...result.cells,
    ...(result.margins.rows ?? []),
    ...(result.margins.columns ?? []),
    result.margins.total,
  ];
  const codes = [...new Set(cells.flatMap((c) => c.reasons.map((r) => r.code)))];
  const next =
    result.outcome === 'fail'
      ? 'withheld'
      : result.outcome === 'review' || rules.providerApproval
        ? 'approval'
        : 'release';
  return {
    // A review table is shown as it would be released once a responder approves it.
    table: publishedView(result, { reviewed: result.outcome === 'review' }),
    sdc: {
      outcome: result.outcome,
      applied: result.applied,
      cells: result.cells.length,
      suppressed: result.cells.filter((c) => c.value === null).length,
      // Codes only: messages about individual cells could describe what was suppressed.
      reasons: codes.map((code) => ({ code, message: SDC_MESSAGES[code] ?? code })),
    },
    next,
    subjectHashes: subjectHashes(subjectKey, owners),
  };
}

const SDC_MESSAGES: Record<string, string> = {
  SDC_THRESHOLD: 'Some cells have fewer contributors than the threshold.',
  SDC_DOMINANCE: 'In some cells a few contributors dominate the total.',
  SDC_P_RATIO: 'In some cells the largest contributor could be estimated too closely.',
  SDC_ZERO: 'Some cells are zero, which the agreement treats as disclosive.',
  SDC_NEGATIVE: 'Some contributions are negative: a person must review the table.',
  SDC_MISSING: 'Some contributions are missing: a person must review the table.',
  SDC_SECONDARY: 'Further cells were suppressed so that no suppressed cell can be derived from totals.',
};
