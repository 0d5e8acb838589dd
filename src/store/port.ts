/**
 * The storage port: the only way services reach persistence. Each write takes the audit events that
 * record it and commits both in one transaction, so no change exists without its log entry.
 */
import type { AuditEntry, AuditEventInput } from '../audit/types';
import type { Accreditation } from '../records/accreditation';
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

export interface AccreditationStore {
  get(userId: string): Promise<Accreditation | undefined>;
  list(partnerId?: string): Promise<Accreditation[]>;
  /** Insert or replace one entry and log the change in the same transaction. */
  put(entry: Accreditation, events: AuditEventInput[]): Promise<void>;
  /** Insert the entries that do not exist yet (demo seeding); returns how many were added. */
  seed(entries: Accreditation[], events: (added: Accreditation[]) => AuditEventInput[]): Promise<number>;
}

export interface RequestStore {
  create(request: StoredRequest, events: AuditEventInput[]): Promise<void>;
  get(id: string): Promise<StoredRequest | undefined>;
  /** Requests made by a partner (optionally one user), newest first. */
  listByRequester(partnerId: string, userId?: string): Promise<StoredRequest[]>;
  /** Requests addressed to a provider in the given states, oldest first. */
  listByProvider(providerId: string, states: RequestState[]): Promise<StoredRequest[]>;
  /**
   * Compare-and-set: applies `patch` only if the request is still in one of `from`, logging `events`
   * in the same transaction. Returns the updated request, or undefined when the state had moved on.
   */
  transition(
    id: string,
    from: RequestState[],
    patch: RequestPatch,
    events: (updated: StoredRequest) => AuditEventInput[],
  ): Promise<StoredRequest | undefined>;
  /** Requests by this user under this agreement created at or after `since` (quota). */
  countSince(userId: string, agreementId: string, since: Date): Promise<number>;
  /** Disclosed requests whose expiry is at or before `now` and whose payload is not purged yet. */
  listExpired(now: Date): Promise<StoredRequest[]>;
}

export interface AuditStore {
  /** Append entries outside any other change (start-up, verification runs). */
  append(events: AuditEventInput[]): Promise<AuditEntry[]>;
  /** Entries in order from `fromSeq` (inclusive), at most `limit`. */
  read(fromSeq: number, limit: number): Promise<AuditEntry[]>;
  /** The last entry, or undefined for an empty log. */
  head(): Promise<AuditEntry | undefined>;
}

export interface Store {
  readonly kind: string;
  accreditations: AccreditationStore;
  requests: RequestStore;
  audit: AuditStore;
  /** True when the store answers a trivial query. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
