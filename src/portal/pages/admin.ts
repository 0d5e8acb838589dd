/** Admin pages: partners, agreements (read-only, with the bundle digest), users' accreditations. */
import { guards } from '../../http/routes';
import { validateReason } from '../../accreditations/routes';
import { bodyValidator } from '../../http/validate';
import { problems } from '../../http/problem';
import accreditationSchema from '../../../schemas/api/accreditation.schema.json';
import type { AccreditationFields } from '../../accreditations/service';
import { ROLES } from '../../policy/types';
import { all, one } from '../forms';
import { html } from '../html';
import { csrfField } from '../layout';
import type { Ctx, PortalRoute } from '../portal';

const validateEntry = bodyValidator<AccreditationFields>(accreditationSchema);
const userOf = (ctx: Ctx) => {
  const id = String(ctx.req.params.userId);
  if (!/^[A-Za-z0-9._@-]{1,128}$/.test(id)) throw problems.notFound('No such user.');
  return id;
};
const reasonOf = (ctx: Ctx) => {
  const { reason } = validateReason({ reason: one(ctx.form, 'reason') });
  return reason;
};

export function adminRoutes(): PortalRoute[] {
  const read = guards.anyOf('accreditations:read');
  const manage = guards.anyOf('accreditations:manage');
  return [
    {
      method: 'get',
      path: '/admin/partners',
      guard: read,
      handler: async (ctx) => {
        const partners = [...ctx.deps.bundle().partners.values()];
        ctx.render(
          'Partners',
          html`<div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Id</th>
                  <th scope="col">Name</th>
                  <th scope="col">Sector</th>
                  <th scope="col">Country</th>
                  <th scope="col">Token issuers</th>
                  <th scope="col">Networks</th>
                </tr>
              </thead>
              <tbody>
                ${partners.map(
                  (p) =>
                    html`<tr>
                      <td>${p.id}${p.supervisor ? ' (supervisor)' : ''}</td>
                      <td>${p.name}</td>
                      <td>${p.sector}</td>
                      <td>${p.country}</td>
                      <td>
                        ${p.issuers.map((i) => `${i.iss} (${i.algorithm}${i.demo ? ', demo' : ''})`).join('; ')}
                      </td>
                      <td>${p.networks.join(', ')}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`,
        );
      },
    },
    {
      method: 'get',
      path: '/admin/agreements',
      guard: read,
      handler: async (ctx) => {
        const bundle = ctx.deps.bundle();
        ctx.render(
          'Agreements',
          html`<p>
              Policy bundle digest: <code class="digest">${bundle.digest}</code> (read-only: agreements change
              in <code>policies/</code>, and each load is logged).
            </p>
            ${[...bundle.agreements.values()].map(
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
                    <dd>
                      TLP:${a.safes.output.handling.tlp}; ${a.safes.output.handling.conditions.join(' ')}
                    </dd>
                    <dt>Retention</dt>
                    <dd>${a.safes.output.retentionDays} days</dd>
                  </dl>
                  <div class="table-wrap">
                    <table>
                      <caption>
                        Datasets
                      </caption>
                      <thead>
                        <tr>
                          <th scope="col">Dataset</th>
                          <th scope="col">Provider</th>
                          <th scope="col">Fields</th>
                          <th scope="col">Pseudonymised</th>
                          <th scope="col">Classification</th>
                        </tr>
                      </thead>
                      <tbody>
                        ${a.datasets.map(
                          (d) =>
                            html`<tr>
                              <td>${d.id}</td>
                              <td>${d.provider}</td>
                              <td>${d.fields.join(', ')}</td>
                              <td>${d.pseudonymise.join(', ')}</td>
                              <td>${d.classification}</td>
                            </tr>`,
                        )}
                      </tbody>
                    </table>
                  </div>
                  <details>
                    <summary>The agreement as loaded</summary>
                    <pre>${JSON.stringify(a, null, 2)}</pre>
                  </details>
                </section>`,
            )}`,
        );
      },
    },
    {
      method: 'get',
      path: '/admin/accreditations',
      guard: read,
      handler: async (ctx) => {
        const items = await ctx.deps.services.accreditations.list();
        ctx.render(
          'Accreditations',
          html`<div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col">Partner</th>
                  <th scope="col">Roles</th>
                  <th scope="col">Vetting</th>
                  <th scope="col">Trained</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Status</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                ${items.map(
                  (u) =>
                    html`<tr id="user-${u.userId}">
                      <td>
                        <a href="/portal/admin/accreditations/${u.userId}">${u.displayName} (${u.userId})</a>
                      </td>
                      <td>${u.partnerId}</td>
                      <td>${u.roles.join(', ')}</td>
                      <td>${u.vettingLevel}</td>
                      <td>${u.trainedOn}</td>
                      <td>${u.expiresOn}</td>
                      <td class="status">${u.suspended ? 'suspended' : 'active'}</td>
                      <td>
                        <form
                          method="post"
                          action="/portal/admin/accreditations/${u.userId}/${u.suspended ? 'reinstate' : 'suspend'}"
                        >
                          ${csrfField(ctx.user.csrf)} <label for="reason-${u.userId}">Reason</label
                          ><input type="text" id="reason-${u.userId}" name="reason" required minlength="3" />
                          <button type="submit" class="${u.suspended ? 'secondary' : 'danger'}">
                            ${u.suspended ? 'Reinstate' : 'Suspend'} ${u.userId}
                          </button>
                        </form>
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`,
        );
      },
    },
    {
      method: 'get',
      path: '/admin/accreditations/:userId',
      guard: read,
      handler: async (ctx) => {
        const u = await ctx.deps.services.accreditations.get(userOf(ctx));
        ctx.render(
          `Accreditation of ${u.displayName}`,
          html`<form class="stack" method="post" action="/portal/admin/accreditations/${u.userId}">
            ${csrfField(ctx.user.csrf)}
            <p>
              User <strong>${u.userId}</strong> of <strong>${u.partnerId}</strong> ·
              ${u.suspended ? 'suspended' : 'active'}
            </p>
            <div>
              <label for="displayName">Name</label
              ><input type="text" id="displayName" name="displayName" value="${u.displayName}" required />
            </div>
            <fieldset>
              <legend>Roles</legend>
              ${ROLES.map(
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
          </form>`,
        );
      },
    },
    {
      method: 'post',
      path: '/admin/accreditations/:userId',
      guard: manage,
      handler: async (ctx) => {
        const userId = userOf(ctx);
        const current = await ctx.deps.services.accreditations.get(userId);
        const entry = validateEntry({
          partnerId: current.partnerId,
          displayName: one(ctx.form, 'displayName'),
          roles: all(ctx.form, 'roles'),
          vettingLevel: Number(one(ctx.form, 'vettingLevel')),
          trainedOn: one(ctx.form, 'trainedOn'),
          expiresOn: one(ctx.form, 'expiresOn'),
          suspended: current.suspended,
          teams: [
            ...new Set(
              one(ctx.form, 'teams')
                .split(',')
                .map((t) => t.trim())
                .filter(Boolean),
            ),
          ],
        });
        await ctx.deps.services.accreditations.put(ctx.identity, userId, entry);
        ctx.redirect('/portal/admin/accreditations', `Saved the accreditation of ${userId}.`);
      },
    },
    ...(['suspend', 'reinstate'] as const).map((action): PortalRoute => ({
      method: 'post',
      path: `/admin/accreditations/:userId/${action}`,
      guard: manage,
      handler: async (ctx) => {
        const userId = userOf(ctx);
        await ctx.deps.services.accreditations.setSuspended(
          ctx.identity,
          userId,
          action === 'suspend',
          reasonOf(ctx),
        );
        ctx.redirect(
          '/portal/admin/accreditations',
          `${userId} ${action === 'suspend' ? 'suspended' : 'reinstated'}.`,
        );
      },
    })),
  ];
}
