/**
 * The analyst's new detail request minimises by default: no personal field is ticked in the served
 * form, and a form sent with no field chosen is refused with a message saying so (never read as "all").
 */
import { FIELD_CATALOGUE } from '../../src/records/canonical';
import { createTestGateway, type TestGateway } from '../helpers/gateway';
import { portalSession } from '../helpers/portal-session';

let gw: TestGateway;
beforeAll(async () => {
  gw = await createTestGateway();
});
afterAll(() => gw.close());

const FORM = '/portal/requests/new?agreement=stolen-boats&dataset=boatreg-nl/vessels';

/** The field checkboxes of a served form: value and whether it is ticked. */
function fieldBoxes(page: string): { field: string; checked: boolean }[] {
  return [...page.matchAll(/<input\s+type="checkbox"[^>]*name="fields"[^>]*>/g)].map(([tag]) => ({
    field: /value="([^"]*)"/.exec(tag)![1]!,
    checked: /\schecked\b/.test(tag),
  }));
}

it('serves the new-request form with no personal field ticked, the others ticked', async () => {
  const { cookie } = await portalSession(gw.http, 'anna');
  const page = await gw.http.get(FORM).set('Cookie', cookie);
  expect(page.status).toBe(200);
  const boxes = fieldBoxes(page.text);
  const personal = boxes.filter((b) => FIELD_CATALOGUE[b.field]?.personal);
  // The agreement allows personal fields (else this test would prove nothing).
  expect(personal.map((b) => b.field)).toContain('owner.name');
  expect(personal.filter((b) => b.checked)).toEqual([]);
  expect(boxes.filter((b) => !FIELD_CATALOGUE[b.field]?.personal).every((b) => b.checked)).toBe(true);
  expect(page.text).toContain('(personal data)');
});

it('refuses a request sent with no field chosen, saying so, and records no request', async () => {
  const { cookie, csrf } = await portalSession(gw.http, 'anna');
  const res = await gw.http.post('/portal/requests').set('Cookie', cookie).type('form').send({
    _csrf: csrf,
    agreementId: 'stolen-boats',
    dataset: 'boatreg-nl/vessels',
    identifiers: 'hin:NL-HXAB7A33G293',
    purpose: 'stolen-property-investigation',
    caseRef: 'NL-2026-000321',
  });
  expect(res.status).toBe(400);
  expect(res.text).toContain('Choose at least one field');
  const mine = await gw.http.get('/portal/requests').set('Cookie', cookie);
  expect(mine.text).not.toContain('NL-2026-000321');
});
