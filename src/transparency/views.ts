/** The public transparency page: markup only, from the report the service gathers. No script. */
import { html, type Html } from '../portal/html';
import { countText } from './public-counts';
import type { InForce, NotInForce, TransparencyReport } from './service';
import type { Safeguards } from './terms';

export const TRANSPARENCY_PATH = '/transparency';
export const TRANSPARENCY_CSS = `${TRANSPARENCY_PATH}/transparency.css`;

const DAYS = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const yesNo = (b: boolean) => (b ? 'yes' : 'no');

function partiesView(a: InForce): Html {
  return html`<table>
    <thead>
      <tr>
        <th scope="col">Party</th>
        <th scope="col">Sector</th>
        <th scope="col">Role</th>
        <th scope="col">Data protection officer</th>
      </tr>
    </thead>
    <tbody>
      ${a.parties.map(
        (p) =>
          html`<tr>
            <td>${p.name}</td>
            <td>${p.sector}</td>
            <td>${p.roles.join(', ')}</td>
            <td>
              ${
                p.dpo
                  ? html`${p.dpo.name}, <a href="mailto:${p.dpo.email}">${p.dpo.email}</a>${
                        p.dpo.phone ? html`, ${p.dpo.phone}` : ''
                      }`
                  : 'not named'
              }
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function categoriesView(a: InForce): Html {
  return html`${a.categories.map(
    (c) =>
      html`<h4>${c.dataset} <span class="muted">(shared by ${c.providerName})</span></h4>
        <p>
          Objects: ${c.objectTypes.join(', ')}. Classification: ${c.classification}.
          ${c.lookups ? 'Used for hit/no-hit lookups (only whether a record exists is answered).' : ''}
        </p>
        <table>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Personal data</th>
              <th scope="col">Classification</th>
              <th scope="col">Released</th>
            </tr>
          </thead>
          <tbody>
            ${c.fields.map(
              (f) =>
                html`<tr>
                  <td><code>${f.field}</code></td>
                  <td>${f.personalData ? 'personal data' : 'no'}</td>
                  <td>${f.classification}</td>
                  <td>${f.released}</td>
                </tr>`,
            )}
          </tbody>
        </table>`,
  )}`;
}

function hoursText(hours: Safeguards['setting']['allowedHours']): string {
  if (!hours) return 'any time';
  const days = hours.days.length === 7 ? 'every day' : hours.days.map((d) => DAYS[d] ?? String(d)).join(', ');
  return `${days}, ${hours.from} to ${hours.to}`;
}

function safeguardsView(s: Safeguards): Html {
  const o = s.output;
  return html`<dl class="safes">
    <dt>People</dt>
    <dd>
      Roles ${s.people.roles.join(', ')}; vetting level at least ${s.people.minimumVettingLevel}; training no
      older than ${s.people.trainingMaxAgeDays} days.
    </dd>
    <dt>Project</dt>
    <dd>
      Case reference required: ${yesNo(s.project.caseReferenceRequired)}; at most
      ${s.project.dailyQuotaPerUser} requests per user per day.
    </dd>
    <dt>Setting</dt>
    <dd>
      Multi-factor sign-in required:
      ${yesNo(s.setting.mfaRequired)}${
        s.setting.maxAuthAgeMinutes !== undefined
          ? html` (at most ${s.setting.maxAuthAgeMinutes} minutes old)`
          : ''
      };
      only from registered networks: ${yesNo(s.setting.networksRestricted)}; hours:
      ${hoursText(s.setting.allowedHours)}; TLS required: ${yesNo(s.setting.tlsRequired)}.
    </dd>
    <dt>Data</dt>
    <dd>
      Classification ceiling ${s.data.classificationCeiling}; data minimisation: ${yesNo(s.data.minimise)}.
    </dd>
    <dt>Output</dt>
    <dd>
      At most ${o.maxRecordsPerRequest} records per
      request${
        o.maxLookupIdentifiers !== undefined ? html`, ${o.maxLookupIdentifiers} identifiers per lookup` : ''
      };
      handling TLP:${o.handling.tlp}
      (${o.handling.meaning})${
        o.handling.conditions.length ? html`, conditions: ${o.handling.conditions.join(' ')}` : ''
      }
      Kept ${o.retentionDays} days. Tables:
      ${
        o.tables.allowed
          ? html`allowed, cells from fewer than ${o.tables.threshold} records suppressed, rounded to
            ${o.tables.roundingBase}${o.tables.providerApproval ? ', approved by the provider' : ''}.`
          : 'not allowed.'
      }
    </dd>
  </dl>`;
}

function activityView(a: InForce): Html {
  return html`<table>
      <caption>
        Activity per quarter (${a.timezone})
      </caption>
      <thead>
        <tr>
          <th scope="col">Quarter</th>
          <th scope="col">Requests</th>
          <th scope="col">Lookups</th>
          <th scope="col">Disclosures</th>
          <th scope="col">Refused</th>
        </tr>
      </thead>
      <tbody>
        ${a.activity.map(
          (q) =>
            html`<tr>
              <th scope="row">${q.quarter}</th>
              <td>${countText(q.requests)}</td>
              <td>${countText(q.lookups)}</td>
              <td>${countText(q.disclosures)}</td>
              <td>${countText(q.denials)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <p class="muted">
      Counts are protected like every table the partnership releases: a small count is shown only as "fewer
      than" the threshold, the others are rounded.
    </p>`;
}

function inForceView(a: InForce): Html {
  return html`<section class="agreement" id="agreement-${a.id}">
    <h3>${a.title} <span class="muted">(${a.id}, version ${a.version})</span></h3>
    <p class="status">
      In force: valid ${a.validity.from} to ${a.validity.until}; to be revised by ${a.reviseBy}.
    </p>
    <h4>Purposes</h4>
    <p>${a.purposes.join(', ')}</p>
    <h4>Legal basis</h4>
    <p>${a.legalBasis}</p>
    <h4>Parties and their data protection officers</h4>
    ${partiesView(a)}
    <h4>Categories of data</h4>
    ${categoriesView(a)}
    <h4>Safeguards (the five safes)</h4>
    ${safeguardsView(a.safeguards)}
    <h4>Retention</h4>
    <p>
      What is disclosed is kept for ${a.retentionDays} days, then deleted; only digests remain in the log.
    </p>
    <h4>Activity</h4>
    ${activityView(a)}
  </section>`;
}

function notInForceView(list: NotInForce[]): Html {
  if (!list.length) return html``;
  return html`<section aria-labelledby="not-in-force-h">
    <h2 id="not-in-force-h">Agreements not in force</h2>
    <ul>
      ${list.map(
        (a) =>
          html`<li id="agreement-${a.id}">
            ${a.title} (${a.id}, version ${a.version}): not in force:
            ${a.reasons.map((r) => r.text).join('; ')}
          </li>`,
      )}
    </ul>
  </section>`;
}

export function transparencyPage(report: TransparencyReport): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Transparency: data-sharing agreements</title>
        <link rel="stylesheet" href="${TRANSPARENCY_CSS}" />
      </head>
      <body>
        <main>
          <h1>Transparency: the partnership's data-sharing agreements</h1>
          <p>
            The agreements under which partners share data about people through this gateway, how each
            complies with data protection law, and what was done under it. Status as of ${report.generatedAt}.
          </p>
          <h2>Agreements in force</h2>
          ${report.inForce.length ? report.inForce.map(inForceView) : html`<p>None.</p>`}
          ${notInForceView(report.notInForce)}
        </main>
      </body>
    </html>`.text;
}
