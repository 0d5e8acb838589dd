/**
 * Attacks on the partnership (issue 21): data leaving after the partnership stopped clearing it. A
 * request permitted while every party was cleared and had accepted the agreement can wait in the
 * provider's inbox for days; its release must be judged by the partnership as it stands then.
 */
import { MAX_ACCEPTANCE_CHANGES_PER_DAY } from '../../src/partnership/acceptance';
import { acceptanceEvent, screeningEvent } from '../../src/partnership/events';
import { MAX_OUTCOMES_PER_SOURCE } from '../../src/partnership/outcomes';
import { PartnershipRegistry } from '../../src/partnership/registry';
import type { Acceptance, Screening } from '../../src/partnership/types';
import type { PartnershipRecord, Store } from '../../src/store/port';
import {
  boatLookup,
  boatRequest,
  createTestGateway,
  vesselAnswer,
  type TestGateway,
} from '../helpers/gateway';
import { boatregDpoToken } from '../helpers/boatreg-dpo';
import { boatQuestion } from '../helpers/questions';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('releasing an answer prepared before the partnership changed', () => {
  let gw: TestGateway;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    gw = await createTestGateway();
    for (const user of ['anna', 'bram', 'ruben']) tokens[user] = await gw.token(user);
  });
  afterAll(async () => gw?.close());

  /** A request of anna's to boatreg-nl, answered by bram: a preview waiting for approval. */
  async function answered(caseRef: string): Promise<{ id: string; previewVersion: number }> {
    const created = await gw.http
      .post('/api/v1/requests')
      .set(bearer(tokens.anna))
      .send(boatRequest({ caseRef }));
    expect(created.status).toBe(201);
    expect(created.body.state).toBe('awaiting_provider');
    const res = await gw.http
      .post(`/api/v1/requests/${created.body.id}/answer`)
      .set(bearer(tokens.bram))
      .send(vesselAnswer());
    expect(res.status).toBe(200);
    return { id: created.body.id as string, previewVersion: res.body.previewVersion as number };
  }

  const approve = (r: { id: string; previewVersion: number }) =>
    gw.http
      .post(`/api/v1/requests/${r.id}/approve`)
      .set(bearer(tokens.bram))
      .send({ previewVersion: r.previewVersion });

  async function expectNothingReleased(id: string, res: { status: number; body: unknown }, code: string) {
    expect(res.status).toBe(403);
    expect(JSON.stringify(res.body)).toContain(code);
    expect(JSON.stringify(res.body)).not.toContain('psn_');
    const stored = await gw.store.requests.get(id);
    expect(stored?.state).toBe('answered');
    expect(stored?.disclosure ?? null).toBeNull();
  }

  it('a provider refused by its screening cannot release an answer it prepared before', async () => {
    const pending = await answered('NL-2026-000901');
    const [current] = (await gw.partnership.screenings('boatreg-nl')).slice(-1);
    const refused: Screening = { ...current.record, outcome: 'refused' };
    await gw.partnership.recordScreenings([refused], [screeningEvent(refused, gw.partnership.digest)]);
    try {
      await expectNothingReleased(pending.id, await approve(pending), 'PROJECT_PARTNER_NOT_CLEARED');
    } finally {
      await gw.partnership.recordScreenings(
        [current.record],
        [screeningEvent(current.record, gw.partnership.digest)],
      );
    }
    // Cleared again, the same preview is released.
    expect((await approve(pending)).status).toBe(200);
  });

  it('a requester refused by its screening is not released an answer either', async () => {
    const pending = await answered('NL-2026-000902');
    const [current] = (await gw.partnership.screenings('police-nl')).slice(-1);
    const lapsed: Screening = { ...current.record, reviewedOn: '2020-01-01', nextReviewOn: '2021-01-01' };
    await gw.partnership.recordScreenings([lapsed], [screeningEvent(lapsed, gw.partnership.digest)]);
    try {
      await expectNothingReleased(pending.id, await approve(pending), 'PROJECT_PARTNER_SCREENING_LAPSED');
    } finally {
      await gw.partnership.recordScreenings(
        [current.record],
        [screeningEvent(current.record, gw.partnership.digest)],
      );
    }
  });

  it('a party’s withdrawal takes effect at once: an answer prepared before it is not released', async () => {
    const pending = await answered('NL-2026-000903');
    const status = await gw.http.get('/api/v1/agreements/stolen-boats/acceptances').set(bearer(tokens.ruben));
    const withdrawn = await gw.http
      .post('/api/v1/agreements/stolen-boats/withdrawal')
      .set(bearer(tokens.ruben))
      .send({ reason: 'The board withdraws until the covenant is signed.' });
    expect(withdrawn.status).toBe(200);
    try {
      await expectNothingReleased(pending.id, await approve(pending), 'PROJECT_AGREEMENT_NOT_ACCEPTED');
    } finally {
      const again = await gw.http
        .post('/api/v1/agreements/stolen-boats/acceptance')
        .set(bearer(tokens.ruben))
        .send({ version: status.body.version, digest: status.body.digest, confidentiality: true });
      expect(again.status).toBe(201);
    }
    expect((await approve(pending)).status).toBe(200);
  });
});

describe('the facts a decision reads after a change', () => {
  /** A store whose ledger reads wait until released: a snapshot being built while a change is recorded. */
  function slowLedger() {
    const rows: PartnershipRecord[] = [];
    let hold: Promise<void> | undefined;
    let release = () => {};
    const store = {
      kind: 'sqlite',
      partnership: {
        async list(kind: string) {
          const snapshot = rows.filter((r) => r.kind === kind);
          await hold;
          return snapshot;
        },
        async add(records: Omit<PartnershipRecord, 'seq'>[]) {
          return records.map((r) => rows.push({ ...r, seq: rows.length + 1 }));
        },
      },
    } as unknown as Store;
    return {
      store,
      holdReads() {
        hold = new Promise((resolve) => (release = resolve));
      },
      release: () => release(),
    };
  }

  it('a decision asked after a withdrawal was recorded never gets facts read before it', async () => {
    const ledger = slowLedger();
    const registry = new PartnershipRegistry(
      ledger.store,
      () => new Date('2026-12-03T10:00:00Z'),
      Infinity,
      Buffer.alloc(32, 7),
    );
    const acceptance: Acceptance = {
      agreementId: 'stolen-boats',
      partnerId: 'boatreg-nl',
      action: 'accept',
      version: 4,
      digest: 'd'.repeat(64),
      confidentialityDigest: null,
      by: { partnerId: 'boatreg-nl', userId: 'ruben' },
      role: 'legal',
    };
    await registry.recordAcceptances([acceptance], [acceptanceEvent(acceptance, registry.digest)]);
    // A decision starts reading the ledger; the read is slow.
    ledger.holdReads();
    const before = registry.facts();
    // Meanwhile the party withdraws, and the withdrawal is answered.
    const withdrawal: Acceptance = { ...acceptance, action: 'withdraw', reason: 'no longer' };
    await registry.recordAcceptances([withdrawal], [acceptanceEvent(withdrawal, registry.digest)]);
    // A decision made after that must see the withdrawal.
    const after = registry.facts();
    ledger.release();
    await before;
    expect((await after).accepted.get('stolen-boats')?.get('boatreg-nl')).toBeUndefined();
  });
});

describe('writing without end', () => {
  let gw: TestGateway;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    gw = await createTestGateway();
    for (const user of ['anna', 'bram']) tokens[user] = await gw.token(user);
  });
  afterAll(async () => gw?.close());

  it('one disclosure keeps a bounded number of outcomes', async () => {
    const created = await gw.http.post('/api/v1/requests').set(bearer(tokens.anna)).send(boatRequest());
    const id = created.body.id as string;
    const answered = await gw.http
      .post(`/api/v1/requests/${id}/answer`)
      .set(bearer(tokens.bram))
      .send(vesselAnswer());
    await gw.http
      .post(`/api/v1/requests/${id}/approve`)
      .set(bearer(tokens.bram))
      .send({ previewVersion: answered.body.previewVersion })
      .expect(200);
    const post = () =>
      gw.http
        .post(`/api/v1/requests/${id}/outcomes`)
        .set(bearer(tokens.anna))
        .send({ kind: 'no-value', note: 'x'.repeat(500) });
    for (let i = 0; i < MAX_OUTCOMES_PER_SOURCE; i++) expect((await post()).status).toBe(201);
    const refused = await post();
    expect(refused.status).toBe(409);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    const kept = await gw.http.get(`/api/v1/requests/${id}/outcomes`).set(bearer(tokens.anna)).expect(200);
    expect(kept.body.items).toHaveLength(MAX_OUTCOMES_PER_SOURCE);
  });

  it('the analyst’s note stays with the requester: the provider learns what it led to, not the note', async () => {
    const created = await gw.http
      .post('/api/v1/requests')
      .set(bearer(tokens.anna))
      .send(boatRequest({ caseRef: 'NL-2026-000931' }));
    const id = created.body.id as string;
    const answered = await gw.http
      .post(`/api/v1/requests/${id}/answer`)
      .set(bearer(tokens.bram))
      .send(vesselAnswer());
    await gw.http
      .post(`/api/v1/requests/${id}/approve`)
      .set(bearer(tokens.bram))
      .send({ previewVersion: answered.body.previewVersion })
      .expect(200);
    // Police information, about a person: no Five Safes decision lets it go to the company.
    const note = 'Suspect K. Jansen (born 1985) arrested at the marina';
    await gw.http
      .post(`/api/v1/requests/${id}/outcomes`)
      .set(bearer(tokens.anna))
      .send({ kind: 'suspect-identified', note })
      .expect(201);
    const own = await gw.http.get(`/api/v1/requests/${id}/outcomes`).set(bearer(tokens.anna)).expect(200);
    expect(own.body.items[0].note).toBe(note);
    const provider = await gw.http
      .get(`/api/v1/requests/${id}/outcomes`)
      .set(bearer(tokens.bram))
      .expect(200);
    expect(provider.body.items).toHaveLength(1);
    expect(provider.body.items[0].kind).toBe('suspect-identified');
    expect(JSON.stringify(provider.body)).not.toContain('Jansen');
  });
});

describe('names that objects inherit', () => {
  let gw: TestGateway;
  let anna: string;

  beforeAll(async () => {
    gw = await createTestGateway();
    anna = await gw.token('anna');
  });
  afterAll(async () => gw?.close());

  it('a request to a provider named "constructor" finds no contacts in the agreement', async () => {
    const created = await gw.http
      .post('/api/v1/requests')
      .set(bearer(anna))
      .send(boatRequest({ providerId: 'constructor' }));
    const id = (created.body.id ?? created.body.requestId) as string;
    expect(id).toBeDefined();
    const res = await gw.http.get(`/api/v1/requests/${id}`).set(bearer(anna));
    expect(res.status).toBe(200);
    expect(res.body.contacts).toEqual({ requester: expect.any(Object), provider: null });
  });

  it('a request’s contacts name whom to call, never another partner’s user ids', async () => {
    const created = await gw.http.post('/api/v1/requests').set(bearer(anna)).send(boatRequest());
    const res = await gw.http.get(`/api/v1/requests/${created.body.id}`).set(bearer(anna));
    expect(res.status).toBe(200);
    const provider = res.body.contacts.provider as Record<string, Record<string, unknown>>;
    expect(provider.contactPoint).toMatchObject({ name: expect.any(String), email: expect.any(String) });
    for (const contact of Object.values(provider)) expect(contact).not.toHaveProperty('userId');
  });
});

describe('what a provider’s DPO learns of another provider’s hits', () => {
  let gw: TestGateway;
  const auth: Record<string, { Authorization: string }> = {};

  beforeAll(async () => {
    gw = await createTestGateway({ FSG_DEMO_DATASETS: 'true' });
    auth.anna = bearer(await gw.token('anna'));
    auth.bea = bearer(await boatregDpoToken(gw));
  });
  afterAll(async () => gw?.close());

  it('the outcome of a lookup does not tell one provider’s DPO that another provider was hit too', async () => {
    const lookup = await gw.http
      .post('/api/v1/lookups')
      .set(auth.anna)
      .send({
        agreementId: 'stolen-boats',
        purpose: 'stolen-property-investigation',
        caseRef: 'NL-2026-000778',
        identifiers: [{ type: 'hin', value: 'NL-HXAB7A33G293' }],
      });
    const hitBy = new Set(lookup.body.hits.map((h: { providerId: string }) => h.providerId));
    expect(hitBy).toEqual(new Set(['boatreg-nl', 'insureco']));
    await gw.http
      .post(`/api/v1/lookups/${lookup.body.id}/outcomes`)
      .set(auth.anna)
      .send({ kind: 'object-recovered' })
      .expect(201);
    // The lookup itself is cut for boatreg-nl's DPO (security/partner-views); so must be what it led to.
    const events = await gw.http.get('/api/v1/audit/events?type=outcome.recorded').set(auth.bea);
    expect(events.status).toBe(200);
    expect(events.body.items).toHaveLength(1);
    expect(JSON.stringify(events.body.items)).not.toContain('insureco');
    // Nor the digest of the analyst's note, which the provider does not read (a guess could be tried on it).
    expect(events.body.items[0].data).not.toHaveProperty('noteDigest');
    // Nor does filtering by the other provider find it.
    const filtered = await gw.http
      .get('/api/v1/audit/events?type=outcome.recorded&partner=insureco')
      .set(auth.bea);
    expect(filtered.body.items).toHaveLength(0);
  });
});

describe('a requester the partnership no longer clears', () => {
  let gw: TestGateway;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    gw = await createTestGateway({ FSG_DEMO_DATASETS: 'true' });
    for (const user of ['anna', 'bram']) tokens[user] = await gw.token(user);
    const [current] = (await gw.partnership.screenings('police-nl')).slice(-1);
    const refused: Screening = { ...current.record, outcome: 'refused' };
    await gw.partnership.recordScreenings([refused], [screeningEvent(refused, gw.partnership.digest)]);
  });
  afterAll(async () => gw?.close());

  it('looks nothing up: the lookup is denied with the code, and no hit leaves', async () => {
    const res = await gw.http.post('/api/v1/lookups').set(bearer(tokens.anna)).send(boatLookup());
    expect(JSON.stringify(res.body)).toContain('PROJECT_PARTNER_NOT_CLEARED');
    expect(res.body.hits ?? []).toEqual([]);
  });

  it('asks no provider: every request of the question is denied, and no inbox holds it', async () => {
    const res = await gw.http.post('/api/v1/questions').set(bearer(tokens.anna)).send(boatQuestion());
    expect(res.status).toBe(201);
    expect(res.body.requests.length).toBeGreaterThan(0);
    for (const r of res.body.requests) expect(r.state).toBe('denied');
    const inbox = await gw.http.get('/api/v1/inbox').set(bearer(tokens.bram)).expect(200);
    expect(JSON.stringify(inbox.body)).not.toContain('Lelystad');
  });
});

describe('a question past its lapse, before the sweep', () => {
  let gw: TestGateway;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    gw = await createTestGateway();
    for (const user of ['anna', 'bram']) tokens[user] = await gw.token(user);
  });
  afterAll(async () => gw?.close());

  it('is not released: the question lapsed with the agreement’s retention', async () => {
    const asked = await gw.http.post('/api/v1/questions').set(bearer(tokens.anna)).send(boatQuestion());
    const mine = (asked.body.requests as { providerId: string; requestId: string }[]).find(
      (r) => r.providerId === 'boatreg-nl',
    )!;
    const answered = await gw.http
      .post(`/api/v1/requests/${mine.requestId}/answer`)
      .set(bearer(tokens.bram))
      .send(vesselAnswer());
    expect(answered.status).toBe(200);
    // Past the retention (30 days for stolen-boats), and no sweep has run yet.
    gw.advance(31 * 24 * 60 * 60 * 1000);
    const res = await gw.http
      .post(`/api/v1/requests/${mine.requestId}/approve`)
      .set(bearer(tokens.bram))
      .send({ previewVersion: answered.body.previewVersion });
    expect(res.status).toBe(410);
    expect((await gw.store.requests.get(mine.requestId))?.disclosure ?? null).toBeNull();
  });
});

describe('a legal person toggling an acceptance', () => {
  let gw: TestGateway;
  let ruben: { Authorization: string };

  beforeAll(async () => {
    gw = await createTestGateway();
    ruben = bearer(await gw.token('ruben'));
  });
  afterAll(async () => gw?.close());

  it('grows the ledger (which every decision reads) by a bounded number of changes a day', async () => {
    const status = await gw.http.get('/api/v1/agreements/stolen-boats/acceptances').set(ruben).expect(200);
    const accept = () =>
      gw.http
        .post('/api/v1/agreements/stolen-boats/acceptance')
        .set(ruben)
        .send({ version: status.body.version, digest: status.body.digest, confidentiality: true });
    const withdraw = () =>
      gw.http
        .post('/api/v1/agreements/stolen-boats/withdrawal')
        .set(ruben)
        .send({ reason: 'x'.repeat(2000) });
    const before = (await gw.partnership.acceptances('stolen-boats')).length;
    let refused: { status: number; headers: Record<string, string> } | undefined;
    for (let i = 0; i < 100 && !refused; i++) {
      const res = await (i % 2 === 0 ? withdraw() : accept());
      if (res.status >= 400) refused = res;
    }
    expect(refused?.status).toBe(429);
    expect(refused?.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await gw.partnership.acceptances('stolen-boats')).length - before).toBe(
      MAX_ACCEPTANCE_CHANGES_PER_DAY,
    );
    // The next day the party may act again.
    gw.advance(24 * 60 * 60 * 1000);
    expect((await accept()).status).toBeLessThan(300);
  });
});
