/**
 * The partnership's portal pages: the admin sees each partner's standing and records a screening (its
 * problems shown at their fields); a party's legal person reads an agreement and withdraws and accepts
 * it; a DPO reads the screenings their scope allows.
 */
import { createTestGateway, type TestGateway } from '../helpers/gateway';
import { portalSession } from '../helpers/portal-session';

let gw: TestGateway;
beforeAll(async () => {
  gw = await createTestGateway();
});
afterAll(async () => gw?.close());

const today = () => new Date().toISOString().slice(0, 10);
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
/** A page's text as a reader sees it: entities decoded, runs of white space as one space. */
const decode = (text: string) =>
  text
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');

describe('the admin’s screening pages', () => {
  it('shows each partner’s standing and links its screening page', async () => {
    const { cookie } = await portalSession(gw.http, 'ada');
    const page = await gw.http.get('/portal/admin/partners').set('Cookie', cookie);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/id="partner-insureco"[\s\S]*?cleared, next review \d{4}-\d{2}-\d{2}/);
    expect(page.text).toContain('href="/portal/admin/partners/insureco/screening"');
  });

  it('shows each problem at its field and keeps what was typed', async () => {
    const { cookie, csrf } = await portalSession(gw.http, 'ada');
    const res = await gw.http
      .post('/portal/admin/partners/insureco/screening')
      .set('Cookie', cookie)
      .type('form')
      .send({
        _csrf: csrf,
        reviewedOn: today(),
        outcome: 'cleared-with-conditions',
        conditions: '',
        riskNotes: 'Kept as typed',
        contactName: 'Desk',
        contactEmail: 'not an email',
        nextReviewOn: today(),
      });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/id="contactEmail" name="contactEmail" aria-invalid="true"/);
    expect(res.text).toMatch(/id="contactEmail-error">must match format/);
    expect(res.text).toMatch(/id="conditions-error">must NOT have fewer than 1 items/);
    expect(res.text).toMatch(/id="nextReviewOn-error">must be after reviewedOn/);
    expect(res.text).not.toMatch(/id="contactName-error"/);
    expect(res.text).toContain('Kept as typed');
    // Nothing recorded: still the demo's clearance.
    expect(res.text).toMatch(/Standing today: <strong class="status">cleared, next review/);
  });

  it('records a screening, refused', async () => {
    const { cookie, csrf } = await portalSession(gw.http, 'ada');
    const res = await gw.http
      .post('/portal/admin/partners/insureco/screening')
      .set('Cookie', cookie)
      .type('form')
      .send({
        _csrf: csrf,
        reviewedOn: today(),
        outcome: 'refused',
        conditions: '',
        riskNotes: 'Adverse media found.',
        contactName: 'Ivo Claes',
        contactEmail: 'legal@insureco.example',
        contactPhone: '',
        nextReviewOn: inDays(90),
      });
    expect(res.status).toBe(303);
    const page = await gw.http.get(res.headers.location).set('Cookie', cookie);
    expect(page.text).toContain('Recorded the screening of insureco.');
    expect(page.text).toContain('Standing today: <strong class="status">refused</strong>');
    expect(page.text).toContain('Adverse media found.');
  });

  it('refuses the form to anyone but the gateway’s admins, and without its CSRF token', async () => {
    const { cookie, csrf } = await portalSession(gw.http, 'sam');
    expect(
      (await gw.http.get('/portal/admin/partners/insureco/screening').set('Cookie', cookie)).status,
    ).toBe(403);
    const ada = await portalSession(gw.http, 'ada');
    const noCsrf = await gw.http
      .post('/portal/admin/partners/insureco/screening')
      .set('Cookie', ada.cookie)
      .type('form')
      .send({ outcome: 'cleared' });
    expect(noCsrf.status).toBe(403);
    expect(csrf).toBeTruthy();
  });
});

describe('the DPO’s screenings page', () => {
  it('shows dana police-nl only, and sam every partner', async () => {
    const dana = await portalSession(gw.http, 'dana');
    const home = await gw.http.get('/portal/').set('Cookie', dana.cookie);
    expect(home.text).toContain('href="/portal/partnership/screenings"');
    const own = await gw.http.get('/portal/partnership/screenings').set('Cookie', dana.cookie);
    expect(own.status).toBe(200);
    expect(own.text).toContain('id="standing-police-nl"');
    expect(own.text).not.toContain('id="standing-insureco"');

    const sam = await portalSession(gw.http, 'sam');
    const all = await gw.http.get('/portal/partnership/screenings').set('Cookie', sam.cookie);
    expect(all.text).toMatch(/id="standing-insureco"[\s\S]*?refused/);
    expect(all.text).toContain('Adverse media found.');
  });
});

describe('the legal user’s agreement pages', () => {
  it('lists the partner’s agreements with their standing', async () => {
    const { cookie } = await portalSession(gw.http, 'ruben');
    const list = await gw.http.get('/portal/partnership/agreements').set('Cookie', cookie);
    expect(list.status).toBe(200);
    expect(list.text).toMatch(/id="agreement-stolen-boats"[\s\S]*?in force/);
    expect(list.text).not.toContain('id="agreement-stolen-vehicles"');
  });

  it('withdraws and accepts again through the forms', async () => {
    const { cookie, csrf } = await portalSession(gw.http, 'ruben');
    const page = await gw.http.get('/portal/partnership/agreements/stolen-boats').set('Cookie', cookie);
    expect(page.status).toBe(200);
    expect(decode(page.text)).toContain(
      'Each party keeps what it learns through this partnership confidential',
    );
    expect(page.text).toContain('Tracing stolen boats');
    // Accepted by the demo already: only the withdrawal is offered.
    expect(page.text).not.toContain('action="/portal/partnership/agreements/stolen-boats/accept"');

    const withdrawn = await gw.http
      .post('/portal/partnership/agreements/stolen-boats/withdraw')
      .set('Cookie', cookie)
      .type('form')
      .send({ _csrf: csrf, reason: 'Board review pending' });
    expect(withdrawn.status).toBe(303);
    const after = await gw.http.get('/portal/partnership/agreements/stolen-boats').set('Cookie', cookie);
    expect(after.text).toContain('The acceptance is withdrawn.');
    expect(after.text).toContain('awaiting boatreg-nl');
    expect(decode(after.text)).toContain(
      'On behalf of Nederlands Bootregister I accept this version, including its confidentiality commitment',
    );
    const version = /name="version" value="(\d+)"/.exec(after.text)![1];
    const digest = /name="digest" value="([0-9a-f]{64})"/.exec(after.text)![1];

    const unticked = await gw.http
      .post('/portal/partnership/agreements/stolen-boats/accept')
      .set('Cookie', cookie)
      .type('form')
      .send({ _csrf: csrf, version, digest });
    expect(unticked.status).toBe(400);

    const accepted = await gw.http
      .post('/portal/partnership/agreements/stolen-boats/accept')
      .set('Cookie', cookie)
      .type('form')
      .send({ _csrf: csrf, version, digest, accept: 'yes' });
    expect(accepted.status).toBe(303);
    const back = await gw.http.get('/portal/partnership/agreements/stolen-boats').set('Cookie', cookie);
    expect(back.text).toContain(`Accepted version ${version}.`);
    expect(back.text).toMatch(/Standing: <strong class="status">in force<\/strong>/);
  });

  it('shows the page without forms to a party’s analyst, and refuses a non-party’s legal person', async () => {
    const anna = await portalSession(gw.http, 'anna');
    const page = await gw.http.get('/portal/partnership/agreements/stolen-boats').set('Cookie', anna.cookie);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('/withdraw"');
    const joost = await portalSession(gw.http, 'joost');
    expect(
      (await gw.http.get('/portal/partnership/agreements/stolen-boats').set('Cookie', joost.cookie)).status,
    ).toBe(404);
    const refused = await gw.http
      .post('/portal/partnership/agreements/stolen-boats/withdraw')
      .set('Cookie', joost.cookie)
      .type('form')
      .send({ _csrf: joost.csrf, reason: 'Not ours to withdraw' });
    expect(refused.status).toBe(403);
  });
});
