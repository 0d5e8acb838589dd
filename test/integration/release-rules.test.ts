/**
 * Record-level release rules over HTTP: generalisation, recipients (the analyst or a named team of
 * their partner) and handling codes that a responder may make stricter, never looser.
 */
import { boatRequest, createTestGateway, vesselAnswer, type TestGateway } from '../helpers/gateway';

let gw: TestGateway;
const tokens: Record<string, string> = {};
const bearer = (user: string) => ({ Authorization: `Bearer ${tokens[user]}` });

async function answered(overrides: Record<string, unknown> = {}) {
  const created = await gw.http
    .post('/api/v1/requests')
    .set(bearer('anna'))
    .send(boatRequest({ fields: ['identifier', 'linkId', 'owner.name', 'owner.postcode'], ...overrides }));
  expect(created.status).toBe(201);
  const answer = await gw.http
    .post(`/api/v1/requests/${created.body.id}/answer`)
    .set(bearer('bram'))
    .send(vesselAnswer());
  expect(answer.body.state).toBe('answered');
  return {
    id: created.body.id as string,
    preview: answer.body.preview,
    previewVersion: answer.body.previewVersion as number,
  };
}

beforeAll(async () => {
  gw = await createTestGateway();
  for (const user of ['anna', 'tom', 'sven', 'bram', 'dana']) tokens[user] = await gw.token(user);
});
afterAll(() => gw.close());

describe('release rules', () => {
  it('generalises the postcode to its district and pseudonymises the name', async () => {
    const { preview } = await answered();
    expect(preview.records[0].owner).toEqual({ name: expect.stringMatching(/^psn_/), postcode: '1011' });
  });

  it('lets a responder make the handling stricter, shown with its TLP meaning', async () => {
    const { id, previewVersion } = await answered();
    const handling = {
      tlp: 'RED',
      conditions: [
        "No onward disclosure without the provider's permission.",
        "Not for use in judicial proceedings without the provider's permission.",
        'Destroy after the case is closed.',
      ],
    };
    const approved = await gw.http
      .post(`/api/v1/requests/${id}/approve`)
      .set(bearer('bram'))
      .send({ previewVersion, handling });
    expect(approved.status).toBe(200);
    const read = await gw.http.get(`/api/v1/requests/${id}/disclosure`).set(bearer('anna'));
    expect(read.body.handling).toEqual({
      ...handling,
      meaning: expect.stringMatching(/individual recipients only/),
    });
    const logged = (await gw.store.audit.read(1, 100_000)).find(
      (e) => e.requestId === id && e.type === 'disclosure',
    );
    expect(logged?.data.handling).toEqual(handling);
  });

  it('refuses a looser handling or a dropped condition, and nothing is released', async () => {
    const { id, previewVersion } = await answered();
    const looser = await gw.http
      .post(`/api/v1/requests/${id}/approve`)
      .set(bearer('bram'))
      .send({ previewVersion, handling: { tlp: 'GREEN', conditions: [] } });
    expect(looser.status).toBe(400);
    expect(looser.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual([
      '/handling/tlp',
      '/handling/conditions',
      '/handling/conditions',
    ]);
    expect((await gw.store.requests.get(id))?.state).toBe('answered');
  });

  it('releases to a named team of the requesting partner, and to no one else', async () => {
    const { id, previewVersion } = await answered({ recipients: { team: 'vehicle-crime' } });
    await gw.http.post(`/api/v1/requests/${id}/approve`).set(bearer('bram')).send({ previewVersion });
    // tom is in anna's team at police-nl (his training renewed: a reader passes the people safe too);
    // sven is another force; bram is the provider.
    const tom = (await gw.store.accreditations.get('police-nl', 'tom'))!;
    await gw.store.accreditations.put({ ...tom, trainedOn: new Date().toISOString().slice(0, 10) }, []);
    expect((await gw.http.get(`/api/v1/requests/${id}/disclosure`).set(bearer('tom'))).status).toBe(200);
    expect((await gw.http.get(`/api/v1/requests/${id}/disclosure`).set(bearer('sven'))).status).toBe(404);
    expect((await gw.http.get(`/api/v1/requests/${id}/disclosure`).set(bearer('bram'))).status).toBe(403);
    // dana (police-nl's DPO) is no recipient: to her the disclosure does not exist.
    expect((await gw.http.get(`/api/v1/requests/${id}/disclosure`).set(bearer('dana'))).status).toBe(404);
    const reads = (await gw.store.audit.read(1, 100_000)).filter(
      (e) => e.requestId === id && e.type === 'disclosure.read',
    );
    expect(reads.map((e) => [e.actorUser, e.data.reader])).toEqual([['tom', 'team']]);
  });

  it('denies a request naming a team the analyst is not in', async () => {
    const res = await gw.http
      .post('/api/v1/requests')
      .set(bearer('anna'))
      .send(boatRequest({ recipients: { team: 'financial-crime' } }));
    expect(res.status).toBe(403);
    expect(res.body.decision.safes.output.reasons.map((r: { code: string }) => r.code)).toEqual([
      'OUTPUT_RECIPIENT_NOT_ALLOWED',
    ]);
  });
});
