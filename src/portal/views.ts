/** Small view helpers shared by the portal's pages. */
import { unaccreditedCodes } from '../requests/denials';
import { REASONS } from '../safes/reasons';
import { SAFE_NAMES, type Decision, type SafeName, type SafeResult } from '../safes/types';
import { dataTable } from './data-table';
import { html, type Html } from './html';

export const SAFE_QUESTIONS: Record<string, string> = {
  people: 'Safe people: is this user authorised and trusted?',
  project: 'Safe project: is this use appropriate under the agreement?',
  setting: 'Safe setting: does the access environment prevent misuse?',
  data: 'Safe data: is the data itself safe to release?',
  output: 'Safe output: is what leaves non-disclosive, and to whom?',
};

export const STATE_LABELS: Record<string, string> = {
  awaiting_provider: 'Awaiting the provider',
  answered: 'Answered (preview, not yet released)',
  disclosed: 'Disclosed',
  expired: 'Expired (records purged)',
  denied: 'Denied by the Five Safes',
  declined: 'Declined by the provider',
  'no-information': 'No information (the provider holds nothing on it)',
  withdrawn: 'Withdrawn',
  withheld: 'Withheld (failed the output check)',
};

export function stateLabel(state: string): Html {
  return html`<span class="state state-${state}">${STATE_LABELS[state] ?? state}</span>`;
}

/**
 * Every safe with its outcome; failing ones with their reasons in plain words. A caller the registry
 * does not know sees only that (as the API's 403 says), not the agreement's terms.
 */
export function decisionView(decision: Decision): Html {
  const outside = unaccreditedCodes(decision);
  if (outside.length) {
    return html`<div class="error" role="alert">
      <p><strong>Refused.</strong></p>
      <ul>
        ${outside.map((code) => html`<li>${REASONS[code]} <span class="hint">(${code})</span></li>`)}
      </ul>
    </div>`;
  }
  const failed = SAFE_NAMES.filter((s) => decision.safes[s]?.outcome === 'fail');
  return html` ${failed.length ? refusalView(decision.safes) : html`<p class="ok">Permitted: all five safes passed.</p>`}
  ${dataTable(
    SAFE_NAMES,
    [
      { header: 'Safe', cell: (s) => s, rowHeader: true },
      { header: 'Outcome', cell: (s) => decision.safes[s]?.outcome ?? '—' },
      { header: 'Reasons', cell: (s) => (decision.safes[s]?.reasons ?? []).map((r) => r.message).join(' ') },
    ],
    {
      caption: `Decision under policy ${decision.policyDigest.slice(0, 16)}…, ${decision.decidedAt}`,
      captionClass: 'hint',
    },
  )}`;
}

/** The safes that failed, each with its reasons in plain words and their codes. */
export function refusalView(safes: Partial<Record<SafeName, SafeResult>>): Html {
  const failed = SAFE_NAMES.filter((s) => safes[s]?.outcome === 'fail');
  return html`<div class="error" role="alert">
    <p><strong>Refused.</strong> ${failed.length === 1 ? 'One safe' : `${failed.length} safes`} failed:</p>
    <ul>
      ${failed.map(
        (s) =>
          html`<li>
            <strong>${SAFE_QUESTIONS[s]}</strong>
            <ul>
              ${safes[s]!.reasons.map((r) => html`<li>${r.message} <span class="hint">(${r.code})</span></li>`)}
            </ul>
          </li>`,
      )}
    </ul>
  </div>`;
}

/** A cell value: nested values as compact JSON text (escaped like everything else). */
export function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * A record as table columns: nested objects become dotted columns (owner.name, identifier.value), so
 * a responder reads each value that will leave under its own heading; lists are joined.
 */
export function flattenRecord(record: Record<string, unknown>, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(record)) {
    const name = prefix + key;
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      Object.assign(out, flattenRecord(value as Record<string, unknown>, `${name}.`));
    } else if (Array.isArray(value)) {
      out[name] = value
        .map((v) =>
          v && typeof v === 'object'
            ? Object.entries(flattenRecord(v as Record<string, unknown>))
                .map(([k, x]) => `${k}: ${x}`)
                .join(', ')
            : cell(v),
        )
        .join(' · ');
    } else {
      out[name] = cell(value);
    }
  }
  return out;
}

/** A table of records: one column per (flattened) field seen, in first-seen order. */
export function recordsTable(records: Record<string, unknown>[], caption: string): Html {
  if (!records.length) return html`<p class="hint">${caption}: none.</p>`;
  const rows = records.map((r) => flattenRecord(r));
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return dataTable(
    rows,
    columns.map((c) => ({ header: c, cell: (r: Record<string, string>) => r[c] ?? '' })),
    { caption: `${caption} (${records.length})` },
  );
}

export function timeLeft(expiresAt: string | null, now: Date): string {
  if (!expiresAt) return 'no expiry set';
  const ms = new Date(expiresAt).getTime() - now.getTime();
  if (ms <= 0) return 'expired';
  const days = Math.floor(ms / 86_400_000);
  const hours = Math.floor((ms % 86_400_000) / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  return days > 0 ? `${days} days ${hours} hours` : `${hours} hours ${minutes} minutes`;
}
