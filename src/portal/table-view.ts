/**
 * A released (or previewed) table in the portal: one row per published entry, from the same rows as
 * the CSV download. The responder's preview adds each entry's SDC codes; the analyst sees statuses only.
 */
import { measureLabel, tableRows, type TableRow } from '../aggregates/table-rows';
import { SDC_MESSAGES, type TableReview } from '../aggregates/tables';
import type { AggregateQuery } from '../aggregates/query';
import type { PublishedTable } from '../sdc';
import { dataTable, type Column } from './data-table';
import { html, type Html } from './html';

/** What a table request asks, in one line: "count of boat by make × theft.date:month". */
export function querySummary(query: AggregateQuery): string {
  return `${measureLabel(query.measure)} of ${query.objectType ?? 'every object'} by ${query.groupBy.join(' × ')}`;
}

const STATUS_TEXT = {
  ok: 'published',
  rounded: 'rounded',
  suppressed: 'suppressed',
} as const;

/**
 * The table with a status per entry (`roundingBase` says what rounded means). `review` (the provider's
 * preview only) adds the reason of each entry's status, and the entries that do not leave at all.
 */
export function tableView(
  table: PublishedTable,
  caption: string,
  opts: { roundingBase?: number; review?: TableReview } = {},
): Html {
  const review = opts.review;
  const id = (margin: string | undefined, key: string[]) => JSON.stringify([margin ?? 'cell', key]);
  const codesOf = new Map((review?.cells ?? []).map((c) => [id(c.margin, c.key), c.codes] as const));
  const withheld = html`<p class="error" role="status">
    ${caption}: withheld. It failed statistical disclosure control, so no value and no category leaves.
  </p>`;
  if (table.withheld) return html`${withheld} ${behindView(review)} ${codeLegend(review)}`;
  const rows = tableRows(table);
  const hidden = (table.hiddenCategories ?? [])
    .map((n, i) => (n > 0 ? `${n} categor${n === 1 ? 'y' : 'ies'} of ${table.groupBy[i]}` : ''))
    .filter(Boolean);
  const statusText = (status: keyof typeof STATUS_TEXT) =>
    status === 'rounded' && opts.roundingBase ? `rounded to ${opts.roundingBase}` : STATUS_TEXT[status];
  const columns: Column<TableRow>[] = [
    // A margin's labels head its row: "(all)" across a dimension is what the row is about.
    ...table.groupBy.map((d, i) => ({
      header: d,
      cell: (r: TableRow) => r.labels[i],
      rowHeader: (r: TableRow) => Boolean(r.margin),
    })),
    {
      header: measureLabel(table.measure),
      cell: (r) => (r.value === null ? '—' : r.value),
      className: 'num',
    },
    { header: 'Status', cell: (r) => statusText(r.status) },
    ...(review
      ? [{ header: 'Why', cell: (r: TableRow) => (codesOf.get(id(r.margin, r.key)) ?? []).join(' ') }]
      : []),
  ];
  return html`${dataTable(rows, columns, {
    caption,
    className: 'sdc-table',
    rowClass: (r) => `${r.margin ? 'margin ' : ''}status-${r.status}`,
  })}
  ${
    table.margins.total === null
      ? html`<p class="hint">No totals are published under this agreement.</p>`
      : html`<p class="hint">
          Totals are computed from the true values and protected on their own: they need not equal the sum of
          the published cells.
        </p>`
  }
  ${behindView(review)} ${codeLegend(review)}
  ${hidden.length ? html`<p class="hint">Not shown: ${hidden.join(', ')} (no published value stands for them).</p>` : ''}`;
}

/** The provider's count of what stays behind, label and all, by SDC code. */
function behindView(review: TableReview | undefined): Html | '' {
  if (!review?.hidden.entries) return '';
  const codes = Object.entries(review.hidden.codes).map(([code, n]) => `${code} × ${n}`);
  return html`<p class="hint behind">
    Not released, label and all: ${review.hidden.entries} entr${review.hidden.entries === 1 ? 'y' : 'ies'}
    (${codes.join(', ') || 'no published value stands for their category'}).
  </p>`;
}

/** The codes the preview uses, each with its meaning. */
function codeLegend(review: TableReview | undefined): Html | '' {
  const used = [
    ...new Set([
      ...(review?.cells ?? []).flatMap((c) => c.codes),
      ...Object.keys(review?.hidden.codes ?? {}),
    ]),
  ].sort();
  if (!used.length) return '';
  return html`<dl class="facts sdc-codes">
    ${used.map(
      (c) =>
        html`<dt>${c}</dt>
          <dd>${SDC_MESSAGES[c] ?? c}</dd>`,
    )}
  </dl>`;
}
