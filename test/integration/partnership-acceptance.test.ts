/**
 * Agreements accepted by every party, over HTTP: a party's legal person withdraws and accepts the exact
 * version loaded (its digest), with its confidentiality commitment; the project safe refuses until
 * every party accepted it; a new version of the bundle needs every party's acceptance again.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { copyOfDemo, DEMO_POLICIES, edit } from '../helpers/bundle-copy';
import { boatRequest, createTestGateway, type TestGateway } from '../helpers/gateway';
import { dropSchema, freshSchema } from '../postgres/pg-db';

const projectCodes = (body: { decision: { safes: { project: { reasons: { code: string }[] } } } }) =>
  body.decision.safes.project.reasons.map((r) => r.code);

describe('accepting and withdrawing', () => {
  let gw: TestGateway;
  const tokens: Record<string, string> = {};
  const auth = (user: string) => ({ Authorization: `Bearer ${tokens[user]}` });
  const status = (user = 'ruben') =>
    gw.http.get('/api/v1/agreements/stolen-boats/acceptances').set(auth(user));
  const accept = (user: string, body: object) =>
    gw.http.post('/api/v1/agreements/stolen-boats/acceptance').set(auth(user)).send(body);
  const withdraw = (user: string, reason = 'Our board has not signed the new covenant.') =>
    gw.http.post('/api/v1/agreements/stolen-boats/withdrawal').set(auth(user)).send({ reason });

  beforeAll(async () => {
    gw = await createTestGateway();
    for (const user of ['anna', 'ruben', 'joost', 'lotte', 'sam', 'dana', 'ada', 'bram'])
      tokens[user] = await gw.token(user);
  });
  afterAll(async () => gw?.close());

  it('shows the version loaded, in force, with every party’s acceptance', async () => {
    const res = await status();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      agreementId: 'stolen-boats',
      version: 4,
      inForce: true,
      notInForce: [],
    });
    expect(res.body.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(res.body.confidentiality.text).toMatch(/confidential/);
    expect(res.body.parties.map((p: { partnerId: string }) => p.partnerId)).toEqual([
      'police-nl',
      'boatreg-nl',
      'insureco',
    ]);
    for (const party of res.body.parties)
      expect(party.acceptance).toMatchObject({ version: 4, current: true });
  });

  it('denies requests under the agreement once a party withdraws', async () => {
    const res = await withdraw('ruben');
    expect(res.status).toBe(200);
    expect(res.body.inForce).toBe(false);
    expect(res.body.notInForce).toEqual([{ code: 'awaiting-parties', parties: ['boatreg-nl'] }]);
    expect(res.body.history[0]).toMatchObject({
      action: 'withdraw',
      partnerId: 'boatreg-nl',
      by: { partnerId: 'boatreg-nl', userId: 'ruben' },
      role: 'legal',
    });
    const denied = await gw.http.post('/api/v1/requests').set(auth('anna')).send(boatRequest());
    expect(denied.status).toBe(403);
    expect(projectCodes(denied.body)).toContain('PROJECT_AGREEMENT_NOT_ACCEPTED');
    // Nothing left to withdraw.
    expect((await withdraw('ruben')).status).toBe(409);
  });

  it('refuses an acceptance of another version or digest than the one loaded (409)', async () => {
    const { digest } = (await status()).body;
    const stale = await accept('ruben', { version: 3, digest, confidentiality: true });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ currentVersion: 4, currentDigest: digest });
    const otherDigest = await accept('ruben', { version: 4, digest: 'a'.repeat(64), confidentiality: true });
    expect(otherDigest.status).toBe(409);
    expect(otherDigest.body.detail).toContain(digest);
  });

  it('needs the confidentiality commitment accepted too', async () => {
    const { digest } = (await status()).body;
    const res = await accept('ruben', { version: 4, digest, confidentiality: false });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/confidentiality']);
    const missing = await accept('ruben', { version: 4, digest });
    expect(missing.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/confidentiality']);
  });

  it('puts the agreement back in force when the party accepts the current digest; twice records once', async () => {
    const { digest } = (await status()).body;
    const first = await accept('ruben', { version: 4, digest, confidentiality: true });
    expect(first.status).toBe(201);
    expect(first.body.inForce).toBe(true);
    const again = await accept('ruben', { version: 4, digest, confidentiality: true });
    expect(again.status).toBe(200);
    expect(again.body.history).toHaveLength(first.body.history.length);
    expect((await gw.http.post('/api/v1/requests').set(auth('anna')).send(boatRequest())).status).toBe(201);
  });

  it('refuses a legal person of a non-party, and a person without the legal role', async () => {
    const { digest } = (await status()).body;
    const body = { version: 4, digest, confidentiality: true };
    expect((await accept('joost', body)).status).toBe(403);
    expect((await withdraw('joost')).status).toBe(403);
    expect((await accept('anna', body)).status).toBe(403);
    expect((await withdraw('bram')).status).toBe(403);
    // Another partnership's agreement does not exist for joost.
    expect((await status('joost')).status).toBe(404);
  });

  it('lets any accredited person of a party, DPOs in scope and the gateway’s admins read it', async () => {
    for (const user of ['anna', 'bram', 'lotte', 'dana', 'sam', 'ada'])
      expect((await status(user)).status).toBe(200);
    expect((await gw.http.get('/api/v1/agreements/nothing/acceptances').set(auth('sam'))).status).toBe(404);
  });

  it('logs each acceptance and withdrawal as agreement.acceptance, the reason as a digest', async () => {
    const log = await gw.http.get('/api/v1/audit/events?type=agreement.acceptance').set(auth('sam'));
    const ruben = log.body.items.filter(
      (e: { actorUser: string; actorPartner: string }) =>
        e.actorUser === 'ruben' && e.actorPartner === 'boatreg-nl',
    );
    expect(ruben.map((e: { outcome: string }) => e.outcome)).toEqual(['accept', 'withdraw']);
    expect(ruben[1].data.reasonDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(log.body)).not.toContain('board has not signed');
  });
});

describe('a new version of the agreement', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-accept-'));
  const policies = copyOfDemo();
  // The demo issuers' keys sit beside the bundle (../config/demo).
  fs.cpSync(path.resolve(DEMO_POLICIES, '../config/demo'), path.resolve(policies, '../config/demo'), {
    recursive: true,
  });
  // One store for both gateways: on PostgreSQL, one schema (dropped below).
  const schema = process.env.FSG_TEST_STORE === 'postgres' ? freshSchema() : undefined;
  const env = {
    FSG_DATA_DIR: dataDir,
    FSG_POLICY_DIR: policies,
    ...(schema ? { FSG_DATABASE_SCHEMA: schema } : {}),
  };
  let gw: TestGateway;

  afterAll(async () => {
    await gw?.close();
    if (schema) await dropSchema(schema);
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(path.dirname(policies), { recursive: true, force: true });
  });

  it('is not in force until every party accepted it', async () => {
    // The demo accepts version 4 for every party at the first start.
    const first = await createTestGateway(env);
    const anna = await first.token('anna');
    expect(
      (await first.http.post('/api/v1/requests').set('Authorization', `Bearer ${anna}`).send(boatRequest()))
        .status,
    ).toBe(201);
    await first.close();

    edit(path.join(policies, 'agreements', 'stolen-boats.yaml'), /^version: 4$/m, 'version: 5');
    gw = await createTestGateway(env);
    const auth = async (user: string) => ({ Authorization: `Bearer ${await gw.token(user)}` });
    const request = async () =>
      gw.http
        .post('/api/v1/requests')
        .set(await auth('anna'))
        .send(boatRequest());

    const denied = await request();
    expect(denied.status).toBe(403);
    expect(projectCodes(denied.body)).toContain('PROJECT_AGREEMENT_NOT_ACCEPTED');
    const status = await gw.http.get('/api/v1/agreements/stolen-boats/acceptances').set(await auth('lotte'));
    expect(status.body).toMatchObject({ version: 5, inForce: false });
    expect(status.body.parties[0].acceptance).toMatchObject({ version: 4, current: false });
    const { digest } = status.body;

    for (const [i, user] of ['lotte', 'ruben', 'ivo'].entries()) {
      const accepted = await gw.http
        .post('/api/v1/agreements/stolen-boats/acceptance')
        .set(await auth(user))
        .send({ version: 5, digest, confidentiality: true });
      expect(accepted.status).toBe(201);
      expect(accepted.body.inForce).toBe(i === 2);
      expect((await request()).status).toBe(i === 2 ? 201 : 403);
    }
  });
});
