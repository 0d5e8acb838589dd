import { createHash } from 'node:crypto';
import { GENESIS_HASH, buildEntry, canonicalJson, entryBody, entryHash } from '../../src/audit/chain';
import type { AuditEntry, AuditEventInput } from '../../src/audit/types';
import { verifyChain, type RawAuditRow } from '../../src/audit/verify';

const TS = '2025-03-01T10:00:00.000Z';

function event(i: number, extra: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    type: i % 2 ? 'decision' : 'request.state',
    actor: { userId: `analyst-${i}`, partnerId: 'police-nl' },
    partners: ['police-nl', 'dealer-a'],
    requestId: `req-${i}`,
    agreementId: 'stolen-vehicles',
    outcome: 'permit',
    data: { i, nested: { z: true, a: [1, 'two'] } },
    ...extra,
  };
}

type Built = AuditEntry & { body: string };

function chain(n: number): Built[] {
  const out: Built[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const entry = buildEntry(event(seq), seq, TS, prev);
    out.push(entry);
    prev = entry.hash;
  }
  return out;
}

/** What the sqlite store keeps for an entry. */
function row(e: Built): RawAuditRow {
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
  };
}

const rows = (n: number) => chain(n).map(row);
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('entry hashing', () => {
  it('is deterministic and independent of the key order of data', () => {
    const a = buildEntry(event(1, { data: { b: 1, a: { y: 2, x: 1 } } }), 1, TS, GENESIS_HASH);
    const b = buildEntry(event(1, { data: { a: { x: 1, y: 2 }, b: 1 } }), 1, TS, GENESIS_HASH);
    expect(a.body).toBe(b.body);
    expect(a.hash).toBe(b.hash);
    expect(a.hash).toBe(sha256(a.body));
    expect(entryHash(a.body)).toBe(a.hash);
  });

  it('writes exactly the entry fields, keys in canonical order, the hash left out', () => {
    const e = buildEntry(
      event(1, { partners: ['b', 'a', 'b'], data: { b: [1, 'x'], a: 1 } }),
      1,
      TS,
      GENESIS_HASH,
    );
    expect(e.body).toBe(
      '{"actorPartner":"police-nl","actorUser":"analyst-1","agreementId":"stolen-vehicles",' +
        '"data":{"a":1,"b":[1,"x"]},"outcome":"permit","partners":["a","b"],' +
        `"prevHash":"${GENESIS_HASH}","requestId":"req-1","seq":1,"ts":"${TS}","type":"decision"}`,
    );
    const { hash, body, ...unhashed } = e;
    expect(entryBody(unhashed)).toBe(body);
    expect(hash).toBe(sha256(body));
  });

  it('commits to the previous hash and to every field', () => {
    const base = buildEntry(event(1), 1, TS, GENESIS_HASH);
    expect(buildEntry(event(1), 1, TS, 'a'.repeat(64)).hash).not.toBe(base.hash);
    expect(buildEntry(event(1), 2, TS, GENESIS_HASH).hash).not.toBe(base.hash);
    expect(buildEntry(event(1, { outcome: 'deny' }), 1, TS, GENESIS_HASH).hash).not.toBe(base.hash);
  });

  it('records the system as actor "system" of no partner, and absent ids as null', () => {
    const e = buildEntry(
      { type: 'policy.load', actor: 'system', partners: [], data: {} },
      1,
      TS,
      GENESIS_HASH,
    );
    expect(e).toMatchObject({
      actorUser: 'system',
      actorPartner: null,
      requestId: null,
      agreementId: null,
      outcome: null,
    });
  });

  it('returns data as the body holds it', () => {
    const e = buildEntry(
      event(1, { data: { gone: undefined, when: new Date(0), list: [undefined] } }),
      1,
      TS,
      GENESIS_HASH,
    );
    expect(e.data).toEqual({ when: '1970-01-01T00:00:00.000Z', list: [null] });
    expect(JSON.parse(e.body).data).toEqual(e.data);
  });

  it('refuses a bad seq or prevHash', () => {
    expect(() => buildEntry(event(1), 0, TS, GENESIS_HASH)).toThrow(RangeError);
    expect(() => buildEntry(event(1), 1, TS, 'abc')).toThrow(TypeError);
  });
});

describe('canonicalJson (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units (RFC 8785 §3.2.3)', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    // Read the order off the text: JSON.parse would move the integer-like key "1" to the front.
    const text = canonicalJson(input);
    const order = Object.values(input).sort((a, b) => text.indexOf(a) - text.indexOf(b));
    expect(order).toEqual([
      'Carriage Return',
      'One',
      'Control',
      'Latin Small Letter O With Diaeresis',
      'Euro Sign',
      'Emoji: Grinning Face',
      'Hebrew Letter Dalet With Dagesh',
    ]);
  });

  it('formats numbers and strings as RFC 8785 says', () => {
    expect(canonicalJson([1e21, 1e-7, -0, 0.000001, 333333333.3333333, 4.5, 2e-3, 1e23])).toBe(
      '[1e+21,1e-7,0,0.000001,333333333.3333333,4.5,0.002,1e+23]',
    );
    expect(canonicalJson('\u20ac$\u000f\nA\'B"\\\\"/')).toBe('"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"');
    expect(canonicalJson({ a: undefined, b: null })).toBe('{"b":null}');
  });

  it('rejects what JSON cannot carry faithfully', () => {
    expect(() => canonicalJson(NaN)).toThrow();
    expect(() => canonicalJson({ x: Infinity })).toThrow();
    expect(() => canonicalJson(10n)).toThrow();
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
  });
});

describe('verifyChain', () => {
  it('accepts an intact chain and reports its head', async () => {
    const built = chain(5);
    expect(await verifyChain(built.map(row))).toEqual({
      ok: true,
      checked: 5,
      headSeq: 5,
      headHash: built[4].hash,
    });
  });

  it('accepts an empty log', async () => {
    expect(await verifyChain([])).toEqual({ ok: true, checked: 0, headSeq: null, headHash: null });
  });

  it('detects an altered body', async () => {
    const r = rows(5);
    r[2].body = r[2].body!.replace('"permit"', '"deny"');
    const report = await verifyChain(r);
    expect(report).toMatchObject({
      ok: false,
      checked: 2,
      headSeq: 2,
      firstBroken: { seq: 3, reason: 'hash-mismatch' },
    });
  });

  it('detects an altered hash', async () => {
    const r = rows(5);
    r[2].hash = 'f'.repeat(64);
    expect((await verifyChain(r)).firstBroken).toMatchObject({ seq: 3, reason: 'hash-mismatch' });
  });

  it('detects a body rewritten with a recomputed hash at the next entry', async () => {
    const r = rows(5);
    r[2].body = r[2].body!.replace('"permit"', '"deny"');
    r[2].hash = sha256(r[2].body);
    r[2].outcome = 'deny';
    expect((await verifyChain(r)).firstBroken).toMatchObject({ seq: 4, reason: 'prev-hash-mismatch' });
  });

  it.each([
    ['ts', '2030-01-01T00:00:00.000Z'],
    ['type', 'disclosure'],
    ['actor_user', 'someone-else'],
    ['actor_partner', null],
    ['partners', '["dealer-a"]'],
    ['request_id', 'req-999'],
    ['agreement_id', 'other'],
    ['outcome', 'deny'],
    ['prev_hash', 'e'.repeat(64)],
  ] as const)('detects an altered %s column', async (column, value) => {
    const r = rows(5);
    (r[3] as unknown as Record<string, unknown>)[column] = value;
    expect((await verifyChain(r)).firstBroken).toMatchObject({ seq: 4, reason: 'column-mismatch' });
  });

  it('detects a partner index that disagrees with the body', async () => {
    const r = rows(3).map((x) => ({ ...x, partner_index: '["police-nl","dealer-a"]' }));
    expect((await verifyChain(r)).ok).toBe(true);
    r[1].partner_index = '["police-nl"]';
    expect((await verifyChain(r)).firstBroken).toMatchObject({ seq: 2, reason: 'column-mismatch' });
  });

  it('detects a deleted middle row as a gap', async () => {
    const r = rows(5);
    r.splice(2, 1);
    expect((await verifyChain(r)).firstBroken).toMatchObject({ seq: 4, reason: 'seq-gap' });
  });

  it('detects a deleted middle row even when later seqs are renumbered', async () => {
    const r = rows(5);
    r.splice(2, 1);
    r.slice(2).forEach((x) => (x.seq -= 1));
    expect((await verifyChain(r)).firstBroken).toMatchObject({ seq: 3, reason: 'column-mismatch' });
  });

  it('detects reordered rows', async () => {
    const r = rows(5);
    [r[2], r[3]] = [r[3], r[2]];
    expect((await verifyChain(r)).firstBroken).toMatchObject({ seq: 4, reason: 'seq-gap' });
  });

  it('detects swapped entries under unchanged seqs', async () => {
    const r = rows(5);
    [r[2], r[3]] = [
      { ...r[3], seq: 3 },
      { ...r[2], seq: 4 },
    ];
    expect((await verifyChain(r)).firstBroken).toMatchObject({ seq: 3, reason: 'column-mismatch' });
  });

  it('detects an inserted row', async () => {
    const built = chain(5);
    const forged = buildEntry(event(99), 3, TS, built[1].hash);
    const r = [...built.slice(0, 2).map(row), row(forged), ...built.slice(2).map(row)];
    // Renumbered so the seqs stay consecutive: the original third entry no longer fits.
    r.slice(3).forEach((x) => (x.seq += 1));
    expect((await verifyChain(r)).firstBroken).toMatchObject({ seq: 4, reason: 'column-mismatch' });
    // Left with a duplicate seq instead: a gap/order break at the same place.
    const dup = [...built.slice(0, 2).map(row), row(forged), ...built.slice(2).map(row)];
    expect((await verifyChain(dup)).firstBroken).toMatchObject({ seq: 3, reason: 'seq-gap' });
  });

  it('does NOT detect entries cut off the head: that needs a signed checkpoint (expected)', async () => {
    const built = chain(5);
    const report = await verifyChain(built.slice(0, 3).map(row));
    expect(report).toEqual({ ok: true, checked: 3, headSeq: 3, headHash: built[2].hash });
    // A checkpoint that recorded (5, built[4].hash) is what would show the truncation.
  });

  it('reports the first broken entry and stops there', async () => {
    const r = rows(6);
    r[4].hash = '0'.repeat(64);
    r[1].type = 'tampered';
    const report = await verifyChain(r);
    expect(report).toMatchObject({ ok: false, checked: 1, headSeq: 1, headHash: r[0].hash });
    expect(report.firstBroken).toMatchObject({ seq: 2, reason: 'column-mismatch' });
    expect(report.firstBroken?.message).toMatch(/type/);
  });

  it('flags a first entry that does not start from genesis', async () => {
    const e = buildEntry(event(1), 1, TS, 'a'.repeat(64));
    expect((await verifyChain([row(e)])).firstBroken).toMatchObject({ seq: 1, reason: 'prev-hash-mismatch' });
  });

  it('flags bodies the gateway could not have written', async () => {
    const notJson = rows(2);
    notJson[1].body = 'not json';
    notJson[1].hash = sha256('not json');
    expect((await verifyChain(notJson)).firstBroken).toMatchObject({ seq: 2, reason: 'malformed' });

    const spaced = rows(2);
    spaced[1].body = JSON.stringify(JSON.parse(spaced[1].body!), null, 1);
    spaced[1].hash = sha256(spaced[1].body);
    expect((await verifyChain(spaced)).firstBroken).toMatchObject({ seq: 2, reason: 'malformed' });

    const extra = rows(2);
    extra[1].body = canonicalJson({ ...JSON.parse(extra[1].body!), hidden: 1 });
    extra[1].hash = sha256(extra[1].body);
    expect((await verifyChain(extra)).firstBroken).toMatchObject({ seq: 2, reason: 'malformed' });

    const missing = rows(2);
    missing[1].body = null;
    expect((await verifyChain(missing)).firstBroken).toMatchObject({ seq: 2, reason: 'malformed' });
  });

  it('streams an async source without holding it', async () => {
    const n = 5_000;
    async function* source(): AsyncIterable<RawAuditRow> {
      let prev = GENESIS_HASH;
      for (let seq = 1; seq <= n; seq++) {
        const e = buildEntry(event(seq), seq, TS, prev);
        prev = e.hash;
        yield row(e);
      }
    }
    const report = await verifyChain(source());
    expect(report).toMatchObject({ ok: true, checked: n, headSeq: n });
  });
});
