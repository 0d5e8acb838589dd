/**
 * The admin pages' markup: each view takes what its handler (admin.ts) gathered and calls no service,
 * so what a page shows can be read apart from how its data is found.
 */
import { samePerson } from '../../accreditations/changes';
import type { Agreement, Partner } from '../../policy/types';
import { ROLES } from '../../policy/types';
import {
  isPrivileged,
  PRIVILEGED_ROLES,
  type Accreditation,
  type Person,
  type RoleGrant,
} from '../../records/accreditation';
import { dataTable } from '../data-table';
import { html } from '../html';
import { csrfField } from '../layout';
import type { PartnerStanding } from '../../partnership/screening';
import { screeningPath, standingText } from './screening-views';

/** Who is looking: their own entry and grants are shown without the actions on them. */
export interface Viewer {
  csrf: string;
  person: Person;
}

/** A person's page, and the form actions under it. */
export const entryPath = (p: Person) => `/portal/admin/accreditations/${p.partnerId}/${p.userId}`;
export const who = (p: Person) => `${p.userId} (${p.partnerId})`;

/** Each partner, with its screening standing where the viewer may see it. */
export function partnersView(partners: readonly Partner[], standings: ReadonlyMap<string, PartnerStanding>) {
  return dataTable(
    partners,
    [
      { header: 'Id', cell: (p) => `${p.id}${p.supervisor ? ' (supervisor)' : ''}` },
      { header: 'Name', cell: (p) => p.name },
      { header: 'Sector', cell: (p) => p.sector },
      { header: 'Country', cell: (p) => p.country },
      {
        header: 'Token issuers',
        cell: (p) =>
          p.issuers
            .map(
              (i) =>
                `${i.iss} (${i.algorithm ?? i.algorithms?.join('/') ?? '?'}${i.jwksUri ? ', key set' : ''}${i.demo ? ', demo' : ''})`,
            )
            .join('; '),
      },
      { header: 'Networks', cell: (p) => p.networks.join(', ') },
      {
        header: 'Screening',
        cell: (p) => {
          const standing = standings.get(p.id);
          return standing
            ? html`<span class="status">${standingText(standing)}</span>
                <a href="${screeningPath(p.id)}">History and new screening</a>`
            : '';
        },
      },
    ],
    { rowId: (p) => `partner-${p.id}` },
  );
}

export function agreementsView(digest: string, agreements: readonly Agreement[]) {
  return html`<p>
      Policy bundle digest: <code class="digest">${digest}</code> (read-only: agreements change in
      <code>policies/</code>, and each load is logged).
    </p>
    ${agreements.map(
      (a) =>
        html`<section aria-labelledby="ag-${a.id}">
          <h2 id="ag-${a.id}">${a.title} (${a.id}, version ${a.version})</h2>
          <dl class="facts">
            <dt>Requesters</dt>
            <dd>${a.parties.requesters.join(', ')}</dd>
            <dt>Providers</dt>
            <dd>${a.parties.providers.join(', ')}</dd>
            <dt>Valid</dt>
            <dd>${a.validity.from} to ${a.validity.until}</dd>
            <dt>Legal basis</dt>
            <dd>${a.legalBasis}</dd>
            <dt>Purposes</dt>
            <dd>${a.purposes.join(', ')}</dd>
            <dt>Handling</dt>
            <dd>TLP:${a.safes.output.handling.tlp}; ${a.safes.output.handling.conditions.join(' ')}</dd>
            <dt>Retention</dt>
            <dd>${a.safes.output.retentionDays} days</dd>
          </dl>
          ${dataTable(
            a.datasets,
            [
              { header: 'Dataset', cell: (d) => d.id },
              { header: 'Provider', cell: (d) => d.provider },
              { header: 'Fields', cell: (d) => d.fields.join(', ') },
              { header: 'Pseudonymised', cell: (d) => d.pseudonymise.join(', ') },
              { header: 'Classification', cell: (d) => d.classification },
            ],
            { caption: 'Datasets' },
          )}
          <details>
            <summary>The agreement as loaded</summary>
            <pre>${JSON.stringify(a, null, 2)}</pre>
          </details>
        </section>`,
    )}`;
}

export function accreditationsView(items: readonly Accreditation[], pending: number, viewer: Viewer) {
  return html`<p>
      <a href="/portal/admin/role-grants">Role grants awaiting a second admin: ${pending}</a>
    </p>
    ${dataTable(
      items,
      [
        {
          header: 'User',
          cell: (u) => html`<a href="${entryPath(u)}">${u.displayName} (${u.userId})</a>`,
        },
        { header: 'Partner', cell: (u) => u.partnerId },
        { header: 'Roles', cell: (u) => u.roles.join(', ') },
        { header: 'Vetting', cell: (u) => u.vettingLevel },
        { header: 'Trained', cell: (u) => u.trainedOn },
        { header: 'Expires', cell: (u) => u.expiresOn },
        {
          header: 'Status',
          cell: (u) => (u.suspended ? 'suspended' : 'active'),
          className: 'status',
        },
        { header: 'Actions', cell: (u) => entryActions(viewer, u) },
      ],
      { rowId: (u) => `user-${u.partnerId}-${u.userId}` },
    )}`;
}

/** A person's entry: its edit and grant forms, unless it is the viewer's own. */
export function entryView(u: Accreditation, viewer: Viewer) {
  const own = samePerson(u, viewer.person);
  return html`<p>
      User <strong>${u.userId}</strong> of <strong>${u.partnerId}</strong> ·
      ${u.suspended ? 'suspended' : 'active'} · roles: ${u.roles.join(', ') || 'none'}
    </p>
    ${
      own
        ? html`<p class="hint">
            This is your own accreditation: nobody changes their own, so another admin edits it.
          </p>`
        : html`${entryForm(viewer, u)} ${grantForm(viewer, u)}`
    }`;
}

export function roleGrantsView(grants: readonly RoleGrant[], state: string | undefined, viewer: Viewer) {
  return html`<p>
      Granting <strong>dpo</strong>, <strong>admin</strong> or <strong>legal</strong> takes two admins: one
      proposes, another approves. Nobody approves their own proposal or a grant to themselves. Each step is
      logged.
    </p>
    <p>
      Show:
      ${(['pending', 'approved', 'rejected', 'all'] as const).map(
        (s, i) => html`${i ? ' · ' : ''}<a href="/portal/admin/role-grants?state=${s}">${s}</a>`,
      )}
    </p>
    ${grants.length ? grantTable(viewer, grants) : html`<p>No ${state ?? ''} role grants.</p>`}`;
}

/**
 * The edit form. A privileged role shows as a checkbox only while it is held (unticking revokes it at
 * once); granting one goes through the proposal form below.
 */
function entryForm(viewer: Viewer, u: Accreditation) {
  const roles = ROLES.filter((r) => !isPrivileged(r) || u.roles.includes(r));
  return html`<form class="stack" method="post" action="${entryPath(u)}">
    ${csrfField(viewer.csrf)}
    <div>
      <label for="displayName">Name</label
      ><input type="text" id="displayName" name="displayName" value="${u.displayName}" required />
    </div>
    <fieldset>
      <legend>Roles</legend>
      ${roles.map(
        (r) =>
          html`<div class="check">
            <input
              type="checkbox"
              id="role-${r}"
              name="roles"
              value="${r}"
              ${u.roles.includes(r) ? html` checked` : ''}
            /><label for="role-${r}">${r}</label>
          </div>`,
      )}
    </fieldset>
    <div>
      <label for="vettingLevel">Vetting level (0–3)</label
      ><input
        type="number"
        id="vettingLevel"
        name="vettingLevel"
        min="0"
        max="3"
        value="${u.vettingLevel}"
        required
      />
    </div>
    <div>
      <label for="trainedOn">Trained on</label
      ><input type="date" id="trainedOn" name="trainedOn" value="${u.trainedOn}" required />
    </div>
    <div>
      <label for="expiresOn">Accreditation expires on</label
      ><input type="date" id="expiresOn" name="expiresOn" value="${u.expiresOn}" required />
    </div>
    <div>
      <label for="teams">Teams (comma-separated)</label
      ><input type="text" id="teams" name="teams" value="${(u.teams ?? []).join(', ')}" />
    </div>
    <div><button type="submit">Save</button> <a href="/portal/admin/accreditations">Cancel</a></div>
  </form>`;
}

/** Proposing a privileged role the person does not hold: another admin approves it. */
function grantForm(viewer: Viewer, u: Accreditation) {
  const missing = PRIVILEGED_ROLES.filter((r) => !u.roles.includes(r));
  if (!missing.length) return '';
  return html`<section aria-labelledby="grant-h">
    <h2 id="grant-h">Propose a role grant</h2>
    <form class="stack" method="post" action="${entryPath(u)}/role-grants">
      ${csrfField(viewer.csrf)}
      <div>
        <label for="grant-role">Role</label
        ><select id="grant-role" name="role" required>
          ${missing.map((r) => html`<option value="${r}">${r}</option>`)}
        </select>
      </div>
      <p class="hint">Nothing changes until another admin approves the proposal.</p>
      <div><button type="submit" class="secondary">Propose</button></div>
    </form>
  </section>`;
}

function grantTable(viewer: Viewer, grants: readonly RoleGrant[]) {
  return dataTable(
    grants,
    [
      { header: 'Person', cell: (g) => html`<a href="${entryPath(g.subject)}">${who(g.subject)}</a>` },
      { header: 'Role', cell: (g) => g.role },
      { header: 'Proposed by', cell: (g) => who(g.proposer) },
      { header: 'Proposed at', cell: (g) => g.proposedAt },
      { header: 'State', cell: (g) => g.state, className: 'status' },
      { header: 'Decision', cell: (g) => (g.state === 'pending' ? grantActions(viewer, g) : decisionOf(g)) },
    ],
    { rowId: (g) => `grant-${g.id}` },
  );
}

/** Suspend or reinstate, with a reason; never one's own entry (another admin changes it). */
function entryActions(viewer: Viewer, u: Accreditation) {
  if (samePerson(u, viewer.person)) return html`<span class="hint">your own: another admin changes it</span>`;
  const key = `${u.partnerId}-${u.userId}`;
  const action = u.suspended ? 'reinstate' : 'suspend';
  return html`<form method="post" action="${entryPath(u)}/${action}">
    ${csrfField(viewer.csrf)} <label for="reason-${key}">Reason</label
    ><input type="text" id="reason-${key}" name="reason" required minlength="3" />
    <button type="submit" class="${u.suspended ? 'secondary' : 'danger'}">
      ${u.suspended ? 'Reinstate' : 'Suspend'} ${u.userId}
    </button>
  </form>`;
}

function decisionOf(g: RoleGrant) {
  return html`${g.decidedBy ? who(g.decidedBy) : ''} ${g.decidedAt ?? ''}${g.reason ? `: ${g.reason}` : ''}`;
}

/** Approve (not for the proposer or the person themselves: the service refuses those too) or reject. */
function grantActions(viewer: Viewer, g: RoleGrant) {
  const mayApprove = !samePerson(g.proposer, viewer.person) && !samePerson(g.subject, viewer.person);
  return html`${
      mayApprove
        ? html`<form method="post" action="/portal/admin/role-grants/${g.id}/approve">
            ${csrfField(viewer.csrf)}<button type="submit">Approve</button>
          </form>`
        : html`<span class="hint">another admin approves</span>`
    }
    <form method="post" action="/portal/admin/role-grants/${g.id}/reject">
      ${csrfField(viewer.csrf)} <label for="reject-${g.id}">Reason</label
      ><input type="text" id="reject-${g.id}" name="reason" required minlength="3" />
      <button type="submit" class="secondary">Reject</button>
    </form>`;
}
