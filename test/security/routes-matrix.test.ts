/**
 * The standing route matrix (issue 15): every route the gateway mounts — the API's RouteSpecs and the
 * portal's, read from the route table createApp returns, so a route is covered the day it is added —
 * called without a token, and as every role of the partners that own the seeded data and of others.
 *
 * - Without a token: 401 problem+json (the portal: a redirect to sign-in).
 * - With one: a route guarded by actions answers 403 exactly when no role of the caller may perform
 *   them for the caller's partner (policies/policy.csv, through casbin); otherwise never 401 or 403.
 *   A route open to any verified token never answers 401; what it refuses (the Five Safes, a
 *   disclosure read by its provider) is its own decision. The API says why (problem+json with a
 *   detail). Never a 5xx.
 * - No response carries another partner's data: identifiers, owners' names, record references,
 *   request and lookup ids, case references, pseudonyms of the seeded request and datasets.
 *
 * A route the matrix cannot call fails it: path parameters are filled by name (route-table.ts), and every
 * route that takes a body has an entry in CALLS (method and full path) — a new one needs its line.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type supertest from 'supertest';
import YAML from 'yaml';
import { readDemoUsers } from '../../src/accreditations/demo-seed';
import { PROJECT_ROOT } from '../../src/config/load';
import { partiesOf } from '../../src/partnership/standing';
import { createTestGateway, type TestGateway } from '../helpers/gateway';
import {
  fillPath,
  guardAllows,
  isPortal,
  keyOf,
  registryBody,
  signIn,
  type Anchors,
  type Mounted,
} from './route-table';

// ---------------------------------------------------------------------------------------------------
// The cast: the demo users, and a few more so that every role has a partner that owns the data and one
// that does not (a DPO at each provider and at the other police force), and roles held at a partner
// the policy gives them nothing at (casbin's domains).

const DEMO_FILE = path.join(PROJECT_ROOT, 'config', 'demo', 'accreditations.yaml');
const EXTRA: { userId: string; like: string; partnerId: string; roles?: string[] }[] = [
  { userId: 'dpo-boatreg', like: 'dana', partnerId: 'boatreg-nl' },
  { userId: 'dpo-insureco', like: 'dana', partnerId: 'insureco' },
  { userId: 'dpo-police-se', like: 'dana', partnerId: 'police-se' },
  { userId: 'analyst-insureco', like: 'anna', partnerId: 'insureco' },
  { userId: 'responder-police-nl', like: 'bram', partnerId: 'police-nl' },
  { userId: 'admin-police-nl', like: 'ada', partnerId: 'police-nl' },
];
/** Demo users left out as callers: tom is the target of the admin routes. */
const NOT_CALLING = new Set(['tom']);

function castFiles(): { config: string; accreditations: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-matrix-cast-'));
  const doc = YAML.parse(fs.readFileSync(DEMO_FILE, 'utf8')) as { users: Record<string, unknown>[] };
  for (const extra of EXTRA) {
    const like = doc.users.find((u) => u.userId === extra.like)!;
    doc.users.push({
      ...like,
      userId: extra.userId,
      partnerId: extra.partnerId,
      displayName: `Matrix ${extra.userId}`,
      ...(extra.roles ? { roles: extra.roles } : {}),
    });
  }
  const accreditations = path.join(dir, 'accreditations.yaml');
  fs.writeFileSync(accreditations, YAML.stringify(doc));
  const config = path.join(dir, 'site.yaml');
  fs.writeFileSync(config, YAML.stringify({ demo: { accreditations } }));
  return { config, accreditations };
}

interface Caller {
  userId: string;
  partnerId: string;
  roles: string[];
  token: string;
  portal: { cookie: string; csrf: string };
}

// ---------------------------------------------------------------------------------------------------
// The seeded data: boatreg-nl's vessel register and insureco's theft claims (both shared for lookups
// under stolen-boats); anna's lookup that hits both; her detail request to boatreg-nl, answered,
// approved and read. Each secret names the partners allowed to see it.

// Values found nowhere else (not in the adapters' example files, not in the portal's hints).
const SHARED_HIN = 'NL-ZLDM7W42C526';
const BOAT_ONLY_HIN = 'US-ZLDX8Y93D525';
const OWNERS = ['Wilhelmina Zeldenrust', 'Hendrika Oosterbroek'];
/** boatreg-nl's register: a vessel with two hull numbers and an engine, and one no one asks about. */
const VESSELS_CSV = Buffer.from(
  [
    'registration_no,vessel_name,hull_numbers,make,model,colour,build_year,status,owner_name,owner_postcode,owner_since,engine1_make,engine1_serial,engine1_power_kw,engine2_make,engine2_serial,engine2_power_kw',
    `NL-7701-ZR,Zilvermeeuw,${SHARED_HIN};${BOAT_ONLY_HIN},Bayliner,VR5,white,2019,Geregistreerd,${OWNERS[0]},1011 AB,2020-05-14,Mercury,7Z991357,150,,,`,
    `NL-7702-ZR,Oosterstorm,NL-ZLDR4K77D424,Beneteau,Flyer 7,blue,2018,gestolen,${OWNERS[1]},3011 CD,2018-06-01,Yamaha,6ZZ-7704567,110,,,`,
    '',
  ].join('\n'),
);
/** insureco's claims: the same boat (its hull number and registration), and a car. */
const CLAIMS_JSON = JSON.stringify([
  {
    claimId: 'CLM-2026-7301',
    insuredObject: {
      kind: 'boat',
      identifiers: [
        { scheme: 'HIN', value: SHARED_HIN },
        { scheme: 'PLATE', value: 'NL-7701-ZR' },
      ],
      make: 'Bayliner',
      model: 'VR5',
      year: 2019,
    },
    theft: { date: '2026-05-20', place: 'Zuiderhaven' },
    reportedAt: '2026-05-21T08:00:00+02:00',
  },
  {
    claimId: 'CLM-2026-7302',
    insuredObject: {
      kind: 'boat',
      identifiers: [{ scheme: 'HIN', value: 'NL-ZLDQ3P88E425' }],
      make: 'Sea Ray',
      model: 'SPX 190',
      year: 2025,
    },
    theft: { date: '2026-06-02', place: 'Oosterhaven' },
    reportedAt: '2026-06-02T10:00:00Z',
  },
]);
/** An identifier no seeded dataset holds: what the matrix itself looks up and asks for. */
const PROBE_HIN = 'FR-BEN00123K919';
const LOOKUP_CASE = 'NL-2026-424242';
const REQUEST_CASE = 'NL-2026-515151';

interface Secret {
  what: string;
  value: string;
  /** Partners whose users may see it. */
  seenBy: string[];
}

interface Seed extends Anchors {
  secrets: Secret[];
}

async function seed(gw: TestGateway, as: (user: string) => Record<string, string>): Promise<Seed> {
  const ok = (res: supertest.Response, what: string) => {
    if (res.status >= 300)
      throw new Error(`seeding: ${what} answered ${res.status} ${res.text.slice(0, 300)}`);
    return res;
  };
  const upload = (user: string, dataset: string, adapter: string, type: string, data: string | Buffer) =>
    gw.http
      .put(`/api/v1/datasets/${dataset}/records?adapter=${adapter}&mode=replace`)
      .set(as(user))
      .set('Content-Type', type)
      .send(data);
  ok(await upload('bram', 'vessels', 'boatreg-nl', 'text/csv', VESSELS_CSV), 'boatreg-nl upload');
  ok(await upload('iris', 'theft-claims', 'insureco', 'application/json', CLAIMS_JSON), 'insureco upload');
  const lookup = ok(
    await gw.http
      .post('/api/v1/lookups')
      .set(as('anna'))
      .send({
        agreementId: 'stolen-boats',
        identifiers: [
          { type: 'hin', value: SHARED_HIN },
          { type: 'hin', value: BOAT_ONLY_HIN },
        ],
        purpose: 'stolen-property-investigation',
        caseRef: LOOKUP_CASE,
      }),
    'lookup',
  ).body as { id: string; hits: { providerId: string; recordRef: string }[] };
  const refsOf = (provider: string) =>
    lookup.hits.filter((h) => h.providerId === provider).map((h) => h.recordRef);
  if (!refsOf('boatreg-nl').length || !refsOf('insureco').length) {
    throw new Error(`seeding: the lookup should hit both providers: ${JSON.stringify(lookup.hits)}`);
  }
  const created = ok(
    await gw.http
      .post('/api/v1/requests')
      .set(as('anna'))
      .send({
        agreementId: 'stolen-boats',
        providerId: 'boatreg-nl',
        datasetId: 'vessels',
        identifiers: [{ type: 'hin', value: SHARED_HIN }],
        recordRefs: refsOf('boatreg-nl').slice(0, 1),
        fields: ['identifier', 'linkId', 'objectType', 'status', 'make', 'model', 'owner.name'],
        purpose: 'stolen-property-investigation',
        caseRef: REQUEST_CASE,
      }),
    'detail request',
  ).body as { id: string };
  const requestId = created.id;
  ok(await gw.http.post(`/api/v1/requests/${requestId}/answer/shared`).set(as('bram')), 'answer');
  const { previewVersion } = ok(await gw.http.get(`/api/v1/requests/${requestId}`).set(as('bram')), 'preview')
    .body as { previewVersion: number };
  ok(
    await gw.http.post(`/api/v1/requests/${requestId}/approve`).set(as('bram')).send({ previewVersion }),
    'approve',
  );
  const disclosure = ok(
    await gw.http.get(`/api/v1/requests/${requestId}/disclosure`).set(as('anna')),
    'disclosure',
  ).body as { records: { owner?: { name?: string } }[] };
  const pseudonyms = disclosure.records.map((r) => r.owner?.name).filter((n): n is string => !!n);
  if (!pseudonyms.length) throw new Error('seeding: the disclosure should carry pseudonymised owners');
  const checkpoint = await gw.checkpointer.checkpoint();
  const disclosed = (await gw.store.audit.read(1, 100_000)).find(
    (e) => e.type === 'disclosure' && e.requestId === requestId,
  );
  if (!disclosed) throw new Error('seeding: no disclosure entry in the log');

  const police = 'police-nl';
  const boatreg = 'boatreg-nl';
  const insureco = 'insureco';
  const supervisor = 'gateway';
  const secrets: Secret[] = [
    ...OWNERS.map((value) => ({ what: 'owner name', value, seenBy: [boatreg] })),
    // The second vessel and the second claim: no one asked about them.
    ...['NL-ZLDR4K77D424', '6ZZ-7704567', 'NL-7702-ZR', 'Oosterstorm'].map((value) => ({
      what: 'unrequested record',
      value,
      seenBy: [boatreg],
    })),
    ...['NL-ZLDQ3P88E425', 'CLM-2026-7301', 'CLM-2026-7302', 'Oosterhaven'].map((value) => ({
      what: 'insureco claim',
      value,
      seenBy: [insureco],
    })),
    { what: 'hull number asked and disclosed', value: BOAT_ONLY_HIN, seenBy: [boatreg, police] },
    ...[SHARED_HIN, 'NL-7701-ZR'].map((value) => ({
      what: 'identifier both providers hold',
      value,
      seenBy: [boatreg, insureco, police],
    })),
    ...refsOf(boatreg).map((value) => ({
      what: 'boatreg-nl record ref',
      value,
      seenBy: [boatreg, police, supervisor],
    })),
    ...refsOf(insureco).map((value) => ({
      what: 'insureco record ref',
      value,
      seenBy: [insureco, police, supervisor],
    })),
    ...pseudonyms.map((value) => ({ what: 'pseudonym in the disclosure', value, seenBy: [boatreg, police] })),
    { what: 'request id', value: requestId, seenBy: [boatreg, police, supervisor] },
    { what: 'request case reference', value: REQUEST_CASE, seenBy: [boatreg, police, supervisor] },
    { what: 'lookup id', value: lookup.id, seenBy: [boatreg, insureco, police, supervisor] },
    { what: 'lookup case reference', value: LOOKUP_CASE, seenBy: [boatreg, insureco, police, supervisor] },
  ];
  return { requestId, seq: disclosed.seq, treeSize: checkpoint!.treeSize, secrets };
}

// ---------------------------------------------------------------------------------------------------
// How to call a route: path parameters by name, and a body (or query) per method and full path.

interface Call {
  query?: string;
  json?: unknown;
  /** A streamed upload in a partner's format. */
  upload?: { type: string; data: Buffer };
  /** A portal form (urlencoded; the session's CSRF token is added). */
  form?: Record<string, string | string[]>;
  /** A portal form with a file (multipart). */
  file?: { fields: Record<string, string>; name: string; data: Buffer };
  /** The call ends the session (sign-out): it gets a session of its own. */
  ownSession?: true;
}

const lookupBody = {
  agreementId: 'stolen-boats',
  identifiers: [{ type: 'hin', value: PROBE_HIN }],
  purpose: 'stolen-property-investigation',
  caseRef: 'NL-2026-600001',
};
const requestBody = {
  agreementId: 'stolen-boats',
  providerId: 'boatreg-nl',
  datasetId: 'vessels',
  identifiers: [{ type: 'hin', value: PROBE_HIN }],
  fields: ['identifier', 'make', 'model'],
  purpose: 'stolen-property-investigation',
  caseRef: 'NL-2026-600002',
};
const answerRecords = {
  records: [
    {
      sourceRef: 'MATRIX-1',
      objectType: 'boat',
      status: 'registered',
      identifier: { type: 'hin', value: PROBE_HIN },
      make: 'Beneteau',
      model: 'Antares 8',
    },
  ],
};
const reason = { reason: 'checked by the route matrix' };
const isoDay = (offsetDays: number) =>
  new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
/** A police-nl screening that clears it again (what the demo seeded): the other calls go on as before. */
const screening = {
  reviewedOn: isoDay(0),
  outcome: 'cleared',
  conditions: [],
  riskNotes: 'checked by the route matrix',
  contact: { name: 'Matrix desk', email: 'desk@police-nl.example' },
  nextReviewOn: isoDay(365),
};
/** An acceptance of a digest that is not the one loaded: a party gets 409, and nothing changes. */
const staleAcceptance = { version: 4, digest: '0'.repeat(64), confidentiality: true };
/**
 * Routes that refuse, beyond policy.csv, a caller whose partner is not a party to the agreement the path
 * names (the filler's stolen-boats): only a party accepts for itself.
 */
const PARTY_ONLY = new Set([
  'post /api/v1/agreements/:agreementId/acceptance',
  'post /portal/partnership/agreements/:agreementId/accept',
]);

function calls(accreditationsFile: string, seed: Seed): Record<string, Call | null> {
  const tom = registryBody(accreditationsFile, 'tom') as { roles: string[]; teams?: string[] } & Record<
    string,
    string
  >;
  const tomForm = {
    displayName: tom.displayName,
    roles: tom.roles,
    vettingLevel: String(tom.vettingLevel),
    trainedOn: tom.trainedOn,
    expiresOn: tom.expiresOn,
    teams: (tom.teams ?? []).join(', '),
  };
  return {
    'post /api/v1/lookups': { json: lookupBody },
    'post /api/v1/requests': { json: requestBody },
    'post /api/v1/requests/:id/answer': { json: answerRecords },
    'post /api/v1/requests/:id/answer/shared': null,
    'post /api/v1/requests/:id/answer/upload': {
      query: 'adapter=boatreg-nl',
      upload: { type: 'text/csv', data: VESSELS_CSV },
    },
    'post /api/v1/requests/:id/approve': { json: { previewVersion: 1 } },
    'post /api/v1/requests/:id/decline': { json: reason },
    'post /api/v1/requests/:id/withdraw': null,
    // Questions to the partnership (issue 21).
    'post /api/v1/questions': {
      json: {
        agreementId: 'stolen-boats',
        identifiers: [{ type: 'hin', value: PROBE_HIN }],
        purpose: 'stolen-property-investigation',
        caseRef: 'NL-2026-600003',
        text: 'Asked by the route matrix.',
      },
    },
    'post /api/v1/requests/:id/no-information': null,
    'post /api/v1/requests/:id/outcomes': {
      json: { kind: 'owner-traced', note: 'checked by the route matrix' },
    },
    'post /api/v1/lookups/:lookupId/outcomes': { json: { kind: 'owner-traced' } },
    'put /api/v1/datasets/:datasetId/records': {
      query: 'adapter=boatreg-nl&mode=replace',
      upload: { type: 'text/csv', data: VESSELS_CSV },
    },
    'get /api/v1/audit/checkpoints/consistency': { query: `from=${seed.treeSize}` },
    'get /api/v1/audit/export': { query: 'format=jsonl' },
    'post /api/v1/audit/subject-access': { json: { identifier: { type: 'hin', value: PROBE_HIN } } },
    'put /api/v1/admin/accreditations/:userId': { json: tom },
    'patch /api/v1/admin/accreditations/:userId': { json: { vettingLevel: tom.vettingLevel } },
    'post /api/v1/admin/accreditations/:userId/suspend': { json: reason },
    'post /api/v1/admin/accreditations/:userId/reinstate': { json: reason },
    // The registry keyed by (partner, user), and grants of privileged roles (issue 15).
    'put /api/v1/admin/accreditations/:partnerId/:userId': { json: tom },
    'patch /api/v1/admin/accreditations/:partnerId/:userId': { json: { vettingLevel: tom.vettingLevel } },
    'post /api/v1/admin/accreditations/:partnerId/:userId/suspend': { json: reason },
    'post /api/v1/admin/accreditations/:partnerId/:userId/reinstate': { json: reason },
    'post /api/v1/admin/accreditations/:partnerId/:userId/role-grants': { json: { role: 'dpo' } },
    'post /api/v1/admin/role-grants/:id/approve': null,
    'post /api/v1/admin/role-grants/:id/reject': { json: reason },
    'post /api/v1/partners/:partnerId/screenings': { json: screening },
    'post /api/v1/agreements/:agreementId/acceptance': { json: staleAcceptance },
    // A reason too short: a party's withdrawal would stop the exchanges the other calls make.
    'post /api/v1/agreements/:agreementId/withdrawal': { json: { reason: 'x' } },
    'post /portal/sign-in': { form: { partner: 'police-nl', user: 'tom' }, ownSession: true },
    'post /portal/sign-out': { form: {}, ownSession: true },
    'post /portal/lookup': {
      form: {
        agreementId: lookupBody.agreementId,
        identifiers: `hin:${PROBE_HIN}`,
        purpose: lookupBody.purpose,
        caseRef: lookupBody.caseRef,
      },
    },
    'post /portal/requests': {
      form: {
        agreementId: requestBody.agreementId,
        dataset: 'boatreg-nl/vessels',
        identifiers: `hin:${PROBE_HIN}`,
        fields: requestBody.fields,
        purpose: requestBody.purpose,
        caseRef: requestBody.caseRef,
      },
    },
    'post /portal/tables': {
      form: {
        agreementId: requestBody.agreementId,
        dataset: 'boatreg-nl/vessels',
        dimension1: 'make',
        measure: 'count',
        purpose: requestBody.purpose,
        caseRef: requestBody.caseRef,
      },
    },
    'post /portal/requests/:id/withdraw': { form: {} },
    'post /portal/requests/:id/answer': {
      file: { fields: { adapter: 'boatreg-nl' }, name: 'answer.csv', data: VESSELS_CSV },
    },
    'post /portal/requests/:id/answer-shared': { form: {} },
    'post /portal/requests/:id/approve': { form: { previewVersion: '1' } },
    'post /portal/requests/:id/decline': { form: reason },
    'post /portal/requests/:id/no-information': { form: {} },
    'post /portal/questions': {
      form: {
        agreementId: 'stolen-boats',
        identifiers: `hin:${PROBE_HIN}`,
        text: 'Asked by the route matrix.',
        purpose: requestBody.purpose,
        caseRef: 'NL-2026-600004',
      },
    },
    'post /portal/requests/:id/outcomes': { form: { kind: 'owner-traced' } },
    'post /portal/lookups/:lookupId/outcomes': { form: { kind: 'owner-traced' } },
    'post /portal/datasets/:datasetId': {
      file: { fields: { adapter: 'boatreg-nl', mode: 'replace' }, name: 'vessels.csv', data: VESSELS_CSV },
    },
    'post /portal/log/verify': { form: {} },
    'post /portal/log/export': { form: { format: 'jsonl' } },
    'post /portal/log/subject-access': { form: { identifierType: 'hin', identifierValue: PROBE_HIN } },
    'post /portal/admin/accreditations/:userId': { form: tomForm },
    'post /portal/admin/accreditations/:userId/suspend': { form: reason },
    'post /portal/admin/accreditations/:userId/reinstate': { form: reason },
    'post /portal/admin/accreditations/:partnerId/:userId': { form: tomForm },
    'post /portal/admin/accreditations/:partnerId/:userId/suspend': { form: reason },
    'post /portal/admin/accreditations/:partnerId/:userId/reinstate': { form: reason },
    'post /portal/admin/accreditations/:partnerId/:userId/role-grants': { form: { role: 'dpo' } },
    'post /portal/admin/role-grants/:id/approve': { form: {} },
    'post /portal/admin/role-grants/:id/reject': { form: reason },
    'post /portal/admin/partners/:partnerId/screening': {
      form: {
        reviewedOn: screening.reviewedOn,
        outcome: screening.outcome,
        riskNotes: screening.riskNotes,
        contactName: screening.contact.name,
        contactEmail: screening.contact.email,
        nextReviewOn: screening.nextReviewOn,
      },
    },
    'post /portal/partnership/agreements/:agreementId/accept': {
      form: { accept: 'yes', version: '4', digest: staleAcceptance.digest },
    },
    'post /portal/partnership/agreements/:agreementId/withdraw': { form: { reason: 'x' } },
  };
}

const takesBody = ({ route }: Mounted) => route.method !== 'get';

/** The URL to call, or why the matrix does not know how to call the route. */
function urlOf(
  mounted: Mounted,
  seed: Seed,
  table: Record<string, Call | null>,
): string | { unknown: string } {
  const filled = fillPath(mounted, seed);
  if (typeof filled !== 'string') return filled;
  if (takesBody(mounted) && !(keyOf(mounted) in table)) {
    return { unknown: `no entry in CALLS for "${keyOf(mounted)}" (give its body, or null for none)` };
  }
  const query = table[keyOf(mounted)]?.query;
  return `${filled}${query ? `?${query}` : ''}`;
}

interface Result {
  key: string;
  user: string;
  status: number;
  type: string;
  location?: string;
  wwwAuthenticate?: string;
  text: string;
  /** The API problem's detail: why it was refused. */
  detail?: string;
}

async function send(
  gw: TestGateway,
  mounted: Mounted,
  url: string,
  call: Call | null | undefined,
  caller: Caller | undefined,
): Promise<supertest.Response> {
  let req = gw.http[mounted.route.method](url);
  let csrf = caller?.portal.csrf;
  if (isPortal(mounted)) {
    req = req.set('Accept', 'text/html');
    if (caller) {
      const session = call?.ownSession
        ? await signIn(gw.http, caller.userId, caller.partnerId)
        : caller.portal;
      csrf = session.csrf;
      req = req.set('Cookie', session.cookie);
    }
  } else if (caller) {
    req = req.set('Authorization', `Bearer ${caller.token}`);
  }
  if (call?.json !== undefined) return req.send(call.json as object);
  if (call?.upload) return req.set('Content-Type', call.upload.type).send(call.upload.data);
  if (call?.form) {
    const form = new URLSearchParams(csrf ? { _csrf: csrf } : {});
    for (const [name, value] of Object.entries(call.form)) {
      for (const v of Array.isArray(value) ? value : [value]) form.append(name, v);
    }
    return req.type('form').send(form.toString());
  }
  if (call?.file) {
    if (csrf) req = req.field('_csrf', csrf);
    for (const [name, value] of Object.entries(call.file.fields)) req = req.field(name, value);
    return req.attach('file', call.file.data, call.file.name);
  }
  return req;
}

function resultOf(key: string, user: string, res: supertest.Response): Result {
  const type = String(res.headers['content-type'] ?? '');
  const body = res.body as { detail?: unknown } | undefined;
  return {
    key,
    user,
    status: res.status,
    type,
    location: res.headers.location as string | undefined,
    wwwAuthenticate: res.headers['www-authenticate'] as string | undefined,
    text: `${res.text ?? ''}\n${JSON.stringify(res.headers)}`,
    detail: typeof body?.detail === 'string' ? body.detail : undefined,
  };
}

// ---------------------------------------------------------------------------------------------------

let gw: TestGateway;
let seeded: Seed;
let callers: Caller[];
let routes: Mounted[];
const unknown: string[] = [];
const anonymous: Result[] = [];
const results: Result[] = [];

beforeAll(async () => {
  const cast = castFiles();
  gw = await createTestGateway({ FSG_CONFIG: cast.config });
  const users = readDemoUsers(cast.accreditations).filter((u) => !NOT_CALLING.has(u.userId));
  const tokens = new Map<string, string>();
  for (const u of users) tokens.set(u.userId, await gw.token(u.userId));
  seeded = await seed(gw, (user) => ({ Authorization: `Bearer ${tokens.get(user)}` }));
  callers = [];
  for (const u of users) {
    callers.push({
      userId: u.userId,
      partnerId: u.partnerId,
      roles: u.roles,
      token: tokens.get(u.userId)!,
      portal: await signIn(gw.http, u.userId, u.partnerId),
    });
  }
  routes = gw.routes;
  const table = calls(cast.accreditations, seeded);
  for (const mounted of routes) {
    const url = urlOf(mounted, seeded, table);
    if (typeof url !== 'string') {
      unknown.push(`${keyOf(mounted)}: ${url.unknown}`);
      continue;
    }
    const call = table[keyOf(mounted)];
    anonymous.push(resultOf(keyOf(mounted), '(no token)', await send(gw, mounted, url, call, undefined)));
    for (const caller of callers) {
      results.push(resultOf(keyOf(mounted), caller.userId, await send(gw, mounted, url, call, caller)));
    }
  }
}, 180_000);
afterAll(() => gw?.close());

const mountedOf = (key: string) => routes.find((m) => keyOf(m) === key)!;
const callerOf = (user: string) => callers.find((c) => c.userId === user)!;

/** Whether the route's guard lets the caller through (the demo accreditations are all active). */
const guardLets = (mounted: Mounted, caller: Caller) =>
  guardAllows(gw.bundle, mounted, caller.roles, caller.partnerId);

describe('the route matrix', () => {
  it('knows how to call every mounted route (fillers for each path parameter, a body for each route that takes one)', () => {
    expect(routes.length).toBeGreaterThan(50);
    expect(unknown).toEqual([]);
  });

  it('answers every route without a token with 401 problem+json, and the portal with a redirect to sign-in', () => {
    const wrong = anonymous
      .filter((r) => mountedOf(r.key).route.guard.kind !== 'public')
      .filter((r) =>
        isPortal(mountedOf(r.key))
          ? !(r.status === 303 && r.location === '/portal/sign-in')
          : !(
              r.status === 401 &&
              /^application\/problem\+json/.test(r.type) &&
              /^Bearer/.test(r.wwwAuthenticate ?? '')
            ),
      )
      .map((r) => `${r.key}: ${r.status} ${r.location ?? ''}`);
    expect(wrong).toEqual([]);
  });

  it('answers 403 exactly where policy.csv gives none of the caller’s roles the route’s actions for their partner', () => {
    const wrong: string[] = [];
    for (const r of results) {
      const mounted = mountedOf(r.key);
      if (mounted.route.guard.kind !== 'actions') continue;
      const caller = callerOf(r.user);
      const allowed = guardLets(mounted, caller);
      const who = `${r.user} (${caller.roles.join('+')}@${caller.partnerId})`;
      if (!allowed && r.status !== 403) wrong.push(`${r.key} as ${who}: ${r.status}, expected 403`);
      const notParty =
        PARTY_ONLY.has(r.key) &&
        r.status === 403 &&
        !partiesOf(gw.bundle.agreements.get('stolen-boats')!).includes(caller.partnerId);
      if (allowed && (r.status === 401 || r.status === 403) && !notParty) {
        wrong.push(`${r.key} as ${who}: ${r.status}, but the policy allows it`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('lets every verified token through the routes open to any partner (what they refuse is their own decision)', () => {
    const wrong = results
      .filter((r) => mountedOf(r.key).route.guard.kind === 'authenticated')
      // A page that sends a signed-in user back to sign-in refused the session (sign-out aside: a POST).
      .filter((r) => r.status === 401 || (r.location === '/portal/sign-in' && r.key.startsWith('get ')))
      .map((r) => `${r.key} as ${r.user}: ${r.status}`);
    expect(wrong).toEqual([]);
  });

  it('says why whenever the API refuses: a problem+json with a detail', () => {
    const wrong = [...anonymous, ...results]
      .filter((r) => r.status >= 400 && !isPortal(mountedOf(r.key)))
      .filter((r) => !/^application\/problem\+json/.test(r.type) || !r.detail)
      .map((r) => `${r.key} as ${r.user}: ${r.status} ${r.type}`);
    expect(wrong).toEqual([]);
  });

  it('never answers a 5xx, to anyone', () => {
    const wrong = [...anonymous, ...results]
      .filter((r) => r.status >= 500)
      .map((r) => `${r.key} as ${r.user}: ${r.status}`);
    expect(wrong).toEqual([]);
  });

  it('puts no stack trace and no bearer token in any answer', () => {
    const wrong: string[] = [];
    for (const r of [...anonymous, ...results]) {
      if (/\n\s+at .+:\d+:\d+/.test(r.text)) wrong.push(`${r.key} as ${r.user}: a stack trace`);
      for (const c of callers)
        if (r.text.includes(c.token)) wrong.push(`${r.key} as ${r.user}: ${c.userId}'s token`);
    }
    expect(wrong).toEqual([]);
  });
});

describe('no other partner’s data in any answer', () => {
  const observers = () => callers.map((c) => c.userId);
  // it.each needs its table when the file loads: one test per demo or extra user, by name.
  const names = [...readDemoUsers(DEMO_FILE).map((u) => u.userId), ...EXTRA.map((e) => e.userId)].filter(
    (u) => !NOT_CALLING.has(u),
  );

  it('calls every route as every one of these users: each role at a partner whose data is seeded and at another', () => {
    expect(observers().sort()).toEqual([...names].sort());
    const owners = ['police-nl', 'boatreg-nl', 'insureco'];
    for (const role of ['analyst', 'responder', 'dpo', 'admin']) {
      const holders = callers.filter((c) => c.roles.includes(role));
      expect([role, holders.some((c) => owners.includes(c.partnerId))]).toEqual([role, true]);
      expect([role, holders.some((c) => !owners.includes(c.partnerId))]).toEqual([role, true]);
    }
  });

  it('shows nothing seeded to anyone without a token', () => {
    const leaks = anonymous.flatMap((r) =>
      seeded.secrets.filter((s) => r.text.includes(s.value)).map((s) => `${r.key}: ${s.what} ${s.value}`),
    );
    expect(leaks).toEqual([]);
  });

  it.each(names)('shows %s nothing of another partner’s', (user) => {
    const caller = callerOf(user);
    const hidden = seeded.secrets.filter((s) => !s.seenBy.includes(caller.partnerId));
    const leaks = results
      .filter((r) => r.user === user)
      .flatMap((r) =>
        hidden.filter((s) => r.text.includes(s.value)).map((s) => `${r.key}: ${s.what} ${s.value}`),
      );
    expect(leaks).toEqual([]);
  });
});
