/**
 * The DPO's "verify now" (GET /api/v1/audit/verify, the portal's button) on a store in a file: the
 * parallel verifier with the deep checks (store.audit.verifyAll), whose findings must be the sequential
 * verifier's, also on the live database changed behind the gateway's back.
 */
import Database from 'better-sqlite3';
import { verifyLog } from '../../src/audit/verify-log';
import { readRawAuditRows, readRawCheckpoints } from '../../src/store/sqlite';
import { answeredRequests, createTestGateway, type TestGateway } from '../helpers/gateway';

let gw: TestGateway;
let dpo: { Authorization: string };

beforeAll(async () => {
  gw = await createTestGateway();
  dpo = { Authorization: `Bearer ${await gw.token('sam')}` };
  await answeredRequests(
    gw,
    3,
    (i) => `NL-2026-00020${i}`,
    () => 'approve',
  );
});
afterAll(() => gw.close());

/** What the sequential verifier says of the gateway's database file as it is now. */
const sequential = () =>
  verifyLog({
    rows: readRawAuditRows(gw.dbFile),
    checkpoints: readRawCheckpoints(gw.dbFile),
    publicKey: gw.checkpointer.signer.publicKey,
  });

describe('verify now', () => {
  it('runs through the store on a file, and finds the log intact', async () => {
    expect(gw.store.audit.verifyAll).toBeDefined();
    const head = (await gw.store.audit.head())!.seq;
    const res = await gw.http.get('/api/v1/audit/verify').set(dpo);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, entries: head, firstBroken: null });
    expect(res.body.checkpoints.total).toBeGreaterThanOrEqual(3);
    expect(res.body.checkpoints.matched).toBe(res.body.checkpoints.total);
  });

  it("fails on a statistics count the entries do not make; a partner's DPO learns only that", async () => {
    const db = new Database(gw.dbFile);
    try {
      // Counts may grow (their trigger lets them): one more permit than the entries hold.
      db.prepare("UPDATE audit_stats SET n = n + 1 WHERE scope = 'boatreg-nl' AND measure = 'permits'").run();
    } finally {
      db.close();
    }
    const res = await gw.http.get('/api/v1/audit/verify').set(dpo);
    expect(res.body).toMatchObject({ ok: false, firstBroken: null });
    expect(res.body.statistics.mismatch).toMatch(
      /^the stored count of permits on .* in scope boatreg-nl is \d+/,
    );
    expect(res.body.verdict).toMatch(/^verdict: FAILED: statistics: the stored count of permits/);
    const partner = await gw.http
      .get('/api/v1/audit/verify')
      .set({ Authorization: `Bearer ${await gw.token('dana')}` });
    expect(partner.body).toMatchObject({
      ok: false,
      statistics: { mismatch: 'the stored counts are not what the entries make' },
      verdict: 'verdict: FAILED: statistics: the stored counts are not what the entries make',
    });
  });

  it('names the same entry as the sequential verifier when a body was changed in the live database', async () => {
    const db = new Database(gw.dbFile);
    try {
      for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as {
        name: string;
      }[]) {
        db.exec('DROP TRIGGER "' + name + '"');
      }
      const target = db
        .prepare<[], { seq: number }>(
          "SELECT seq FROM audit_log WHERE type = 'disclosure' ORDER BY seq LIMIT 1",
        )
        .get()!.seq;
      db.prepare(
        'UPDATE audit_log SET body = replace(body, \'"disclosure"\', \'"disclosed"\') WHERE seq = ?',
      ).run(target);
      const expected = await sequential();
      expect(expected.ok).toBe(false);
      expect(expected.firstBroken?.seq).toBe(target);

      const res = await gw.http.get('/api/v1/audit/verify').set(dpo);
      expect(res.status).toBe(200);
      expect(res.body.ok).toBe(false);
      const { seq, reason, message } = expected.firstBroken!;
      expect(res.body.firstBroken).toEqual({ seq, reason, message });
    } finally {
      db.close();
    }
  });
});
