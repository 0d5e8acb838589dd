/**
 * Holes found in review of the PostgreSQL store (issue 18), each shown by a test.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSigner } from '../../src/audit/checkpoint';
import { runVerify } from '../../src/audit/commands';
import { ALL_SCOPE, type StatsCount } from '../../src/audit/stats';
import type { AuditEventInput } from '../../src/audit/types';
import { StoreUnavailableError, type Store } from '../../src/store/port';
import type { DatasetRecord } from '../../src/datasets/types';
import { startPgProxy } from './pg-proxy';
import { openPgStore } from '../../src/store/postgres';
import { createPgAudit } from '../../src/store/postgres/audit';
import { importIntoPg } from '../../src/store/postgres/import';
import { openSqliteStore } from '../../src/store/sqlite';
import { openSqliteCopySource } from '../../src/store/sqlite/copy-source';
import { describeStore, storeAt } from '../../src/store/log-reader';
import { groupAppends } from '../../src/store/postgres/group-append';
import { describePg, dropSchema, freshSchema, PG_URL, requirePostgres, testPool } from './pg-test';
import { openLogReader } from '../../src/store/open';

const decisionEvent = (agreementId: string | undefined, outcome: string): AuditEventInput => ({
  type: 'decision',
  actor: 'system',
  partners: ['police-nl'],
  agreementId,
  outcome,
  data: {},
});

const sorted = (counts: StatsCount[]) =>
  counts.map((c) => `${c.agreement}/${c.measure}@${c.day}=${c.n}`).sort();

/** Lets a transaction a test stopped go on (also at the end, should the test have failed). */
let thaw: () => void = () => undefined;

describePg('PostgreSQL store: review', () => {
  jest.setTimeout(30_000);
  const schemas: string[] = [];
  const stores: Store[] = [];
  let dir: string;

  beforeAll(async () => {
    await requirePostgres();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-review-'));
  });
  afterAll(async () => {
    thaw();
    for (const store of stores) await store.close();
    for (const schema of schemas) await dropSchema(schema);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const pgStore = async (schema = freshSchema()) => {
    schemas.push(schema);
    const store = await openPgStore({ connectionString: PG_URL, schema });
    stores.push(store);
    return store;
  };

  // Was a hole: import.ts copied the log into a schema whose migration 5 recorded an empty backlog
  // (audit_stats_backlog.upto = 0), so the copied entries are never counted: an agreement the
  // bundle no longer names (and any entry without one) is missing from the DPO's statistics.
  it('a copied log counts in the statistics as in the source, whatever the bundle names', async () => {
    const file = path.join(dir, 'stats.db');
    const sqlite = openSqliteStore({ file });
    try {
      await sqlite.audit.append([
        decisionEvent('retired-agreement', 'permit'),
        decisionEvent('retired-agreement', 'deny'),
      ]);
      const bySqlite = await sqlite.audit.statsCounts({ scope: ALL_SCOPE });
      expect(bySqlite.length).toBeGreaterThan(0);
      const schema = freshSchema();
      schemas.push(schema);
      const snapshot = openSqliteCopySource(file);
      try {
        await importIntoPg({ connectionString: PG_URL, schema }, snapshot);
      } finally {
        snapshot.close();
      }
      const pg = await pgStore(schema);
      // The gateway's start: the bundle names no agreement any more.
      await pg.audit.useStatsZones(new Map());
      expect(sorted(await pg.audit.statsCounts({ scope: ALL_SCOPE }))).toEqual(sorted(bySqlite));
    } finally {
      await sqlite.close();
    }
  });

  // Was a hole: the verifier's reader (audit-reader.ts readRows) bounded its reads by a row count, not by the
  // snapshot's head: in a log with a gap it reads rows appended after the snapshot, whose tree nodes
  // it never loaded.
  it('the verifier reads no row after the snapshot it opened, even in a log with a gap', async () => {
    const schema = freshSchema();
    const store = await pgStore(schema);
    for (let i = 0; i < 10; i++)
      await store.audit.append([{ type: 'test', actor: 'system', partners: [], data: { i } }]);
    const pool = testPool(schema, { max: 1 });
    try {
      // The owner can bypass the triggers and the references: one entry removed behind the gateway.
      await pool.query("SET session_replication_role = 'replica'");
      expect((await pool.query('DELETE FROM audit_log WHERE seq = 5')).rowCount).toBe(1);
    } finally {
      await pool.end();
    }
    const log = await openLogReader(storeAt(`${PG_URL}?schema=${schema}`));
    expect(log.span(false).hi).toBe(10);
    await store.audit.append([{ type: 'test', actor: 'system', partners: [], data: { late: true } }]);
    const seqs: number[] = [];
    for await (const row of log.rawRows(1000, 0)) seqs.push(row.seq);
    expect(Math.max(...seqs)).toBeLessThanOrEqual(10);
  });

  // Was a hole: `fsg audit verify` on a PostgreSQL log never compared the stored counts of the DPO's
  // statistics with the bodies (the reader's span gives none and the sequential verifier counts
  // none), as it does on SQLite: a count changed behind the gateway passes as ok.
  it("fsg audit verify fails a PostgreSQL log whose statistics' counts were changed", async () => {
    const schema = freshSchema();
    const store = await pgStore(schema);
    const { privateKey } = crypto.generateKeyPairSync('ed25519');
    const signer = createSigner(privateKey);
    const pubkey = path.join(dir, 'stats-check.pub.pem');
    fs.writeFileSync(pubkey, signer.publicKey.export({ type: 'spki', format: 'pem' }));
    await store.audit.append([
      decisionEvent('stolen-boats', 'permit'),
      decisionEvent('stolen-boats', 'deny'),
    ]);
    await store.audit.checkpoint((head) => signer.sign(head, new Date().toISOString()));
    const verify = async () => {
      const lines: string[] = [];
      const code = await runVerify(
        { db: `${PG_URL}?schema=${schema}`, pubkey, dataDir: '' },
        (l) => void lines.push(l),
      );
      return { code, lines };
    };
    expect((await verify()).code).toBe(0);
    const pool = testPool(schema, { max: 1 });
    try {
      await pool.query("SET session_replication_role = 'replica'");
      const changed = await pool.query("UPDATE audit_stats SET n = n + 40 WHERE measure = 'permits'");
      expect(changed.rowCount).toBeGreaterThan(0);
    } finally {
      await pool.end();
    }
    const after = await verify();
    expect(after.code).toBe(1);
  });

  // Was a hole: nothing bounded how long a transaction may hold the log's lock idle. An instance that stops
  // inside a logged write (SIGSTOP, a long pause, a network partition: the server sees an open, idle
  // connection) blocks every append of every other instance until the server's TCP keepalive gives
  // up, hours by default.
  it('an instance that stops inside a logged write holds the log for seconds, not for ever', async () => {
    const schema = freshSchema();
    const other = await pgStore(schema);
    const pool = testPool(schema, { max: 1 });
    const frozen = createPgAudit(pool);
    let entered!: () => void;
    const inLock = new Promise<void>((resolve) => (entered = resolve));
    const stopped = new Promise<void>((resolve) => (thaw = resolve));
    const stuck = frozen
      .logged(async () => {
        entered();
        await stopped;
      })
      .catch(() => undefined)
      .finally(() => pool.end());
    await inLock;
    const started = Date.now();
    await other.audit.append([{ type: 'test', actor: 'system', partners: [], data: {} }]);
    expect(Date.now() - started).toBeLessThan(30_000);
    thaw();
    await stuck;
  }, 45_000);

  // Was a hole: pg lets the connection string's parameters override the pool's own, so a
  // store.url carrying `options` (say a statement_timeout) drops pool.ts's `-c search_path=<schema>`:
  // the migrations still create the tables in the schema (they set search_path themselves), but every
  // query then runs in the default search_path ("$user", public), another schema's tables if it has them.
  it('a store.url carrying its own options still works in its schema', async () => {
    const schema = freshSchema();
    const url = new URL(PG_URL);
    url.searchParams.set('options', '-c statement_timeout=60000');
    schemas.push(schema);
    const store = await openPgStore({ connectionString: url.toString(), schema });
    stores.push(store);
    // Several at once: connections other than the one the migrations left in the schema.
    const heads = await Promise.all([1, 2, 3, 4, 5].map(() => store.audit.head()));
    expect(heads).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  // Was a hole: index.ts told a lost connection as StoreUnavailableError (a 503 with Retry-After) for the
  // store's methods, but not for the methods of an upload stage() returns: an upload's add or publish
  // during an outage fails with the driver's error (a 500).
  it("an upload's add during an outage fails with StoreUnavailableError", async () => {
    const proxy = await startPgProxy();
    const schema = freshSchema();
    schemas.push(schema);
    const store = await openPgStore({ connectionString: proxy.url, schema });
    try {
      const staged = await store.datasets.stage(
        { providerId: 'boatreg-nl', datasetId: 'vessels' },
        'replace',
        'u1',
      );
      await proxy.cut();
      const record = {
        identifierKey: 'hin:1',
        identifierType: 'hin',
        objectType: 'boat',
        recordRef: 'ref-1',
        sourceRef: 'src-1',
        linkId: null,
        record: {},
      } as unknown as DatasetRecord;
      await expect(staged.add([record])).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      await proxy.restore();
      await store.close();
      await proxy.close();
    }
  });

  // Was a gap: a dataset's records() stream is not a promise, so the store's wrapper passed it through
  // and a lost connection reached its reader as the driver's error (a 500) instead of a 503.
  it("a dataset's records() stream during an outage fails with StoreUnavailableError", async () => {
    const proxy = await startPgProxy();
    const schema = freshSchema();
    schemas.push(schema);
    const store = await openPgStore({ connectionString: proxy.url, schema });
    try {
      await proxy.cut();
      const read = async () => {
        for await (const record of store.datasets.records('boatreg-nl', 'vessels')) void record;
      };
      await expect(read()).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      await proxy.restore();
      await store.close();
      await proxy.close();
    }
  });
});

describe('PostgreSQL store: review (no server needed)', () => {
  // Was a hole: describeStore masked the URL's password but not a `password` query parameter, which the
  // driver (pg-connection-string) accepts as the password: `fsg serve` and `fsg migrate-store` print it.
  it('describeStore never shows a password, in the userinfo or as a query parameter', () => {
    const shown = describeStore(storeAt('postgres://fsg@db.example:5432/fsg?password=hunter2&schema=gw'));
    expect(shown).toContain('db.example');
    expect(shown).not.toContain('hunter2');
  });

  // Was a hole: a batch whose COMMIT's outcome is unknown (the connection lost during it) may have been
  // committed; group-append.ts tries each unit again anyway, so a lookup's entries can be logged twice.
  it('a batch that fails with the connection lost is not written again unit by unit', async () => {
    const committed: AuditEventInput[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const append = groupAppends(async (events) => {
      calls++;
      if (calls === 1) await gate; // holds the "lock" so that the next two queue up as one batch
      committed.push([...events]);
      if (calls === 2) {
        // Committed, but the answer to COMMIT never came back.
        throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
      }
      return events.map((e, i) => ({ seq: committed.length * 10 + i, type: e.type }) as never);
    });
    const first = append([decisionEvent('a', 'permit')]);
    const second = append([decisionEvent('b', 'permit')]).catch((e: unknown) => e);
    const third = append([decisionEvent('c', 'permit')]).catch((e: unknown) => e);
    release();
    await first;
    await Promise.all([second, third]);
    // Each event written once: b and c went in one batch, whose outcome is unknown.
    expect(committed.flat().map((e) => e.agreementId)).toEqual(['a', 'b', 'c']);
  });
});
