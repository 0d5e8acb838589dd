/**
 * The table form's markup: each step drawn from what tables.ts gathered, with no service called here.
 */
import type { Agreement, DatasetTerms } from '../../policy/types';
import { html } from '../html';
import { csrfField } from '../layout';
import { agreementPicker, agreementSummary, datasetPicker, purposeAndCase } from './analyst-views';

/** Where the analyst is in asking for a table, from the page's query (tables.ts gathers it). */
export interface TableStep {
  agreements: readonly Agreement[];
  agreement?: Agreement;
  dataset?: DatasetTerms;
  /** The dimensions the agreement allows, at their granularities. */
  dimensions?: string[];
  caseHint?: string;
}

export function tableFormView(step: TableStep, csrf: string) {
  const { agreements, agreement, dataset } = step;
  if (!agreement) return agreementPicker('/portal/tables/new', agreements);
  const summary = agreementSummary(agreement, '/portal/tables/new');
  if (!dataset) return html`${summary} ${datasetPicker('/portal/tables/new', agreement, agreement.datasets)}`;
  return html`${summary}
  ${tableFields(csrf, {
    agreements,
    agreement,
    dataset,
    dimensions: step.dimensions ?? [],
    caseHint: step.caseHint ?? '',
  })}`;
}

function tableFields(csrf: string, step: Required<TableStep>) {
  const { agreement, dataset, dimensions } = step;
  const rules = agreement.safes.output.aggregates!;
  const slots = Math.min(rules.maxDimensions, 3);
  const dimensionSelect = (n: number) =>
    html`<div>
      <label for="dimension${n}">${n === 1 ? 'Group by' : `Then by (optional)`}</label
      ><select id="dimension${n}" name="dimension${n}" ${n === 1 ? 'required' : ''}>
        ${n === 1 ? '' : html`<option value="">— none —</option>`}
        ${dimensions.map((d) => html`<option value="${d}">${d}</option>`)}
      </select>
    </div>`;
  return html`<form class="stack" method="post" action="/portal/tables">
    ${csrfField(csrf)}
    <input type="hidden" name="agreementId" value="${agreement.id}" />
    <input type="hidden" name="dataset" value="${dataset.provider}/${dataset.id}" />
    <p>Provider and dataset: <strong>${dataset.provider} — ${dataset.id}</strong></p>
    <fieldset class="stack">
      <legend>3. The table (only what the agreement allows)</legend>
      ${Array.from({ length: slots }, (_, i) => dimensionSelect(i + 1))}
      <div>
        <label for="measure">Measure</label
        ><select id="measure" name="measure">
          <option value="count">count of objects</option>
          ${(rules.measures ?? []).map((m) => html`<option value="sum:${m}">sum of ${m}</option>`)}
        </select>
      </div>
      <div>
        <label for="objectType">Objects</label
        ><select id="objectType" name="objectType">
          <option value="">every type</option>
          ${dataset.objectTypes.map((t) => html`<option value="${t}">${t}</option>`)}
        </select>
      </div>
      <p class="hint">
        Each object counts once, however many identifiers it has. Cells with fewer than the agreement's
        threshold of contributors are suppressed, and values may be rounded.
      </p>
    </fieldset>
    ${purposeAndCase(agreement.purposes, step.caseHint)}
    <div><button type="submit">Ask for the table</button></div>
  </form>`;
}
