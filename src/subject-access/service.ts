/**
 * Subject access (GDPR Art. 15): for one data subject, every disclosure and table that included their
 * records, and every lookup or request that named their identifier, found through the log's keyed-hash
 * index and read from the log's entries alone. Scoped like the DPO's other searches (a partner's DPO:
 * entries naming its partner, as its partner sees them; a supervisor's: all). The report is itself
 * logged, with the query's keyed hash only.
 */
import type { Identity } from '../auth/identity';
import type { Secrets } from '../config/secrets';
import { actorOf, personHashes } from '../audit/entry-fields';
import type { AuditService } from '../audit/service';
import type { AuditEntry, AuditQuery } from '../audit/types';
import { viewOf, type PartiesOf } from '../audit/views';
import { identifierKey } from '../identifiers';
import type { Bundle } from '../policy/types';
import type { Store } from '../store/port';
import { hashesOf, type MatchedBy, type SubjectHashes, type SubjectQuery } from './query';
import { releaseOf, searchOf, type Release, type Search } from './report';

export interface SubjectAccessDeps {
  store: Store;
  bundle: () => Bundle;
  secrets: Secrets;
  clock: () => Date;
  audit: AuditService;
}

export interface SubjectAccessReport {
  producedAt: string;
  producedBy: { partnerId: string; userId: string };
  /** The partner whose entries were searched, or `all` for a supervisor's DPO. */
  scope: string;
  /** What was searched for: its kind and keyed hash (never the value). */
  query: { kind: 'identifier' | 'person'; hash: string };
  disclosures: Release[];
  tables: Release[];
  searches: Search[];
  /** More entries matched than a report reads (MAX_ENTRIES per hash): narrow by asking per identifier. */
  truncated: boolean;
  /** The report's own log entry. */
  seq: number;
}

const PAGE = 500;
const MAX_ENTRIES = 10_000;
/** The most precise match first: one found by several hashes is reported by the best. */
const PRECISION: MatchedBy[] = ['identifier', 'name-and-birth', 'owner-in-dataset', 'name-only'];
const RELEASE_TYPES = new Set(['disclosure', 'disclosure.subjects']);
const SEARCH_TYPES = new Set(['lookup', 'decision']);

type Found = Map<number, { entry: AuditEntry; matchedBy: MatchedBy }>;

export class SubjectAccessService {
  constructor(private readonly deps: SubjectAccessDeps) {}

  async report(identity: Identity, query: SubjectQuery): Promise<SubjectAccessReport> {
    const hashes = hashesOf(this.deps.secrets.identifierKey, query);
    const scope = this.deps.audit.scopeOf(identity);
    const { found, truncated } = await this.find(hashes, scope);
    const { releases, searches } = await this.assemble(found, hashes.hash, scope);
    const counts = {
      disclosures: releases.filter((r) => r.kind === 'records').length,
      tables: releases.filter((r) => r.kind === 'table').length,
      searches: searches.length,
    };
    const [logged] = await this.deps.store.audit.append([
      {
        type: 'subject-access.report',
        actor: actorOf(identity),
        partners: [identity.partnerId],
        outcome: 'produced',
        // Under a key no search reads (like audit.search): the report is not itself about the person.
        data: {
          searched: { kind: hashes.kind, hash: hashes.hash },
          matches: counts,
          scope: scope ?? 'all',
          truncated,
        },
      },
    ]);
    return {
      producedAt: logged.ts,
      producedBy: { partnerId: identity.partnerId, userId: identity.userId },
      scope: scope ?? 'all',
      query: { kind: hashes.kind, hash: hashes.hash },
      disclosures: releases.filter((r) => r.kind === 'records'),
      tables: releases.filter((r) => r.kind === 'table'),
      searches,
      truncated,
      seq: logged.seq,
    };
  }

  /** The entries carrying any of the subject's hashes, each with the most precise hash that found it. */
  private async find(
    hashes: SubjectHashes,
    scope: string | undefined,
  ): Promise<{ found: Found; truncated: boolean }> {
    const searches: { hash: string; matchedBy: MatchedBy; types?: string[] }[] = [...hashes.search];
    // A table's entries keep its contributors' owners, not identifiers: the owner the provider's
    // dataset has for the identifier today finds them.
    if (hashes.identifierKey) {
      for (const owner of await this.ownersOf(hashes.identifierKey, scope)) {
        searches.push({ ...owner, types: ['disclosure.subjects'] });
      }
    }
    const found: Found = new Map();
    let truncated = false;
    for (const { hash, matchedBy, types } of searches) {
      const query = { ...inScope(scope), keyedHash: hash, ...(types ? { types } : {}) };
      if (await this.collect(found, query, matchedBy)) truncated = true;
    }
    return { found, truncated };
  }

  /** Every entry the query selects, page by page, up to MAX_ENTRIES; true when there were more. */
  private async collect(found: Found, query: AuditQuery, matchedBy: MatchedBy): Promise<boolean> {
    const audit = this.deps.store.audit;
    const q = { ...query, keyedHashInView: true };
    let after: number | undefined;
    for (let read = 0; read < MAX_ENTRIES; read += PAGE) {
      const page = await audit.query(q, { order: 'asc', after, limit: PAGE });
      for (const entry of page) {
        const known = found.get(entry.seq);
        if (!known || morePrecise(matchedBy, known.matchedBy)) found.set(entry.seq, { entry, matchedBy });
      }
      if (page.length < PAGE) return false;
      after = page[page.length - 1].seq;
    }
    return (await audit.query(q, { order: 'asc', after, limit: 1 })).length > 0;
  }

  /**
   * The keyed hashes of the owners that the shared datasets in scope hold for the identifier today (a
   * partner's DPO: its own partner's datasets only, whose tables are all it could see).
   */
  private async ownersOf(
    identifier: { type: string; value: string },
    scope: string | undefined,
  ): Promise<{ hash: string; matchedBy: MatchedBy }[]> {
    const datasets = new Map<string, { providerId: string; datasetId: string }>();
    for (const agreement of this.deps.bundle().agreements.values()) {
      for (const d of agreement.datasets) {
        if (scope === undefined || d.provider === scope) {
          datasets.set(`${d.provider}/${d.id}`, { providerId: d.provider, datasetId: d.id });
        }
      }
    }
    if (!datasets.size) return [];
    const store = this.deps.store.datasets;
    const hits = await store.lookup(
      [identifierKey(identifier.type, identifier.value)],
      [...datasets.values()],
    );
    const out = new Map<string, MatchedBy>();
    for (const hit of hits) {
      for (const { record } of await store.resolve(hit.providerId, hit.datasetId, [hit.recordRef])) {
        const h = record.owner ? personHashes(this.deps.secrets.identifierKey, record.owner) : {};
        if (h.nameAndBirth) out.set(h.nameAndBirth, 'owner-in-dataset');
        else if (h.name && !out.has(h.name)) out.set(h.name, 'name-only');
      }
    }
    return [...out].map(([hash, matchedBy]) => ({ hash, matchedBy }));
  }

  /** The matched entries as releases (one per request) and searches, oldest first. */
  private async assemble(
    found: Found,
    hash: string,
    scope: string | undefined,
  ): Promise<{ releases: Release[]; searches: Search[] }> {
    const requests = new Map<string, MatchedBy>();
    const searches: Search[] = [];
    for (const { entry, matchedBy } of [...found.values()].sort((a, b) => a.entry.seq - b.entry.seq)) {
      if (RELEASE_TYPES.has(entry.type) && entry.requestId) {
        const known = requests.get(entry.requestId);
        if (!known || morePrecise(matchedBy, known)) requests.set(entry.requestId, matchedBy);
      } else if (SEARCH_TYPES.has(entry.type) && matchedBy === 'identifier') {
        searches.push(searchOf(viewOf(entry, scope, this.partiesOf), hash));
      }
    }
    const releases: Release[] = [];
    for (const [requestId, matchedBy] of requests) {
      const entries = await this.deps.store.audit.query(
        {
          ...inScope(scope),
          request: requestId,
          types: ['decision', 'disclosure', 'disclosure.subjects', 'purge'],
        },
        { order: 'asc', limit: PAGE },
      );
      const release = releaseOf(requestId, matchedBy, entries, (id) => this.deps.bundle().agreements.get(id));
      if (release) releases.push(release);
    }
    return { releases: releases.sort((a, b) => a.seqs.disclosure - b.seqs.disclosure), searches };
  }

  /** The partners that are parties to an agreement of the current bundle (views.ts). */
  private readonly partiesOf: PartiesOf = (agreementId) => {
    const parties = this.deps.bundle().agreements.get(agreementId)?.parties;
    return parties && [...parties.requesters, ...parties.providers];
  };
}

const morePrecise = (a: MatchedBy, b: MatchedBy) => PRECISION.indexOf(a) < PRECISION.indexOf(b);

const inScope = (scope: string | undefined): Pick<AuditQuery, 'scopePartner'> =>
  scope === undefined ? {} : { scopePartner: scope };
