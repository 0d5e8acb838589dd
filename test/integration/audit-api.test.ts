/**
 * The DPO API over HTTP: search (filters, keyed-hash identifier and subject search, cursor paging),
 * verification, checkpoints and consistency, proofs, statistics, exports, receipts; and partner
 * scoping through every audit route: dana (police-nl's DPO) never sees an entry without police-nl,
 * sam (the supervisor's DPO) sees all, non-DPOs get 403.
 */
import fs from 'node:fs';
import path from 'node:path';
import { canonicalJson } from '../../src/audit/chain';
import { readPublicKey } from '../../src/audit/checkpoint';
import { verifyExportFile } from '../../src/audit/export';
import { fromHex, verifyConsistency } from '../../src/audit/merkle';
import { receiptText, verifyReceipt, type Receipt } from '../../src/audit/receipts';
import type { AuditEntry } from '../../src/audit/types';
import { boatRequest, createTestGateway, vesselAnswer, type TestGateway } from '../helpers/gateway';

let gw: TestGateway;
const tokens: Record<string, string> = {};
const auth = (user: string) => ({ Authorization: `Bearer ${tokens[user]}` });

const VIN = '1M8GDM9AXKP042788';
let annaId: string;
let svenId: string;
let svenDeniedId: string;
let approvedReceipt: Receipt;

function carRequest(overrides: Record<string, unknown> = {}) {
  return {
    agreementId: 'stolen-vehicles',
    providerId: 'autodealers-nl',
    datasetId: 'sales-ledger',
    identifiers: [{ type: 'vin', value: VIN }],
    recordRefs: [],
    fields: ['identifier', 'linkId', 'objectType', 'status', 'make', 'model', 'owner.name'],
    purpose: 'stolen-property-investigation',
    caseRef: 'SE-2026-000042',
    ...overrides,
  };
}

const carAnswer = {
  records: [
    {
      sourceRef: 'AD-77',
      linkId: 'car-77',
      objectType: 'vehicle',
      status: 'registered',
      make: 'Volvo',
      model: 'V70',
      identifier: { type: 'vin', value: VIN },
      owner: { name: 'Erik Svensson' },
    },
  ],
};

beforeAll(async () => {
  gw = await createTestGateway();
  for (const user of ['anna', 'bram', 'sven', 'dirk', 'dana', 'sam', 'ada'])
    tokens[user] = await gw.token(user);

  // police-nl ↔ boatreg-nl: anna's request, disclosed by bram; one denial.
  annaId = (await gw.http.post('/api/v1/requests').set(auth('anna')).send(boatRequest())).body.id;
  const annaAnswer = await gw.http
    .post(`/api/v1/requests/${annaId}/answer`)
    .set(auth('bram'))
    .send(vesselAnswer());
  const approved = await gw.http
    .post(`/api/v1/requests/${annaId}/approve`)
    .set(auth('bram'))
    .send({ previewVersion: annaAnswer.body.previewVersion });
  expect(approved.status).toBe(200);
  approvedReceipt = approved.body.receipt;
  await gw.http
    .post('/api/v1/requests')
    .set(auth('anna'))
    .send(boatRequest({ fields: ['owner.address'] }));

  // police-se ↔ autodealers-nl only: nothing here involves police-nl.
  svenId = (await gw.http.post('/api/v1/requests').set(auth('sven')).send(carRequest())).body.id;
  const answered = await gw.http.post(`/api/v1/requests/${svenId}/answer`).set(auth('dirk')).send(carAnswer);
  expect(answered.body.state).toBe('answered');
  const svenApproved = await gw.http
    .post(`/api/v1/requests/${svenId}/approve`)
    .set(auth('dirk'))
    .send({ previewVersion: answered.body.previewVersion });
  expect(svenApproved.status).toBe(200);
  const denied = await gw.http
    .post('/api/v1/requests')
    .set(auth('sven'))
    .send(carRequest({ caseRef: 'NL-1' }));
  expect(denied.status).toBe(403);
  svenDeniedId = denied.body.requestId;
});
afterAll(() => gw.close());

async function allEvents(user: string, query = ''): Promise<AuditEntry[]> {
  const items: AuditEntry[] = [];
  let cursor: string | null = null;
  do {
    const res: { status: number; body: { items: AuditEntry[]; nextCursor: string | null } } = await gw.http
      .get(`/api/v1/audit/events?limit=7${query}${cursor ? `&cursor=${cursor}` : ''}`)
      .set(auth(user));
    expect(res.status).toBe(200);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return items;
}

/** What dana must never see: anything of sven's requests, which involve only police-se and autodealers-nl. */
function foreignMarks(): string[] {
  return [svenId, svenDeniedId, '"sven"', '"dirk"', 'SE-2026-000042'];
}

function expectNoForeign(user: string, route: string, body: unknown) {
  const text = JSON.stringify(body);
  for (const mark of foreignMarks())
    expect([user, route, mark, text.includes(mark)]).toEqual([user, route, mark, false]);
}

describe('guards', () => {
  it('gives non-DPOs 403 problem+json on every audit route except the public key', async () => {
    const auditRoutes = gw.routes.filter(({ route }) => route.path.startsWith('/audit/'));
    expect(auditRoutes.length).toBeGreaterThanOrEqual(9);
    for (const user of ['anna', 'bram', 'ada']) {
      for (const { prefix, route } of auditRoutes) {
        const res = await gw.http[route.method](`${prefix}${route.path.replace(':seq', '1')}`).set(
          auth(user),
        );
        if (route.path === '/audit/checkpoints/key') {
          expect(res.status).toBe(200);
        } else {
          expect([user, route.path, res.status]).toEqual([user, route.path, 403]);
          expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        }
      }
    }
  });

  it('answers bad queries with 400 and every problem’s pointer', async () => {
    const res = await gw.http
      .get('/api/v1/audit/events?from=yesterday&limit=5000&colour=red')
      .set(auth('sam'));
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual([
      '/colour',
      '/from',
      '/limit',
    ]);
    const cursor = await gw.http.get('/api/v1/audit/events?cursor=bm9wZQ').set(auth('sam'));
    expect(cursor.status).toBe(400);
  });
});

describe('events', () => {
  it('pages through every entry for the supervisor DPO, newest first, without gaps or repeats', async () => {
    const items = await allEvents('sam');
    const seqs = items.map((e) => e.seq);
    const head = (await gw.store.audit.head())!.seq;
    expect(seqs[0]).toBeGreaterThanOrEqual(head - 1);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect([...seqs].sort((a, b) => b - a)).toEqual(seqs);
    expect(items.some((e) => e.requestId === svenId)).toBe(true);
    const asc = await allEvents('sam', '&order=asc');
    expect(asc.map((e) => e.seq)).toEqual([...seqs].reverse().filter((s) => s <= asc[asc.length - 1].seq));
  });

  it('shows a partner DPO only the entries naming their partner', async () => {
    const items = await allEvents('dana');
    expect(items.length).toBeGreaterThan(5);
    for (const e of items) expect(e.partners).toContain('police-nl');
    expect(items.some((e) => e.requestId === annaId)).toBe(true);
    expectNoForeign('dana', '/audit/events', items);
    // Asking for another partner narrows further; it never widens the scope.
    // (Policy loads name every partner, so they are the only entries naming both.)
    const both = await allEvents('dana', '&partner=autodealers-nl');
    expect(both.map((e) => e.type).every((t) => t === 'policy.load')).toBe(true);
    expectNoForeign('dana', '/audit/events?partner', both);
    const boats = await allEvents('dana', '&partner=boatreg-nl');
    expect(boats.every((e) => e.partners.includes('police-nl') && e.partners.includes('boatreg-nl'))).toBe(
      true,
    );
  });

  it('filters by request, agreement, user, type, outcome and time', async () => {
    const mine = await allEvents('sam', `&request=${annaId}&order=asc`);
    expect(mine.map((e) => `${e.type}:${e.outcome}`)).toEqual([
      'decision:permit',
      'request.state:awaiting_provider',
      'request.state:answered',
      'request.state:disclosed',
      'disclosure:disclosed',
    ]);
    const denials = await allEvents('sam', '&type=decision&outcome=deny');
    expect(denials.map((e) => e.actorUser).sort()).toEqual(['anna', 'sven']);
    const vehicles = await allEvents('sam', '&agreement=stolen-vehicles&user=autodealers-nl:dirk');
    expect(vehicles.length).toBeGreaterThan(0);
    expect(vehicles.every((e) => e.agreementId === 'stolen-vehicles' && e.actorUser === 'dirk')).toBe(true);
    const types = await allEvents('sam', '&type=disclosure,policy.load');
    expect(new Set(types.map((e) => e.type))).toEqual(new Set(['disclosure', 'policy.load']));
    const future = encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString());
    expect(await allEvents('sam', `&from=${future}`)).toEqual([]);
    expect((await allEvents('sam', `&to=${future}`)).length).toBeGreaterThan(10);
  });

  it('finds who saw data about an identifier or a person through their keyed hash', async () => {
    const vin = await allEvents('sam', `&identifier=vin:${VIN}&order=asc`);
    expect(vin.map((e) => `${e.type}:${e.outcome}`)).toEqual([
      'decision:permit',
      'disclosure:disclosed',
      'decision:deny',
    ]);
    expect(vin.map((e) => e.requestId)).toEqual([svenId, svenId, svenDeniedId]);
    expect(await allEvents('dana', `&identifier=vin:${VIN}`)).toEqual([]);

    // Normalised as the log was written: case and spacing do not matter.
    const hin = await allEvents('dana', `&identifier=${encodeURIComponent('hin:nl-hxab7a33g293')}`);
    expect(hin.map((e) => e.type).sort()).toEqual(['decision', 'disclosure', 'decision'].sort());

    const jan = await allEvents('dana', `&subject=${encodeURIComponent(' Jan Pietersen')}`);
    expect(jan.map((e) => e.type)).toEqual(['disclosure']);
    expect(jan[0].requestId).toBe(annaId);
    expect(await allEvents('dana', `&subject=${encodeURIComponent('Erik Svensson')}`)).toEqual([]);
    expect((await allEvents('sam', `&subject=${encodeURIComponent('erik svensson')}`))[0].requestId).toBe(
      svenId,
    );

    // The log itself never holds the raw values.
    const text = JSON.stringify(await allEvents('sam'));
    for (const raw of [VIN, 'Erik Svensson', 'Jan Pietersen', 'NL-HXAB7A33G293'])
      expect(text).not.toContain(raw);
  });
});

describe('searches by person or identifier', () => {
  const searches = async () =>
    (await gw.store.audit.read(1, 1_000_000)).filter((e) => e.type === 'audit.search');

  it('are logged once each, by whom, with the keyed hash only: a search is a use of the person’s data', async () => {
    const before = (await searches()).length;
    // Read one entry per page: the search is logged at its first page only.
    let cursor: string | null = null;
    let pagesRead = 0;
    do {
      const res: { body: { nextCursor: string | null } } = await gw.http
        .get(
          `/api/v1/audit/events?limit=1&identifier=${encodeURIComponent('hin:NL-HXAB7A33G293')}${cursor ? `&cursor=${cursor}` : ''}`,
        )
        .set(auth('dana'));
      cursor = res.body.nextCursor;
      pagesRead++;
    } while (cursor);
    expect(pagesRead).toBeGreaterThan(1);
    await allEvents('dana', `&subject=${encodeURIComponent('Jan Pietersen')}`);
    await allEvents('dana', '&type=disclosure');
    const logged = (await searches()).slice(before);
    expect(
      logged.map((e) => [
        e.actorPartner,
        e.actorUser,
        e.partners,
        (e.data.searched as { kind: string }).kind,
      ]),
    ).toEqual([
      ['police-nl', 'dana', ['police-nl'], 'identifier'],
      ['police-nl', 'dana', ['police-nl'], 'subject'],
    ]);
    for (const e of logged) expect((e.data.searched as { hash: string }).hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(logged)).not.toMatch(/Pietersen|HXAB7A33G293/i);
    // The hash is kept where no search reads it: a later search does not find the searches.
    const again = await allEvents('dana', `&subject=${encodeURIComponent('Jan Pietersen')}`);
    expect(again.some((e) => e.type === 'audit.search')).toBe(false);
  });
});

describe('checkpoints, proofs and verification', () => {
  it('serves the public key, checkpoints and consistency proofs that verify offline', async () => {
    const key = await gw.http.get('/api/v1/audit/checkpoints/key').set(auth('anna'));
    expect(key.body).toMatchObject({ algorithm: 'Ed25519', keyId: gw.checkpointer.signer.keyId });
    expect(key.body.publicKeyPem).toBe(
      fs.readFileSync(path.join(gw.dataDir, 'keys', 'checkpoint.pub.pem'), 'utf8'),
    );

    await gw.checkpointer.checkpoint();
    const list = await gw.http.get('/api/v1/audit/checkpoints?limit=1000').set(auth('dana'));
    expect(list.body.items.length).toBeGreaterThanOrEqual(2);
    const [first] = list.body.items;
    const latest = (await gw.http.get('/api/v1/audit/checkpoints/latest').set(auth('dana'))).body;
    expect(latest).toEqual(list.body.items[list.body.items.length - 1]);

    const res = await gw.http
      .get(`/api/v1/audit/checkpoints/consistency?from=${first.treeSize}`)
      .set(auth('dana'));
    expect(res.status).toBe(200);
    expect(res.body.to).toEqual(latest);
    const proof = res.body.proof.map((p: string) => fromHex(p)!);
    expect(
      verifyConsistency(
        first.treeSize,
        latest.treeSize,
        fromHex(first.rootHash)!,
        fromHex(latest.rootHash)!,
        proof,
      ),
    ).toBe(true);
    expect(
      verifyConsistency(
        first.treeSize,
        latest.treeSize,
        fromHex(latest.rootHash)!,
        fromHex(first.rootHash)!,
        proof,
      ),
    ).toBe(false);
    expect(
      (await gw.http.get('/api/v1/audit/checkpoints/consistency?from=999999').set(auth('dana'))).status,
    ).toBe(404);
  });

  it('proves one of the DPO’s entries as a receipt, and refuses other partners’ entries', async () => {
    const key = readPublicKey(gw.checkpointer.signer.publicKeyPem);
    const [mine] = await allEvents('dana', `&request=${annaId}&type=disclosure`);
    const proof = await gw.http.get(`/api/v1/audit/proof/${mine.seq}`).set(auth('dana'));
    expect(proof.status).toBe(200);
    expect(verifyReceipt(receiptText(proof.body), key)).toMatchObject({ ok: true, seq: mine.seq });

    const [theirs] = await allEvents('sam', `&request=${svenId}&type=disclosure`);
    const refused = await gw.http.get(`/api/v1/audit/proof/${theirs.seq}`).set(auth('dana'));
    expect(refused.status).toBe(404);
    expect(JSON.stringify(refused.body)).not.toContain(svenId);
    const sam = await gw.http.get(`/api/v1/audit/proof/${theirs.seq}`).set(auth('sam'));
    expect(verifyReceipt(receiptText(sam.body), key)).toMatchObject({ ok: true, requestId: svenId });

    // Against an older checkpoint that covers the entry.
    const older = (await gw.store.audit.checkpoints({ limit: 1000, order: 'asc' })).find(
      (c) => c.treeSize >= mine.seq,
    )!;
    const pinned = await gw.http
      .get(`/api/v1/audit/proof/${mine.seq}?treeSize=${older.treeSize}`)
      .set(auth('dana'));
    expect(pinned.body.checkpoint).toEqual(older);
    expect(verifyReceipt(receiptText(pinned.body), key).ok).toBe(true);
    expect((await gw.http.get('/api/v1/audit/proof/999999').set(auth('sam'))).status).toBe(404);
    expect((await gw.http.get('/api/v1/audit/proof/abc').set(auth('sam'))).status).toBe(404);
  });

  it('verifies the log for a DPO and logs each verification run', async () => {
    const res = await gw.http.get('/api/v1/audit/verify').set(auth('dana'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, firstBroken: null, checkpoints: { invalid: [] } });
    expect(res.body.checkpoints.matched).toBe(res.body.checkpoints.total);
    expect(res.body.checkpoints.keyId).toBe(gw.checkpointer.signer.keyId);
    const runs = await allEvents('dana', '&type=audit.verify');
    expect(runs[0]).toMatchObject({ actorUser: 'dana', outcome: 'ok', partners: ['police-nl'] });
    expect((await gw.http.get('/api/v1/audit/verify').set(auth('sam'))).body.ok).toBe(true);
  });
});

describe('receipts', () => {
  it('gives the provider a receipt on approval and the analyst one with the disclosure', async () => {
    const key = readPublicKey(gw.checkpointer.signer.publicKeyPem);
    expect(verifyReceipt(receiptText(approvedReceipt), key)).toMatchObject({
      ok: true,
      type: 'disclosure',
      requestId: annaId,
    });
    const read = await gw.http.get(`/api/v1/requests/${annaId}/disclosure`).set(auth('anna'));
    expect(verifyReceipt(receiptText(read.body.receipt), key)).toMatchObject({ ok: true, requestId: annaId });
    for (const user of ['anna', 'bram']) {
      const res = await gw.http.get(`/api/v1/requests/${annaId}/receipt`).set(auth(user));
      expect(res.status).toBe(200);
      expect(verifyReceipt(receiptText(res.body), key)).toMatchObject({ ok: true, seq: approvedReceipt.seq });
    }
    for (const user of ['sven', 'dirk', 'dana', 'sam']) {
      const res = await gw.http.get(`/api/v1/requests/${annaId}/receipt`).set(auth(user));
      expect([user, [403, 404].includes(res.status)]).toEqual([user, true]);
    }
    const none = await gw.http.get(`/api/v1/requests/${svenDeniedId}/receipt`).set(auth('sven'));
    expect(none.status).toBe(409);
  });
});

describe('statistics', () => {
  it('counts per agreement and day, scoped like everything else', async () => {
    const sam = (await gw.http.get('/api/v1/audit/stats').set(auth('sam'))).body.items;
    const vehicles = sam.find((r: { agreementId: string }) => r.agreementId === 'stolen-vehicles');
    expect(vehicles).toMatchObject({
      requests: 2,
      permits: 1,
      denials: 1,
      deniedBySafe: { project: 1 },
      denialReasons: { PROJECT_CASE_REF_INVALID: 1 },
      disclosures: 1,
      recordsReleased: 1,
    });
    expect(vehicles.day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const dana = (await gw.http.get('/api/v1/audit/stats').set(auth('dana'))).body.items;
    expect(dana.map((r: { agreementId: string }) => r.agreementId)).toEqual(['stolen-boats']);
    expect(dana[0]).toMatchObject({
      requests: 2,
      permits: 1,
      denials: 1,
      disclosures: 1,
      recordsReleased: 3,
    });
    expect(dana[0].deniedBySafe).toEqual({ data: 1 });
  });
});

describe('exports', () => {
  it('streams a partner DPO’s scoped JSON Lines export and logs it', async () => {
    const res = await gw.http
      .get('/api/v1/audit/export?format=jsonl')
      .set(auth('dana'))
      .buffer(true)
      .parse((r, cb) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (text += c));
        r.on('end', () => cb(null, text));
      });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="fsg-audit-.*\.jsonl"/);
    const lines = (res.body as string)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ kind: 'header', complete: false, filter: { scope: 'police-nl' } });
    const entries = lines.filter((l) => l.kind === 'entry');
    expect(entries.length).toBeGreaterThan(5);
    for (const e of entries) expect(e.partners).toContain('police-nl');
    expect(lines[lines.length - 1]).toMatchObject({ kind: 'end', entries: entries.length });
    expectNoForeign('dana', '/audit/export', res.body);
    const logged = await allEvents('dana', '&type=audit.export');
    expect(logged[0]).toMatchObject({ actorUser: 'dana', data: { format: 'jsonl', scope: 'police-nl' } });

    // A scoped export verifies entry by entry.
    const file = path.join(gw.dataDir, 'dana.jsonl');
    fs.writeFileSync(file, res.body as string);
    const checked = await verifyExportFile(file, { publicKey: gw.checkpointer.signer.publicKey });
    expect(checked).toMatchObject({ ok: true, complete: false, partial: { ok: true } });
  });

  it('streams the supervisor’s complete export, which verifies like the database', async () => {
    const res = await gw.http
      .get('/api/v1/audit/export')
      .set(auth('sam'))
      .buffer(true)
      .parse((r, cb) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (text += c));
        r.on('end', () => cb(null, text));
      });
    const file = path.join(gw.dataDir, 'all.jsonl');
    fs.writeFileSync(file, res.body as string);
    const checked = await verifyExportFile(file, { publicKey: gw.checkpointer.signer.publicKey });
    expect(checked).toMatchObject({ ok: true, complete: true, log: { ok: true } });
    expect(checked.log!.checkpoints.matched).toBeGreaterThan(0);
  });

  it('exports CSV with formula cells neutralised', async () => {
    await gw.store.audit.append([
      {
        type: 'accreditation.change',
        actor: { userId: '=HYPERLINK("http://evil")', partnerId: 'police-nl' },
        partners: ['police-nl'],
        outcome: '+cmd',
        data: { note: '@SUM(1)' },
      },
    ]);
    const res = await gw.http.get('/api/v1/audit/export?format=csv').set(auth('dana'));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const text = res.text;
    expect(text.split('\r\n')[0]).toBe(
      'seq,ts,type,actor_user,actor_partner,partners,request_id,agreement_id,outcome,data,prev_hash,hash,redacted',
    );
    expect(text).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(text).toContain(",'+cmd,");
    expect(text).not.toMatch(/(^|,)[=+@]/m);
    expectNoForeign('dana', '/audit/export?format=csv', text);
  });
});

describe('partner scoping through every audit route', () => {
  /** One call per audit route; a new route without a case here fails the test. */
  const calls: Record<string, (user: string) => Promise<{ status: number; body: unknown; text: string }>> = {
    '/audit/events': (u) => gw.http.get('/api/v1/audit/events?limit=1000').set(auth(u)),
    '/audit/verify': (u) => gw.http.get('/api/v1/audit/verify').set(auth(u)),
    '/audit/checkpoints': (u) => gw.http.get('/api/v1/audit/checkpoints?limit=1000').set(auth(u)),
    '/audit/checkpoints/latest': (u) => gw.http.get('/api/v1/audit/checkpoints/latest').set(auth(u)),
    '/audit/checkpoints/consistency': async (u) => {
      const [first] = await gw.store.audit.checkpoints({ limit: 1, order: 'asc' });
      return gw.http.get(`/api/v1/audit/checkpoints/consistency?from=${first.treeSize}`).set(auth(u));
    },
    '/audit/checkpoints/key': (u) => gw.http.get('/api/v1/audit/checkpoints/key').set(auth(u)),
    '/audit/proof/:seq': async (u) => {
      // Every entry of sven's requests, one by one.
      const theirs = (await gw.store.audit.read(1, 100_000)).filter(
        (e) => e.requestId === svenId || e.requestId === svenDeniedId,
      );
      expect(theirs.length).toBeGreaterThan(3);
      let last = { status: 0, body: {} as unknown, text: '' };
      for (const e of theirs) {
        const res = await gw.http.get(`/api/v1/audit/proof/${e.seq}`).set(auth(u));
        if (u === 'dana') expect(res.status).toBe(404);
        last = res;
      }
      return last;
    },
    '/audit/stats': (u) => gw.http.get('/api/v1/audit/stats').set(auth(u)),
    '/audit/export': (u) => gw.http.get('/api/v1/audit/export?format=csv').set(auth(u)),
    // Sven's car: dana's report is empty, sam's has sven's disclosure and request.
    '/audit/subject-access': (u) =>
      gw.http
        .post('/api/v1/audit/subject-access')
        .set(auth(u))
        .send({ identifier: { type: 'vin', value: VIN } }),
  };

  it('has a case for every audit route', () => {
    const paths = gw.routes
      .filter(({ route }) => route.path.startsWith('/audit/'))
      .map(({ route }) => route.path);
    expect(paths.sort()).toEqual(Object.keys(calls).sort());
  });

  it.each(Object.keys(calls))('dana never sees another partner’s entry on %s; sam does', async (route) => {
    const dana = await calls[route]('dana');
    expect([route, dana.status]).toEqual([route, route === '/audit/proof/:seq' ? 404 : 200]);
    expectNoForeign('dana', route, dana.text || dana.body);
    const items = (dana.body as { items?: { partners?: string[] }[] })?.items ?? [];
    for (const item of items) if (item.partners) expect(item.partners).toContain('police-nl');

    if (['/audit/events', '/audit/export', '/audit/proof/:seq', '/audit/subject-access'].includes(route)) {
      const sam = await calls[route]('sam');
      expect(sam.status).toBe(200);
      expect(sam.text || JSON.stringify(sam.body)).toMatch(/sven/);
    }
  });

  it('keeps the log intact through all of it', async () => {
    const res = await gw.http.get('/api/v1/audit/verify').set(auth('sam'));
    expect(res.body).toMatchObject({ ok: true });
    expect(canonicalJson(res.body.checkpoints.invalid)).toBe('[]');
  });
});

describe('retention', () => {
  it('purges expired disclosures by the sweep; the log keeps their digests and shows the purge', async () => {
    gw.advance(31 * 24 * 60 * 60 * 1000);
    expect(await gw.requests.sweepExpired()).toBe(2);
    const purges = await allEvents('dana', '&type=purge');
    expect(purges).toHaveLength(1);
    expect(purges[0]).toMatchObject({ requestId: annaId, actorUser: 'system', outcome: 'purged' });
    expect(purges[0].data.recordDigests).toHaveLength(3);
    // The receipt outlives the payload.
    const receipt = await gw.http.get(`/api/v1/requests/${annaId}/receipt`).set(auth('anna'));
    expect(receipt.status).toBe(200);
    expect(receipt.body.seq).toBe(approvedReceipt.seq);
  });
});
