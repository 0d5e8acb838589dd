/** The portal's own pages (sign-in, start, error): markup only, from what portal.ts gathers. */
import type { readDemoUsers } from '../accreditations/demo-seed';
import type { Role } from '../policy/types';
import { html, type Html } from './html';
import { page, type PageUser } from './layout';
import type { SignInOption } from './oidc/relying-party';
import { TRANSPARENCY_PATH } from '../transparency/views';

/** A refusal or failure as a page, with the way back to the start. */
export function errorView(detail: string, status: number, user?: PageUser): string {
  return page(
    status === 403 ? 'Not allowed' : 'Something went wrong',
    user,
    html`<p class="error" role="alert">${detail}</p>
      <p><a href="/portal/">Back to the start page</a></p>`,
  );
}

/** Signed in at a provider: a page that moves on to the portal. */
export function signedInView(): string {
  return page('Signed in', undefined, html`<p><a href="/portal/">Continue to the portal</a></p>`, undefined, {
    refreshTo: '/portal/',
  });
}

/** What the sign-in page offers, as portal.ts gathers it. */
export interface SignInChoices {
  csrf: string;
  providers: readonly SignInOption[];
  demoUsers: readonly ReturnType<typeof readDemoUsers>[number][];
  tokenSignIn: boolean;
  message?: string;
}

export function signInView(choices: SignInChoices): string {
  const { providers, message } = choices;
  const demo = choices.demoUsers;
  const csrf = html`<input type="hidden" name="_csrf" value="${choices.csrf}" />`;
  return page(
    'Sign in',
    undefined,
    html` ${message ? html`<p class="error" role="alert">${message}</p>` : ''}
    ${
      providers.length
        ? html`<section aria-labelledby="oidc-h">
            <h2 id="oidc-h">Sign in with your organisation</h2>
            <ul class="providers">
              ${providers.map(
                (p) =>
                  html`<li>
                    <a class="button" href="/portal/sign-in/oidc/${encodeURIComponent(p.partnerId)}"
                      >${p.label}</a
                    >
                  </li>`,
              )}
            </ul>
          </section>`
        : ''
    }
    ${
      demo.length
        ? html`<section aria-labelledby="demo-h">
            <h2 id="demo-h">Demo users</h2>
            <p class="hint">
              Demo mode: sign in as one of these users, with a second factor (MFA). Never in production.
            </p>
            <ul class="users">
              ${demo.map(
                (u) =>
                  html`<li>
                    <form method="post" action="/portal/sign-in">
                      ${csrf}<input type="hidden" name="partner" value="${u.partnerId}" /><input
                        type="hidden"
                        name="user"
                        value="${u.userId}"
                      />
                      <button type="submit" class="secondary" data-user="${u.userId}">
                        <strong>${u.displayName}</strong><br />${u.userId} · ${u.roles.join(', ')} ·
                        ${u.partnerId}
                      </button>
                    </form>
                  </li>`,
              )}
            </ul>
          </section>`
        : ''
    }
    ${choices.tokenSignIn ? tokenForm(csrf) : ''}${transparencyLink()}`,
  );
}

/** The public report of the agreements in force, readable without signing in. */
const transparencyLink = () =>
  html`<p class="hint">
    Without signing in: <a href="${TRANSPARENCY_PATH}">the agreements in force and how they protect data</a>.
  </p>`;

function tokenForm(csrf: Html): Html {
  return html`<section aria-labelledby="token-h">
    <h2 id="token-h">Sign in with a token</h2>
    <form class="stack" method="post" action="/portal/sign-in">
      ${csrf}
      <div>
        <label for="token">Token from your organisation's identity provider</label>
        <textarea id="token" name="token" rows="4" autocomplete="off" spellcheck="false" required></textarea>
      </div>
      <div><button type="submit">Sign in</button></div>
    </form>
  </section>`;
}

/**
 * The start page: the tasks the user's roles allow, then `extra`: what the partnership adds (requests
 * overdue, reports), gathered by its page module.
 */
export function homeView(user: PageUser, extra: Html = html``): Html {
  const tasks: Record<Role, Html> = {
    analyst: html`<li><a href="/portal/lookup">Search identifiers (hit/no-hit)</a></li>
      <li><a href="/portal/requests/new">Request details from a provider</a></li>
      <li><a href="/portal/requests">My requests and disclosures</a></li>`,
    responder: html`<li><a href="/portal/inbox">Requests addressed to ${user.partnerId}</a></li>
      <li><a href="/portal/datasets">Shared datasets</a></li>`,
    dpo: html`<li><a href="/portal/log">Review the disclosure log</a></li>
      <li><a href="/portal/log/activity">Activity by agreement: requests, permits, denials by safe</a></li>
      <li><a href="/portal/log/subject-access">Subject access report (GDPR Art. 15)</a></li>`,
    admin: html`<li><a href="/portal/admin/accreditations">Users' accreditations</a></li>
      <li><a href="/portal/admin/role-grants">Role grants awaiting a second admin</a></li>
      <li><a href="/portal/admin/partners">Partners</a></li>
      <li><a href="/portal/admin/agreements">Agreements</a></li>`,
    legal: html`<li>
      <a href="/portal/partnership/agreements">Agreements: accept or withdraw for ${user.partnerId}</a>
    </li>`,
  };
  if (!user.roles.length) return html`<p class="error">Your accreditation does not allow any task today.</p>`;
  return html`<ul>
      ${user.roles.map((r) => tasks[r])}
    </ul>
    ${extra}`;
}
