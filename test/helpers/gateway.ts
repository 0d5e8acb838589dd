/** A real gateway on a temporary data folder, with a clock the test can move and demo tokens. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import supertest from 'supertest';
import { issueDemoToken } from '../../src/auth/demo-tokens';
import { readDemoUsers } from '../../src/accreditations/demo-seed';
import { loadConfig } from '../../src/config/load';
import { assemble, storeFile, type Assembled } from '../../src/gateway';
import { dropSchema, freshSchema, PG_URL } from '../postgres/pg-db';

export interface TestGateway extends Assembled {
  http: ReturnType<typeof supertest>;
  dbFile: string;
  dataDir: string;
  /** Moves the gateway's clock (tokens keep real time). */
  advance(ms: number): void;
  /** The gateway's clock now. */
  now(): Date;
  /** A demo token for `userId`, from their demo partner's issuer unless `partner` names another. */
  token(userId: string, options?: { mfa?: boolean; ttlSeconds?: number; partner?: string }): Promise<string>;
  close(): Promise<void>;
}

/**
 * The store the test gateways run on: SQLite, or PostgreSQL (a fresh schema each, dropped at close) in
 * the jest project that runs the integration tests again on PostgreSQL (FSG_TEST_STORE=postgres,
 * jest.config.js).
 */
function storeEnv(): { env: NodeJS.ProcessEnv; drop: () => Promise<void> } {
  if (process.env.FSG_TEST_STORE !== 'postgres') return { env: {}, drop: async () => undefined };
  const schema = freshSchema();
  return {
    env: { FSG_STORE_KIND: 'postgres', FSG_DATABASE_URL: PG_URL, FSG_DATABASE_SCHEMA: schema },
    drop: () => dropSchema(schema),
  };
}

/**
 * The jest project `worker-writer` (FSG_TEST_LOOKUP_WRITER=worker) runs HTTP integration tests with lookups
 * written by their worker thread, as in production: that needs the compiled gateway (a worker thread
 * cannot load TypeScript; `npm test` builds first) and the real clock (the worker stamps lookups with it).
 */
const onWorkerWriter = process.env.FSG_TEST_LOOKUP_WRITER === 'worker';

function assembleFor(config: ReturnType<typeof loadConfig>, clock: () => Date): Promise<Assembled> {
  if (!onWorkerWriter) return assemble(config, clock);
  const compiled = path.resolve(__dirname, '../../dist/src/gateway.js');
  if (!fs.existsSync(compiled))
    throw new Error(`FSG_TEST_LOOKUP_WRITER=worker needs the build (${compiled})`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(compiled) as typeof import('../../src/gateway')).assemble(config);
}

export async function createTestGateway(env: NodeJS.ProcessEnv = {}): Promise<TestGateway> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-test-'));
  const store = storeEnv();
  const config = loadConfig({
    FSG_DATA_DIR: dataDir,
    FSG_LOG_LEVEL: 'silent',
    FSG_DEMO_DATASETS: 'false',
    ...store.env,
    ...env,
  });
  let offsetMs = 0;
  const gateway = await assembleFor(config, () => new Date(Date.now() + offsetMs));
  // The project that runs these tests with the worker writer must not pass inline unnoticed.
  if (onWorkerWriter && !('lookup-writer' in (gateway.store.queueDepths?.() ?? {}))) {
    await gateway.store.close();
    throw new Error('FSG_TEST_LOOKUP_WRITER=worker, but the test gateway writes lookups inline');
  }
  // The project that runs these tests on PostgreSQL must not pass on SQLite unnoticed.
  if (process.env.FSG_TEST_STORE === 'postgres' && gateway.store.kind !== 'postgres') {
    await gateway.store.close();
    throw new Error(`FSG_TEST_STORE=postgres, but the test gateway opened a ${gateway.store.kind} store`);
  }
  const users = readDemoUsers(config.demo.accreditations);
  return {
    ...gateway,
    // The server's handler, as in production: the lookup fast lane in front of express.
    http: supertest(gateway.handler),
    dbFile: storeFile(config),
    dataDir,
    advance: (ms) => {
      if (onWorkerWriter) throw new Error('The worker-writer project runs on the real clock: no advance()');
      offsetMs += ms;
    },
    now: () => new Date(Date.now() + offsetMs),
    token: async (userId, options = {}) => {
      const partnerId = options.partner ?? users.find((u) => u.userId === userId)?.partnerId ?? 'police-nl';
      return issueDemoToken({
        userId,
        partner: gateway.bundle.partners.get(partnerId)!,
        bundleDir: gateway.bundle.dir,
        audience: config.auth.audience,
        ttlSeconds: options.ttlSeconds ?? 3600,
        mfa: options.mfa ?? true,
      });
    },
    close: async () => {
      await gateway.store.close();
      await store.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A request anna may make under stolen-boats, to boatreg-nl's vessel register. */
export function boatRequest(overrides: Record<string, unknown> = {}) {
  return {
    agreementId: 'stolen-boats',
    providerId: 'boatreg-nl',
    datasetId: 'vessels',
    identifiers: [{ type: 'hin', value: 'NL-HXAB7A33G293' }],
    recordRefs: [],
    fields: ['identifier', 'linkId', 'objectType', 'status', 'make', 'model', 'owner.name'],
    purpose: 'stolen-property-investigation',
    caseRef: 'NL-2026-000123',
    ...overrides,
  };
}

/** A hit/no-hit lookup anna may make under stolen-boats, for the hull number the demo datasets hold. */
export function boatLookup(overrides: Record<string, unknown> = {}) {
  return {
    agreementId: 'stolen-boats',
    purpose: 'stolen-property-investigation',
    caseRef: 'NL-2026-000321',
    identifiers: [{ type: 'hin', value: 'NL-HXAB7A33G293' }],
    ...overrides,
  };
}

/** boatreg-nl's records for the vessel asked for: two hull numbers and an engine sharing one linkId. */
export function vesselAnswer() {
  const owner = { name: 'Jan Pietersen', postcode: '1011 AB', dateOfBirth: '1970-04-02' };
  const base = {
    linkId: 'vessel-8841',
    status: 'registered',
    make: 'Bayliner',
    model: 'VR5',
    colour: 'white',
    year: 2019,
    owner,
  };
  return {
    records: [
      {
        ...base,
        sourceRef: 'BR-8841-H1',
        objectType: 'boat',
        identifier: { type: 'hin', value: 'NL-HXAB7A33G293' },
      },
      {
        ...base,
        sourceRef: 'BR-8841-H2',
        objectType: 'boat',
        identifier: { type: 'hin', value: 'US-BMA45678H485' },
      },
      {
        ...base,
        sourceRef: 'BR-8841-E1',
        objectType: 'boat-engine',
        identifier: { type: 'engine-serial', value: 'MERCURY:2B123456' },
      },
    ],
  };
}

/**
 * `count` boat requests by anna (case refs from `caseRef`), each answered by bram and then approved
 * or declined as `outcome` says, with a checkpoint signed after each: a log with disclosures in it.
 */
export async function answeredRequests(
  gw: TestGateway,
  count: number,
  caseRef: (i: number) => string,
  outcome: (i: number) => 'approve' | 'decline',
): Promise<void> {
  const anna = { Authorization: `Bearer ${await gw.token('anna')}` };
  const bram = { Authorization: `Bearer ${await gw.token('bram')}` };
  for (let i = 0; i < count; i++) {
    const id = (
      await gw.http
        .post('/api/v1/requests')
        .set(anna)
        .send(boatRequest({ caseRef: caseRef(i) }))
    ).body.id;
    const answer = await gw.http.post(`/api/v1/requests/${id}/answer`).set(bram).send(vesselAnswer());
    if (outcome(i) === 'approve')
      await gw.http
        .post(`/api/v1/requests/${id}/approve`)
        .set(bram)
        .send({ previewVersion: answer.body.previewVersion });
    else await gw.http.post(`/api/v1/requests/${id}/decline`).set(bram).send({ reason: 'not ours' });
    await gw.checkpointer.checkpoint();
  }
}
