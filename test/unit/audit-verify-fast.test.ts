/**
 * The fast verifier's parts: finding seq and prevHash in a canonical body without parsing it (also when
 * `data` holds look-alike keys and strings), and stitching jobs' Merkle subtrees into the signed roots
 * for every job size and checkpoint position, against the full verifier.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GENESIS_HASH, buildEntry, entryHash } from '../../src/audit/chain';
import { createSigner } from '../../src/audit/checkpoint';
import { Checkpointer } from '../../src/audit/checkpointer';
import { prevHashOf } from '../../src/audit/verify-chunk';
import { verifyLogFast } from '../../src/audit/verify-fast';
import { verifyLog } from '../../src/audit/verify-log';
import { openSqliteStore, readRawAuditRows, readRawCheckpoints } from '../../src/store/sqlite';

const TRICKY = {
  prevHash: 'a'.repeat(64),
  'x"prevHash': 'b'.repeat(64),
  note: `,"prevHash":"${'c'.repeat(64)}","requestId":null,"seq":9,"ts":"`,
  nested: { prevHash: 'd'.repeat(64), seq: 9, list: ['"prevHash":"', ',"seq":'] },
};

describe('prevHashOf', () => {
  const prev = entryHash('the entry before');
  const entry = (data: Record<string, unknown>, requestId: string | undefined = 'req-1') =>
    buildEntry(
      {
        type: 'note',
        actor: { userId: 'u', partnerId: 'p' },
        partners: ['p'],
        requestId,
        outcome: null as unknown as undefined,
        data,
      },
      7,
      '2026-03-01T10:00:00.000Z',
      prev,
    );

  it('finds the top-level prevHash and checks the seq of a canonical body', () => {
    for (const data of [{}, TRICKY, { deep: [TRICKY, { more: TRICKY }] }]) {
      for (const requestId of ['req-1', undefined, '"prevHash":"x']) {
        const body = entry(data, requestId).body;
        expect(prevHashOf(body, 7)).toBe(prev);
        expect(prevHashOf(body, 8)).toBeUndefined();
        expect(prevHashOf(body, 70)).toBeUndefined();
      }
    }
    expect(prevHashOf(entry({}).body.replace(prev, GENESIS_HASH), 7)).toBe(GENESIS_HASH);
  });

  it('refuses bodies not of the canonical shape', () => {
    const body = entry(TRICKY).body;
    const variants = [
      body.replace('"requestId":', '"requestID":'),
      body.replace(`"prevHash":"${prev}"`, `"prevHash":"${prev.slice(1)}"`),
      body.replace(',"seq":7,', ',"seq":7.0,'),
      body.replace(',"seq":7,', ',"seq":07,'),
      body.replace(',"ts":', ', "ts":'),
      '{}',
      '',
    ];
    for (const text of variants) expect(prevHashOf(text, 7)).toBeUndefined();
  });
});

describe('verifyLogFast against the full verifier', () => {
  let dir: string;
  let file: string;
  const signer = createSigner(crypto.generateKeyPairSync('ed25519').privateKey);
  const SIZES = [1, 2, 5, 8, 13, 16, 31, 32, 33, 37];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-verify-fast-'));
    file = path.join(dir, 'log.sqlite');
    const store = openSqliteStore({ file });
    const checkpointer = new Checkpointer({
      store,
      signer,
      clock: () => new Date(),
      policy: { everyEntries: 1_000_000, everySeconds: 3600 },
    });
    for (let seq = 1; seq <= 37; seq++) {
      await store.audit.append([
        {
          type: 'note',
          actor: 'system',
          partners: ['police-nl'],
          data: seq % 3 === 0 ? { seq, ...TRICKY } : { seq, identifierHashes: [entryHash(`id-${seq}`)] },
        },
      ]);
      if (SIZES.includes(seq)) await checkpointer.checkpoint();
    }
    await store.close();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reproduces every signed root and head, whatever the job size', async () => {
    const input = { checkpoints: readRawCheckpoints(file), publicKey: signer.publicKey };
    expect(input.checkpoints).toHaveLength(SIZES.length);
    const full = await verifyLog({ rows: readRawAuditRows(file), ...input });
    expect(full).toMatchObject({ ok: true, checked: 37 });
    for (const chunk of [1, 2, 4, 8, 16, 32, 64]) {
      for (const deep of [false, true]) {
        const { scope, statistics, ...fast } = await verifyLogFast({
          file,
          ...input,
          threads: 0,
          chunk,
          deep,
        });
        expect(scope).toBe(deep ? 'full' : 'chain+merkle');
        expect(fast).toEqual(full);
        expect(statistics).toEqual(deep ? { counts: 0 } : undefined);
      }
    }
  });

  it('falls back to the full verifier for a checkpoint it cannot reproduce', async () => {
    const checkpoints = readRawCheckpoints(file).map((text) => JSON.parse(text) as { treeSize: number });
    const other = createSigner(crypto.generateKeyPairSync('ed25519').privateKey);
    // A checkpoint signed by the right key over a wrong root (the log was rewritten before 13).
    const forged = signer.sign(
      { treeSize: 13, rootHash: 'e'.repeat(64), headHash: 'f'.repeat(64) },
      '2026-03-01T10:00:00.000Z',
    );
    const input = {
      checkpoints: [...checkpoints.filter((c) => c.treeSize !== 13), forged],
      publicKey: signer.publicKey,
    };
    const full = await verifyLog({ rows: readRawAuditRows(file), ...input });
    expect(full.ok).toBe(false);
    const { scope, fellBack, ...fast } = await verifyLogFast({ file, ...input, threads: 0, chunk: 4 });
    expect({ scope, fellBack }).toEqual({ scope: 'full', fellBack: 'the checkpoint of tree size 13' });
    expect(fast).toEqual(full);
    // Another key's checkpoint is refused before anything is read.
    const refused = await verifyLogFast({
      file,
      checkpoints: [other.sign(forged, forged.timestamp)],
      publicKey: signer.publicKey,
      threads: 0,
    });
    expect(refused).toMatchObject({ ok: false, scope: 'full', fellBack: 'a checkpoint was refused' });
  });

  it('says so when there is nothing to verify', async () => {
    const empty = path.join(dir, 'empty.sqlite');
    await openSqliteStore({ file: empty }).close();
    expect(await verifyLogFast({ file: empty, threads: 0, publicKey: signer.publicKey })).toMatchObject({
      ok: true,
      checked: 0,
      headSeq: null,
      headHash: null,
      scope: 'chain+merkle',
    });
  });
});
