/**
 * Demo mode starts each lookup dataset with its provider's example file, through the adapter and
 * logged, once: a restart or a partner's own upload is never overwritten.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config/load';
import { assemble } from '../../src/gateway';
import { boatLookup, boatRequest, createTestGateway, type TestGateway } from '../helpers/gateway';
import { portalSession } from '../helpers/portal-session';

let gw: TestGateway;
beforeAll(async () => {
  gw = await createTestGateway({ FSG_DEMO_DATASETS: 'true' });
});
afterAll(() => gw.close());

const uploads = async () =>
  (await gw.store.audit.query({ types: ['dataset.upload'] }, { order: 'asc', limit: 100 })).map((e) => ({
    actor: e.actorUser,
    partners: e.partners,
  }));

/**
 * The responder's click on "Answer with the records hit" for request `id`, the button checked on the
 * page first; the request page after it, whose output check must have passed.
 */
async function answerWithShared(id: string, session: { cookie: string; csrf: string }) {
  const page = await gw.http.get(`/portal/requests/${id}`).set('Cookie', session.cookie);
  expect(page.text).toContain('Answer with the records hit');
  const answered = await gw.http
    .post(`/portal/requests/${id}/answer-shared`)
    .set('Cookie', session.cookie)
    .type('form')
    .send({ _csrf: session.csrf });
  expect(answered.status).toBe(303);
  const preview = await gw.http.get(`/portal/requests/${id}`).set('Cookie', session.cookie);
  expect(preview.text).toMatch(/Output check:\s*<strong class="output-check">pass<\/strong\s*>/);
  return preview;
}

it('seeds every dataset shared for lookups, so a demo lookup hits', async () => {
  expect(await uploads()).toEqual(
    expect.arrayContaining([
      { actor: 'demo-seed', partners: ['boatreg-nl'] },
      { actor: 'demo-seed', partners: ['insureco'] },
      { actor: 'demo-seed', partners: ['autodealers-nl'] },
    ]),
  );
  const vessels = await gw.store.datasets.status('boatreg-nl', 'vessels');
  expect(vessels.lastUpload).toMatchObject({
    uploadedBy: 'demo-seed',
    adapterId: 'boatreg-nl',
    mode: 'replace',
  });
  expect(vessels.lastUpload!.read).toBe(vessels.lastUpload!.mapped + vessels.lastUpload!.quarantined);
  expect(vessels.records).toBeGreaterThan(0);

  const res = await gw.http
    .post('/api/v1/lookups')
    .set('Authorization', `Bearer ${await gw.token('anna')}`)
    .send(boatLookup());
  expect(res.status).toBe(200);
  expect(res.body.hits.map((h: { providerId: string }) => h.providerId).sort()).toEqual([
    'boatreg-nl',
    'insureco',
  ]);
});

it('lets the responder answer a request that cites a hit with the records hit, after a preview', async () => {
  const anna = { Authorization: `Bearer ${await gw.token('anna')}` };
  const found = await gw.http.post('/api/v1/lookups').set(anna).send(boatLookup());
  const ref = found.body.hits.find((h: { providerId: string }) => h.providerId === 'boatreg-nl').recordRef;
  const created = await gw.http
    .post('/api/v1/requests')
    .set(anna)
    .send(boatRequest({ identifiers: [], recordRefs: [ref] }));
  expect(created.status).toBe(201);

  const bram = await portalSession(gw.http, 'bram');
  const preview = await answerWithShared(created.body.id, bram);
  expect(preview.text).toContain('NL-HXAB7A33G293');
  const state = await gw.http
    .get(`/api/v1/requests/${created.body.id}`)
    .set('Authorization', `Bearer ${await gw.token('bram')}`);
  expect(state.body.state).toBe('answered');

  // Without its CSRF token, or from another provider, nothing happens.
  const dirk = await portalSession(gw.http, 'dirk');
  for (const [cookie, csrf] of [
    [bram.cookie, 'wrong'],
    [dirk.cookie, dirk.csrf],
  ]) {
    const refused = await gw.http
      .post(`/portal/requests/${created.body.id}/answer-shared`)
      .set('Cookie', cookie)
      .type('form')
      .send({ _csrf: csrf });
    expect([403, 404]).toContain(refused.status);
  }
});

it('counts hit/no-hit lookups in the statistics beside requests', async () => {
  const items = (
    await gw.http.get('/api/v1/audit/stats').set('Authorization', `Bearer ${await gw.token('sam')}`)
  ).body.items as {
    agreementId: string;
    requests: number;
    lookups: number;
    permits: number;
    denials: number;
  }[];
  const boats = items.filter((r) => r.agreementId === 'stolen-boats');
  const total = (f: (r: (typeof boats)[number]) => number) => boats.reduce((n, r) => n + f(r), 0);
  expect(total((r) => r.lookups)).toBe(2);
  expect(total((r) => r.requests)).toBe(1);
  expect(total((r) => r.requests + r.lookups)).toBe(total((r) => r.permits + r.denials));
});

it('offers the responder the shared records of a request made by identifier, and only those', async () => {
  // The README's request: by identifier, citing no hit.
  const created = await gw.http
    .post('/api/v1/requests')
    .set('Authorization', `Bearer ${await gw.token('anna')}`)
    .send(boatRequest({ identifiers: [{ type: 'hin', value: 'NL-HXAB7A33G293' }], recordRefs: [] }));
  expect(created.status).toBe(201);
  const request = (await gw.store.requests.get(created.body.id))!;
  const { hit, matching: shared } = await gw.requests.providerRecords(request);
  expect(hit).toEqual([]);
  // The boat whose hull number was asked, with its linked records (as a cited hit resolves).
  expect(shared.map((r) => r.record.identifier.value)).toContain('NL-HXAB7A33G293');
  expect(new Set(shared.map((r) => r.recordRef)).size).toBe(1);
  expect(new Set(shared.map((r) => r.sourceRef))).toEqual(new Set(['NL8841AB']));

  // The API says the same to the provider, and nothing of it to the analyst.
  const asProvider = await gw.http
    .get(`/api/v1/requests/${created.body.id}`)
    .set('Authorization', `Bearer ${await gw.token('bram')}`);
  expect(asProvider.body.hitRecords).toEqual([]);
  expect(asProvider.body.matchingRecords).toEqual([
    expect.objectContaining({ recordRef: shared[0].recordRef, sourceRef: 'NL8841AB', objectType: 'boat' }),
  ]);
  const asAnalyst = await gw.http
    .get(`/api/v1/requests/${created.body.id}`)
    .set('Authorization', `Bearer ${await gw.token('anna')}`);
  expect(asAnalyst.body).not.toHaveProperty('matchingRecords');
  expect(JSON.stringify(asAnalyst.body)).not.toContain('NL8841AB');

  const bram = await portalSession(gw.http, 'bram');
  const inbox = await gw.http.get('/portal/inbox').set('Cookie', bram.cookie);
  expect(inbox.text).toContain(shared[0].sourceRef);
  await answerWithShared(created.body.id, bram);

  // Through the API too: the provider answers a second such request with its shared records; the
  // analyst cannot.
  const again = await gw.http
    .post('/api/v1/requests')
    .set('Authorization', `Bearer ${await gw.token('anna')}`)
    .send(boatRequest({ identifiers: [{ type: 'hin', value: 'NL-HXAB7A33G293' }], recordRefs: [] }));
  const byAnalyst = await gw.http
    .post(`/api/v1/requests/${again.body.id}/answer/shared`)
    .set('Authorization', `Bearer ${await gw.token('anna')}`);
  expect(byAnalyst.status).toBe(403);
  const byProvider = await gw.http
    .post(`/api/v1/requests/${again.body.id}/answer/shared`)
    .set('Authorization', `Bearer ${await gw.token('bram')}`);
  expect(byProvider.status).toBe(200);
  expect(byProvider.body).toMatchObject({ state: 'answered', preview: { outputCheck: { outcome: 'pass' } } });
  expect(byProvider.body.preview.records.length).toBe(shared.length);

  // An identifier the provider does not hold offers nothing to answer with.
  const unknown = await gw.http
    .post('/api/v1/requests')
    .set('Authorization', `Bearer ${await gw.token('anna')}`)
    .send(boatRequest({ identifiers: [{ type: 'hin', value: 'NL-ZZZ99999Z999' }], recordRefs: [] }));
  expect(unknown.status).toBe(201);
  expect(
    (await gw.requests.providerRecords((await gw.store.requests.get(unknown.body.id))!)).matching,
  ).toEqual([]);
  const none = await gw.http.get(`/portal/requests/${unknown.body.id}`).set('Cookie', bram.cookie);
  expect(none.text).not.toContain('Answer with the records hit');
  const refused = await gw.http
    .post(`/portal/requests/${unknown.body.id}/answer-shared`)
    .set('Cookie', bram.cookie)
    .type('form')
    .send({ _csrf: bram.csrf });
  expect(refused.status).toBe(400);
  const refusedByApi = await gw.http
    .post(`/api/v1/requests/${unknown.body.id}/answer/shared`)
    .set('Authorization', `Bearer ${await gw.token('bram')}`);
  expect(refusedByApi.status).toBe(400);
  expect(refusedByApi.type).toBe('application/problem+json');
});

it('gives every demo dataset a real magnitude that its agreements let a table sum', async () => {
  // Per agreement and dataset: the measures (besides year) that the dataset's seeded records carry.
  const carried: string[] = [];
  for (const agreement of gw.bundle.agreements.values()) {
    const measures = (agreement.safes.output.aggregates?.measures ?? []).filter((m) => m !== 'year');
    for (const dataset of agreement.datasets) {
      const found = new Set<string>();
      for await (const { record } of gw.store.datasets.records(dataset.provider, dataset.id)) {
        const values = record as unknown as Record<string, unknown>;
        for (const m of measures)
          if (dataset.fields.includes(m) && typeof values[m] === 'number') found.add(m);
      }
      carried.push(`${agreement.id}/${dataset.id}: ${[...found].join(',')}`);
    }
  }
  expect(carried.sort()).toEqual([
    'stolen-boats/theft-claims: insuredValue',
    'stolen-boats/vessels: powerKw',
    'stolen-vehicles/sales-ledger: salePrice',
    'stolen-vehicles/theft-claims: insuredValue',
  ]);
});

describe('the demo volume: tables to try', () => {
  const table = async (agreementId: string, objectType: string, measure: unknown, caseRef: string) => {
    const res = await gw.http
      .post('/api/v1/requests')
      .set('Authorization', `Bearer ${await gw.token('anna')}`)
      .send({
        agreementId,
        providerId: 'insureco',
        datasetId: 'theft-claims',
        purpose: 'stolen-property-investigation',
        caseRef,
        query: { type: 'aggregate', groupBy: ['make'], measure, objectType },
      });
    expect(res.status).toBe(201);
    return { state: res.body.state as string, preview: (await gw.store.requests.get(res.body.id))!.preview! };
  };

  it('is added to the insurer’s example file, every claim mapped', async () => {
    const seeded = await gw.store.audit.query({ types: ['dataset.upload'] }, { order: 'asc', limit: 100 });
    const volume = seeded.filter((e) => e.partners.includes('insureco') && e.outcome === 'upsert');
    expect(volume).toHaveLength(1);
    const claims = JSON.parse(
      fs.readFileSync(path.resolve(__dirname, '../../adapters/insureco/fixtures/volume.json'), 'utf8'),
    ) as unknown[];
    expect(claims.length).toBeGreaterThan(100);
    expect(volume[0].data).toMatchObject({ read: claims.length, mapped: claims.length, quarantined: 0 });
  });

  it('a count of boats by make passes whole; a sum of insured values suppresses a make two yachts dominate', async () => {
    const count = await table('stolen-boats', 'boat', 'count', 'NL-2026-000700');
    expect(count.state).toBe('answered');
    expect(count.preview.table!.dimensions).toEqual([['Bayliner', 'Beneteau', 'Quicksilver', 'Sealine']]);
    const sum = await table('stolen-boats', 'boat', { sum: 'insuredValue' }, 'NL-2026-000701');
    expect(sum.preview.table!.dimensions[0]).not.toContain('Sealine');
    expect(sum.preview.tableReview!.hidden.codes).toEqual({ SDC_DOMINANCE: 1, SDC_SECONDARY: 1 });
  });

  it('a count of vehicles by make is released at once, the 4 Teslas and their complement left behind', async () => {
    const count = await table('stolen-vehicles', 'vehicle', 'count', 'NL-2026-000702');
    expect(count.state).toBe('disclosed');
    expect(count.preview.table!.dimensions).toEqual([['Toyota', 'Volkswagen']]);
    expect(count.preview.tableReview!.hidden.codes).toEqual({ SDC_THRESHOLD: 1, SDC_SECONDARY: 1 });
  });
});

it('does not seed again on restart, nor over a partner’s own upload', async () => {
  const before = await uploads();
  const csv = fs.readFileSync(
    path.resolve(__dirname, '../../adapters/boatreg-nl/fixtures/sample.csv'),
    'utf8',
  );
  const own = await gw.http
    .put('/api/v1/datasets/vessels/records?adapter=boatreg-nl&mode=replace')
    .set('Authorization', `Bearer ${await gw.token('bram')}`)
    .set('Content-Type', 'text/csv')
    .send(csv.split('\n').slice(0, 2).join('\n') + '\n');
  expect(own.status).toBe(200);

  const config = loadConfig({ FSG_DATA_DIR: gw.dataDir, FSG_LOG_LEVEL: 'silent', FSG_DEMO_DATASETS: 'true' });
  await gw.store.close();
  const again = await assemble(config);
  try {
    const after = (
      await again.store.audit.query({ types: ['dataset.upload'] }, { order: 'asc', limit: 100 })
    ).map((e) => e.actorUser);
    expect(after).toEqual([...before.map((u) => u.actor), 'bram']);
    expect((await again.store.datasets.status('boatreg-nl', 'vessels')).lastUpload?.uploadedBy).toBe('bram');
  } finally {
    // gw.close() closes gw.store again and removes the folder; this store is the one open now.
    await again.store.close();
  }
});
