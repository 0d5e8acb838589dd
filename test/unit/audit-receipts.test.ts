/**
 * Checkpoints and receipts offline: a receipt verifies with nothing but itself and the public key, and
 * fails once any byte of it, or of its checkpoint, changes.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GENESIS_HASH, buildEntry, canonicalJson } from '../../src/audit/chain';
import {
  checkCheckpoint,
  createSigner,
  keyIdOf,
  loadOrCreateCheckpointKey,
  readPublicKey,
} from '../../src/audit/checkpoint';
import { csvCell } from '../../src/audit/export';
import { inclusionProof, leafHash, memoryNodes, rootOfLeaves } from '../../src/audit/merkle';
import { buildReceipt, receiptText, verifyReceipt } from '../../src/audit/receipts';

const TS = '2026-03-01T10:00:00.000Z';
const signer = createSigner(crypto.generateKeyPairSync('ed25519').privateKey);

const entries = (() => {
  const out: ReturnType<typeof buildEntry>[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= 11; seq++) {
    const e = buildEntry(
      {
        type: seq === 6 ? 'disclosure' : 'decision',
        actor: { userId: 'bram', partnerId: 'boatreg-nl' },
        partners: ['police-nl', 'boatreg-nl'],
        requestId: `0b8c1d1e-0000-4000-8000-00000000000${seq % 10}`,
        agreementId: 'stolen-boats',
        outcome: seq === 6 ? 'disclosed' : 'permit',
        data: { recordDigests: ['a'.repeat(64)], note: 'Ünïcødé ✓' },
      },
      seq,
      TS,
      prev,
    );
    out.push(e);
    prev = e.hash;
  }
  return out;
})();
const leaves = entries.map((e) => leafHash(e.body));

function receiptFor(seq: number, size = entries.length) {
  const checkpoint = signer.sign(
    {
      treeSize: size,
      rootHash: rootOfLeaves(leaves.slice(0, size)).toString('hex'),
      headHash: entries[size - 1].hash,
    },
    TS,
  );
  const proof = inclusionProof(memoryNodes(leaves), seq - 1, size).map((b) => b.toString('hex'));
  const e = entries[seq - 1];
  return buildReceipt({ seq, body: e.body, hash: e.hash }, checkpoint, proof);
}

describe('checkpoints', () => {
  it('are signed over their canonical statement and checked strictly', () => {
    const cp = receiptFor(6).checkpoint;
    expect(cp.keyId).toBe(keyIdOf(signer.publicKey));
    expect(checkCheckpoint(cp, signer.publicKey)).toEqual({ ok: true, checkpoint: cp });
    expect(checkCheckpoint({ ...cp, extra: 1 }, signer.publicKey)).toMatchObject({ ok: false });
    expect(checkCheckpoint({ ...cp, treeSize: 0 }, signer.publicKey)).toMatchObject({ ok: false });
    const other = createSigner(crypto.generateKeyPairSync('ed25519').privateKey);
    expect(checkCheckpoint(cp, other.publicKey)).toMatchObject({ ok: false, problem: /not the given key/ });
  });

  it('fails once any byte of a checkpoint changes', () => {
    const text = Buffer.from(canonicalJson(receiptFor(6).checkpoint));
    for (let i = 0; i < text.length; i++) {
      const copy = Buffer.from(text);
      copy[i] ^= 0x01;
      let parsed: unknown;
      try {
        parsed = JSON.parse(copy.toString('utf8'));
      } catch {
        continue; // not even JSON any more
      }
      expect([i, checkCheckpoint(parsed, signer.publicKey).ok]).toEqual([i, false]);
    }
  });

  it('makes the key on first start (0600) with its public half beside it, and reloads it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-key-'));
    try {
      const first = loadOrCreateCheckpointKey(dir);
      const keyFile = path.join(dir, 'keys', 'checkpoint.key');
      const pubFile = path.join(dir, 'keys', 'checkpoint.pub.pem');
      expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(fs.readFileSync(pubFile, 'utf8')).toBe(first.publicKeyPem);
      expect(readPublicKey(first.publicKeyPem).equals(first.publicKey)).toBe(true);
      fs.writeFileSync(pubFile, 'stale');
      const again = loadOrCreateCheckpointKey(dir);
      expect(again.keyId).toBe(first.keyId);
      expect(fs.readFileSync(pubFile, 'utf8')).toBe(first.publicKeyPem);
      fs.writeFileSync(
        keyFile,
        crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
          type: 'pkcs8',
          format: 'pem',
        }),
      );
      expect(() => loadOrCreateCheckpointKey(dir)).toThrow(/must be Ed25519/);
      expect(() => readPublicKey('nope')).toThrow(/not a PEM public key/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('receipts', () => {
  it('verify offline with nothing but the receipt and the public key', () => {
    for (const seq of [1, 6, 8, 11]) {
      const result = verifyReceipt(receiptText(receiptFor(seq)), signer.publicKey);
      expect(result).toMatchObject({ ok: true, seq, treeSize: 11, keyId: signer.keyId });
    }
    // Against a checkpoint whose head is the entry itself.
    expect(verifyReceipt(receiptText(receiptFor(6, 6)), signer.publicKey)).toMatchObject({ ok: true });
    expect(verifyReceipt(receiptText(receiptFor(6)), signer.publicKey)).toMatchObject({
      type: 'disclosure',
      partners: ['boatreg-nl', 'police-nl'],
    });
  });

  it('fail after any byte of the receipt changes', () => {
    const bytes = Buffer.from(receiptText(receiptFor(6)), 'utf8');
    expect(verifyReceipt(bytes, signer.publicKey).ok).toBe(true);
    const passed: number[] = [];
    for (let i = 0; i < bytes.length; i++) {
      for (const mask of [0x01, 0x20]) {
        const copy = Buffer.from(bytes);
        copy[i] ^= mask;
        if (verifyReceipt(copy, signer.publicKey).ok) passed.push(i);
      }
    }
    expect(passed).toEqual([]);
  });

  it('verify as saved from a browser or jq: pretty-printed, keys in any order; a key twice fails', () => {
    const receipt = receiptFor(6);
    const pretty = JSON.stringify(receipt, null, 2);
    expect(verifyReceipt(pretty, signer.publicKey)).toMatchObject({ ok: true, seq: 6 });
    const reversed = Object.fromEntries(Object.entries(receipt).reverse());
    expect(verifyReceipt(JSON.stringify(reversed), signer.publicKey)).toMatchObject({ ok: true });
    // JSON.parse keeps the last "seq": another reader would see the first.
    const twice = receiptText(receipt).replace('{', '{"seq":7,');
    expect(verifyReceipt(twice, signer.publicKey)).toMatchObject({ ok: false, problem: /"seq" twice/ });
    const nested = receiptText(receipt).replace('"keyId":', '"keyId":"x","keyId":');
    expect(verifyReceipt(nested, signer.publicKey)).toMatchObject({ ok: false, problem: /"keyId" twice/ });
    // Served in canonical order: saved compactly, it is the canonical file.
    expect(`${JSON.stringify(receipt)}\n`).toBe(receiptText(receipt));
  });

  it('fail with another key, a proof for another tree, or a checkpoint that does not cover the entry', () => {
    const other = createSigner(crypto.generateKeyPairSync('ed25519').privateKey);
    const receipt = receiptFor(6);
    expect(verifyReceipt(receiptText(receipt), other.publicKey).ok).toBe(false);
    const shortTree = receiptFor(6, 8);
    const mixed = { ...receipt, inclusionProof: shortTree.inclusionProof };
    expect(verifyReceipt(receiptText(mixed), signer.publicKey)).toMatchObject({ ok: false });
    const early = {
      ...receiptFor(3, 4),
      seq: 6,
      leafIndex: 5,
      entry: receipt.entry,
      entryHash: receipt.entryHash,
    };
    expect(verifyReceipt(receiptText(early), signer.publicKey)).toMatchObject({
      ok: false,
      problem: /covers 4 entries/,
    });
    expect(verifyReceipt(Buffer.from([0xff, 0xfe]), signer.publicKey)).toMatchObject({ ok: false });
  });
});

describe('CSV cells', () => {
  it.each([
    ['=HYPERLINK("http://x")', `"'=HYPERLINK(""http://x"")"`],
    ['+31 20 123', "'+31 20 123"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tcmd', "'\tcmd"],
    ['\rcmd', `"'\rcmd"`],
    ['\uFF1D1+1', "'\uFF1D1+1"],
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    [null, ''],
    [42, '42'],
  ])('neutralises %j', (input, output) => {
    expect(csvCell(input)).toBe(output);
  });
});
