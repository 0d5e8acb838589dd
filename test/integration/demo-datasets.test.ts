/**
 * Demo mode starts each lookup dataset with its provider's example file, through the adapter and
 * logged, once: a restart or a partner's own upload is never overwritten.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config/load';
import { assemble } from '../../src/gateway';
import { createTestGateway, type TestGateway } from '../helpers/gateway';

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
    .send({
      agreementId: 'stolen-boats',
      purpose: 'stolen-property-investigation',
      caseRef: 'NL-2026-000321',
      identifiers: [{ type: 'hin', value: 'NL-HXAB7A33G293' }],
    });
  expect(res.status).toBe(200);
  expect(res.body.hits.map((h: { providerId: string }) => h.providerId).sort()).toEqual([
    'boatreg-nl',
    'insureco',
  ]);
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
