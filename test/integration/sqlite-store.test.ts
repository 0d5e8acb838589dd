import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { AuditEventInput } from '../../src/audit/types';
import { verifyChain } from '../../src/audit/verify';
import type { Accreditation } from '../../src/records/accreditation';
import type { StoredRequest } from '../../src/requests/types';
import type { Decision } from '../../src/safes/types';
import type { Store } from '../../src/store/port';
import { LATEST_VERSION, MIGRATIONS, openSqliteStore, readRawAuditRows } from '../../src/store/sqlite';
import { migrate } from '../../src/store/sqlite/migrations';

let dir: string;
let file: string;
let store: Store;
let clock: Date;

function open(): Store {
  return openSqliteStore({ file, now: () => clock });
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-sqlite-'));
  file = path.join(dir, 'nested', 'gateway.db');
  clock = new Date('2025-03-01T12:00:00.000Z');
  store = open();
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const decision: Decision = {
  outcome: 'permit',
  safes: {
    people: { outcome: 'pass', reasons: [] },
    project: { outcome: 'pass', reasons: [] },
    setting: { outcome: 'pass', reasons: [] },
    data: { outcome: 'pass', reasons: [] },
    output: { outcome: 'pass', reasons: [] },
  },
  obligations: {
    fields: ['identifier', 'make'],
    pseudonymise: [],
    generalise: {},
    recipients: { user: 'anna', team: null },
    maxRecords: 5,
    handling: { tlp: 'AMBER', conditions: [] },
    retentionDays: 30,
  },
  policyDigest: 'sha256:abc',
  agreementVersion: 1,
  decidedAt: '2025-03-01T09:00:00.000Z',
};

function request(id: string, over: Partial<StoredRequest> = {}, input: Partial<StoredRequest['input']> = {}) {
  const r: StoredRequest = {
    id,
    input: {
      agreementId: 'stolen-vehicles',
      providerId: 'dealer-a',
      datasetId: 'dealer-a-stock',
      identifiers: [{ type: 'vin', value: 'WVWZZZ1JZXW000001' }],
      recordRefs: [],
      fields: ['identifier', 'make'],
      purpose: 'theft-investigation',
      caseRef: 'NL-2025-0001',
      ...input,
    },
    requesterUser: 'analyst-1',
    requesterPartner: 'police-nl',
    decision,
    state: 'awaiting_provider',
    createdAt: '2025-03-01T09:00:00.000Z',
    updatedAt: '2025-03-01T09:00:00.000Z',
    preview: null,
    previewVersion: 0,
    disclosure: null,
    disclosedAt: null,
    expiresAt: null,
    recordDigests: [],
    declineReason: null,
    purgedAt: null,
    ...over,
  };
  return r;
}

function created(r: StoredRequest): AuditEventInput[] {
  return [
    {
      type: 'request.created',
      actor: { userId: r.requesterUser, partnerId: r.requesterPartner },
      partners: [r.requesterPartner, r.input.providerId],
      requestId: r.id,
      agreementId: r.input.agreementId,
      outcome: r.state,
      data: { state: r.state },
    },
  ];
}

const stateEvent = (updated: StoredRequest): AuditEventInput[] => [
  {
    type: 'request.state',
    actor: 'system',
    partners: [updated.requesterPartner, updated.input.providerId],
    requestId: updated.id,
    outcome: updated.state,
    data: { state: updated.state },
  },
];

const preview = {
  records: [{ make: 'VW' }],
  outputCheck: { outcome: 'pass', reasons: [] },
} as unknown as NonNullable<StoredRequest['preview']>;

function accreditation(userId: string, over: Partial<Accreditation> = {}): Accreditation {
  return {
    userId,
    partnerId: 'police-nl',
    displayName: userId,
    roles: ['analyst'],
    vettingLevel: 2,
    trainedOn: '2025-01-01',
    expiresOn: '2026-01-01',
    suspended: false,
    ...over,
  };
}

async function logLength(): Promise<number> {
  return (await store.audit.head())?.seq ?? 0;
}

describe('opening', () => {
  it('creates the folder, sets the pragmas and migrates', async () => {
    expect(fs.existsSync(file)).toBe(true);
    expect(store.kind).toBe('sqlite');
    expect(await store.ping()).toBe(true);
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    db.close();
  });

  it('reopens an existing file without re-migrating, and the chain continues', async () => {
    await store.audit.append([{ type: 'policy.load', actor: 'system', partners: [], data: { n: 1 } }]);
    await store.close();
    store = open();
    const [second] = await store.audit.append([
      { type: 'policy.load', actor: 'system', partners: [], data: { n: 2 } },
    ]);
    expect(second.seq).toBe(2);
    expect((await verifyChain(readRawAuditRows(file))).ok).toBe(true);
  });

  it('ping is false once closed', async () => {
    await store.close();
    expect(await store.ping()).toBe(false);
    await store.close(); // idempotent
  });
});

describe('requests', () => {
  it('creates and reads back a request with its audit entry', async () => {
    const r = request('r1');
    await store.requests.create(r, created(r));
    expect(await store.requests.get('r1')).toEqual(r);
    expect(await store.requests.get('nope')).toBeUndefined();
    const head = await store.audit.head();
    expect(head).toMatchObject({
      seq: 1,
      type: 'request.created',
      requestId: 'r1',
      partners: ['dealer-a', 'police-nl'],
    });
  });

  it('writes nothing when the log entry cannot be written', async () => {
    const r = request('r1');
    const bad: AuditEventInput[] = [{ type: 'x', actor: 'system', partners: [], data: { n: NaN } }];
    await expect(store.requests.create(r, bad)).rejects.toThrow();
    expect(await store.requests.get('r1')).toBeUndefined();
    expect(await logLength()).toBe(0);
  });

  it('rejects a duplicate id and logs nothing for it', async () => {
    const r = request('r1');
    await store.requests.create(r, created(r));
    // better-sqlite3's errors come from the realm that first loaded the addon: match by code, not class.
    await expect(store.requests.create(r, created(r))).rejects.toHaveProperty(
      'code',
      'SQLITE_CONSTRAINT_PRIMARYKEY',
    );
    expect(await logLength()).toBe(1);
  });

  it('lists by requester newest first, optionally for one user', async () => {
    await store.requests.create(request('a', { createdAt: '2025-03-01T08:00:00.000Z' }), []);
    await store.requests.create(
      request('b', { createdAt: '2025-03-01T10:00:00.000Z', requesterUser: 'analyst-2' }),
      [],
    );
    await store.requests.create(request('c', { createdAt: '2025-03-01T09:00:00.000Z' }), []);
    await store.requests.create(request('d', { requesterPartner: 'police-be' }), []);
    const ids = async (...args: [string, string?]) =>
      (await store.requests.listByRequester(...args)).map((r) => r.id);
    expect(await ids('police-nl')).toEqual(['b', 'c', 'a']);
    expect(await ids('police-nl', 'analyst-1')).toEqual(['c', 'a']);
    expect(await ids('police-be', 'analyst-2')).toEqual([]);
  });

  it('lists by provider in the given states, oldest first', async () => {
    await store.requests.create(request('a', { createdAt: '2025-03-01T10:00:00.000Z' }), []);
    await store.requests.create(
      request('b', { createdAt: '2025-03-01T08:00:00.000Z', state: 'answered' }),
      [],
    );
    await store.requests.create(request('c', { createdAt: '2025-03-01T09:00:00.000Z', state: 'denied' }), []);
    await store.requests.create(request('d', {}, { providerId: 'dealer-b' }), []);
    const ids = async (states: StoredRequest['state'][]) =>
      (await store.requests.listByProvider('dealer-a', states)).map((r) => r.id);
    expect(await ids(['awaiting_provider', 'answered'])).toEqual(['b', 'a']);
    expect(await ids(['denied'])).toEqual(['c']);
    expect(await ids([])).toEqual([]);
  });

  it('hands the events the state the request was in just before the move, read in the same transaction', async () => {
    const r = request('race');
    await store.requests.create(r, created(r));
    // The caller last saw "awaiting_provider"; meanwhile the request was answered.
    await store.requests.transition(
      'race',
      ['awaiting_provider'],
      { state: 'answered', preview },
      stateEvent,
    );
    const seen: string[] = [];
    const withdrawn = await store.requests.transition(
      'race',
      ['awaiting_provider', 'answered'],
      { state: 'withdrawn' },
      (updated, previous) => {
        seen.push(previous);
        return stateEvent(updated);
      },
    );
    expect(withdrawn?.state).toBe('withdrawn');
    expect(seen).toEqual(['answered']);
  });

  it('transitions by compare-and-set, logging only the move that happened', async () => {
    const r = request('r1');
    await store.requests.create(r, created(r));
    clock = new Date('2025-03-01T13:00:00.000Z');

    const answered = await store.requests.transition(
      'r1',
      ['awaiting_provider'],
      { state: 'answered', preview },
      stateEvent,
    );
    expect(answered).toEqual({
      ...r,
      state: 'answered',
      preview,
      previewVersion: 1,
      updatedAt: '2025-03-01T13:00:00.000Z',
    });
    expect(await store.audit.head()).toMatchObject({ seq: 2, type: 'request.state', outcome: 'answered' });

    // A second responder racing on the same request loses and leaves no trace.
    const lost = await store.requests.transition(
      'r1',
      ['awaiting_provider'],
      { state: 'declined' },
      stateEvent,
    );
    expect(lost).toBeUndefined();
    expect(
      await store.requests.transition('missing', ['awaiting_provider'], { state: 'declined' }, stateEvent),
    ).toBe(undefined);
    expect(await logLength()).toBe(2);
    expect((await store.requests.get('r1'))?.state).toBe('answered');

    // Fields the patch leaves out keep their value; null clears.
    const disclosed = await store.requests.transition(
      'r1',
      ['answered'],
      {
        state: 'disclosed',
        disclosure: [{ make: 'VW' }],
        disclosedAt: '2025-03-01T13:00:00.000Z',
        expiresAt: '2025-03-31T13:00:00.000Z',
        recordDigests: ['d1'],
      },
      stateEvent,
    );
    expect(disclosed).toMatchObject({ preview, disclosure: [{ make: 'VW' }], recordDigests: ['d1'] });
    const purged = await store.requests.transition(
      'r1',
      ['disclosed'],
      { state: 'expired', disclosure: null, preview: null, purgedAt: '2025-04-01T00:00:00.000Z' },
      stateEvent,
    );
    expect(purged).toMatchObject({
      state: 'expired',
      disclosure: null,
      preview: null,
      recordDigests: ['d1'],
    });
    expect(purged?.expiresAt).toBe('2025-03-31T13:00:00.000Z');
  });

  it('counts each write of the preview, and holds an expected version in the compare-and-set', async () => {
    const r = request('v');
    await store.requests.create(r, created(r));
    const answer = (version?: number) =>
      store.requests.transition('v', ['answered'], { state: 'answered', preview }, stateEvent, version);
    await store.requests.transition('v', ['awaiting_provider'], { state: 'answered', preview }, stateEvent);
    expect((await answer())?.previewVersion).toBe(2);
    expect(await answer(1)).toBeUndefined();
    expect(await logLength()).toBe(3);
    const approved = await store.requests.transition(
      'v',
      ['answered'],
      { state: 'disclosed' },
      stateEvent,
      2,
    );
    expect(approved).toMatchObject({ state: 'disclosed', previewVersion: 2 });
  });

  it('rolls the change back when the events callback throws', async () => {
    const r = request('r1');
    await store.requests.create(r, created(r));
    const boom = () => {
      throw new Error('boom');
    };
    await expect(
      store.requests.transition('r1', ['awaiting_provider'], { state: 'answered', preview }, boom),
    ).rejects.toThrow('boom');
    expect(await store.requests.get('r1')).toEqual(r);
    expect(await logLength()).toBe(1);
  });

  it('counts a user’s requests under an agreement since a time', async () => {
    await store.requests.create(request('a', { createdAt: '2025-03-01T08:00:00.000Z' }), []);
    await store.requests.create(request('b', { createdAt: '2025-03-01T10:00:00.000Z' }), []);
    await store.requests.create(
      request('c', { createdAt: '2025-03-01T11:00:00.000Z' }, { agreementId: 'boats' }),
      [],
    );
    await store.requests.create(
      request('d', { createdAt: '2025-03-01T11:00:00.000Z', requesterUser: 'x' }),
      [],
    );
    const since = new Date('2025-03-01T10:00:00.000Z');
    expect(await store.requests.countSince('police-nl', 'analyst-1', 'stolen-vehicles', since)).toBe(1);
    expect(await store.requests.countSince('police-nl', 'analyst-1', 'stolen-vehicles', new Date(0))).toBe(2);
    expect(await store.requests.countSince('police-nl', 'nobody', 'stolen-vehicles', new Date(0))).toBe(0);
  });

  it('counts a user’s lookups under an agreement since a time, from their log entries', async () => {
    const lookupBy = (user: string, agreementId: string, at: string): Promise<void> => {
      clock = new Date(at);
      return store.lookups.create([
        {
          type: 'lookup',
          actor: { userId: user, partnerId: 'police-nl' },
          partners: ['police-nl'],
          agreementId,
          data: {},
        },
      ]);
    };
    await lookupBy('anna', 'stolen-boats', '2025-03-01T08:00:00.000Z');
    await lookupBy('anna', 'stolen-boats', '2025-03-01T10:00:00.000Z');
    await lookupBy('anna', 'stolen-boats', '2025-03-01T11:30:00.000Z');
    await lookupBy('anna', 'stolen-vehicles', '2025-03-01T11:00:00.000Z');
    await lookupBy('bert', 'stolen-boats', '2025-03-01T11:00:00.000Z');
    // Another kind of entry by the same user under the same agreement is not a lookup.
    clock = new Date('2025-03-01T11:00:00.000Z');
    await store.audit.append([
      {
        type: 'request.created',
        actor: { userId: 'anna', partnerId: 'police-nl' },
        partners: ['police-nl'],
        agreementId: 'stolen-boats',
        data: {},
      },
    ]);
    const since = new Date('2025-03-01T10:00:00.000Z');
    expect(await store.lookups.countSince('police-nl', 'anna', 'stolen-boats', since)).toBe(2);
    expect(await store.lookups.countSince('police-nl', 'anna', 'stolen-boats', new Date(0))).toBe(3);
    expect(await store.lookups.countSince('police-nl', 'anna', 'stolen-vehicles', since)).toBe(1);
    expect(await store.lookups.countSince('police-nl', 'nobody', 'stolen-boats', new Date(0))).toBe(0);
  });

  it('migrates a version-5 database: lookups counted from the log, their table dropped', async () => {
    const old = new Database(path.join(dir, 'v5.db'));
    try {
      migrate(
        old,
        MIGRATIONS.filter((m) => m.version <= 5),
      );
      old
        .prepare(
          `INSERT INTO lookups (id, agreement_id, requester_user, requester_partner, outcome, hits, created_at)
           VALUES ('l1', 'stolen-boats', 'anna', 'police-nl', 'permit', 0, '2025-03-01T10:00:00.000Z')`,
        )
        .run();
      const entry = old.prepare<[number, string, string, string | null]>(
        `INSERT INTO audit_log (seq, ts, type, actor_user, actor_partner, partners, request_id, agreement_id,
                                outcome, body, prev_hash, hash)
         VALUES (?, '2025-03-01T10:00:00.000Z', ?, ?, 'police-nl', '[]', ?, 'stolen-boats', NULL, '{}', '', '')`,
      );
      entry.run(1, 'lookup', 'anna', null);
      entry.run(2, 'request.created', 'anna', 'r1');
      entry.run(3, 'lookup', 'anna', null);
      expect(migrate(old)).toBe(LATEST_VERSION);
      const names = old
        .prepare<[], { name: string; sql: string | null }>('SELECT name, sql FROM sqlite_master')
        .all();
      expect(names.map((n) => n.name)).not.toContain('lookups');
      expect(names.find((n) => n.name === 'audit_log_request')?.sql).toMatch(/WHERE request_id IS NOT NULL/);
      const count = old.prepare(
        `SELECT count(*) AS n FROM audit_log INDEXED BY audit_log_lookups
         WHERE type = 'lookup' AND actor_user = 'anna' AND agreement_id = 'stolen-boats' AND ts >= ''`,
      );
      expect(count.get()).toEqual({ n: 2 });
      // The partial request index still serves a lookup by request.
      expect(
        old.prepare("SELECT seq FROM audit_log INDEXED BY audit_log_request WHERE request_id = 'r1'").all(),
      ).toEqual([{ seq: 2 }]);
    } finally {
      old.close();
    }
  });

  it('migrates a version-7 database: a stored preview is version 1, none is version 0', async () => {
    const old = new Database(path.join(dir, 'v7.db'));
    try {
      migrate(
        old,
        MIGRATIONS.filter((m) => m.version <= 7),
      );
      const insert = old.prepare<[string, string, string | null]>(
        `INSERT INTO requests (id, agreement_id, provider_id, dataset_id, requester_user, requester_partner, state,
           created_at, updated_at, input, decision, preview, record_digests)
         VALUES (?, 'a', 'p', 'd', 'u', 'police-nl', ?, '2025-03-01T10:00:00.000Z', '2025-03-01T10:00:00.000Z',
           '{}', '{}', ?, '[]')`,
      );
      insert.run('answered', 'answered', '{"records":[]}');
      insert.run('waiting', 'awaiting_provider', null);
      expect(migrate(old)).toBe(LATEST_VERSION);
      expect(old.prepare('SELECT id, preview_version FROM requests ORDER BY id').all()).toEqual([
        { id: 'answered', preview_version: 1 },
        { id: 'waiting', preview_version: 0 },
      ]);
    } finally {
      old.close();
    }
  });

  it('migrates a version-14 database: its role grants kept, and legal may now be proposed', async () => {
    const old = new Database(path.join(dir, 'v14.db'));
    try {
      migrate(
        old,
        MIGRATIONS.filter((m) => m.version <= 14),
      );
      const insert = old.prepare<[string, string, string]>(
        `INSERT INTO role_grants (id, partner_id, user_id, role, state, proposed_by_partner, proposed_by_user,
           proposed_at) VALUES (?, 'police-nl', 'anna', ?, ?, 'gateway', 'ada', '2026-12-01T10:00:00.000Z')`,
      );
      insert.run('g1', 'dpo', 'approved');
      expect(() => insert.run('g2', 'legal', 'pending')).toThrow(/CHECK/);
      expect(migrate(old)).toBe(LATEST_VERSION);
      insert.run('g2', 'legal', 'pending');
      expect(old.prepare('SELECT id, role, state FROM role_grants ORDER BY id').all()).toEqual([
        { id: 'g1', role: 'dpo', state: 'approved' },
        { id: 'g2', role: 'legal', state: 'pending' },
      ]);
      // One open proposal per person and role, as before.
      expect(() => insert.run('g3', 'legal', 'pending')).toThrow(/UNIQUE/);
    } finally {
      old.close();
    }
  });

  it('stores timestamps in one form so text comparison holds', async () => {
    await store.requests.create(request('a', { createdAt: '2025-03-01T10:00:00Z' }), []);
    expect((await store.requests.get('a'))?.createdAt).toBe('2025-03-01T10:00:00.000Z');
    expect(
      await store.requests.countSince(
        'police-nl',
        'analyst-1',
        'stolen-vehicles',
        new Date('2025-03-01T10:00:00.000Z'),
      ),
    ).toBe(1);
    await expect(store.requests.create(request('b', { createdAt: 'yesterday' }), [])).rejects.toThrow(
      RangeError,
    );
  });

  it('lists disclosed, unpurged requests whose expiry has come', async () => {
    const disclosed = { state: 'disclosed' as const, disclosure: [{ make: 'VW' }] };
    await store.requests.create(request('due', { ...disclosed, expiresAt: '2025-03-10T00:00:00.000Z' }), []);
    await store.requests.create(
      request('exact', { ...disclosed, expiresAt: '2025-03-20T00:00:00.000Z' }),
      [],
    );
    await store.requests.create(
      request('later', { ...disclosed, expiresAt: '2025-04-01T00:00:00.000Z' }),
      [],
    );
    await store.requests.create(
      request('purged', {
        ...disclosed,
        expiresAt: '2025-03-01T00:00:00.000Z',
        purgedAt: '2025-03-02T00:00:00.000Z',
      }),
      [],
    );
    await store.requests.create(
      request('answered', { state: 'answered', expiresAt: '2025-03-01T00:00:00.000Z' }),
      [],
    );
    const due = await store.requests.listExpired(new Date('2025-03-20T00:00:00.000Z'));
    expect(due.map((r) => r.id)).toEqual(['due', 'exact']);
  });
});

describe('accreditations', () => {
  it('puts, gets and lists, logging each change', async () => {
    const a = accreditation('analyst-1', { teams: ['theft'] });
    const b = accreditation('resp-1', { partnerId: 'dealer-a', roles: ['responder'], suspended: true });
    const ev = (e: Accreditation): AuditEventInput[] => [
      { type: 'accreditation.change', actor: 'system', partners: [e.partnerId], data: { userId: e.userId } },
    ];
    await store.accreditations.put(a, ev(a));
    await store.accreditations.put(b, ev(b));
    expect(await store.accreditations.get('police-nl', 'analyst-1')).toEqual(a);
    expect(await store.accreditations.get('dealer-a', 'resp-1')).toEqual(b);
    expect(await store.accreditations.list('dealer-a')).toEqual([b]);
    expect(await store.accreditations.list()).toEqual([b, a]); // by partner, then user

    const changed = { ...a, suspended: true, teams: undefined };
    await store.accreditations.put(changed, ev(changed));
    expect(await store.accreditations.get('police-nl', 'analyst-1')).toEqual({
      ...a,
      suspended: true,
      teams: undefined,
    });
    expect(await logLength()).toBe(3);
  });

  it('does not keep a change whose log entry fails', async () => {
    const bad: AuditEventInput[] = [{ type: 'x', actor: 'system', partners: [], data: { n: Infinity } }];
    await expect(store.accreditations.put(accreditation('u'), bad)).rejects.toThrow();
    expect(await store.accreditations.get('police-nl', 'u')).toBeUndefined();
  });

  it('seeds idempotently', async () => {
    const entries = [accreditation('a'), accreditation('b')];
    const events = (added: Accreditation[]): AuditEventInput[] => [
      {
        type: 'accreditation.seed',
        actor: 'system',
        partners: ['police-nl'],
        data: { users: added.map((e) => e.userId) },
      },
    ];
    await store.accreditations.put(accreditation('b', { vettingLevel: 3 }), []);
    expect(await store.accreditations.seed(entries, events)).toBe(1);
    expect(await store.accreditations.seed(entries, events)).toBe(0);
    expect((await store.accreditations.get('police-nl', 'b'))?.vettingLevel).toBe(3); // seeding never overwrites
    expect(await store.accreditations.list()).toHaveLength(2);
    const log = await store.audit.read(1, 10);
    expect(log).toHaveLength(1);
    expect(log[0].data).toEqual({ users: ['a'] });
  });
});

describe('a person is (partner, user)', () => {
  it('keeps two partners’ users of the same id apart: registry, request and lookup quotas', async () => {
    await store.accreditations.put(accreditation('sam'), []);
    await store.accreditations.put(accreditation('sam', { partnerId: 'police-se', vettingLevel: 3 }), []);
    expect((await store.accreditations.get('police-nl', 'sam'))?.vettingLevel).toBe(2);
    expect((await store.accreditations.get('police-se', 'sam'))?.vettingLevel).toBe(3);
    expect(await store.accreditations.get('gateway', 'sam')).toBeUndefined();

    await store.requests.create(request('se-1', { requesterUser: 'sam', requesterPartner: 'police-se' }), []);
    await store.lookups.create([
      {
        type: 'lookup',
        actor: { userId: 'sam', partnerId: 'police-se' },
        partners: ['police-se'],
        agreementId: 'stolen-vehicles',
        data: {},
      },
    ]);
    expect(await store.requests.countSince('police-se', 'sam', 'stolen-vehicles', new Date(0))).toBe(1);
    expect(await store.requests.countSince('police-nl', 'sam', 'stolen-vehicles', new Date(0))).toBe(0);
    expect(await store.lookups.countSince('police-se', 'sam', 'stolen-vehicles', new Date(0))).toBe(1);
    expect(await store.lookups.countSince('police-nl', 'sam', 'stolen-vehicles', new Date(0))).toBe(0);
  });

  it('migrates a version-7 database: the registry keyed by (partner, user), rows keep their partner', async () => {
    const old = new Database(path.join(dir, 'v7.db'));
    try {
      migrate(
        old,
        MIGRATIONS.filter((m) => m.version <= 7),
      );
      old
        .prepare(
          `INSERT INTO accreditations (user_id, partner_id, display_name, roles, vetting_level, trained_on,
             expires_on, suspended, teams)
           VALUES ('anna', 'police-nl', 'Anna', '["analyst"]', 2, '2026-01-01', '2027-01-01', 0, '["theft"]'),
                  ('ada', 'gateway', 'Ada', '["admin"]', 3, '2026-01-01', '2027-01-01', 1, NULL)`,
        )
        .run();
      old
        .prepare(
          `INSERT INTO audit_log (seq, ts, type, actor_user, actor_partner, partners, request_id, agreement_id,
                                  outcome, body, prev_hash, hash)
           VALUES (1, '2026-03-01T10:00:00.000Z', 'lookup', 'anna', 'police-nl', '[]', NULL, 'stolen-boats',
                   'permit', '{}', '', '')`,
        )
        .run();
      expect(migrate(old)).toBe(LATEST_VERSION);
      const rows = old
        .prepare('SELECT partner_id, user_id, suspended, teams FROM accreditations ORDER BY 1')
        .all();
      expect(rows).toEqual([
        { partner_id: 'gateway', user_id: 'ada', suspended: 1, teams: null },
        { partner_id: 'police-nl', user_id: 'anna', suspended: 0, teams: '["theft"]' },
      ]);
      // Another partner's entry of the same id is a second row, not a conflict.
      old
        .prepare(
          `INSERT INTO accreditations (user_id, partner_id, display_name, roles, vetting_level, trained_on,
             expires_on, suspended)
           VALUES ('anna', 'police-se', 'Anna B', '["analyst"]', 2, '2026-01-01', '2027-01-01', 0)`,
        )
        .run();
      const count = (partner: string) =>
        old
          .prepare<[string], { n: number }>(
            `SELECT count(*) AS n FROM audit_log INDEXED BY audit_log_lookups
             WHERE type = 'lookup' AND actor_user = 'anna' AND actor_partner = ? AND agreement_id = 'stolen-boats'
               AND ts >= ''`,
          )
          .get(partner)!.n;
      expect([count('police-nl'), count('police-se')]).toEqual([1, 0]);
      const indexes = old
        .prepare<[], { name: string; sql: string }>(
          "SELECT name, sql FROM sqlite_master WHERE type = 'index'",
        )
        .all();
      const sqlOf = (name: string) => indexes.find((i) => i.name === name)?.sql;
      expect(sqlOf('requests_user_quota')).toMatch(/requester_user, requester_partner, agreement_id/);
      expect(sqlOf('audit_log_actor')).toMatch(/actor_user, actor_partner/);
      expect(old.prepare("SELECT count(*) AS n FROM role_grants WHERE state = 'pending'").get()).toEqual({
        n: 0,
      });
    } finally {
      old.close();
    }
  });
});

describe('role grants', () => {
  const ADA = { partnerId: 'gateway', userId: 'ada' };
  const BEN = { partnerId: 'gateway', userId: 'ben' };
  const grant = (id: string) => ({
    id,
    subject: { partnerId: 'police-nl', userId: 'anna' },
    role: 'dpo' as const,
    state: 'pending' as const,
    proposer: ADA,
    proposedAt: '2025-03-01T10:00:00.000Z',
    decidedBy: null,
    decidedAt: null,
    reason: null,
  });
  const logged = (type: string): AuditEventInput[] => [{ type, actor: 'system', partners: [], data: {} }];

  it('keeps one pending grant per person and role, and changes nothing until approved', async () => {
    await store.accreditations.put(accreditation('anna'), []);
    expect(await store.roleGrants.propose(grant('g1'), logged('proposed'))).toBe(true);
    expect(await store.roleGrants.propose(grant('g2'), logged('proposed'))).toBe(false);
    expect(await logLength()).toBe(1);
    expect(await store.roleGrants.list('pending')).toEqual([grant('g1')]);
    expect((await store.accreditations.get('police-nl', 'anna'))?.roles).toEqual(['analyst']);
  });

  it('approves once, adding the role in the same transaction as its log entries', async () => {
    await store.accreditations.put(accreditation('anna'), []);
    await store.roleGrants.propose(grant('g1'), []);
    const at = '2025-03-01T11:00:00.000Z';
    const decided = await store.roleGrants.decide('g1', { state: 'approved', by: BEN, at }, (g, change) => [
      { type: 'role-grant', actor: BEN, partners: [], data: { id: g.id, after: change?.after.roles } },
    ]);
    expect(decided).toMatchObject({ state: 'approved', decidedBy: BEN, decidedAt: at });
    expect((await store.accreditations.get('police-nl', 'anna'))?.roles).toEqual(['analyst', 'dpo']);
    expect((await store.audit.head())?.data).toEqual({ id: 'g1', after: ['analyst', 'dpo'] });
    // Decided already: nothing happens, nothing is logged.
    const again = await store.roleGrants.decide('g1', { state: 'rejected', by: BEN, at }, () => logged('x'));
    expect(again).toBeUndefined();
    expect(await logLength()).toBe(1);
    // A new proposal of the same role is possible once the first is decided.
    expect(await store.roleGrants.propose(grant('g3'), [])).toBe(true);
  });

  it('rolls a decision back when its log entry fails', async () => {
    await store.accreditations.put(accreditation('anna'), []);
    await store.roleGrants.propose(grant('g1'), []);
    const bad: AuditEventInput[] = [{ type: 'x', actor: 'system', partners: [], data: { n: Infinity } }];
    await expect(
      store.roleGrants.decide(
        'g1',
        { state: 'approved', by: BEN, at: '2025-03-01T11:00:00.000Z' },
        () => bad,
      ),
    ).rejects.toThrow();
    expect((await store.roleGrants.get('g1'))?.state).toBe('pending');
    expect((await store.accreditations.get('police-nl', 'anna'))?.roles).toEqual(['analyst']);
  });
});

describe('audit log', () => {
  it('appends, reads in order and returns entries as stored', async () => {
    const written = await store.audit.append([
      { type: 'policy.load', actor: 'system', partners: [], data: { digest: 'd1' } },
      { type: 'policy.load', actor: 'system', partners: [], data: { digest: 'd2' } },
    ]);
    await store.audit.append([
      { type: 'policy.load', actor: 'system', partners: [], data: { digest: 'd3' } },
    ]);
    expect(written.map((e) => e.seq)).toEqual([1, 2]);
    expect(written[1].prevHash).toBe(written[0].hash);
    expect(await store.audit.read(1, 2)).toEqual(written);
    expect((await store.audit.read(2, 10)).map((e) => e.seq)).toEqual([2, 3]);
    expect(await store.audit.read(1, 0)).toEqual([]);
    expect((await store.audit.head())?.seq).toBe(3);
    expect(await store.audit.append([])).toEqual([]);
  });

  it('is refused by the database itself when changed in place', async () => {
    await store.audit.append([{ type: 'policy.load', actor: 'system', partners: ['p'], data: {} }]);
    const other = new Database(file);
    try {
      expect(() => other.prepare("UPDATE audit_log SET type = 'x'").run()).toThrow(/append-only/);
      expect(() => other.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
      expect(() => other.prepare('DELETE FROM audit_partners').run()).toThrow(/append-only/);
    } finally {
      other.close();
    }
  });

  it('lets the offline verifier pinpoint a body altered with plain SQL', async () => {
    for (let i = 1; i <= 5; i++) {
      const r = request(`r${i}`);
      await store.requests.create(r, created(r));
    }
    await store.requests.transition(
      'r3',
      ['awaiting_provider'],
      { state: 'declined', declineReason: 'no' },
      stateEvent,
    );
    const intact = await verifyChain(readRawAuditRows(file, 2));
    expect(intact).toMatchObject({ ok: true, checked: 6, headSeq: 6 });
    expect(intact.headHash).toBe((await store.audit.head())?.hash);

    // An attacker with the file drops the guard and edits entry 4 (request r4) in place.
    const other = new Database(file);
    other.exec('DROP TRIGGER audit_log_no_update');
    const changed = other
      .prepare('UPDATE audit_log SET body = replace(body, ?, ?) WHERE seq = ?')
      .run('"requestId":"r4"', '"requestId":"r9"', 4);
    other.close();
    expect(changed.changes).toBe(1);

    const report = await verifyChain(readRawAuditRows(file, 2));
    expect(report).toMatchObject({
      ok: false,
      checked: 3,
      headSeq: 3,
      firstBroken: { seq: 4, reason: 'hash-mismatch' },
    });
  });

  it('catches a tampered partner index', async () => {
    const r = request('r1');
    await store.requests.create(r, created(r));
    await store.requests.create(request('r2'), created(request('r2')));
    const other = new Database(file);
    other.exec('DROP TRIGGER audit_partners_no_delete');
    other.prepare('DELETE FROM audit_partners WHERE seq = ? AND partner = ?').run(2, 'police-nl');
    other.close();
    expect((await verifyChain(readRawAuditRows(file))).firstBroken).toMatchObject({
      seq: 2,
      reason: 'column-mismatch',
    });
  });

  it('reads raw rows read-only', async () => {
    await store.audit.append([{ type: 'policy.load', actor: 'system', partners: ['b', 'a'], data: {} }]);
    const rows = [];
    for await (const row of readRawAuditRows(file)) rows.push(row);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      seq: 1,
      partners: '["a","b"]',
      actor_user: 'system',
      actor_partner: null,
    });
    expect(JSON.parse(rows[0].partner_index ?? '[]').sort()).toEqual(['a', 'b']);
    await expect(async () => {
      for await (const _ of readRawAuditRows(path.join(dir, 'missing.db'))) void _;
    }).rejects.toHaveProperty('message', expect.stringMatching(/missing\.db|unable to open|does not exist/));
  });
});
