/** The portal's page frame: navigation by role, skip link, one stylesheet, no scripts. */
import type { Role } from '../policy/types';
import { html, type Html } from './html';

export interface PageUser {
  userId: string;
  displayName: string;
  partnerId: string;
  roles: Role[];
  csrf: string;
}

const NAV: { role: Role; links: [string, string][] }[] = [
  {
    role: 'analyst',
    links: [
      ['/portal/lookup', 'Hit/no-hit search'],
      ['/portal/requests/new', 'New request'],
      ['/portal/tables/new', 'New table'],
      ['/portal/questions/new', 'Ask all providers'],
      ['/portal/requests', 'My requests'],
    ],
  },
  {
    role: 'responder',
    links: [
      ['/portal/inbox', 'Inbox'],
      ['/portal/datasets', 'Datasets'],
    ],
  },
  {
    role: 'dpo',
    links: [
      ['/portal/log', 'Disclosure log'],
      ['/portal/log/activity', 'Activity'],
      ['/portal/log/subject-access', 'Subject access'],
      ['/portal/partnership/screenings', 'Partner screenings'],
      ['/portal/partnership/reports', 'Reports'],
    ],
  },
  {
    role: 'admin',
    links: [
      ['/portal/admin/accreditations', 'Accreditations'],
      ['/portal/admin/role-grants', 'Role grants'],
      ['/portal/admin/partners', 'Partners'],
      ['/portal/admin/agreements', 'Agreements'],
    ],
  },
  { role: 'legal', links: [['/portal/partnership/agreements', 'Agreements']] },
];

export function csrfField(csrf: string): Html {
  return html`<input type="hidden" name="_csrf" value="${csrf}" />`;
}

/** `refreshTo`: a page the browser goes on to by itself (a navigation of our own site, not the sender's). */
export function page(
  title: string,
  user: PageUser | undefined,
  body: Html,
  flash?: string,
  options: { refreshTo?: string } = {},
): string {
  const links = user ? NAV.filter((n) => user.roles.includes(n.role)).flatMap((n) => n.links) : [];
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        ${options.refreshTo ? html`<meta http-equiv="refresh" content="0; url=${options.refreshTo}" />` : ''}
        <title>${title} · Five Safes Gateway</title>
        <link rel="stylesheet" href="/portal/assets/portal.css" />
        <link rel="icon" href="/portal/assets/favicon.svg" type="image/svg+xml" />
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="brand" href="/portal/">Five Safes Gateway</a>
          ${
            user
              ? html`<nav aria-label="Main">
                    <ul>
                      ${links.map(([href, label]) => html`<li><a href="${href}">${label}</a></li>`)}
                    </ul>
                  </nav>
                  <form class="signout" method="post" action="/portal/sign-out">
                    ${csrfField(user.csrf)}
                    <span class="who"
                      >${user.displayName} · ${user.partnerId} · ${user.roles.join(', ')}</span
                    >
                    <button type="submit">Sign out</button>
                  </form>`
              : ''
          }
        </header>
        <main id="main" tabindex="-1">
          ${flash ? html`<p class="flash" role="status">${flash}</p>` : ''}
          <h1>${title}</h1>
          ${body}
        </main>
      </body>
    </html>`.text;
}
