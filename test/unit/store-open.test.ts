/**
 * Issue 18, the store seam: `store.kind` selects the store (openStore) and the verifiers' reader
 * (openLogReader); a kind this build does not have is a configuration error naming the kinds it has;
 * a command line names a store by a SQLite file or a postgres:// URL (storeAt).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  STORE_KINDS,
  describeStore,
  openLogReader,
  openStore,
  storeAt,
  storeKind,
} from '../../src/store/open';

let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-store-open-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('openStore', () => {
  it('refuses an unknown kind, naming the kinds available', () => {
    expect(() => storeKind('mysql')).toThrow(
      'store.kind: unknown store kind "mysql"; the kinds available are sqlite, postgres',
    );
    expect(STORE_KINDS).toEqual(['sqlite', 'postgres']);
    expect(storeKind('postgres')).toBe('postgres');
  });

  it('names a store from the command line: a file, or a URL whose schema parameter is not passed on', () => {
    expect(storeAt('/data/gateway.sqlite')).toEqual({ kind: 'sqlite', file: '/data/gateway.sqlite' });
    const pg = storeAt('postgres://fsg:secret@db.example:5432/gw?schema=tenant_a&sslmode=require');
    expect(pg).toEqual({
      kind: 'postgres',
      url: 'postgres://fsg:secret@db.example:5432/gw?sslmode=require',
      schema: 'tenant_a',
    });
    expect(storeAt('postgresql://db/gw')).toMatchObject({ kind: 'postgres', schema: 'fsg' });
    expect(describeStore(pg)).toBe('postgres://fsg:***@db.example:5432/gw?sslmode=require (schema tenant_a)');
    expect(describeStore(pg)).not.toContain('secret');
    // The schema is interpolated into SQL (search_path): nothing but a plain lower-case name passes.
    expect(() => storeAt('postgres://db/gw?schema=a";drop')).toThrow(/not a usable schema name/);
  });

  it('opens the sqlite kind, whose log the reader then reads', async () => {
    const file = path.join(dir, 'gateway.db');
    const store = await openStore({ kind: 'sqlite', file });
    try {
      expect(store.kind).toBe('sqlite');
      await store.audit.append([
        { type: 'policy.load', actor: 'system', partners: [], outcome: 'loaded', data: {} },
      ]);
    } finally {
      await store.close();
    }
    const log = await openLogReader({ kind: 'sqlite', file });
    expect(log.source).toEqual({ kind: 'sqlite', file });
    expect(log.span(false)).toEqual({ utf8: true, lo: 1, hi: 1 });
    const rows = [];
    for await (const row of log.rawRows()) rows.push(row.type);
    expect(rows).toEqual(['policy.load']);
  });
});
