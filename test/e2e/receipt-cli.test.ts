/**
 * A receipt as a user saves it from each response that carries one (the responder's approve, the
 * analyst's disclosure, GET /requests/:id/receipt): the receipt object's JSON exactly as served,
 * compact or pretty-printed, verifies with `fsg audit verify-receipt`, and a one-byte change to any
 * of its fields makes it fail.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertBuilt, cliRunner } from '../helpers/cli';
import { boatRequest, createTestGateway, vesselAnswer } from '../helpers/gateway';

let dir: string;
let pubkey: string;
const served: Record<string, Record<string, unknown>> = {};
const fsg = cliRunner(() => path.join(dir, 'data'));

beforeAll(async () => {
  assertBuilt();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-receipt-cli-'));
  const gw = await createTestGateway();
  try {
    const anna = { Authorization: `Bearer ${await gw.token('anna')}` };
    const bram = { Authorization: `Bearer ${await gw.token('bram')}` };
    const id = (await gw.http.post('/api/v1/requests').set(anna).send(boatRequest())).body.id;
    const answer = await gw.http.post(`/api/v1/requests/${id}/answer`).set(bram).send(vesselAnswer());
    // JSON.parse keeps the order of the keys as served: re-stringified, it is the bytes served.
    const receiptOf = (text: string) => (JSON.parse(text) as { receipt: Record<string, unknown> }).receipt;
    const approve = await gw.http
      .post(`/api/v1/requests/${id}/approve`)
      .set(bram)
      .send({ previewVersion: answer.body.previewVersion });
    served.approve = receiptOf(approve.text);
    served.disclosure = receiptOf((await gw.http.get(`/api/v1/requests/${id}/disclosure`).set(anna)).text);
    served.receipt = JSON.parse((await gw.http.get(`/api/v1/requests/${id}/receipt`).set(anna)).text);
    pubkey = path.join(dir, 'checkpoint.pub.pem');
    fs.copyFileSync(path.join(gw.dataDir, 'keys', 'checkpoint.pub.pem'), pubkey);
  } finally {
    await gw.store.close();
    fs.rmSync(gw.dataDir, { recursive: true, force: true });
  }
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function verify(name: string, text: string) {
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, text);
  return fsg(['audit', 'verify-receipt', file, '--pubkey', pubkey]);
}

/** One byte of a value changed: a digit or letter of a string, a number's last digit. */
function oneByteChanged(value: unknown): unknown {
  if (typeof value === 'number') return value + (value % 10 === 9 ? -1 : 1);
  const text = value as string;
  const i = Math.floor(text.length / 2);
  const swap = text[i] === '0' ? '1' : text[i] === 'a' ? 'b' : /[0-9]/.test(text[i]) ? '0' : 'a';
  return text.slice(0, i) + swap + text.slice(i + 1);
}

/** Every field of a receipt, as a path to a string or number in it. */
const FIELDS: string[][] = [
  ['type'],
  ['seq'],
  ['leafIndex'],
  ['entry'],
  ['entryHash'],
  ['inclusionProof', '0'],
  ...['type', 'treeSize', 'rootHash', 'headHash', 'timestamp', 'keyId', 'signature'].map((f) => [
    'checkpoint',
    f,
  ]),
];

function changed(receipt: Record<string, unknown>, field: string[]): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(receipt)) as Record<string, unknown>;
  let at = copy as Record<string, unknown>;
  for (const key of field.slice(0, -1)) at = at[key] as Record<string, unknown>;
  const last = field[field.length - 1];
  at[last] = oneByteChanged(at[last]);
  return copy;
}

describe.each(['approve', 'disclosure', 'receipt'])('the receipt served by %s', (name) => {
  it('verifies offline as saved, compact or pretty-printed', () => {
    const receipt = served[name];
    expect(receipt).toMatchObject({ type: 'fsg.receipt/v1' });
    for (const text of [JSON.stringify(receipt), JSON.stringify(receipt, null, 2) + '\n']) {
      const res = verify(name, text);
      expect(res.out).toMatch(/^ok: entry #\d+ \(disclosure, request [0-9a-f-]{36}\) is in the log/);
      expect(res.code).toBe(0);
    }
  });

  it('fails after a one-byte change to any field', () => {
    const receipt = served[name];
    expect((receipt.inclusionProof as string[]).length).toBeGreaterThan(0);
    for (const field of FIELDS) {
      const text = JSON.stringify(changed(receipt, field), null, 2);
      expect(text.length).toBe(JSON.stringify(receipt, null, 2).length);
      const res = verify(`${name}-${field.join('.')}`, text);
      expect({ field, code: res.code, out: res.out }).toMatchObject({ field, code: 1, out: /^FAILED: / });
    }
  });
});
