/**
 * The full verifier on rows built in memory: every way of tampering with a log (alter, remove, insert,
 * reorder, truncate, rewrite) is detected and named at the right entry; checkpoints are checked for
 * form, signer and forks.
 */
import crypto from 'node:crypto';
import { GENESIS_HASH, buildEntry, canonicalJson, entryHash } from '../../src/audit/chain';
import { createSigner } from '../../src/audit/checkpoint';
import { TreeBuilder, leafHash, memoryNodes } from '../../src/audit/merkle';
import type { AuditEventInput, Checkpoint } from '../../src/audit/types';
import type { RawAuditRow } from '../../src/audit/verify';
import { verifyLog, verifyPartial, type StoredTree } from '../../src/audit/verify-log';

const TS = '2026-03-01T10:00:00.000Z';
const signer = createSigner(crypto.generateKeyPairSync('ed25519').privateKey);
const other = createSigner(crypto.generateKeyPairSync('ed25519').privateKey);

function event(i: number, extra: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    type: i % 3 ? 'decision' : 'disclosure',
    actor: { userId: `user-${i}`, partnerId: 'police-nl' },
    partners: ['police-nl', 'boatreg-nl'],
    requestId: `req-${i}`,
    agreementId: 'stolen-boats',
    outcome: 'permit',
    data: { i, identifierHashes: [entryHash(`id-${i}`)] },
    ...extra,
  };
}

type Built = ReturnType<typeof buildEntry>;

function chain(n: number, from: Built[] = [], first = 1, tag = ''): Built[] {
  const out = [...from];
  let prev = out.length ? out[out.length - 1].hash : GENESIS_HASH;
  for (let seq = first; seq < first + n; seq++) {
    const e = buildEntry(event(seq, tag ? { outcome: tag } : {}), seq, TS, prev);
    out.push(e);
    prev = e.hash;
  }
  return out;
}

/** A stored row, with the leaf and indexes the store keeps. */
function row(e: Built, withLeaf = true): RawAuditRow {
  return {
    seq: e.seq,
    ts: e.ts,
    type: e.type,
    actor_user: e.actorUser,
    actor_partner: e.actorPartner,
    partners: canonicalJson(e.partners),
    request_id: e.requestId,
    agreement_id: e.agreementId,
    outcome: e.outcome,
    body: e.body,
    prev_hash: e.prevHash,
    hash: e.hash,
    partner_index: JSON.stringify(e.partners),
    ...(withLeaf ? { leaf: leafHash(e.body) } : {}),
  };
}

/** Signs the tree over the first `size` entries. */
function checkpointOf(entries: Built[], size: number, by = signer): Checkpoint {
  const tree = new TreeBuilder();
  for (const e of entries.slice(0, size)) tree.push(leafHash(e.body));
  return by.sign(
    { treeSize: size, rootHash: tree.root().toString('hex'), headHash: entries[size - 1].hash },
    TS,
  );
}

const N = 20;
const original = chain(N);
const checkpoints = [4, 8, 16, 20].map((s) => checkpointOf(original, s));
const verify = (rows: RawAuditRow[], extra: Partial<Parameters<typeof verifyLog>[0]> = {}) =>
  verifyLog({ rows, checkpoints, publicKey: signer.publicKey, ...extra });
const rows = () => original.map((e) => row(e));

/** A stored tree over `leaves` in memory, every complete node kept; `edited` nodes hold other bytes. */
function memoryTree(
  leaves: Buffer[],
  edited: (level: number, index: number) => boolean = () => false,
): StoredTree {
  const nodes = memoryNodes(leaves);
  const node = (level: number, index: number) => {
    if ((index + 1) * 2 ** level > leaves.length) return undefined;
    return edited(level, index) ? leafHash(`edited ${level}/${index}`) : nodes(level, index);
  };
  return {
    node,
    nodes: (level, lo, hi) =>
      Array.from({ length: Math.max(0, hi - lo + 1) }, (_, i) => ({
        index: lo + i,
        hash: node(level, lo + i)!,
      })).filter((n) => n.hash),
    beyond: () => {
      for (let level = 0; 2 ** level <= leaves.length; level++) {
        const index = Math.floor(N / 2 ** level);
        if ((index + 1) * 2 ** level <= leaves.length) return { lastSeq: N, node: { level, index } };
      }
      return { lastSeq: N };
    },
  };
}

/** Rewrites entry `seq` (body changed, hash recomputed) as a careful attacker would. */
function rewritten(seq: number): RawAuditRow {
  const e = original[seq - 1];
  const forged = buildEntry({ ...event(seq), outcome: 'deny' }, seq, TS, e.prevHash);
  return { ...row(forged, false), leaf: leafHash(e.body) };
}

describe('verifyLog', () => {
  it('accepts an intact log, reproducing every signed root', async () => {
    const report = await verify(rows());
    expect(report).toMatchObject({ ok: true, checked: N, headSeq: N, headHash: original[N - 1].hash });
    expect(report.checkpoints).toMatchObject({ total: 4, matched: 4, keyId: signer.keyId, invalid: [] });
    expect(report.unsigned).toBe(0);
    const partly = await verify(rows(), { checkpoints: checkpoints.slice(0, 2) });
    expect(partly.unsigned).toBe(N - 8);
  });

  it('accepts an empty log, and flags one whose checkpoints say it had entries', async () => {
    expect(await verifyLog({ rows: [], publicKey: signer.publicKey })).toMatchObject({
      ok: true,
      checked: 0,
      headSeq: null,
    });
    expect((await verify([])).firstBroken).toMatchObject({ seq: 1, reason: 'truncated' });
  });

  it('names an altered body at its entry (hash-mismatch)', async () => {
    const r = rows();
    r[6].body = r[6].body!.replace('"permit"', '"deny"');
    const report = await verify(r);
    expect(report).toMatchObject({ ok: false, checked: 6, firstBroken: { seq: 7, reason: 'hash-mismatch' } });
  });

  it('names a body rewritten with a recomputed hash at that entry, not at the next', async () => {
    const r = rows();
    r[6] = rewritten(7);
    const report = await verify(r);
    expect(report.firstBroken).toMatchObject({ seq: 7, reason: 'altered' });
    expect(report.checked).toBe(6);
    expect(report.headHash).toBe(original[5].hash);
  });

  it('names a rewritten head through the signed root and the stored leaf', async () => {
    const r = rows();
    r[N - 1] = rewritten(N);
    expect((await verify(r)).firstBroken).toMatchObject({ seq: N, reason: 'altered' });
    // From an export (no stored leaves) the checkpoint still shows it, as a range.
    const bare = r.map(({ leaf: _leaf, ...rest }) => rest);
    expect((await verify(bare)).firstBroken).toMatchObject({ seq: 17, reason: 'root-mismatch' });
  });

  it('pinpoints the first entry of a rewrite with every later hash recomputed', async () => {
    // The attacker rewrites entries 10..20 and re-chains them: the chain alone looks intact.
    const forged = chain(N - 9, original.slice(0, 9), 10, 'deny');
    const r = forged.map((e, i) => ({ ...row(e, false), leaf: leafHash(original[i].body) }));
    const report = await verify(r);
    expect(report.firstBroken).toMatchObject({ seq: 10, reason: 'altered' });
    expect(report.checkpoints.matched).toBe(2);
    const bare = forged.map((e) => row(e, false));
    expect((await verify(bare)).firstBroken).toMatchObject({ seq: 9, reason: 'root-mismatch' });
  });

  it('names a removed entry (gap in seq)', async () => {
    const r = rows();
    r.splice(11, 1);
    expect((await verify(r)).firstBroken).toMatchObject({ seq: 12, reason: 'removed' });
  });

  it('names a removed entry when the later seqs were renumbered', async () => {
    const r = rows();
    r.splice(11, 1);
    r.slice(11).forEach((x) => (x.seq -= 1));
    const report = await verify(r);
    expect(report.firstBroken).toMatchObject({ seq: 12, reason: 'removed' });
    expect(report.firstBroken?.message).toMatch(/entry #12 is missing/);
  });

  it('names an inserted entry, renumbered or duplicated', async () => {
    const forged = buildEntry(event(99), 6, TS, original[4].hash);
    const r = [...rows().slice(0, 5), row(forged), ...rows().slice(5)];
    r.slice(6).forEach((x) => (x.seq += 1));
    expect((await verify(r)).firstBroken).toMatchObject({ seq: 6, reason: 'inserted' });
    const dup = [...rows().slice(0, 6), row(original[5]), ...rows().slice(6)];
    expect((await verify(dup)).firstBroken).toMatchObject({ seq: 6, reason: 'inserted' });
  });

  it('names reordered entries, under their own or under swapped seqs', async () => {
    const r = rows();
    [r[8], r[9]] = [r[9], r[8]];
    expect((await verify(r)).firstBroken).toMatchObject({ seq: 9, reason: 'reordered' });
    const s = rows();
    [s[8], s[9]] = [
      { ...s[9], seq: 9 },
      { ...s[8], seq: 10 },
    ];
    expect((await verify(s)).firstBroken).toMatchObject({ seq: 9, reason: 'reordered' });
  });

  it('names a truncated tail from a stored checkpoint, or from one kept outside the log', async () => {
    const cut = rows().slice(0, 17);
    const report = await verify(cut);
    expect(report.firstBroken).toMatchObject({ seq: 18, reason: 'truncated' });
    expect(report.firstBroken?.message).toMatch(/#18\.\.#20/);
    // The attacker removed the stored checkpoint too: a partner's copy (e.g. from a receipt) still shows it.
    const stripped = checkpoints.slice(0, 3);
    expect((await verify(cut, { checkpoints: stripped })).ok).toBe(true);
    const external = await verify(cut, { checkpoints: stripped, external: [checkpoints[3]] });
    expect(external.firstBroken).toMatchObject({ seq: 18, reason: 'truncated' });
  });

  it('catches a tampered keyed-hash index', async () => {
    const r = rows().map((x, i) => ({ ...x, hash_index: JSON.stringify([entryHash(`id-${i + 1}`)]) }));
    expect((await verify(r)).ok).toBe(true);
    r[3].hash_index = '[]';
    expect((await verify(r)).firstBroken).toMatchObject({ seq: 4, reason: 'column-mismatch' });
  });

  it('refuses checkpoints that are malformed, badly signed, by another key, or forked', async () => {
    const bad = { ...checkpoints[1], rootHash: checkpoints[0].rootHash };
    const foreign = checkpointOf(original, 12, other);
    const report = await verify(rows(), {
      checkpoints: [...checkpoints, bad, foreign, '{not json', { treeSize: 3 }],
    });
    expect(report.ok).toBe(false);
    // The earliest entry a refused checkpoint claims to cover ({treeSize: 3}: from #1) is not vouched for.
    expect(report.firstBroken).toMatchObject({ seq: 1, reason: 'bad-checkpoint' });
    expect(report.checkpoints.invalid.map((i) => i.problem)).toEqual([
      expect.stringMatching(/bad signature/),
      expect.stringMatching(/not the given key/),
      expect.stringMatching(/not JSON/),
      expect.stringMatching(/checkpoint fields/),
    ]);
    // Two valid signatures over different trees of one size: the gateway forked its log.
    const forkEntries = chain(N - 9, original.slice(0, 9), 10, 'deny');
    const fork = checkpointOf(forkEntries, 20);
    const forked = await verify(rows(), { external: [fork] });
    expect(forked.checkpoints.invalid[0].problem).toMatch(/forked/);
  });

  it('fails a log with entries and no checkpoint unless that is allowed', async () => {
    expect((await verify(rows(), { checkpoints: [] })).firstBroken).toMatchObject({
      seq: 1,
      reason: 'no-checkpoint',
    });
    expect(await verify(rows(), { checkpoints: [], allowNoCheckpoint: true })).toMatchObject({
      ok: true,
      unsigned: N,
    });
  });

  it('resumes from the newest checkpoint: its root from the stored nodes, the chain from its head', async () => {
    const leaves = original.map((e) => leafHash(e.body));
    const tree = memoryTree(leaves);
    const tail = rows().slice(15);
    const resumed = await verify(tail, { checkpoints: [checkpoints[2]], tree, resume: true });
    expect(resumed).toMatchObject({ ok: true, entries: N, unsigned: 4, checkpoints: { matched: 1 } });
    // A changed node under the checkpoint, a changed head entry, a tail entry changed: each named.
    const edited = memoryTree(leaves.map((l, i) => (i === 2 ? leafHash('x') : l)));
    expect(
      (await verify(tail, { checkpoints: [checkpoints[2]], tree: edited, resume: true })).firstBroken,
    ).toMatchObject({
      seq: 1,
      reason: 'node-mismatch',
    });
    const head = [rewritten(16), ...tail.slice(1)];
    expect(
      (await verify(head, { checkpoints: [checkpoints[2]], tree, resume: true })).firstBroken,
    ).toMatchObject({
      seq: 16,
      reason: 'altered',
    });
    const later = [
      ...tail.slice(0, 2),
      { ...tail[2], body: tail[2].body!.replace('"permit"', '"deny"') },
      ...tail.slice(3),
    ];
    expect(
      (await verify(later, { checkpoints: [checkpoints[2]], tree, resume: true })).firstBroken,
    ).toMatchObject({
      seq: 18,
      reason: 'hash-mismatch',
    });
    expect(
      (await verify([], { checkpoints: [checkpoints[2]], tree, resume: true })).firstBroken,
    ).toMatchObject({
      seq: 16,
      reason: 'truncated',
    });
    // A refused anchor: nothing is read.
    const foreign = checkpointOf(original, 16, other);
    expect((await verify(tail, { checkpoints: [foreign], tree, resume: true })).firstBroken).toMatchObject({
      seq: 1,
      reason: 'bad-checkpoint',
    });
  });

  it('checks every stored Merkle node against the bodies, and none is left past the end', async () => {
    const leaves = original.map((e) => leafHash(e.body));
    expect((await verify(rows(), { tree: memoryTree(leaves) })).ok).toBe(true);
    const nodeEdited = memoryTree(leaves, (level, index) => level === 2 && index === 2);
    expect((await verify(rows(), { tree: nodeEdited })).firstBroken).toMatchObject({
      seq: 12,
      reason: 'node-mismatch',
    });
    const extra = memoryTree([...leaves, leafHash('gone')]);
    const cut = await verify(rows(), { tree: extra, checkpoints: checkpoints.slice(0, 3) });
    expect(cut.firstBroken).toMatchObject({ seq: 21, reason: 'truncated' });
  });
});

describe('verifyPartial (a filtered export)', () => {
  const signed = { checkpoints, publicKey: signer.publicKey };
  const partial = (r: RawAuditRow[], extra = {}) => verifyPartial(r, { ...signed, ...extra });

  it('checks each entry and the links between consecutive ones', async () => {
    const some = [1, 2, 3, 7, 8, 15].map((s) => row(original[s - 1], false));
    expect(await partial(some)).toEqual({ ok: true, checked: 6, linked: 3, redacted: 0, checkpoints: 4 });
    const altered = some.map((x) => ({ ...x }));
    altered[4].body = altered[4].body!.replace('"permit"', '"deny"');
    expect((await partial(altered)).firstBroken).toMatchObject({ seq: 8, reason: 'hash-mismatch' });
    const swapped = [some[0], some[2], some[1]];
    expect((await partial(swapped)).firstBroken).toMatchObject({ seq: 2, reason: 'reordered' });
    const relinked = [row(original[0], false), rewritten(2), row(original[2], false)];
    expect((await partial(relinked)).firstBroken).toMatchObject({ seq: 3, reason: 'altered' });
  });

  it('counts redacted lines without failing them, their hash held by the next link', async () => {
    const cut = (seq: number, hash = original[seq - 1].hash): RawAuditRow => ({
      ...row(original[seq - 1], false),
      body: original[seq - 1].body.replace('"permit"', '"cut"'),
      hash,
      redacted: ['data.hits'],
    });
    const some = [row(original[0], false), cut(2), row(original[2], false)];
    expect(await partial(some)).toEqual({ ok: true, checked: 2, linked: 2, redacted: 1, checkpoints: 4 });
    const lying = [row(original[0], false), cut(2, entryHash('another')), row(original[2], false)];
    expect((await partial(lying)).firstBroken).toMatchObject({ seq: 3, reason: 'altered' });
  });

  it('checks the signatures of the checkpoints', async () => {
    const some = [1, 2].map((s) => row(original[s - 1], false));
    const foreign = checkpointOf(original, 12, other);
    expect((await partial(some, { checkpoints: [...checkpoints, foreign] })).firstBroken).toMatchObject({
      seq: 9,
      reason: 'bad-checkpoint',
    });
    expect((await partial(some, { checkpoints: [] })).firstBroken).toMatchObject({ reason: 'no-checkpoint' });
  });
});
