/**
 * Issue 18, the store seam: `store.kind` selects the store (openStore) and the verifiers' reader
 * (openLogReader); a kind this build does not have is a configuration error naming the kinds it has,
 * raised before anything is opened or created.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { STORE_KINDS, openLogReader, openStore } from '../../src/store/open';

let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-store-open-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('openStore', () => {
  it('refuses an unknown kind, naming the kinds available, and creates nothing', () => {
    const file = path.join(dir, 'pg', 'gateway.db');
    const message = 'store.kind: unknown store kind "postgres"; the kinds available are sqlite';
    expect(() => openStore({ kind: 'postgres', file })).toThrow(message);
    expect(() => openLogReader({ kind: 'postgres', file })).toThrow(message);
    expect(fs.existsSync(path.dirname(file))).toBe(false);
    expect(STORE_KINDS).toEqual(['sqlite']);
  });

  it('opens the sqlite kind, whose log the reader then reads', async () => {
    const file = path.join(dir, 'gateway.db');
    const store = openStore({ kind: 'sqlite', file });
    try {
      expect(store.kind).toBe('sqlite');
      await store.audit.append([
        { type: 'policy.load', actor: 'system', partners: [], outcome: 'loaded', data: {} },
      ]);
    } finally {
      await store.close();
    }
    const log = openLogReader({ kind: 'sqlite', file });
    expect(log.source).toEqual({ kind: 'sqlite', file });
    expect(log.span(false)).toEqual({ utf8: true, lo: 1, hi: 1 });
    const rows = [];
    for await (const row of log.rawRows()) rows.push(row.type);
    expect(rows).toEqual(['policy.load']);
  });
});
