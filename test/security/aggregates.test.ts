/**
 * Hole 1 of issue 15: aggregate tables released personal data. A table's dimensions were not judged
 * like fields: any allowed field (owner.name, the exact date of birth, the full postcode, even the
 * source reference) could be a dimension, and every category's label was published even when all its
 * cells were suppressed. One request released the whole dataset, past hit/no-hit and the lookup quota.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';
import YAML from 'yaml';
import { contributions } from '../../src/aggregates/compute';
import { loadOrCreateSecrets } from '../../src/config/secrets';
import type { DatasetRecord } from '../../src/datasets/types';
import type { CanonicalRecord } from '../../src/records/canonical';
import { subjectHashes } from '../../src/audit/entry-fields';
import { SUBJECTS_PER_ENTRY } from '../../src/requests/audit-events';
import { aggregate, publishedView } from '../../src/sdc';
import { copyOfDemo, problemsOf } from '../helpers/bundle-copy';
import { asAggregate, codesOf, decideWith } from '../helpers/bundle-fixture';
import { createTestGateway, type TestGateway } from '../helpers/gateway';

let gw: TestGateway;
const tokens: Record<string, string> = {};
const bearer = (user: string) => ({ Authorization: `Bearer ${tokens[user]}` });
/** The operational log's lines, as the gateway writes them. */
const opsLog: string[] = [];

interface Sale {
  make: string;
  name: string;
  dob: string;
  postcode: string;
}

/**
 * The dealers' ledger: 12 Volkswagens (owners born 1985, district 3512), 11 Hondas (1979, 5611),
 * 15 Toyotas (1990, 2011) and 2 Ladas (owners born 1990 in district 9701: small categories).
 */
const SALES: Sale[] = [
  ...Array.from({ length: 12 }, (_, i) => ({
    make: 'Volkswagen',
    name: `Vera Vos ${i}`,
    dob: `1985-02-${String(10 + i).padStart(2, '0')}`,
    postcode: `3512 A${String.fromCharCode(65 + i)}`,
  })),
  ...Array.from({ length: 11 }, (_, i) => ({
    make: 'Honda',
    name: `Henk Hoek ${i}`,
    dob: `1979-11-${String(10 + i).padStart(2, '0')}`,
    postcode: `5611 C${String.fromCharCode(65 + i)}`,
  })),
  ...Array.from({ length: 15 }, (_, i) => ({
    make: 'Toyota',
    name: `Tineke Tol ${i}`,
    dob: `1990-03-${String(10 + i).padStart(2, '0')}`,
    postcode: `2011 E${String.fromCharCode(65 + i)}`,
  })),
  { make: 'Lada', name: 'Lotte Mulder', dob: '1990-06-06', postcode: '9701 AA' },
  { make: 'Lada', name: 'Pieter Zwart', dob: '1990-07-07', postcode: '9701 AB' },
];
const vin = (i: number) => `WVWZZZ1JZXW${String(300000 + i)}`;

function ledger(): string {
  const header =
    'vin,engine_number,engine_make,plate,make,model,colour,year,buyer_name,buyer_dob,buyer_postcode,sale_date';
  const rows = SALES.map(
    (s, i) => `${vin(i)},,,,${s.make},M,black,2015,${s.name},${s.dob},${s.postcode},2024-01-15`,
  );
  return [header, ...rows].join('\n') + '\n';
}

function tableRequest(groupBy: string[], caseNo: number) {
  return gw.http
    .post('/api/v1/requests')
    .set(bearer('anna'))
    .send({
      agreementId: 'stolen-vehicles',
      providerId: 'autodealers-nl',
      datasetId: 'sales-ledger',
      purpose: 'stolen-property-investigation',
      caseRef: `NL-2026-${String(900000 + caseNo)}`,
      query: { type: 'aggregate', groupBy, measure: 'count', objectType: 'vehicle' },
    });
}

/**
 * Everything an outsider or an insider could read about a request: the responses to the analyst
 * and to the responder, the disclosure, the stored request, its disclosure-log entries and the
 * operational log written meanwhile.
 */
async function everythingAbout(res: { body: { id?: string; requestId?: string } }): Promise<string> {
  const id = res.body.id ?? res.body.requestId;
  expect(id).toBeDefined();
  const seen: unknown[] = [res.body];
  for (const user of ['anna', 'dirk'])
    seen.push((await gw.http.get(`/api/v1/requests/${id}`).set(bearer(user))).body);
  seen.push((await gw.http.get(`/api/v1/requests/${id}/disclosure`).set(bearer('anna'))).body);
  seen.push(await gw.store.requests.get(id!));
  seen.push((await gw.store.audit.read(1, 100_000)).filter((e) => e.requestId === id));
  seen.push(opsLog);
  return JSON.stringify(seen);
}

async function disclosedTable(res: { status: number; body: { id: string; state: string } }) {
  expect(res.status).toBe(201);
  expect(res.body.state).toBe('disclosed');
  const read = await gw.http.get(`/api/v1/requests/${res.body.id}/disclosure`).set(bearer('anna'));
  expect(read.status).toBe(200);
  return read.body.table as {
    dimensions: string[][];
    cells: Array<{ key: string[]; value: number | null }>;
    hiddenCategories?: number[];
  };
}

/**
 * A category label as it would appear anywhere in JSON, also inside a logged line (escaped quotes):
 * a whole string, so that a hash or an id that happens to contain "9701" does not count.
 */
const asLabel = (label: string) => new RegExp(`\\\\?"${label}\\\\?"`);

const dataCodes = (res: { body: { decision?: { safes: { data: { reasons: Array<{ code: string }> } } } } }) =>
  res.body.decision?.safes.data.reasons.map((r) => r.code) ?? [];

beforeAll(async () => {
  gw = await createTestGateway();
  // Capture the operational log (the test gateway's logger is silent otherwise).
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      opsLog.push(chunk.toString());
      done();
    },
  });
  gw.logger.clear();
  gw.logger.add(new winston.transports.Stream({ stream: sink }));
  gw.logger.silent = false;
  gw.logger.level = 'debug';
  for (const user of ['anna', 'dirk', 'dana', 'sam']) tokens[user] = await gw.token(user);
  const upload = await gw.http
    .put('/api/v1/datasets/sales-ledger/records?adapter=autodealers-nl&mode=replace')
    .set(bearer('dirk'))
    .set('Content-Type', 'text/csv')
    .send(ledger());
  expect(upload.status).toBe(200);
  expect(upload.body.quarantined).toBe(0);
}, 30_000); // a gateway and an upload: slow only when the shared machine is busy
afterAll(() => gw.close());

describe('hole 1: aggregate tables release personal data', () => {
  it('hole 1: owner.name is never a dimension (refused, and no name leaves)', async () => {
    const res = await tableRequest(['owner.name'], 1);
    expect(res.status).toBe(403);
    expect(dataCodes(res)).toContain('DATA_DIMENSION_IDENTIFYING');
    const all = await everythingAbout(res);
    for (const s of SALES) expect(all).not.toContain(s.name);
  });

  it('hole 1: the exact date of birth is not a dimension; by year it is, and only years leave', async () => {
    const exact = await tableRequest(['owner.dateOfBirth'], 2);
    expect(exact.status).toBe(403);
    expect(dataCodes(exact)).toContain('DATA_DIMENSION_NOT_ALLOWED');
    const month = await tableRequest(['owner.dateOfBirth:month'], 3);
    expect(month.status).toBe(403);
    expect(dataCodes(month)).toContain('DATA_DIMENSION_NOT_ALLOWED');
    const byYear = await tableRequest(['owner.dateOfBirth:year'], 4);
    const table = await disclosedTable(byYear);
    expect(table.dimensions[0]).toContain('1990');
    for (const label of table.dimensions[0]!) expect(label).toMatch(/^\d{4}$/);
    for (const res of [exact, month, byYear]) {
      const all = await everythingAbout(res);
      for (const s of SALES) expect(all).not.toContain(s.dob);
    }
  });

  it('hole 1: the postcode is counted by district, never by full postcode', async () => {
    const res = await tableRequest(['owner.postcode'], 5);
    const table = await disclosedTable(res);
    expect(table.dimensions[0]).toContain('2011');
    for (const label of table.dimensions[0]!) expect(label).toMatch(/^\d{4}$/);
    const all = await everythingAbout(res);
    for (const s of SALES) expect(all).not.toContain(s.postcode);
  });

  it('hole 1: sourceRef is never a dimension (no VIN leaves)', async () => {
    const res = await tableRequest(['sourceRef'], 6);
    expect(res.status).toBe(403);
    expect(dataCodes(res)).toContain('DATA_DIMENSION_IDENTIFYING');
    const all = await everythingAbout(res);
    for (let i = 0; i < SALES.length; i++) expect(all).not.toContain(vin(i));
  });

  it('hole 1: the label of an all-suppressed category never leaves (response, stored request, logs)', async () => {
    const res = await tableRequest(['make'], 7);
    const table = await disclosedTable(res);
    expect(table.dimensions[0]).toContain('Toyota');
    expect(table.hiddenCategories?.[0]).toBeGreaterThanOrEqual(1);
    expect(await everythingAbout(res)).not.toMatch(asLabel('Lada'));
  });

  it('hole 1: district × year of birth publishes no label of a category too small to publish', async () => {
    const res = await tableRequest(['owner.postcode', 'owner.dateOfBirth:year'], 8);
    const table = await disclosedTable(res);
    // 9701 and 1990 hold the two Ladas; 1990 also holds 15 Toyotas, so it may stay.
    expect(table.dimensions[0]).not.toContain('9701');
    for (const c of table.cells) expect(c.key).not.toContain('9701');
    const all = await everythingAbout(res);
    expect(all).not.toMatch(asLabel('9701'));
    for (const s of SALES) expect(all).not.toContain(s.postcode);
  });

  it('hole 1: a field the dataset pseudonymises is refused as a dimension', async () => {
    const d = await decideWith((s) => {
      asAggregate(s);
      s.agreement.datasets[0]!.pseudonymise.push('colour');
      Object.assign(s.agreement.safes.output.aggregates!, { dimensions: ['make', 'colour', 'year'] });
      s.input.query!.groupBy = ['colour'];
      s.input.fields = ['colour'];
    });
    expect(d.outcome).toBe('deny');
    expect(codesOf(d)).toContain('DATA_DIMENSION_IDENTIFYING');
  });

  it('hole 1: an agreement listing an identifying or pseudonymised dimension does not load', () => {
    const dir = copyOfDemo();
    const file = path.join(dir, 'agreements', 'stolen-vehicles.yaml');
    const doc = YAML.parse(fs.readFileSync(file, 'utf8'));
    doc.datasets[0].pseudonymise = ['owner.name', 'colour'];
    doc.safes.output.aggregates.dimensions = ['make', 'owner.name', 'sourceRef', 'colour'];
    fs.writeFileSync(file, YAML.stringify(doc));
    const problems = problemsOf(dir).filter((p) => p.startsWith('agreements/stolen-vehicles.yaml'));
    expect(problems).toEqual([
      expect.stringMatching(/: \/safes\/output\/aggregates\/dimensions\/1: .*identif/),
      expect.stringMatching(/: \/safes\/output\/aggregates\/dimensions\/2: .*identif/),
      expect.stringMatching(/: \/safes\/output\/aggregates\/dimensions\/3: .*pseudonym/),
    ]);
  });

  it('hole 1: generalisation obligations apply to dimension values before counting', async () => {
    async function* records(): AsyncIterable<DatasetRecord> {
      for (const [i, s] of SALES.entries()) {
        yield {
          sourceRef: vin(i),
          linkId: null,
          record: {
            sourceRef: vin(i),
            objectType: 'vehicle',
            status: 'registered',
            identifier: { type: 'vin', value: vin(i) },
            owner: { dateOfBirth: s.dob, postcode: s.postcode },
          },
        } as unknown as DatasetRecord;
      }
    }
    const generalise = { 'owner.dateOfBirth': 'year', 'owner.postcode': 'district' } as const;
    const query = {
      type: 'aggregate' as const,
      groupBy: ['owner.dateOfBirth', 'owner.postcode'],
      measure: 'count' as const,
    };
    const rows = await contributions(records(), query, new Set(['vehicle']), generalise);
    const values = new Set(rows.flatMap((r) => r.group));
    expect([...values].sort()).toEqual(['1979', '1985', '1990', '2011', '3512', '5611', '9701']);
  });

  it('hole 1: a reviewer is never asked to release a cell below the threshold', () => {
    // One negative value sends the table to review; without 'suppress', the 3 Ladas would be published.
    const rows = [
      ...Array.from({ length: 40 }, () => ({ group: ['Volkswagen'], value: 100 })),
      { group: ['Volkswagen'], value: -1 },
      ...Array.from({ length: 3 }, () => ({ group: ['Lada'], value: 100 })),
    ];
    const table = aggregate(rows, ['make'], { sum: 'year' }, { actions: ['round'] });
    expect(table.outcome).toBe('fail');
    expect(JSON.stringify(publishedView(table, { reviewed: true }))).not.toContain('Lada');
  });

  it('hole 1: a withheld table publishes no labels at all', () => {
    const rows = [...Array.from({ length: 12 }, () => ({ group: ['Volkswagen'] })), { group: ['Lada'] }];
    const view = publishedView(aggregate(rows, ['make'], 'count', { actions: ['withhold'] }));
    expect(view.withheld).toBe(true);
    expect(JSON.stringify(view)).not.toMatch(/Lada|Volkswagen/);
  });
});

describe('issue 17: the subjects of a released table are findable, never released', () => {
  /** The log entries a DPO finds for a person, through the person's keyed hash. */
  /** The supervisor's DPO (sam) sees every entry; the provider's DPO would see these too. */
  const aboutPerson = async (name: string, dpo = 'sam') => {
    const res = await gw.http
      .get(`/api/v1/audit/events?subject=${encodeURIComponent(name)}&limit=100`)
      .set(bearer(dpo));
    expect(res.status).toBe(200);
    return res.body.items as Array<{ type: string; requestId: string; data: { subjectHashes?: string[] } }>;
  };
  const found = (entries: Awaited<ReturnType<typeof aboutPerson>>, requestId: string) =>
    entries.filter((e) => e.requestId === requestId);

  it('logs the keyed hashes of every owner whose sale counted, so "who saw data about X" finds the table', async () => {
    const res = await tableRequest(['make'], 17);
    const table = await disclosedTable(res);
    // Lada (2) is suppressed, Honda (11) with it as the complement.
    expect(table.dimensions).toEqual([['Toyota', 'Volkswagen']]);
    // An owner in a published cell, one in the complement and one of the 2 Ladas: all contributed to
    // the released table (its total at least), so all are found.
    for (const name of ['Vera Vos 3', 'Henk Hoek 0', 'Lotte Mulder']) {
      const entries = found(await aboutPerson(name), res.body.id);
      expect(entries.map((e) => e.type)).toEqual(['disclosure.subjects']);
      // Two hashes each: by name, and by name and date of birth (every buyer's is known).
      expect(entries[0]!.data.subjectHashes).toHaveLength(2 * SALES.length);
    }
    expect(found(await aboutPerson('Nobody Here'), res.body.id)).toEqual([]);
    // The requester's side never finds them: a search by name would tell its DPO whether a person is
    // in the provider's data (a lookup by name no agreement allows), and the hashes count contributors.
    for (const name of ['Vera Vos 3', 'Lotte Mulder']) {
      expect(found(await aboutPerson(name, 'dana'), res.body.id)).toEqual([]);
    }
    const subjectsEntries = (await gw.store.audit.read(1, 100_000)).filter(
      (e) => e.requestId === res.body.id && e.type === 'disclosure.subjects',
    );
    expect(subjectsEntries.map((e) => [e.actorUser, e.actorPartner, e.partners])).toEqual([
      ['system', null, ['autodealers-nl']],
    ]);
    // The analyst's copy carries no subject, hashed or not: its receipt is the disclosure entry, whose
    // hashes would count the contributors exactly and link tables by person. The log holds no name.
    const read = await gw.http.get(`/api/v1/requests/${res.body.id}/disclosure`).set(bearer('anna'));
    expect(JSON.parse(read.body.receipt.entry).data.subjectHashes).toEqual([]);
    const hashes = found(await aboutPerson('Vera Vos 3'), res.body.id)[0]!.data.subjectHashes!;
    const analystSees = JSON.stringify([
      read.body,
      (await gw.http.get(`/api/v1/requests/${res.body.id}`).set(bearer('anna'))).body,
    ]);
    for (const hash of hashes) expect(analystSees).not.toContain(hash);
    expect(analystSees).not.toMatch(/Vera Vos|Lotte Mulder/);
    const logged = (await gw.store.audit.read(1, 100_000)).filter((e) => e.requestId === res.body.id);
    expect(JSON.stringify(logged)).not.toMatch(/Vera Vos|Lotte Mulder/);
  });

  it('the request does not keep the subjects once they are logged: its row does not grow with the dataset', async () => {
    const res = await tableRequest(['make'], 18);
    await disclosedTable(res);
    const logged = (await gw.store.audit.read(1, 100_000)).filter(
      (e) => e.requestId === res.body.id && e.type === 'disclosure.subjects',
    );
    expect(logged.flatMap((e) => e.data.subjectHashes as string[])).toHaveLength(2 * SALES.length);
    expect((await gw.store.requests.get(res.body.id))?.preview?.subjectHashes).toEqual([]);
  });

  it('splits the subjects of a table over a large dataset into capped entries, each found by its subjects', async () => {
    // Enough more Toyota buyers for three entries (two hashes each: by name, by name and date of
    // birth): the last part is not the first's.
    const extra = SUBJECTS_PER_ENTRY + 100;
    const header = ledger().split('\n')[0]!;
    const rows = Array.from(
      { length: extra },
      (_, i) =>
        `${vin(SALES.length + i)},,,,Toyota,M,black,2015,Bulk Buyer ${i},1990-03-10,2011 EA,2024-01-15`,
    );
    const upload = await gw.http
      .put('/api/v1/datasets/sales-ledger/records?adapter=autodealers-nl&mode=upsert')
      .set(bearer('dirk'))
      .set('Content-Type', 'text/csv')
      .send([header, ...rows].join('\n') + '\n');
    expect(upload.status).toBe(200);
    expect(upload.body.quarantined).toBe(0);
    const res = await tableRequest(['make'], 18);
    await disclosedTable(res);

    const logged = (await gw.store.audit.read(1, 100_000)).filter(
      (e) => e.requestId === res.body.id && e.type === 'disclosure.subjects',
    );
    const parts = logged.map((e) => e.data as { part: number; parts: number; subjectHashes: string[] });
    expect(parts.map((p) => [p.part, p.parts])).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    for (const p of parts) expect(p.subjectHashes.length).toBeLessThanOrEqual(SUBJECTS_PER_ENTRY);
    const all = parts.flatMap((p) => p.subjectHashes);
    expect(all).toHaveLength(2 * (SALES.length + extra));
    expect(all).toEqual([...new Set(all)].sort());

    // An owner whose hash lands in the last part: the DPO's search finds that part, and only it.
    const key = loadOrCreateSecrets(gw.dataDir).identifierKey;
    const last = new Set(parts[2]!.subjectHashes);
    const names = [...SALES.map((s) => s.name), ...rows.map((_, i) => `Bulk Buyer ${i}`)];
    const name = names.find((n) =>
      last.has(subjectHashes(key, [{ owner: { name: n } } as CanonicalRecord])[0]!),
    );
    expect(name).toBeDefined();
    const entries = found(await aboutPerson(name!), res.body.id);
    expect(entries.map((e) => [e.type, (e.data as { part?: number }).part])).toEqual([
      ['disclosure.subjects', 3],
    ]);
  }, 60_000);
});
