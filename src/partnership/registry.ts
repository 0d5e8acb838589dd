/**
 * The partnership's records through the store's ledger: each change appended with its log entry in one
 * transaction, and the facts the project safe reads kept as a snapshot until the next change here (or,
 * on a store other instances write too, for at most `maxAgeMs`).
 */
import { canonicalJson } from '../audit/chain';
import { keyedHash } from '../config/secrets';
import type { AuditEventInput } from '../audit/types';
import type { PartnershipRecord, Store } from '../store/port';
import { factsOf, type PartnershipFacts } from './standing';
import type { Acceptance, Outcome, Screening } from './types';

export interface Recorded<T> {
  seq: number;
  recordedAt: string;
  record: T;
}

const recorded = <T>(r: PartnershipRecord): Recorded<T> => ({
  seq: r.seq,
  recordedAt: r.recordedAt,
  record: r.body as unknown as T,
});

export class PartnershipRegistry {
  private snapshot: { facts: PartnershipFacts; at: number } | undefined;
  private building: Promise<PartnershipFacts> | undefined;
  private generation = 0;

  constructor(
    private readonly store: Store,
    private readonly clock: () => Date,
    /** How long a snapshot stands for changes made by other instances (Infinity: none can make any). */
    private readonly maxAgeMs: number,
    /** The gateway's identifier key: what the log keeps of a record's text is keyed, as of any subject. */
    private readonly digestKey: Buffer,
  ) {}

  /**
   * What the log keeps of a record it does not copy (risk notes, contacts, a note, a reason): a keyed
   * hash, so that a short or guessable text cannot be found again from the log by hashing candidates.
   */
  readonly digest: RecordDigest = (record) =>
    keyedHash(this.digestKey, `partnership:${canonicalJson(record)}`);

  /** The facts for a decision. */
  async facts(): Promise<PartnershipFacts> {
    const now = Date.now();
    if (this.snapshot && now - this.snapshot.at < this.maxAgeMs) return this.snapshot.facts;
    if (this.building) return this.building;
    const building = this.build().finally(() => {
      if (this.building === building) this.building = undefined;
    });
    this.building = building;
    return building;
  }

  private async build(): Promise<PartnershipFacts> {
    const generation = this.generation;
    const at = Date.now();
    const [screenings, acceptances] = await Promise.all([this.screenings(), this.acceptances()]);
    const facts = factsOf(
      screenings.map((s) => s.record),
      acceptances.map((a) => a.record),
    );
    // A change recorded while this was read is not in it: keep it for this caller only.
    if (generation === this.generation) this.snapshot = { facts, at };
    return facts;
  }

  async screenings(partnerId?: string): Promise<Recorded<Screening>[]> {
    return (await this.store.partnership.list('screening', partnerId)).map((r) => recorded<Screening>(r));
  }

  async acceptances(agreementId?: string): Promise<Recorded<Acceptance>[]> {
    return (await this.store.partnership.list('acceptance', agreementId)).map((r) => recorded<Acceptance>(r));
  }

  async outcomes(agreementId?: string): Promise<Recorded<Outcome>[]> {
    return (await this.store.partnership.list('outcome', agreementId)).map((r) => recorded<Outcome>(r));
  }

  async recordScreenings(screenings: Screening[], events: AuditEventInput[]): Promise<void> {
    await this.add(
      screenings.map((s) => ({ kind: 'screening' as const, subject: s.partnerId, body: s })),
      events,
    );
  }

  async recordAcceptances(acceptances: Acceptance[], events: AuditEventInput[]): Promise<void> {
    await this.add(
      acceptances.map((a) => ({ kind: 'acceptance' as const, subject: a.agreementId, body: a })),
      events,
    );
  }

  async recordOutcome(outcome: Outcome, events: AuditEventInput[]): Promise<number> {
    const [seq] = await this.add([{ kind: 'outcome', subject: outcome.agreementId, body: outcome }], events);
    return seq;
  }

  private async add(
    records: { kind: PartnershipRecord['kind']; subject: string; body: object }[],
    events: AuditEventInput[],
  ): Promise<number[]> {
    const recordedAt = this.clock().toISOString();
    try {
      return await this.store.partnership.add(
        records.map((r) => ({ ...r, body: r.body as Record<string, unknown>, recordedAt })),
        events,
      );
    } finally {
      // Whether or not it committed, the next decision reads the ledger again.
      // A read begun before the change is not shared with callers after it (a withdrawal is at once).
      this.generation++;
      this.snapshot = undefined;
      this.building = undefined;
    }
  }
}

/**
 * How long a snapshot of the facts stands: a SQLite store has one writer, this process, which drops
 * the snapshot on each change; on PostgreSQL other instances record changes too, seen within a second.
 */
export function snapshotMaxAgeMs(store: Store): number {
  return store.kind === 'sqlite' ? Infinity : 1000;
}

export type RecordDigest = (record: object) => string;
