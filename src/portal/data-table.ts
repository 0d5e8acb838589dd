/**
 * The portal's one table: columns with a heading and a cell each, a caption, a text for no rows. Every
 * heading is a `th scope="col"`; a column marked `rowHeader` gives `th scope="row"` cells, so screen
 * readers announce each cell with its column and row.
 */
import { escapeHtml, html, raw, type Html } from './html';

type Content = Html | string | number | null | undefined;

export interface Column<T> {
  header: Html | string;
  cell: (row: T) => Content;
  /** The cells are the rows' headings (`th scope="row"`): every row's, or those it says. */
  rowHeader?: boolean | ((row: T) => boolean);
  /** A class on each of the column's cells. */
  className?: string;
}

export interface TableOptions<T> {
  caption?: Html | string;
  captionClass?: string;
  /** Shown in place of the table when there are no rows (default: the table, with no rows). */
  empty?: Html | string;
  /** A class on the table. */
  className?: string;
  /** An id for a row (a page links or a test finds it). */
  rowId?: (row: T) => string;
  /** A class for a row. */
  rowClass?: (row: T) => string;
}

export function dataTable<T>(
  rows: readonly T[],
  columns: readonly Column<T>[],
  options: TableOptions<T> = {},
): Html {
  if (!rows.length && options.empty !== undefined) {
    return typeof options.empty === 'string' ? html`<p>${options.empty}</p>` : options.empty;
  }
  const { caption, captionClass, className, rowId, rowClass } = options;
  const cellOf = (column: Column<T>, row: T) =>
    (typeof column.rowHeader === 'function' ? column.rowHeader(row) : column.rowHeader)
      ? html`${tag('th', { scope: 'row', class: column.className })}${column.cell(row)}</th>`
      : html`${tag('td', { class: column.className })}${column.cell(row)}</td>`;
  const rowOf = (row: T) =>
    html`${tag('tr', { id: rowId?.(row), class: rowClass?.(row) })}${columns.map((c) => cellOf(c, row))}</tr>\n`;
  return html`<div class="table-wrap">
    ${tag('table', { class: className })}
      ${caption ? html`${tag('caption', { class: captionClass })}${caption}</caption>` : ''}
      <thead>
        <tr>${columns.map((c) => html`<th scope="col">${c.header}</th>`)}</tr>
      </thead>
      <tbody>
        ${rows.map(rowOf)}
      </tbody>
    </table>
  </div>`;
}

/** An opening tag with the attributes that have a value, escaped. */
function tag(name: string, attributes: Record<string, string | undefined>): Html {
  const set = Object.entries(attributes).filter(([, value]) => value !== undefined);
  return raw(`<${name}${set.map(([key, value]) => ` ${key}="${escapeHtml(value)}"`).join('')}>`);
}
