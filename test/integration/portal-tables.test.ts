/**
 * Tables in the portal: the analyst's form offers what the agreement allows, the responder's preview
 * shows each entry's status and why (the entries that stay behind too), and the analyst reads the
 * released table under its handling banner and downloads it as CSV, each read passing the safes and
 * logged. What the analyst sees never carries a per-cell reason or a label that is not released.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { generateBoatreg } from '../../bench/generate-boatreg';
import { tableRows } from '../../src/aggregates/table-rows';
import { boatRequest, createTestGateway, vesselAnswer, type TestGateway } from '../helpers/gateway';
import { portalSession } from '../helpers/portal-session';
import { boatClaims, uploadClaims } from '../helpers/claims';

let gw: TestGateway;
type Session = { cookie: string; csrf: string };
let anna: Session;
let iris: Session;

beforeAll(async () => {
  gw = await createTestGateway();
  // Quicksilver fails the threshold; Sealine is suppressed as its complement (the total would give it away).
  await uploadClaims(gw, boatClaims({ Bayliner: 24, Beneteau: 13, Quicksilver: 3, Sealine: 11 }));
  anna = await portalSession(gw.http, 'anna');
  iris = await portalSession(gw.http, 'iris');
});
afterAll(() => gw.close());

const tableForm = (fields: Record<string, string>) =>
  gw.http
    .post('/portal/tables')
    .set('Cookie', anna.cookie)
    .type('form')
    .send({
      _csrf: anna.csrf,
      agreementId: 'stolen-boats',
      dataset: 'insureco/theft-claims',
      dimension1: 'make',
      dimension2: '',
      measure: 'count',
      objectType: 'boat',
      purpose: 'stolen-property-investigation',
      caseRef: 'NL-2026-000777',
      ...fields,
    });

async function askedTable(fields: Record<string, string> = {}): Promise<string> {
  const res = await tableForm(fields);
  expect(res.status).toBe(303);
  return String(res.headers.location).split('/').pop()!;
}

async function approveAsIris(id: string) {
  const page = await gw.http.get(`/portal/requests/${id}`).set('Cookie', iris.cookie);
  const version = /name="previewVersion" value="(\d+)"/.exec(page.text)![1];
  const res = await gw.http
    .post(`/portal/requests/${id}/approve`)
    .set('Cookie', iris.cookie)
    .type('form')
    .send({ _csrf: iris.csrf, previewVersion: version });
  expect(res.status).toBe(303);
  expect((await gw.store.requests.get(id))?.state).toBe('disclosed');
}

describe('the analyst’s table form', () => {
  it('offers the agreement’s dimensions (dates coarser too) and measures, and nothing else', async () => {
    const form = await gw.http
      .get('/portal/tables/new?agreement=stolen-boats&dataset=insureco/theft-claims')
      .set('Cookie', anna.cookie);
    expect(form.status).toBe(200);
    const options = (name: string) => {
      const select = new RegExp(`<select id="${name}"[^>]*>([\\s\\S]*?)</select>`).exec(form.text)![1];
      return [...select.matchAll(/value="([^"]*)"/g)].map((m) => m[1]);
    };
    expect(options('dimension1')).toEqual([
      'objectType',
      'status',
      'make',
      'model',
      'colour',
      'year',
      'theft.date:month',
      'theft.date:year',
      'theft.place',
      'owner.postcode',
    ]);
    expect(options('dimension2')[0]).toBe('');
    expect(options('measure')).toEqual(['count', 'sum:powerKw', 'sum:insuredValue']);
    expect(options('objectType')).toEqual(['', 'boat', 'boat-engine']);
  });

  it('a dimension the agreement does not list, sent anyway, is refused by the safes and logged', async () => {
    const res = await tableForm({ dimension1: 'owner.name', caseRef: 'NL-2026-000999' });
    expect(res.status).toBe(403);
    expect(res.text).toContain('DATA_DIMENSION');
    const denied = (await gw.store.audit.read(1, 100_000)).filter(
      (e) => e.type === 'decision' && e.outcome === 'deny' && e.data.caseRef === 'NL-2026-000999',
    );
    expect(denied).toHaveLength(1);
  });

  it('a dimension chosen twice is a form error, not a request', async () => {
    const before = (await gw.store.audit.read(1, 100_000)).length;
    const res = await tableForm({ dimension2: 'make' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('different dimensions');
    expect((await gw.store.audit.read(1, 100_000)).length).toBe(before);
  });
});

describe('a table from the form to the released table', () => {
  let id: string;
  beforeAll(async () => {
    id = await askedTable();
  });

  it('waits for the provider: the analyst sees what was asked and nothing released', async () => {
    const page = await gw.http.get(`/portal/requests/${id}`).set('Cookie', anna.cookie);
    expect(page.text).toContain('count of boat by make');
    expect(page.text).toContain('Answered (preview, not yet released)');
    expect(page.text).not.toContain('Read the disclosure');
    expect(page.text).not.toMatch(/Quicksilver|Sealine|SDC_/);
    const api = await gw.http
      .get(`/api/v1/requests/${id}`)
      .set('Authorization', `Bearer ${await gw.token('anna')}`);
    expect(api.body.preview).toBeNull();
    expect(JSON.stringify(api.body)).not.toMatch(/cellReview|Quicksilver/);
  });

  it('the responder previews each entry with its status and why, and counts what stays behind by reason', async () => {
    const page = await gw.http.get(`/portal/requests/${id}`).set('Cookie', iris.cookie);
    expect(page.status).toBe(200);
    const rows = [...page.text.matchAll(/<tr class="[^"]*status-(\w+)">([\s\S]*?)<\/tr>/g)].map((m) => [
      m[1],
      ...[...m[2].matchAll(/<t[hd][^>]*>([^<]*)<\/t[hd]>/g)].map((c) => c[1].trim()),
    ]);
    expect(rows).toEqual([
      ['rounded', 'Bayliner', '25', 'rounded to 5', ''],
      ['rounded', 'Beneteau', '15', 'rounded to 5', ''],
      ['rounded', '(all)', '50', 'rounded to 5', ''],
    ]);
    // Quicksilver (too few) and Sealine (its complement): counted by reason, their labels not kept.
    expect(page.text).toMatch(
      /Not released, label and all: 2 entries\s*\(SDC_THRESHOLD × 1, SDC_SECONDARY × 1\)/,
    );
    expect(page.text).toContain('<dt>SDC_THRESHOLD</dt>');
    expect(page.text).not.toMatch(/Quicksilver|Sealine/);
    // A table is the gateway's to compute: nothing to upload or answer, only approve or decline.
    expect(page.text).not.toContain('/answer');
    expect(page.text).toContain(`/portal/requests/${id}/decline`);
  });

  it('once approved, the analyst reads the released table under its handling, without reasons or hidden labels', async () => {
    await approveAsIris(id);
    const page = await gw.http.get(`/portal/requests/${id}/disclosure`).set('Cookie', anna.cookie);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<strong>TLP:AMBER</strong>');
    expect(page.text).toContain('Released table');
    expect(page.text).not.toContain('Released records');
    expect(page.text).toMatch(/<td>Bayliner<\/td>\s*<td class="num">25<\/td>/);
    expect(page.text).not.toMatch(/Quicksilver|Sealine|SDC_|Why/);
    expect(page.text).toContain('2 categories of make');
    expect(page.text).toContain(`/portal/requests/${id}/disclosure.csv`);
  });

  it('downloads as CSV: the handling line first, then the same rows as the API’s table; each read logged', async () => {
    const reads = async () =>
      (await gw.store.audit.read(1, 100_000)).filter(
        (e) => e.type === 'disclosure.read' && e.requestId === id,
      ).length;
    const before = await reads();
    const csv = await gw.http.get(`/portal/requests/${id}/disclosure.csv`).set('Cookie', anna.cookie);
    expect(csv.status).toBe(200);
    expect(csv.type).toBe('text/csv');
    expect(csv.headers['content-disposition']).toBe(`attachment; filename="table-${id}.csv"`);
    expect(csv.headers['cache-control']).toBe('no-store');
    expect(csv.text.split('\r\n')[0]).toMatch(/^\uFEFF# TLP:AMBER — .*No onward disclosure/);
    const api = await gw.http
      .get(`/api/v1/requests/${id}/disclosure`)
      .set('Authorization', `Bearer ${await gw.token('anna')}`);
    const parsed: string[][] = parse(csv.text, { bom: true, comment: '#' });
    expect(parsed[0]).toEqual(['make', 'count', 'status', 'entry']);
    expect(parsed.slice(1)).toEqual(
      tableRows(api.body.table).map((r) => [
        ...r.labels,
        r.value === null ? '' : String(r.value),
        r.status,
        r.margin ? 'total' : 'cell',
      ]),
    );
    expect(parsed.slice(1).map((r) => r[0])).toEqual(['Bayliner', 'Beneteau', '(all)']);
    expect(await reads()).toBe(before + 2);
  });

  it('the CSV is for the disclosure’s recipients only, like the page', async () => {
    const provider = await gw.http.get(`/portal/requests/${id}/disclosure.csv`).set('Cookie', iris.cookie);
    expect(provider.status).toBe(403);
    expect(provider.text).not.toContain('Bayliner');
    const stranger = await portalSession(gw.http, 'bram');
    const other = await gw.http.get(`/portal/requests/${id}/disclosure.csv`).set('Cookie', stranger.cookie);
    expect(other.status).toBe(404);
  });

  it('a detail disclosure has no CSV table', async () => {
    const bearer = async (user: string) => ({ Authorization: `Bearer ${await gw.token(user)}` });
    const created = await gw.http
      .post('/api/v1/requests')
      .set(await bearer('anna'))
      .send(boatRequest());
    const answer = await gw.http
      .post(`/api/v1/requests/${created.body.id}/answer`)
      .set(await bearer('bram'))
      .send(vesselAnswer());
    const approved = await gw.http
      .post(`/api/v1/requests/${created.body.id}/approve`)
      .set(await bearer('bram'))
      .send({ previewVersion: answer.body.previewVersion });
    expect(approved.body.state).toBe('disclosed');
    const csv = await gw.http
      .get(`/portal/requests/${created.body.id}/disclosure.csv`)
      .set('Cookie', anna.cookie);
    expect(csv.status).toBe(404);
    expect(csv.text).toContain('Only a released table downloads as CSV');
  });
});

describe('the subjects of a table held for approval', () => {
  it('wait in the preview until the approval logs them; then the request lets them go', async () => {
    // boatreg-nl's register names owners (the insurer's claims do not): 200 generated vessels.
    const file = path.join(gw.dataDir, 'vessels.csv');
    await generateBoatreg({ rows: 200, out: file, seed: 3 });
    const upload = await gw.http
      .put('/api/v1/datasets/vessels/records?adapter=boatreg-nl&mode=replace')
      .set('Authorization', `Bearer ${await gw.token('bram')}`)
      .set('Content-Type', 'text/csv')
      .send(fs.readFileSync(file));
    expect(upload.status).toBe(200);
    const id = await askedTable({
      dataset: 'boatreg-nl/vessels',
      dimension1: 'colour',
      caseRef: 'NL-2026-000779',
    });
    const held = (await gw.store.requests.get(id))!;
    expect(held.state).toBe('answered');
    const waiting = held.preview!.subjectHashes.length;
    expect(waiting).toBeGreaterThan(50);
    // They are the log's: the provider's view of the preview does not carry them.
    const api = await gw.http
      .get(`/api/v1/requests/${id}`)
      .set('Authorization', `Bearer ${await gw.token('bram')}`);
    expect(api.body.preview.table.withheld).toBe(false);
    expect(api.body.preview).not.toHaveProperty('subjectHashes');
    expect(JSON.stringify(api.body)).not.toContain(held.preview!.subjectHashes[0]);

    const bram = await portalSession(gw.http, 'bram');
    const page = await gw.http.get(`/portal/requests/${id}`).set('Cookie', bram.cookie);
    const approved = await gw.http
      .post(`/portal/requests/${id}/approve`)
      .set('Cookie', bram.cookie)
      .type('form')
      .send({ _csrf: bram.csrf, previewVersion: /name="previewVersion" value="(\d+)"/.exec(page.text)![1] });
    expect(approved.status).toBe(303);
    const released = (await gw.store.requests.get(id))!;
    expect([released.state, released.preview?.subjectHashes]).toEqual(['disclosed', []]);
    const logged = (await gw.store.audit.read(1, 100_000)).filter(
      (e) => e.requestId === id && e.type === 'disclosure.subjects',
    );
    expect(logged.flatMap((e) => e.data.subjectHashes as string[]).sort()).toEqual(
      [...held.preview!.subjectHashes].sort(),
    );
  });
});

describe('a table under review', () => {
  it('shows the responder which entries need review and why, and asks for the exception reason', async () => {
    // One Bayliner's insured value is missing: the sum goes to review.
    await uploadClaims(
      gw,
      boatClaims({ Bayliner: 24, Beneteau: 13 }, (make, n) =>
        make === 'Bayliner' && n === 0 ? undefined : 40_000,
      ),
    );
    const id = await askedTable({ measure: 'sum:insuredValue', caseRef: 'NL-2026-000778' });
    const page = await gw.http.get(`/portal/requests/${id}`).set('Cookie', iris.cookie);
    // The total includes the missing value: published as suppressed, with its reason beside it.
    expect(page.text).toMatch(
      /<th scope="row">\(all\)<\/th>\s*<td class="num">—<\/td>\s*<td>suppressed<\/td>\s*<td>SDC_MISSING<\/td>/,
    );
    expect(page.text).toMatch(
      /<td>Beneteau<\/td>\s*<td class="num">520000<\/td>\s*<td>rounded to 5<\/td>\s*<td><\/td>/,
    );
    // The Bayliner cell itself stays behind, counted with its reason.
    expect(page.text).toMatch(/Not released, label and all: 1 entry\s*\(SDC_MISSING × 1\)/);
    expect(page.text).toContain('<dt>SDC_MISSING</dt>');
    expect(page.text).toContain('name="reason"');
    expect(page.text).toContain('sum of insuredValue');
  });
});
