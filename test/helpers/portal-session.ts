/** Signs in to the portal through its sign-in form, as a browser would, without a browser. */
import type supertest from 'supertest';

export const csrfOf = (page: string): string => /name="_csrf" value="([^"]+)"/.exec(page)![1];

/** The signed-in session's cookie and the CSRF token its pages carry. */
export async function portalSession(
  http: ReturnType<typeof supertest>,
  user: string,
): Promise<{ cookie: string; csrf: string }> {
  const form = await http.get('/portal/sign-in');
  const anon = String(form.headers['set-cookie'][0]).split(';')[0];
  const signed = await http
    .post('/portal/sign-in')
    .set('Cookie', anon)
    .type('form')
    .send({ _csrf: csrfOf(form.text), user });
  if (signed.status !== 303) throw new Error(`sign-in as ${user} answered ${signed.status}`);
  const cookie = String(signed.headers['set-cookie'][0]).split(';')[0];
  const home = await http.get('/portal/').set('Cookie', cookie);
  return { cookie, csrf: csrfOf(home.text) };
}
