/**
 * Item 10a: each partner's view of a log entry holds only what concerns it. A hit/no-hit lookup that
 * hits two providers (boatreg-nl and insureco hold the same hull number in the demo datasets) is seen
 * whole by the requester's DPO (police-nl) and the supervisor's, and by each provider's DPO with its own
 * hits only: in the events API, in exports (whose redacted lines say so, and verify as such) and in
 * proofs (a redacted receipt: the leaf hash, no body). The policy load, which names every partner and
 * lists every agreement, is cut the same way. Filtering by another provider finds none of its lookups.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runVerify, runVerifyReceipt } from '../../src/audit/commands';
import { verifyExportFile } from '../../src/audit/export';
import { verifyReceipt, receiptText } from '../../src/audit/receipts';
import type { AuditEntry } from '../../src/audit/types';
import { boatregDpoToken } from '../helpers/boatreg-dpo';
import { createTestGateway, type TestGateway } from '../helpers/gateway';

let gw: TestGateway;
const auth: Record<string, { Authorization: string }> = {};
/** The lookup entry as the requester's DPO sees it: both providers' hits. */
let whole: Viewed;

type Viewed = AuditEntry & { redacted?: string[] };

beforeAll(async () => {
  gw = await createTestGateway({ FSG_DEMO_DATASETS: 'true' });
  for (const user of ['anna', 'dana', 'sam'])
    auth[user] = { Authorization: `Bearer ${await gw.token(user)}` };
  // boatreg-nl's DPO (the demo has none).
  auth.bea = { Authorization: `Bearer ${await boatregDpoToken(gw)}` };

  const res = await gw.http
    .post('/api/v1/lookups')
    .set(auth.anna)
    .send({
      agreementId: 'stolen-boats',
      purpose: 'stolen-property-investigation',
      caseRef: 'NL-2026-000777',
      identifiers: [{ type: 'hin', value: 'NL-HXAB7A33G293' }],
    });
  expect(res.status).toBe(200);
  expect(new Set(res.body.hits.map((h: { providerId: string }) => h.providerId))).toEqual(
    new Set(['boatreg-nl', 'insureco']),
  );
  whole = (await lookups('dana'))[0];
});
afterAll(() => gw.close());

async function lookups(user: string, query = ''): Promise<Viewed[]> {
  const res = await gw.http.get(`/api/v1/audit/events?type=lookup&outcome=permit${query}`).set(auth[user]);
  expect(res.status).toBe(200);
  return res.body.items;
}

const insurecoRefs = () =>
  (whole.data.hits as { providerId: string; recordRef: string }[])
    .filter((h) => h.providerId === 'insureco')
    .map((h) => h.recordRef);

describe("item 10a: each partner's view of a log entry", () => {
  it("the requester's and the supervisor's DPO see the whole lookup", async () => {
    expect(whole.partners).toEqual(expect.arrayContaining(['police-nl', 'boatreg-nl', 'insureco']));
    expect(insurecoRefs().length).toBeGreaterThan(0);
    const [supervisor] = await lookups('sam');
    expect(supervisor).toEqual(whole);
    expect(whole.redacted).toBeUndefined();
  });

  it("item 10a: a hit provider's DPO sees only its own hits, and partners cut to the requester and itself", async () => {
    const [mine] = await lookups('bea');
    expect(mine.seq).toBe(whole.seq);
    expect([...mine.partners].sort()).toEqual(['boatreg-nl', 'police-nl']);
    const hits = mine.data.hits as { providerId: string }[];
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h.providerId === 'boatreg-nl')).toBe(true);
    expect(mine.redacted).toEqual(['partners', 'data.hits', 'data.identifierHashes', 'data.invalid']);
    const text = JSON.stringify(
      await gw.http
        .get('/api/v1/audit/events?limit=1000')
        .set(auth.bea)
        .then((r) => r.body),
    );
    expect(text).not.toContain('insureco');
    for (const ref of insurecoRefs()) expect(text).not.toContain(ref);
  });

  it('item 10a: filtering by another provider does not find the lookups that hit it too', async () => {
    expect(await lookups('bea', '&partner=insureco')).toEqual([]);
    expect((await lookups('bea', '&partner=police-nl')).map((e) => e.seq)).toEqual([whole.seq]);
    expect((await lookups('dana', '&partner=insureco')).map((e) => e.seq)).toEqual([whole.seq]);
  });

  it('item 10a: the policy load shows a partner itself and its own agreements only', async () => {
    const res = await gw.http.get('/api/v1/audit/events?type=policy.load').set(auth.bea);
    const [load] = res.body.items as Viewed[];
    expect(load.partners).toEqual(['boatreg-nl']);
    expect((load.data.agreements as { id: string }[]).map((a) => a.id)).toEqual(['stolen-boats']);
    expect(load.redacted).toEqual(['partners', 'data.agreements']);
  });

  it("item 10a: a partner DPO's proof of a redacted entry is a redacted receipt, with the leaf hash and no body", async () => {
    const key = (await gw.http.get('/api/v1/audit/checkpoints/key').set(auth.bea)).body.publicKeyPem;
    const { readPublicKey } = await import('../../src/audit/checkpoint');
    const res = await gw.http.get(`/api/v1/audit/proof/${whole.seq}`).set(auth.bea);
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('fsg.redacted-receipt/v1');
    expect(res.body.entry).toBeUndefined();
    expect(JSON.stringify(res.body)).not.toContain('insureco');
    const checked = verifyReceipt(receiptText(res.body), readPublicKey(key));
    expect(checked).toMatchObject({
      ok: true,
      seq: whole.seq,
      redacted: { cut: ['partners', 'data.hits', 'data.identifierHashes', 'data.invalid'] },
    });
    const file = path.join(gw.dataDir, 'bea-receipt.json');
    fs.writeFileSync(file, receiptText(res.body));
    const printed: string[] = [];
    const keyFile = path.join(gw.dataDir, 'keys', 'checkpoint.pub.pem');
    expect(runVerifyReceipt(file, keyFile, (l) => printed.push(l))).toBe(0);
    expect(printed[0]).toMatch(new RegExp(`^ok: entry #${whole.seq} is in the log; its body is withheld`));
    // The requester's DPO gets the whole entry, which hashes to the same leaf.
    const full = await gw.http.get(`/api/v1/audit/proof/${whole.seq}`).set(auth.dana);
    expect(full.body.type).toBe('fsg.receipt/v1');
    expect(verifyReceipt(receiptText(full.body), readPublicKey(key))).toMatchObject({
      ok: true,
      seq: whole.seq,
    });
  });

  it("item 10a: a partner DPO's export holds its view, says which lines are redacted, and verifies as such", async () => {
    const res = await gw.http.get('/api/v1/audit/export?format=jsonl').set(auth.bea);
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('insureco');
    for (const ref of insurecoRefs()) expect(res.text).not.toContain(ref);
    const lines = res.text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    const line = lines.find((l) => l.kind === 'entry' && l.seq === whole.seq);
    expect(line).toMatchObject({
      hash: whole.hash,
      redacted: ['partners', 'data.hits', 'data.identifierHashes', 'data.invalid'],
    });
    const csv = await gw.http.get('/api/v1/audit/export?format=csv').set(auth.bea);
    expect(csv.text).not.toContain('insureco');

    const file = path.join(gw.dataDir, 'bea-export.jsonl');
    fs.writeFileSync(file, res.text);
    const key = path.join(gw.dataDir, 'keys', 'checkpoint.pub.pem');
    const checked = await verifyExportFile(file, { publicKey: gw.checkpointer.signer.publicKey });
    expect(checked.ok).toBe(true);
    expect(checked.partial?.redacted).toBeGreaterThanOrEqual(2);
    const printed: string[] = [];
    const code = await runVerify({ exportFile: file, pubkey: key, dataDir: '' }, (l) => printed.push(l));
    expect(code).toBe(0);
    expect(printed.join('\n')).toMatch(/entries are shown redacted .*cannot be checked against their hashes/);
    expect(printed[printed.length - 1]).toMatch(
      /^verdict: ok \(partial export: \d+ entries verified, [2-9]\d* redacted and not verifiable, \d+ checkpoints\)$/,
    );
  });
});
