/**
 * The DPO's view of the disclosure log: search, verification, checkpoints, proofs, statistics, exports
 * and receipts. A partner's DPO sees only the entries that name their partner, each as that partner
 * sees it (views.ts: of a lookup, only its own hits); the DPO of a supervisor partner (the operator)
 * sees every entry whole. Checkpoints, tree sizes and proof hashes are about the whole log and reveal
 * no entry, so every DPO sees those.
 */
import type { Writable } from 'node:stream';
import type { Identity } from '../auth/identity';
import type { Secrets } from '../config/secrets';
import { problems } from '../http/problem';
import type { Bundle } from '../policy/types';
import { parsePerson } from '../records/accreditation';
import type { CanonicalRecord } from '../records/canonical';
import { actorOf, identifierHashes, subjectHashes } from './entry-fields';
import type { Store } from '../store/port';
import type { Checkpointer } from './checkpointer';
import { writeExport, type ExportFormat, type ExportResult } from './export';
import { entryFromBody } from './chain';
import { buildReceipt, buildRedactedReceipt, type Receipt, type RedactedReceipt } from './receipts';
import type { AuditEntry, AuditQuery, Checkpoint, StoredAuditEntry } from './types';
import {
  ALL_SCOPE,
  NO_AGREEMENT,
  STATS_TYPES,
  StatsTally,
  cutPeriod,
  isPartDay,
  isWholeDay,
  joinWindows,
  statsRows,
  statsZonesOf,
  zoneOf,
  type DayCut,
  type StatsRow,
  type StatsZones,
} from './stats';
import { logVerdict } from './verdict';
import type { RawAuditRow } from './verify';
import { verifyLog } from './verify-log';
import { partnerFilter, partnerView, viewOf, type PartiesOf } from './views';

export interface AuditServiceDeps {
  store: Store;
  bundle: () => Bundle;
  secrets: Secrets;
  clock: () => Date;
  checkpointer: Checkpointer;
}

export interface EventFilter {
  from?: string;
  to?: string;
  partner?: string;
  /** The actor, as `partner:user` (e.g. `police-se:sven`). */
  user?: string;
  agreement?: string;
  request?: string;
  types?: string[];
  outcome?: string;
  /** `type:value`, e.g. `vin:1M8GDM9AXKP042788`: looked up through its keyed hash. */
  identifier?: string;
  /** A data subject's name: looked up through its keyed hash. */
  subject?: string;
}

export type { StatsRow };

const PAGE = 1000;

export class AuditService {
  constructor(private readonly deps: AuditServiceDeps) {}

  /** The partner whose entries this DPO may see; undefined for a supervisor's DPO (every entry). */
  scopeOf(identity: Identity): string | undefined {
    return this.deps.bundle().partners.get(identity.partnerId)?.supervisor === true
      ? undefined
      : identity.partnerId;
  }

  async events(
    identity: Identity,
    filter: EventFilter,
    page: { cursor?: string; limit: number; order: 'asc' | 'desc' },
  ): Promise<{ items: (AuditEntry & { redacted?: string[] })[]; nextCursor: string | null }> {
    const query = this.toQuery(identity, filter);
    const after = page.cursor === undefined ? undefined : readCursor(page.cursor, page.order);
    // A search for a person or an identifier is itself a use of their data: logged (the keyed hash
    // only, under a key no search reads), once per search, not per page.
    if (query.keyedHash !== undefined && page.cursor === undefined) {
      await this.deps.store.audit.append([
        {
          type: 'audit.search',
          actor: actorOf(identity),
          partners: [identity.partnerId],
          outcome: 'searched',
          data: {
            searched: {
              kind: filter.subject !== undefined ? 'subject' : 'identifier',
              hash: query.keyedHash,
            },
          },
        },
      ]);
    }
    const items = await this.deps.store.audit.query(query, {
      order: page.order,
      after,
      limit: page.limit + 1,
    });
    const more = items.length > page.limit;
    if (more) items.pop();
    const scope = this.scopeOf(identity);
    return {
      items: items.map((entry) => viewOf(entry, scope, this.partiesOf)),
      nextCursor: more ? makeCursor(page.order, items[items.length - 1].seq) : null,
    };
  }

  /** The partners that are parties to an agreement of the current bundle (views.ts). */
  private readonly partiesOf: PartiesOf = (agreementId) => {
    const parties = this.deps.bundle().agreements.get(agreementId)?.parties;
    return parties && [...parties.requesters, ...parties.providers];
  };

  /**
   * Verifies the whole log against the checkpoints, their signatures checked with the gateway's key: a
   * checkpoint it did not sign, or none over a log with entries, fails as a broken entry does. The run
   * is itself logged.
   */
  async verify(identity: Identity) {
    const audit = this.deps.store.audit;
    const publicKey = this.deps.checkpointer.signer.publicKey;
    const report = audit.verifyAll
      ? await audit.verifyAll(publicKey)
      : await verifyLog({
          rows: pages(audit.readRaw.bind(audit)),
          checkpoints: await audit.readRawCheckpoints(),
          publicKey,
        });
    const supervisor = this.scopeOf(identity) === undefined;
    const broken = report.firstBroken;
    // Stored statistics the entries do not make: a partner DPO learns that, not whose counts.
    const mismatch = report.statistics?.mismatch;
    const statistics =
      mismatch === undefined
        ? undefined
        : { mismatch: supervisor ? mismatch : 'the stored counts are not what the entries make' };
    // Another partner's entry may be the broken one: a partner DPO learns where and why, not what.
    const shown = broken && {
      seq: broken.seq,
      reason: broken.reason,
      ...(supervisor ? { message: broken.message } : {}),
    };
    await audit.append([
      {
        type: 'audit.verify',
        actor: actorOf(identity),
        partners: [identity.partnerId],
        outcome: report.ok ? 'ok' : 'failed',
        data: {
          entries: report.entries,
          firstBroken: broken ? { seq: broken.seq, reason: broken.reason } : null,
          checkpoints: report.checkpoints.total,
          latestCheckpoint: report.checkpoints.latest?.treeSize ?? null,
          invalidCheckpoints: report.checkpoints.invalid.length,
          ...(mismatch !== undefined ? { statistics: 'mismatch' } : {}),
        },
      },
    ]);
    return {
      ok: report.ok,
      verifiedAt: this.deps.clock().toISOString(),
      entries: report.entries,
      checked: report.checked,
      firstBroken: shown ?? null,
      unsigned: report.unsigned,
      ...(statistics ? { statistics } : {}),
      verdict: logVerdict({ ...report, firstBroken: shown, statistics }),
      checkpoints: {
        total: report.checkpoints.total,
        matched: report.checkpoints.matched,
        keyId: report.checkpoints.keyId,
        latest: report.checkpoints.latest,
        invalid: supervisor
          ? report.checkpoints.invalid
          : report.checkpoints.invalid.map(({ treeSize }) => ({ treeSize })),
      },
    };
  }

  checkpoints(afterSize: number | undefined, limit: number): Promise<Checkpoint[]> {
    return this.deps.store.audit.checkpoints({ afterSize, limit, order: 'asc' });
  }

  async latestCheckpoint(): Promise<Checkpoint> {
    const latest = await this.deps.store.audit.latestCheckpoint();
    if (!latest) throw problems.notFound('No checkpoint has been signed yet.');
    return latest;
  }

  /** The consistency proof between two signed checkpoints (`to` defaults to the newest). */
  async consistency(fromSize: number, toSize?: number) {
    const audit = this.deps.store.audit;
    const from = await audit.checkpointAt(fromSize);
    const to = toSize === undefined ? await audit.latestCheckpoint() : await audit.checkpointAt(toSize);
    if (!from || !to) throw problems.notFound('No checkpoint of that tree size.');
    if (from.treeSize > to.treeSize) {
      throw problems.badRequest('`from` must not be a larger tree than `to`.');
    }
    return { from, to, proof: await audit.consistencyProof(from.treeSize, to.treeSize) };
  }

  publicKey() {
    const { signer } = this.deps.checkpointer;
    return { algorithm: 'Ed25519', keyId: signer.keyId, publicKeyPem: signer.publicKeyPem };
  }

  /**
   * A receipt-form proof that entry `seq` is in the log: against the checkpoint of `treeSize`, or the
   * newest one (signed now if none covers the entry yet). An entry out of the DPO's scope is a 404. An
   * entry this DPO sees cut down (views.ts) cannot be shown whole, and its view does not hash to the
   * entry: the proof is a redacted receipt, from the entry's leaf hash, without the body.
   */
  async proof(identity: Identity, seq: number, treeSize?: number): Promise<Receipt | RedactedReceipt> {
    const scopePartner = this.scopeOf(identity);
    const [entry] = await this.deps.store.audit.queryStored(
      { seq, ...(scopePartner ? { scopePartner } : {}) },
      { order: 'asc', limit: 1 },
    );
    if (!entry) throw problems.notFound('No such entry.');
    const view = partnerView(entryFromBody(entry.body, entry.hash), scopePartner, this.partiesOf);
    let checkpoint: Checkpoint | undefined;
    if (treeSize === undefined) {
      checkpoint = await this.deps.checkpointer.covering(entry.seq);
      if (!checkpoint) throw new Error(`no checkpoint covers entry #${entry.seq}`);
    } else {
      checkpoint = await this.deps.store.audit.checkpointAt(treeSize);
      if (!checkpoint) throw problems.notFound('No checkpoint of that tree size.');
      if (checkpoint.treeSize < seq) {
        throw problems.badRequest(`The checkpoint of size ${treeSize} does not cover entry #${seq}.`);
      }
    }
    const proof = await this.deps.store.audit.inclusionProof(seq, checkpoint.treeSize);
    return view
      ? buildRedactedReceipt(entry, view.redacted, checkpoint, proof)
      : buildReceipt(entry, checkpoint, proof);
  }

  /** The receipt of a request's disclosure entry, or null when nothing was disclosed. */
  async receiptForRequest(requestId: string): Promise<Receipt | null> {
    const [entry] = await this.deps.store.audit.queryStored(
      { request: requestId, types: ['disclosure'] },
      { order: 'asc', limit: 1 },
    );
    return entry ? this.receiptFor(entry) : null;
  }

  private async receiptFor(entry: StoredAuditEntry): Promise<Receipt> {
    const checkpoint = await this.deps.checkpointer.covering(entry.seq);
    if (!checkpoint) throw new Error(`no checkpoint covers entry #${entry.seq}`);
    const proof = await this.deps.store.audit.inclusionProof(entry.seq, checkpoint.treeSize);
    return buildReceipt(entry, checkpoint, proof);
  }

  /**
   * Per agreement and day (the agreement's local day): requests, lookups, permits, denials by safe and
   * reason code, disclosures, records released; of the entries in [from, to). Whole days come from the
   * counts the store keeps as entries are appended (stats.ts); the days `from` and `to` cut are counted
   * again from their entries in the period.
   */
  async stats(
    identity: Identity,
    filter: { from?: string; to?: string; agreement?: string },
  ): Promise<StatsRow[]> {
    const zones = await this.statsZones();
    const scopePartner = this.scopeOf(identity);
    const agreement = filter.agreement || undefined;
    if (!filter.from && !filter.to) {
      return statsRows(
        await this.deps.store.audit.statsCounts({ scope: scopePartner ?? ALL_SCOPE, agreement }),
      );
    }
    // The period in each zone counted in (one agreement's, when it is given): its whole days, and the
    // part days at its ends.
    const cuts = new Map<string, DayCut | undefined>();
    const inPlay = agreement === undefined ? [...zones.values(), 'UTC'] : [zoneOf(zones, agreement)];
    for (const zone of new Set(inPlay)) {
      cuts.set(zone, cutPeriod(filter.from || undefined, filter.to || undefined, zone));
    }
    const present = [...cuts.values()].filter((c): c is DayCut => c !== undefined);
    if (present.length === 0) return [];
    const cutOf = (agreementId: string) => cuts.get(zoneOf(zones, agreementId));
    const days = (pick: (c: DayCut) => string | undefined, min: boolean) => {
      const found = present.map(pick);
      if (found.some((d) => d === undefined)) return undefined;
      return (found as string[]).reduce((a, b) => ((min ? a < b : a > b) ? a : b));
    };
    const counts = (
      await this.deps.store.audit.statsCounts({
        scope: scopePartner ?? ALL_SCOPE,
        agreement,
        fromDay: days((c) => c.first, true),
        toDay: days((c) => c.last, false),
      })
    ).filter((c) => {
      const cut = cutOf(c.agreement);
      return cut !== undefined && isWholeDay(cut, c.day);
    });
    // The part days: their entries in the period, each counted when its own zone's cut makes its day one.
    const tally = new StatsTally(zones);
    const scopes = [scopePartner ?? ALL_SCOPE];
    for (const [lo, hi] of joinWindows(present.flatMap((c) => c.windows))) {
      const query: AuditQuery = {
        ...(scopePartner ? { scopePartner } : {}),
        ...(agreement ? { agreement } : {}),
        from: new Date(lo).toISOString(),
        to: new Date(hi).toISOString(),
        types: [...STATS_TYPES],
      };
      let after: number | undefined;
      for (;;) {
        const page = await this.deps.store.audit.query(query, { order: 'asc', after, limit: PAGE });
        for (const entry of page) {
          const cut = cutOf(entry.agreementId ?? NO_AGREEMENT);
          if (cut && isPartDay(cut, tally.day(entry))) tally.add(entry, scopes);
        }
        if (page.length < PAGE) break;
        after = page[page.length - 1].seq;
        await yieldToEventLoop();
      }
    }
    return statsRows([...counts, ...tally.rows()]);
  }

  /**
   * The same figures for whole local days fromDay..toDay (YYYY-MM-DD): each agreement's days in its own
   * zone (the portal's Activity page). Only stored counts are read.
   */
  async statsDays(
    identity: Identity,
    filter: { fromDay: string; toDay: string; agreement?: string },
  ): Promise<StatsRow[]> {
    await this.statsZones();
    const scopePartner = this.scopeOf(identity);
    return statsRows(
      await this.deps.store.audit.statsCounts({
        scope: scopePartner ?? ALL_SCOPE,
        fromDay: filter.fromDay,
        toDay: filter.toDay,
        ...(filter.agreement ? { agreement: filter.agreement } : {}),
      }),
    );
  }

  private zonesOfBundle: { bundle: Bundle; zones: StatsZones } | undefined;

  /** The bundle's zones, which the store counts days in (told once per bundle: it recounts a change). */
  private async statsZones(): Promise<StatsZones> {
    const bundle = this.deps.bundle();
    if (this.zonesOfBundle?.bundle !== bundle) {
      const zones = statsZonesOf(bundle.agreements.values());
      await this.deps.store.audit.useStatsZones(zones);
      this.zonesOfBundle = { bundle, zones };
    }
    return this.zonesOfBundle.zones;
  }

  /**
   * Streams an export of the entries this DPO may see to `out`. The export is logged before the first
   * byte leaves, with its filter and the snapshot it covers (entries up to the head at that moment).
   */
  async export(
    identity: Identity,
    filter: { from?: string; to?: string; partner?: string },
    format: ExportFormat,
    out: Writable,
  ): Promise<ExportResult> {
    const audit = this.deps.store.audit;
    const scope = this.scopeOf(identity);
    const upToSeq = (await audit.head())?.seq ?? 0;
    const partners = [
      identity.partnerId,
      ...(scope ? [scope] : []),
      ...(filter.partner ? [filter.partner] : []),
    ];
    await audit.append([
      {
        type: 'audit.export',
        actor: actorOf(identity),
        partners,
        outcome: 'started',
        data: { format, filter, scope: scope ?? 'all', upToSeq, via: 'api' },
      },
    ]);
    return writeExport(audit, out, {
      format,
      filter: { ...filter, ...(scope ? { scope } : {}) },
      upToSeq,
      exportedAt: this.deps.clock().toISOString(),
      ...(scope ? { viewer: { partner: scope, partiesOf: this.partiesOf } } : {}),
    });
  }

  private toQuery(identity: Identity, filter: EventFilter): AuditQuery {
    const scopePartner = this.scopeOf(identity);
    if (filter.identifier !== undefined && filter.subject !== undefined) {
      throw problems.badRequest('Search by an identifier or by a subject, not both.');
    }
    const query: AuditQuery = { ...partnerFilter(scopePartner, filter.partner || undefined) };
    if (scopePartner) query.scopePartner = scopePartner;
    if (filter.from) query.from = filter.from;
    if (filter.to) query.to = filter.to;
    if (filter.user) {
      query.actor = parsePerson(filter.user);
      if (!query.actor) throw problems.badRequest('A user is written partner:user, e.g. police-se:sven.');
    }
    if (filter.agreement) query.agreement = filter.agreement;
    if (filter.request) query.request = filter.request;
    if (filter.types) query.types = filter.types;
    if (filter.outcome) query.outcome = filter.outcome;
    const key = this.deps.secrets.identifierKey;
    if (filter.identifier !== undefined) {
      const colon = filter.identifier.indexOf(':');
      const type = filter.identifier.slice(0, colon);
      const value = filter.identifier.slice(colon + 1);
      if (colon < 1 || !value) throw problems.badRequest('An identifier is written type:value, e.g. vin:…');
      // The same function the log was written with, so the hashes meet.
      query.keyedHash = identifierHashes(key, [{ type, value }])[0];
    }
    if (filter.subject !== undefined) {
      const [hash] = subjectHashes(key, [{ owner: { name: filter.subject } } as CanonicalRecord]);
      if (!hash) throw problems.badRequest('A subject is a name.');
      query.keyedHash = hash;
    }
    // Found only as the DPO's view shows the entry: of a lookup, the identifiers that hit its partner.
    if (query.keyedHash !== undefined) query.keyedHashInView = true;
    return query;
  }
}

/** The store's raw rows, page by page, as one stream (the seq keyset starts below any seq). */
export async function* pages(
  readRaw: (afterSeq: number, limit: number) => Promise<RawAuditRow[]>,
  batch = PAGE,
): AsyncIterable<RawAuditRow> {
  let after = Number.MIN_SAFE_INTEGER;
  for (;;) {
    const rows = await readRaw(after, batch);
    yield* rows;
    if (rows.length < batch) return;
    after = rows[rows.length - 1].seq;
    await yieldToEventLoop();
  }
}

/** Long reads give other requests their turn between pages. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function makeCursor(order: 'asc' | 'desc', seq: number): string {
  return Buffer.from(`${order}:${seq}`, 'utf8').toString('base64url');
}

function readCursor(cursor: string, order: 'asc' | 'desc'): number {
  const match = /^(asc|desc):(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw problems.badRequest('The cursor is not one this API gave out.');
  if (match[1] !== order) throw problems.badRequest('The cursor belongs to the other order.');
  return Number(match[2]);
}
