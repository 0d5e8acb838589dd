/**
 * Shared datasets and hit/no-hit end to end: providers upload through their own adapters, analysts
 * look identifiers up and cite the hits in a detail request, and no partner can read or overwrite
 * another partner's dataset.
 */
import fs from 'node:fs';
import path from 'node:path';
import { boatRequest, createTestGateway, type TestGateway } from '../helpers/gateway';

const FIXTURES = path.resolve(__dirname, '../../adapters');
// As text: superagent would serialise a Buffer sent as application/json.
const fixture = (adapter: string, file: string) =>
  fs.readFileSync(path.join(FIXTURES, adapter, 'fixtures', file), 'utf8');

let gw: TestGateway;
const tokens: Record<string, string> = {};
const bearer = (user: string) => ({ Authorization: `Bearer ${tokens[user]}` });

function upload(
  user: string,
  datasetId: string,
  adapter: string,
  type: string,
  body: string,
  mode = 'replace',
) {
  return gw.http
    .put(`/api/v1/datasets/${datasetId}/records?adapter=${adapter}&mode=${mode}`)
    .set(bearer(user))
    .set('Content-Type', type)
    .send(body);
}

function lookup(user: string, body: object) {
  return gw.http
    .post('/api/v1/lookups')
    .set(bearer(user))
    .send({
      agreementId: 'stolen-boats',
      purpose: 'stolen-property-investigation',
      caseRef: 'NL-2026-000321',
      ...body,
    });
}

beforeAll(async () => {
  gw = await createTestGateway();
  for (const user of ['anna', 'sven', 'bram', 'dirk', 'iris', 'dana']) tokens[user] = await gw.token(user);
});
afterAll(() => gw.close());

describe('shared datasets', () => {
  it('maps an upload through the provider’s adapter and accounts for every row', async () => {
    const res = await upload(
      'bram',
      'vessels',
      'boatreg-nl',
      'text/csv',
      fixture('boatreg-nl', 'sample.csv'),
    );
    expect(res.status).toBe(200);
    expect(res.body.read).toBe(res.body.mapped + res.body.quarantined);
    expect(res.body.mapped).toBeGreaterThan(0);
    expect(res.body.size).toBe(res.body.records);
    expect(res.body.digest).toMatch(/^[0-9a-f]{64}$/);
    const insure = await upload(
      'iris',
      'theft-claims',
      'insureco',
      'application/json',
      fixture('insureco', 'sample.json'),
    );
    expect(insure.status).toBe(200);
    expect(insure.body.quarantined).toBe(0);
    expect(insure.body.read).toBe(insure.body.mapped + insure.body.quarantined);
    const dealers = await upload(
      'dirk',
      'sales-ledger',
      'autodealers-nl',
      'text/csv',
      fixture('autodealers-nl', 'sample.csv'),
    );
    expect(dealers.status).toBe(200);
  });

  it('reports each broken row with its row number, field and code, and stores the rest', async () => {
    const res = await upload(
      'bram',
      'vessels',
      'boatreg-nl',
      'text/csv',
      fixture('boatreg-nl', 'broken.csv'),
      'upsert',
    );
    expect(res.status).toBe(200);
    expect(res.body.read).toBe(9);
    expect(res.body.mapped + res.body.quarantined).toBe(9);
    const codes = res.body.quarantine.map((q: { row: number; code: string }) => `${q.row}:${q.code}`);
    expect(codes).toEqual([
      '2:HIN_MONTH',
      '3:FIELD_MISSING',
      '4:FIELD_TYPE',
      '5:DUPLICATE_IDENTIFIER',
      '7:ROW_MALFORMED',
      '8:FIELD_FORMAT',
      '8:FIELD_VALUE',
      '9:FIELD_MISSING',
    ]);
    for (const entry of res.body.quarantine) {
      expect(entry.field === null || typeof entry.field === 'string').toBe(true);
      // `line`: the row's line in the file, as an editor numbers it (the header is line 1).
      expect(entry).toEqual({
        row: expect.any(Number),
        line: entry.row + 1,
        field: entry.field,
        code: expect.any(String),
        message: expect.any(String),
      });
    }
    const status = await gw.http.get('/api/v1/datasets/vessels').set(bearer('bram'));
    expect(status.body.lastUpload).toMatchObject({
      id: res.body.id,
      mode: 'upsert',
      quarantined: res.body.quarantined,
    });
  });

  it('refuses to replace a dataset with a file that broke off or mapped nothing, leaving it as it was', async () => {
    const before = (await gw.http.get('/api/v1/datasets/vessels').set(bearer('bram'))).body.records;
    const header = fixture('boatreg-nl', 'sample.csv').split('\n')[0];
    const nothing = await upload(
      'bram',
      'vessels',
      'boatreg-nl',
      'text/csv',
      `${header}\n,,,,,,,,,,,,,,,,\n`,
    );
    expect(nothing.status).toBe(422);
    expect(nothing.body).toMatchObject({ read: 1, mapped: 0, quarantined: 1 });
    const broken = await upload(
      'iris',
      'theft-claims',
      'insureco',
      'application/json',
      '[{"claimId": "CLM-1", ',
    );
    expect(broken.status).toBe(422);
    expect(broken.body.detail).toMatch(/broke off/);
    expect((await gw.http.get('/api/v1/datasets/vessels').set(bearer('bram'))).body.records).toBe(before);
    expect(
      (await gw.http.get('/api/v1/datasets/theft-claims').set(bearer('iris'))).body.records,
    ).toBeGreaterThan(0);
  });

  it('refuses the wrong media type, an unknown adapter and a bad mode with problem+json', async () => {
    expect((await upload('bram', 'vessels', 'boatreg-nl', 'text/plain', 'x')).status).toBe(415);
    expect((await upload('bram', 'vessels', 'nobody', 'text/csv', 'x')).status).toBe(400);
    const bad = await upload('bram', 'vessels', 'boatreg-nl', 'text/csv', 'x', 'merge');
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/problem\+json/);
  });

  it('never lets one partner read or overwrite another partner’s dataset', async () => {
    // dirk (autodealers-nl) aims at boatreg-nl's dataset, with his own adapter and with theirs.
    expect(
      (await upload('dirk', 'vessels', 'autodealers-nl', 'text/csv', fixture('autodealers-nl', 'sample.csv')))
        .status,
    ).toBe(404);
    expect(
      (await upload('dirk', 'sales-ledger', 'boatreg-nl', 'text/csv', fixture('boatreg-nl', 'sample.csv')))
        .status,
    ).toBe(403);
    // iris shares a dataset called theft-claims; bram has none by that name and cannot reach hers.
    expect(
      (await upload('bram', 'theft-claims', 'boatreg-nl', 'text/csv', fixture('boatreg-nl', 'sample.csv')))
        .status,
    ).toBe(404);
    expect((await gw.http.get('/api/v1/datasets/theft-claims').set(bearer('bram'))).status).toBe(404);
    const mine = await gw.http.get('/api/v1/datasets').set(bearer('bram'));
    expect(mine.body.items.map((d: { datasetId: string }) => d.datasetId)).toEqual(['vessels']);
    // Analysts and DPOs may not upload at all.
    expect((await upload('anna', 'vessels', 'boatreg-nl', 'text/csv', 'x')).status).toBe(403);
    expect((await upload('dana', 'vessels', 'boatreg-nl', 'text/csv', 'x')).status).toBe(403);
    // insureco's records are untouched by all of that.
    const theirs = await gw.http.get('/api/v1/datasets/theft-claims').set(bearer('iris'));
    expect(theirs.body.lastUpload.uploadedBy).toBe('iris');
  });
});

describe('hit/no-hit lookups', () => {
  let vesselRef: string;

  it('finds which providers hold an identifier, however it is typed, with no field values', async () => {
    const res = await lookup('anna', {
      identifiers: [
        { type: 'hin', value: 'nl-hxab7a33g293' },
        { type: 'hin', value: 'NL-ZZZ99999A999' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.decision.outcome).toBe('permit');
    const providers = res.body.hits.map(
      (h: { query: number; providerId: string }) => `${h.query}:${h.providerId}`,
    );
    expect(providers.sort()).toEqual(['0:boatreg-nl', '0:insureco']);
    for (const hit of res.body.hits) {
      expect(Object.keys(hit).sort()).toEqual([
        'identifierType',
        'objectType',
        'providerId',
        'query',
        'recordRef',
      ]);
      expect(hit.recordRef).toMatch(/^rr_[0-9a-f]{32}$/);
    }
    const text = JSON.stringify(res.body);
    for (const value of ['Jan Pietersen', 'Bayliner', 'NL-8841-AB', 'Zeemeeuw', 'Utrecht'])
      expect(text).not.toContain(value);
    vesselRef = res.body.hits.find((h: { providerId: string }) => h.providerId === 'boatreg-nl').recordRef;
  });

  it.each([
    ['without MFA', 'anna', { mfa: false }, {}, 'setting', 'SETTING_MFA_REQUIRED'],
    [
      'of a VIN under the boats agreement',
      'anna',
      {},
      { identifiers: [{ type: 'vin', value: '1HGCM82633A004352' }] },
      'data',
      'DATA_IDENTIFIER_TYPE_NOT_IN_SCOPE',
    ],
    [
      'by a police force not party to the agreement',
      'sven',
      {},
      { caseRef: 'SE-2026-000001' },
      'project',
      'PROJECT_REQUESTER_NOT_PARTY',
    ],
    ['by a responder', 'bram', {}, {}, 'people', 'PEOPLE_ROLE_NOT_PERMITTED'],
  ])(
    'denies a lookup %s with the decision and logs it',
    async (_label, user, tokenOptions, body, safe, code) => {
      const token = await gw.token(user, tokenOptions);
      const res = await gw.http
        .post('/api/v1/lookups')
        .set('Authorization', `Bearer ${token}`)
        .send({
          agreementId: 'stolen-boats',
          purpose: 'stolen-property-investigation',
          caseRef: 'NL-2026-000321',
          identifiers: [{ type: 'hin', value: 'NL-HXAB7A33G293' }],
          ...body,
        });
      expect(res.status).toBe(403);
      expect(res.body.decision.safes[safe].reasons.map((r: { code: string }) => r.code)).toContain(code);
      expect(res.body.hits).toBeUndefined();
      const logged = (await gw.store.audit.read(1, 100_000)).filter(
        (e) => e.type === 'lookup' && e.data.lookupId === res.body.lookupId,
      );
      expect(logged).toHaveLength(1);
      expect(logged[0].outcome).toBe('deny');
    },
  );

  it('lets a detail request cite a hit, shows the provider which of its records were hit, and accepts an answer in its own format', async () => {
    const created = await gw.http
      .post('/api/v1/requests')
      .set(bearer('anna'))
      .send(boatRequest({ identifiers: [], recordRefs: [vesselRef], caseRef: 'NL-2026-000321' }));
    expect(created.status).toBe(201);
    const inbox = await gw.http.get('/api/v1/inbox').set(bearer('bram'));
    const item = inbox.body.items.find((i: { id: string }) => i.id === created.body.id);
    expect(item.hitRecords).toEqual([
      {
        recordRef: vesselRef,
        sourceRef: 'NL8841AB',
        objectType: 'boat',
        identifierTypes: ['boat-registration', 'hin'],
      },
    ]);
    // The analyst's view never resolves the reference.
    const mine = await gw.http.get(`/api/v1/requests/${created.body.id}`).set(bearer('anna'));
    expect(JSON.stringify(mine.body)).not.toContain('NL8841AB');

    const csv = fs
      .readFileSync(path.join(FIXTURES, 'boatreg-nl', 'fixtures', 'sample.csv'), 'utf8')
      .split('\n');
    const answer = [
      csv[0],
      csv[1],
      'NL-0000-XX,Kapot,NL-HXAB7A33Z293,Bayliner,VR5,white,2019,registered,,,,,,,,,',
    ].join('\n');
    const res = await gw.http
      .post(`/api/v1/requests/${created.body.id}/answer/upload?adapter=boatreg-nl`)
      .set(bearer('bram'))
      .set('Content-Type', 'text/csv')
      .send(answer);
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('answered');
    expect(res.body.preview.quarantine).toEqual([expect.objectContaining({ row: 2, code: 'HIN_MONTH' })]);
    const identifiers = res.body.preview.records.map(
      (r: { identifier: { type: string } }) => r.identifier.type,
    );
    expect(identifiers.sort()).toEqual(['boat-registration', 'engine-serial', 'hin', 'hin']);
    expect(JSON.stringify(res.body.preview.records)).not.toContain('Jan Pietersen');
  });

  it('logs uploads with counts and digests, and lookups with their hits, under the partners involved', async () => {
    const entries = await gw.store.audit.read(1, 100_000);
    const uploads = entries.filter((e) => e.type === 'dataset.upload');
    expect(uploads.map((e) => e.partners)).toEqual([
      ['boatreg-nl'],
      ['insureco'],
      ['autodealers-nl'],
      ['boatreg-nl'],
    ]);
    expect(uploads[0].data).toMatchObject({
      datasetId: 'vessels',
      adapterId: 'boatreg-nl',
      digest: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const permitted = entries.find((e) => e.type === 'lookup' && e.outcome === 'permit');
    expect(permitted?.partners.sort()).toEqual(['boatreg-nl', 'insureco', 'police-nl']);
    const text = JSON.stringify(entries);
    for (const value of ['NL-HXAB7A33G293', 'nl-hxab7a33g293', 'Jan Pietersen'])
      expect(text).not.toContain(value);
  });
});
