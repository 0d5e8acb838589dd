/**
 * Questions to the partnership in the portal: the analyst asks all providers from a form and follows
 * each one's answer on the question's page; a responder sees the question marked in the inbox and
 * answers "no information" there.
 */
import { createTestGateway, type TestGateway } from '../helpers/gateway';
import { portalSession } from '../helpers/portal-session';
import { boatQuestion } from '../helpers/questions';

type Session = { cookie: string; csrf: string };
let gw: TestGateway;
let anna: Session;
let iris: Session;
const TEXT = boatQuestion().text;

beforeAll(async () => {
  gw = await createTestGateway();
  anna = await portalSession(gw.http, 'anna');
  iris = await portalSession(gw.http, 'iris');
});
afterAll(() => gw.close());

const ask = (text: string) =>
  gw.http.post('/portal/questions').set('Cookie', anna.cookie).type('form').send({
    _csrf: anna.csrf,
    agreementId: 'stolen-boats',
    identifiers: 'hin:NL-HXAB7A33G293',
    text,
    purpose: 'stolen-property-investigation',
    caseRef: 'NL-2026-000880',
  });

describe('questions in the portal', () => {
  let questionPath: string;

  it('offers the analyst a form naming every provider of the agreement', async () => {
    const home = await gw.http.get('/portal/').set('Cookie', anna.cookie);
    expect(home.text).toContain('href="/portal/questions/new"');
    const form = await gw.http.get('/portal/questions/new?agreement=stolen-boats').set('Cookie', anna.cookie);
    expect(form.status).toBe(200);
    expect(form.text).toContain('boatreg-nl, insureco');
    expect(form.text).toContain('name="text"');
  });

  it('sends the question and shows each provider’s state on its page', async () => {
    const sent = await ask(TEXT);
    expect(sent.status).toBe(303);
    questionPath = sent.headers.location;
    expect(questionPath).toMatch(/^\/portal\/questions\/[0-9a-f-]{36}$/);
    const page = await gw.http.get(questionPath).set('Cookie', anna.cookie);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Taken from a marina near Lelystad');
    expect(page.text.match(/Awaiting the provider/g)).toHaveLength(2);
    // Each provider's request page leads back to the question.
    const requestPath = /href="(\/portal\/requests\/[0-9a-f-]{36})">Request</.exec(page.text)![1];
    const request = await gw.http.get(requestPath).set('Cookie', anna.cookie);
    expect(request.text).toContain('Question to all providers');
    expect(request.text).toContain(`href="${questionPath}"`);
  });

  it('marks the question in the provider’s inbox and lets it answer “no information”', async () => {
    const inbox = await gw.http.get('/portal/inbox').set('Cookie', iris.cookie);
    expect(inbox.text).toContain('Question to all providers');
    expect(inbox.text).toContain('Taken from a marina near Lelystad');
    const requestPath = /href="(\/portal\/requests\/[0-9a-f-]{36})">NL-2026-000880/.exec(inbox.text)![1];
    const page = await gw.http.get(requestPath).set('Cookie', iris.cookie);
    expect(page.text).toContain('Answer: no information');
    const answered = await gw.http
      .post(`${requestPath}/no-information`)
      .set('Cookie', iris.cookie)
      .type('form')
      .send({ _csrf: iris.csrf });
    expect(answered.status).toBe(303);
    const question = await gw.http.get(questionPath).set('Cookie', anna.cookie);
    expect(question.text).toContain('No information (the provider holds nothing on it)');
    expect(question.text).not.toContain('Declined by the provider');
  });

  it('refuses a question whose text carries an e-mail address, and sends nothing', async () => {
    const before = (await gw.store.audit.read(1, 100_000)).length;
    const refused = await ask('Write to jan@example.nl about it');
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('not data');
    expect((await gw.store.audit.read(1, 100_000)).length).toBe(before);
  });

  it('shows the question to no other analyst', async () => {
    const sven = await portalSession(gw.http, 'sven');
    const page = await gw.http.get(questionPath).set('Cookie', sven.cookie);
    expect(page.status).toBe(404);
    expect(page.text).not.toContain('Lelystad');
  });
});
