/**
 * An aggregate request, once permitted: the gateway computes the table from the provider's shared
 * dataset, applies statistical disclosure control under the agreement's rules, and decides what
 * happens next: released, held for the provider's approval (always for a `review` table, and under four
 * eyes), or withheld.
 */
import type { Agreement } from '../policy/types';
import type { CanonicalRecord } from '../records/canonical';
import { subjectHashes } from '../audit/entry-fields';
import {
  aggregate,
  publishedView,
  type CellResult,
  type CellStatus,
  type PublishedTable,
  type SdcOutcome,
  type SdcReasonCode,
  type TableResult,
} from '../sdc';
import type { Reason } from '../safes/types';
import type { Store } from '../store/port';
import { contributions } from './compute';
import type { AggregateQuery } from './query';

export interface TableOutcome {
  /** What the responder previews and, on release, the analyst reads. */
  table: PublishedTable;
  sdc: { outcome: SdcOutcome; applied: string[]; cells: number; suppressed: number; reasons: Reason[] };
  next: 'release' | 'approval' | 'withheld';
  /** Why each published entry has its status: for the provider's preview only, never released. */
  review: TableReview;
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
      // Name and date of birth only: what the subject hashes are made of (entry-fields.ts).
      const owner = record.owner;
      if (owner?.name) {
        owners.push({ owner: { name: owner.name, dateOfBirth: owner.dateOfBirth } } as CanonicalRecord);
      }
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
  // Four eyes asks two responders for every disclosure: a table is never released with no one's.
  const approval =
    result.outcome === 'review' || rules.providerApproval || agreement.review?.fourEyes === true;
  const next = result.outcome === 'fail' ? 'withheld' : approval ? 'approval' : 'release';
  // A review table is shown as it would be released once a responder approves it.
  const published = publishedView(result, { reviewed: result.outcome === 'review' });
  return {
    table: published,
    sdc: {
      outcome: result.outcome,
      applied: result.applied,
      cells: result.cells.length,
      suppressed: result.cells.filter((c) => c.value === null).length,
      // Codes only: messages about individual cells could describe what was suppressed.
      reasons: codes.map((code) => ({ code, message: SDC_MESSAGES[code] ?? code })),
    },
    next,
    review: tableReview(result, published),
    subjectHashes: subjectHashes(subjectKey, owners),
  };
}

/**
 * Why the entries of a table have their status, for the provider's preview (the analyst never sees it:
 * a code per cell says more than the table). `cells`: each published entry (a cell, or a margin: a
 * row's or a column's total, the grand total) that has SDC codes. `hidden`: the entries that do not
 * leave, label and all, counted by code; their labels are not kept here either (a label that is not
 * released may be about one person, and the request outlives the dataset it was computed from).
 */
export interface TableReview {
  cells: CellReview[];
  hidden: { entries: number; codes: Partial<Record<SdcReasonCode, number>> };
}

export interface CellReview {
  key: string[];
  margin?: 'row' | 'column' | 'total';
  status: CellStatus;
  codes: SdcReasonCode[];
}

function tableReview(result: TableResult, published: PublishedTable): TableReview {
  const review: TableReview = { cells: [], hidden: { entries: 0, codes: {} } };
  const shown = (list: { key: string[] }[] | undefined) => new Set((list ?? []).map((c) => keyText(c.key)));
  const add = (entries: CellResult[] | undefined, visible: Set<string>, margin?: CellReview['margin']) => {
    for (const c of entries ?? []) {
      const codes = [...new Set(c.reasons.map((r) => r.code))];
      if (visible.has(keyText(c.key))) {
        if (codes.length)
          review.cells.push({ key: [...c.key], ...(margin ? { margin } : {}), status: c.status, codes });
        continue;
      }
      review.hidden.entries += 1;
      for (const code of codes) review.hidden.codes[code] = (review.hidden.codes[code] ?? 0) + 1;
    }
  };
  const { rows, columns, total } = published.margins;
  add(result.cells, shown(published.cells));
  add(result.margins.rows, shown(rows), 'row');
  add(result.margins.columns, shown(columns), 'column');
  // Without published totals the margins are the log's record only: nothing to review.
  if (result.totals !== 'none') add([result.margins.total], shown(total ? [total] : []), 'total');
  return review;
}

const keyText = (key: string[]) => JSON.stringify(key);

/** What each SDC code means, in words a responder (and, table-wide, an analyst) can read. */
export const SDC_MESSAGES: Record<string, string> = {
  SDC_THRESHOLD: 'Some cells have fewer contributors than the threshold.',
  SDC_DOMINANCE: 'In some cells a few contributors dominate the total.',
  SDC_P_RATIO: 'In some cells the largest contributor could be estimated too closely.',
  SDC_ZERO: 'Some cells are zero, which the agreement treats as disclosive.',
  SDC_NEGATIVE: 'Some contributions are negative: a person must review the table.',
  SDC_MISSING: 'Some contributions are missing: a person must review the table.',
  SDC_SECONDARY: 'Further cells were suppressed so that no suppressed cell can be derived from totals.',
};
