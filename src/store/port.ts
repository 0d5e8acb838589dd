/**
 * The storage port: the only way services reach persistence. Each write takes the audit events that
 * record it and commits both in one transaction, so no change exists without its log entry.
 */
import type {
  AuditEntry,
  AuditEventInput,
  AuditPage,
  AuditQuery,
  Checkpoint,
  StoredAuditEntry,
  TreeHead,
} from '../audit/types';
import type { KeyObject } from 'node:crypto';
import type { StatsCount, StatsCountQuery, StatsZones } from '../audit/stats';
import type { RawAuditRow } from '../audit/verify';
import type { LogVerifyReport, StoredTree } from '../audit/verify-log';
import type { DatasetRecord, DatasetUpload, Hit, UploadMode } from '../datasets/types';
import type { Accreditation, Person, RoleGrant } from '../records/accreditation';
import type { QuotaKey, QuotaUse } from '../quotas/daily-quotas';
import type { RequestState, StoredRequest } from '../requests/types';

export interface RequestPatch {
  state: RequestState;
  preview?: StoredRequest['preview'];
  disclosure?: StoredRequest['disclosure'];
  disclosedAt?: string | null;
  expiresAt?: string | null;
  recordDigests?: string[];
  declineReason?: string | null;
  purgedAt?: string | null;
}

/** A person is a user of a partner: user ids are unique only within their partner. */
export interface AccreditationStore {
  get(partnerId: string, userId: string): Promise<Accreditation | undefined>;
  list(partnerId?: string): Promise<Accreditation[]>;
  /** Insert or replace one entry and log the change in the same transaction. */
  put(entry: Accreditation, events: AuditEventInput[]): Promise<void>;
  /** Insert the entries that do not exist yet (demo seeding); returns how many were added. */
  seed(entries: Accreditation[], events: (added: Accreditation[]) => AuditEventInput[]): Promise<number>;
}

/** Proposed grants of privileged roles: a second admin approves or rejects each. */
export interface RoleGrantStore {
  /** Stores a pending grant and logs it; false (nothing stored or logged) when one is already pending. */
  propose(grant: RoleGrant, events: AuditEventInput[]): Promise<boolean>;
  get(id: string): Promise<RoleGrant | undefined>;
  /** Grants in one state (all when absent), oldest first. */
  list(state?: RoleGrant['state']): Promise<RoleGrant[]>;
  /**
   * Compare-and-set from pending: records the decision and, for an approval, adds the role to the
   * subject's accreditation, logging `events` in the same transaction (`change` is the accreditation
   * before and after, absent when the role was already held). Undefined when no longer pending.
   * `check` runs in that transaction with the registry as it is there, and refuses by throwing
   * (nothing is written): who may still decide cannot change between its look and the write.
   */
  decide(
    id: string,
    decision: { state: 'approved' | 'rejected'; by: Person; at: string; reason?: string },
    events: (grant: RoleGrant, change?: { before: Accreditation; after: Accreditation }) => AuditEventInput[],
    check?: (grant: RoleGrant, registry: (person: Person) => Accreditation | undefined) => void,
  ): Promise<RoleGrant | undefined>;
}

export interface RequestStore {
  create(request: StoredRequest, events: AuditEventInput[]): Promise<void>;
  /** Several requests (a question's, one per provider) and their log entries, in one transaction. */
  createAll(requests: StoredRequest[], events: AuditEventInput[]): Promise<void>;
  get(id: string): Promise<StoredRequest | undefined>;
  /** The requests of one question to the partnership, oldest first. */
  listByQuestion(questionId: string): Promise<StoredRequest[]>;
  /** Requests made by a partner (optionally one user), newest first. */
  listByRequester(partnerId: string, userId?: string): Promise<StoredRequest[]>;
  /** Requests addressed to a provider in the given states, oldest first. */
  listByProvider(providerId: string, states: RequestState[]): Promise<StoredRequest[]>;
  /**
   * Compare-and-set: applies `patch` only if the request is still in one of `from` and, when
   * `previewVersion` is given, its preview is still that version; logs `events` in the same
   * transaction. A patch carrying `preview` adds one to the version. Returns the updated request, or
   * undefined when the request had moved on. `events` gets the request as updated and the state it
   * was in just before, read in the same transaction (so a log entry's `from` is the state actually
   * left, even under a race).
   */
  transition(
    id: string,
    from: RequestState[],
    patch: RequestPatch,
    events: (updated: StoredRequest, previous: RequestState) => AuditEventInput[],
    previewVersion?: number,
  ): Promise<StoredRequest | undefined>;
  /** Requests by this person (partner, user) under this agreement created at or after `since` (quota). */
  countSince(partnerId: string, userId: string, agreementId: string, since: Date): Promise<number>;
  /** Disclosed requests whose expiry is at or before `now` and whose payload is not purged yet. */
  listExpired(now: Date): Promise<StoredRequest[]>;
  /**
   * A question's requests still open (awaiting the provider, answered or withheld) whose expiry (the
   * agreement's retention from the question) is at or before `now`.
   */
  listLapsedQuestions(now: Date): Promise<StoredRequest[]>;
}

export interface DatasetStore {
  /**
   * Starts an upload (`uploadId`) of a provider's dataset: `replace` swaps the whole dataset, `upsert`
   * replaces records by identifier and keeps the rest. What is added stays invisible to every reader
   * until `publish`, which makes all of it visible at once with the upload's log entries, or none of it.
   * One upload per dataset at a time: another is refused with an error whose `code` is `DATASET_BUSY`.
   */
  stage(
    scope: { providerId: string; datasetId: string },
    mode: UploadMode,
    uploadId: string,
  ): Promise<StagedUpload>;
  /** Records in the given (provider, dataset) scopes whose identifier key is one of `keys`. */
  lookup(keys: string[], scopes: { providerId: string; datasetId: string }[]): Promise<Hit[]>;
  /** The records behind opaque references, within one provider's dataset. */
  resolve(providerId: string, datasetId: string, recordRefs: string[]): Promise<DatasetRecord[]>;
  /** Every record of a provider's dataset, streamed (aggregates). */
  records(providerId: string, datasetId: string): AsyncIterable<DatasetRecord>;
  /** The newest upload and the current record count of a provider's dataset. */
  status(
    providerId: string,
    datasetId: string,
  ): Promise<{ records: number; lastUpload: DatasetUpload | undefined }>;
}

/** An upload being written (see DatasetStore.stage). */
export interface StagedUpload {
  /** Writes records, in bounded transactions that other writes take turns with; later records of a key win. */
  add(records: DatasetRecord[]): Promise<void>;
  /** Publishes the upload and its log entries in one transaction; resolves with the dataset's size. */
  publish(upload: DatasetUpload, events: AuditEventInput[]): Promise<number>;
  /** Gives the upload up and removes what it wrote; the dataset stays as it was. */
  discard(): Promise<void>;
}

export interface LookupStore {
  /**
   * Records a lookup: its log entries, in one transaction, durable once resolved. They are its only
   * record: countSince counts its `lookup` entry (by actor partner and user, agreement and time).
   */
  create(events: AuditEventInput[]): Promise<void>;
  /** Lookups logged for this person (partner, user) under this agreement at or after `since` (quota). */
  countSince(partnerId: string, userId: string, agreementId: string, since: Date): Promise<number>;
}

export interface AuditStore {
  /** Append entries outside any other change (start-up, verification runs). */
  append(events: AuditEventInput[]): Promise<AuditEntry[]>;
  /** Entries in order from `fromSeq` (inclusive), at most `limit`. */
  read(fromSeq: number, limit: number): Promise<AuditEntry[]>;
  /** The last entry, or undefined for an empty log. */
  head(): Promise<AuditEntry | undefined>;
  /** Entries the query selects, keyset-paged by seq (the DPO API). */
  query(query: AuditQuery, page: AuditPage): Promise<AuditEntry[]>;
  /** The same, as stored: canonical body and hash, unparsed (exports, receipts). */
  queryStored(query: AuditQuery, page: AuditPage): Promise<StoredAuditEntry[]>;
  /** Raw rows after `afterSeq`, nothing parsed or trusted: input for the verifier. */
  readRaw(afterSeq: number, limit: number): Promise<RawAuditRow[]>;
  /** Calls `listener` with the head seq after appends, once their transaction has ended; returns an unsubscribe. */
  onAppend(listener: (headSeq: number) => void): () => void;
  /** RFC 9162 inclusion proof (hex, leaf first) of entry `seq` in the tree of the first `treeSize` entries. */
  inclusionProof(seq: number, treeSize: number): Promise<string[]>;
  /** RFC 9162 consistency proof (hex) between the trees of `fromSize` and `toSize` entries. */
  consistencyProof(fromSize: number, toSize: number): Promise<string[]>;
  /**
   * Signs the current tree head with `sign` and stores it, unless a checkpoint already covers the head;
   * returns the newest checkpoint (undefined for an empty log).
   */
  checkpoint(sign: (head: TreeHead) => Checkpoint): Promise<Checkpoint | undefined>;
  /** Checkpoints by tree size: ascending after `afterSize`, or descending before it. */
  checkpoints(page: { afterSize?: number; limit: number; order: 'asc' | 'desc' }): Promise<Checkpoint[]>;
  latestCheckpoint(): Promise<Checkpoint | undefined>;
  checkpointAt(treeSize: number): Promise<Checkpoint | undefined>;
  /** Every stored checkpoint as text, unparsed, by tree size: input for the verifier. */
  readRawCheckpoints(): Promise<string[]>;
  /**
   * The counts behind the DPO's statistics (src/audit/stats.ts), kept as entries are appended: those of
   * one scope, by day, agreement and measure.
   */
  statsCounts(query: StatsCountQuery): Promise<StatsCount[]>;
  /**
   * Counts each agreement's days in its zone here from now on; an agreement whose zone this changes
   * (a bundle that moved, added or dropped it) is counted again from the log.
   */
  useStatsZones(zones: StatsZones): Promise<void>;
  /**
   * Verifies the whole log as `fsg audit verify` does (chain, Merkle roots and heads against every
   * checkpoint, each row's deep checks; findings named as by the sequential verifier), by the store's
   * own means and off the event loop. Absent, callers run the sequential verifier over readRaw.
   */
  verifyAll?(publicKey: KeyObject): Promise<LogVerifyReport>;
}

/** A signed-in portal session as stored: found by the hash of its id, its contents sealed. */
export interface StoredPortalSession {
  idHash: Buffer;
  sealed: Buffer;
  createdAt: number;
  lastSeen: number;
  expiresAt: number;
}

/** Portal sessions that outlive a restart. Not logged: signing in is not a disclosure. */
export interface PortalSessionStore {
  put(session: StoredPortalSession): Promise<void>;
  get(idHash: Buffer): Promise<StoredPortalSession | undefined>;
  touch(idHash: Buffer, lastSeen: number): Promise<void>;
  delete(idHash: Buffer): Promise<void>;
  /** Deletes every session that expired or idled out before `now`; returns how many. */
  prune(now: number, idleMs: number): Promise<number>;
}

/** Whose daily quota: lookups or detail requests. */
export type QuotaKind = 'lookups' | 'requests';

/**
 * Daily quotas as reservations (src/quotas/daily-quotas.ts): each take gets its own place in the day's
 * count before its decision is made, however many calls, and however many gateway instances, take at
 * once. A day not counted yet starts from the store's lookups or requests of that day.
 */
export interface QuotaStore {
  take(kind: QuotaKind, key: QuotaKey): Promise<QuotaUse>;
}

/** One rate limit: at most `points` uses per key in each window of `durationSeconds`. */
export interface RateLimitRule {
  points: number;
  durationSeconds: number;
}

/** The counters of one rate limit, one per key (an address, a person): see src/http/rate-limits.ts. */
export interface RateLimiter {
  /** Takes one use of the key: 0 while it is within the limit, else the milliseconds until it is again. */
  consume(key: string): Promise<number>;
  /** The milliseconds until the key has a use again when its uses are all taken, else 0 (nothing taken). */
  exhausted(key: string): Promise<number>;
}

/**
 * Rate limits' counters (rate-limiter-flexible): a SQLite gateway's single process counts in memory;
 * gateways sharing one PostgreSQL database count in it, so that a limit holds across all of them.
 */
export interface RateLimitStore {
  /** The counters of the limit called `name` (the counters of two names never meet). */
  limiter(name: string, rule: RateLimitRule): RateLimiter;
}

/** What the partnership records: screenings of partners, acceptances of agreements, outcomes. */
export type PartnershipKind = 'screening' | 'acceptance' | 'outcome';

/** One record of the partnership's ledger, as stored: append-only, the newest last. */
export interface PartnershipRecord {
  seq: number;
  kind: PartnershipKind;
  /** What the record is about: the partner screened, the agreement accepted or whose outcome it is. */
  subject: string;
  body: Record<string, unknown>;
  recordedAt: string;
}

/**
 * The partnership's own records (src/partnership): an append-only ledger, each record written in one
 * transaction with its log entries, so the history a DPO reviews is never missing a change.
 */
export interface PartnershipStore {
  add(records: Omit<PartnershipRecord, 'seq'>[], events: AuditEventInput[]): Promise<number[]>;
  /** In the order they were added; of one kind, about one subject when given. */
  list(kind: PartnershipKind, subject?: string): Promise<PartnershipRecord[]>;
}

export interface Store {
  readonly kind: string;
  accreditations: AccreditationStore;
  roleGrants: RoleGrantStore;
  requests: RequestStore;
  datasets: DatasetStore;
  lookups: LookupStore;
  audit: AuditStore;
  portalSessions: PortalSessionStore;
  partnership: PartnershipStore;
  quotas: QuotaStore;
  rateLimits: RateLimitStore;
  /** True when the store answers a trivial query. */
  ping(): Promise<boolean>;
  /** Writes waiting now, by queue (the metrics' gauge): cheap counters, no query. */
  queueDepths?(): Record<string, number>;
  close(): Promise<void>;
}

/**
 * Which store, and where: `store.kind` of the configuration and its location (a SQLite file, or a
 * PostgreSQL database and the schema its objects live in). Enough for another thread or process to open
 * a reader of its own (openLogReader, src/store/log-reader.ts).
 */
export type LogSource = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string; schema: string };

/** The stored counts of the DPO's statistics (StatsTally keys) and their zones, read as they are. */
export interface StoredStats {
  zones: [string, string][];
  counts: Map<string, number>;
}

/**
 * The rows of one job of the parallel verifier (src/audit/verify-chunk.ts), in seq order, from a
 * connection of its own: [seq, hash, body] (fast), or the whole raw row with its indexes (deep).
 */
export interface AuditChunkRows {
  read(from: number, to: number): unknown[][];
  readDeep(from: number, to: number): RawAuditRow[];
  /** Stored Merkle nodes of one level, index lo..hi (deep readers only; none before schema version 3). */
  nodes(level: number, lo: number, hi: number): { index: number; hash: Buffer }[] | undefined;
  close(): void;
}

/**
 * A stored log read as it is, read-only and untrusted, for the offline verifiers (src/audit/verify-fast.ts,
 * verify-file.ts), which decide everything: the store only hands over rows. Each call reads on a
 * connection of its own, so the gateway may keep appending meanwhile.
 */
export interface AuditLogReader {
  readonly source: LogSource;
  /**
   * One snapshot: the first and last seq (null for an empty log) and, with `stats`, the stored counts
   * (undefined before schema version 11). `utf8: false`: the log's text is not stored as UTF-8, so the
   * bytes hashed could differ from those written (nothing else is read then).
   */
  span(stats: boolean): { utf8: boolean; lo: number | null; hi: number | null; stats?: StoredStats };
  /** The entry from which times keep their order (audit_ts_order); undefined before schema version 11. */
  timeOrder(): number | undefined;
  /** The stored checkpoints as text, unparsed, oldest first. */
  rawCheckpoints(): string[];
  /** The raw rows after `afterSeq`, in seq order, read in batches of `batch`. */
  rawRows(batch?: number, afterSeq?: number): AsyncIterable<RawAuditRow>;
  /** The stored Merkle tree (undefined before schema version 3); close it. */
  openTree(): (StoredTree & { close(): void }) | undefined;
  /**
   * A job reader of the parallel verifier (with `deep`, the indexes and the stored nodes too); close it.
   * Absent where the parallel verifier cannot read the store (PostgreSQL): the sequential one runs.
   */
  openChunkRows?(deep: boolean): AuditChunkRows;
}

/**
 * The store cannot be reached (a lost database connection): the operation changed nothing that was
 * acknowledged, and trying again once the database is back is right. The API answers 503.
 */
export class StoreUnavailableError extends Error {
  readonly code = 'STORE_UNAVAILABLE';
  constructor(options?: { cause?: unknown }) {
    super('the database cannot be reached', options);
    this.name = 'StoreUnavailableError';
  }
}
