/**
 * Hole 2 of issue 15: every read of released data passes the people and setting safes for the reader,
 * under the request's agreement, with the functions decide() uses. A refused read is a 403 that names
 * the failing codes, and it is logged.
 */
import type { AuditEntry } from '../../src/audit/types';
import { screeningEvent } from '../../src/partnership/events';
import { portalSession, portalTokenSession } from '../helpers/portal-session';
import { boatRequest, createTestGateway, vesselAnswer, type TestGateway } from '../helpers/gateway';

let gw: TestGateway;
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const tokens: Record<string, string> = {};
let id: string;

beforeAll(async () => {
  // Proxy-aware on loopback, so a test can come from another network through X-Forwarded-For.
  gw = await createTestGateway({ FSG_TRUST_PROXY: 'loopback' });
  for (const user of ['anna', 'tom', 'bram', 'ada']) tokens[user] = await gw.token(user);
  tokens.annaNoMfa = await gw.token('anna', { mfa: false });
  // A disclosure for anna and her team (vehicle-crime, which tom is in too).
  const created = await gw.http
    .post('/api/v1/requests')
    .set(bearer(tokens.anna))
    .send(boatRequest({ recipients: { team: 'vehicle-crime' } }));
  expect(created.status).toBe(201);
  id = created.body.id;
  const answered = await gw.http
    .post(`/api/v1/requests/${id}/answer`)
    .set(bearer(tokens.bram))
    .send(vesselAnswer());
  const { previewVersion } = answered.body as { previewVersion: number };
  const approved = await gw.http
    .post(`/api/v1/requests/${id}/approve`)
    .set(bearer(tokens.bram))
    .send({ previewVersion });
  expect(approved.status).toBe(200);
});
afterAll(() => gw.close());

const read = (token: string, from?: string) => {
  const req = gw.http.get(`/api/v1/requests/${id}/disclosure`).set(bearer(token));
  return from ? req.set('X-Forwarded-For', from) : req;
};

async function readEntries(): Promise<AuditEntry[]> {
  return (await gw.store.audit.read(1, 100_000)).filter(
    (e) => e.requestId === id && e.type === 'disclosure.read',
  );
}

interface Refusal {
  status: number;
  headers: Record<string, string>;
  body: { records?: unknown; decision: { safes: Record<string, { reasons: { code: string }[] }> } };
}

/** The refusal: 403 problem+json naming the codes, nothing released, and a `denied` read in the log. */
async function expectRefused(res: Refusal, user: string, wanted: string[]) {
  expect(res.status).toBe(403);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body.records).toBeUndefined();
  expect(JSON.stringify(res.body)).not.toContain('psn_');
  const reported = Object.values(res.body.decision.safes).flatMap((s) => s.reasons.map((r) => r.code));
  expect(reported).toEqual(expect.arrayContaining(wanted));
  const last = (await readEntries()).at(-1)!;
  expect(last).toMatchObject({ actorUser: user, actorPartner: 'police-nl', outcome: 'denied' });
  const logged = Object.values(last.data.safes as Record<string, { codes: string[] }>).flatMap(
    (s) => s.codes,
  );
  expect(logged.sort()).toEqual(reported.sort());
  expect(last.data.recordDigests).toBeUndefined();
}

describe('hole 2: reading a disclosure passes the safes', () => {
  it('hole 2: a good read still works, and is logged', async () => {
    const res = await read(tokens.anna);
    expect(res.status).toBe(200);
    expect(res.body.records.length).toBeGreaterThan(0);
    expect((await readEntries()).at(-1)).toMatchObject({ actorUser: 'anna', outcome: 'read' });
  });

  it('hole 2: a team member whose training is out of date is refused, and it is logged', async () => {
    // tom is in anna's team; his training is 500 days old, the agreement allows 365.
    await expectRefused(await read(tokens.tom), 'tom', ['PEOPLE_TRAINING_OUTDATED']);
  });

  it('hole 2: a token without MFA is refused, and it is logged', async () => {
    await expectRefused(await read(tokens.annaNoMfa), 'anna', ['SETTING_MFA_REQUIRED']);
  });

  it('hole 2: a read from outside the partner’s networks is refused, and it is logged', async () => {
    await expectRefused(await read(tokens.anna, '198.18.0.7'), 'anna', ['SETTING_NETWORK_NOT_ALLOWED']);
    expect((await read(tokens.anna, '10.10.3.4')).status).toBe(200);
  });

  it('hole 2: a vetting level below the agreement’s minimum is refused, and it is logged', async () => {
    const anna = (await gw.store.accreditations.get('police-nl', 'anna'))!;
    await gw.store.accreditations.put({ ...anna, vettingLevel: 1 }, []);
    try {
      await expectRefused(await read(tokens.anna), 'anna', ['PEOPLE_VETTING_INSUFFICIENT']);
    } finally {
      await gw.store.accreditations.put(anna, []);
    }
  });

  it('hole 2: a suspended or expired recipient is refused, and it is logged', async () => {
    const anna = (await gw.store.accreditations.get('police-nl', 'anna'))!;
    await gw.store.accreditations.put({ ...anna, suspended: true }, []);
    try {
      await expectRefused(await read(tokens.anna), 'anna', ['PEOPLE_SUSPENDED']);
      await gw.store.accreditations.put({ ...anna, expiresOn: '2020-01-01' }, []);
      await expectRefused(await read(tokens.anna), 'anna', ['PEOPLE_ACCREDITATION_EXPIRED']);
    } finally {
      await gw.store.accreditations.put(anna, []);
    }
    expect((await read(tokens.anna)).status).toBe(200);
  });

  it('hole 2: the team member reads once the training is renewed', async () => {
    const tom = (await gw.store.accreditations.get('police-nl', 'tom'))!;
    await gw.store.accreditations.put({ ...tom, trainedOn: new Date().toISOString().slice(0, 10) }, []);
    try {
      const res = await read(tokens.tom);
      expect(res.status).toBe(200);
      expect((await readEntries()).at(-1)).toMatchObject({ actorUser: 'tom', outcome: 'read' });
    } finally {
      await gw.store.accreditations.put(tom, []);
    }
  });

  it('hole 2: the portal’s disclosure page passes the same safes', async () => {
    // Signed in with a token without MFA: the page is refused like the API.
    const { cookie } = await portalTokenSession(gw.http, tokens.annaNoMfa);
    const page = await gw.http
      .get(`/portal/requests/${id}/disclosure`)
      .set('Cookie', cookie)
      .set('Accept', 'text/html');
    expect(page.status).toBe(403);
    expect(page.text).toContain('SETTING_MFA_REQUIRED');
    expect(page.text).not.toContain('psn_');
    expect((await readEntries()).at(-1)).toMatchObject({ actorUser: 'anna', outcome: 'denied' });

    const tom = await portalSession(gw.http, 'tom');
    const tomPage = await gw.http.get(`/portal/requests/${id}/disclosure`).set('Cookie', tom.cookie);
    expect(tomPage.status).toBe(403);
    expect(tomPage.text).toContain('PEOPLE_TRAINING_OUTDATED');

    const anna = await portalSession(gw.http, 'anna');
    expect((await gw.http.get(`/portal/requests/${id}/disclosure`).set('Cookie', anna.cookie)).status).toBe(
      200,
    );
  });

  it('hole 2: the request and its receipt carry no released records', async () => {
    const disclosed = await read(tokens.anna);
    const pseudonym = disclosed.body.records[0].owner.name as string;
    expect(pseudonym).toMatch(/^psn_/);
    for (const path of [`/api/v1/requests/${id}`, `/api/v1/requests/${id}/receipt`]) {
      const res = await gw.http.get(path).set(bearer(tokens.anna));
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body)).not.toContain(pseudonym);
      expect(JSON.stringify(res.body)).not.toContain('Bayliner');
    }
  });

  it('issue 21: a reader whose partner the partnership no longer clears reads nothing, and it is logged', async () => {
    expect((await read(tokens.anna)).status).toBe(200);
    const refused = {
      partnerId: 'police-nl',
      reviewedOn: '2026-12-01',
      reviewer: { partnerId: 'gateway', userId: 'ada' },
      outcome: 'refused' as const,
      conditions: [],
      riskNotes: 'Breach under investigation.',
      contact: { name: 'Desk', email: 'desk@example.org' },
      nextReviewOn: '2027-12-01',
    };
    await gw.partnership.recordScreenings([refused], [screeningEvent(refused, gw.partnership.digest)]);
    try {
      const denied = await read(tokens.anna);
      expect(denied.status).toBe(403);
      expect(JSON.stringify(denied.body)).toContain('PROJECT_PARTNER_NOT_CLEARED');
      expect(denied.body).not.toHaveProperty('records');
      expect((await readEntries()).at(-1)).toMatchObject({ actorUser: 'anna', outcome: 'denied' });
    } finally {
      const cleared = { ...refused, outcome: 'cleared' as const };
      await gw.partnership.recordScreenings([cleared], [screeningEvent(cleared, gw.partnership.digest)]);
    }
    expect((await read(tokens.anna)).status).toBe(200);
  });
});
