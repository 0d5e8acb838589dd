/** The store contract (store-contract.ts) on SQLite: a fresh database file in a temporary folder per test. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite';
import { storeContract } from './store-contract';

storeContract(
  'sqlite',
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-contract-'));
    const store = openSqliteStore({ file: path.join(dir, 'gateway.db') });
    return {
      store,
      async close() {
        await store.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  {
    // The store's own close stops the uploads' writers through it; no caller of the port uses it.
    notInPort: ['datasets.close'],
  },
);
