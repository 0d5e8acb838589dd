/**
 * Agreements accepted by every party: a person with the `legal` role (or an admin) of a party accepts
 * the exact version they read, named by its digest, with its confidentiality commitment; or withdraws
 * their partner's acceptance. The agreement is in force only while every party's acceptance names the
 * digest of the version loaded, it is not past its revision date, and today is within its validity.
 */
import { problems } from '../http/problem';
import type { Agreement } from '../policy/types';
import type { Person } from '../records/accreditation';
import { agreementDigest, confidentialityDigest } from './digest';
import { acceptanceEvent } from './events';
import type { Recorded } from './registry';
import { factsOf, partiesOf, whyNotInForce } from './standing';
import type { Acceptance } from './types';
import { seesAll, type PartnershipDeps, type Viewer } from './viewer';

/**
 * The most acceptances and withdrawals one party records for one agreement in a day (UTC). Every
 * decision reads the ledger; a party toggling its acceptance must not grow it without end.
 */
export const MAX_ACCEPTANCE_CHANGES_PER_DAY = 10;

export interface AcceptanceInput {
  version: number;
  digest: string;
  confidentiality: boolean;
}

/** Why an agreement is not in force. */
import type { NotInForce } from './standing';
export type { NotInForce };

export interface PartyAcceptance {
  partnerId: string;
  name: string;
  sides: ('requester' | 'provider')[];
  /** The acceptance in effect (null: none, or withdrawn), and whether it names the version loaded. */
  acceptance: {
    version: number;
    digest: string;
    by: Person;
    role: Acceptance['role'];
    at: string;
    current: boolean;
  } | null;
}

export interface AgreementStatus {
  agreementId: string;
  title: string;
  version: number;
  digest: string;
  confidentiality: { text: string; digest: string } | null;
  reviseBy: string;
  inForce: boolean;
  notInForce: NotInForce[];
  parties: PartyAcceptance[];
  /** Every acceptance and withdrawal, newest first. */
  history: (Acceptance & { seq: number; recordedAt: string })[];
}

export class Acceptances {
  constructor(private readonly deps: PartnershipDeps) {}

  /** The agreements the viewer's partner is a party to (every agreement for those who see all). */
  async visible(viewer: Viewer): Promise<AgreementStatus[]> {
    const agreements = [...this.deps.bundle().agreements.values()].filter((a) => this.mayRead(viewer, a));
    return Promise.all(agreements.map((a) => this.statusOf(a)));
  }

  async status(viewer: Viewer, agreementId: string): Promise<AgreementStatus> {
    const agreement = this.agreement(agreementId);
    // An agreement of other partners does not exist for a non-party; only accepting says 403 (a party's act).
    if (!this.mayRead(viewer, agreement)) throw problems.notFound('No such agreement among your partner’s.');
    return this.statusOf(agreement);
  }

  /** Records the acceptance unless the party's acceptance in effect names this digest already. */
  async accept(
    viewer: Viewer,
    agreementId: string,
    input: AcceptanceInput,
  ): Promise<{ status: AgreementStatus; recorded: boolean }> {
    const agreement = this.partyAgreement(viewer, agreementId);
    const digest = agreementDigest(agreement);
    if (input.version !== agreement.version || input.digest !== digest) {
      throw problems.conflict(
        `The agreement in force to be accepted is version ${agreement.version} (digest ${digest}): read it again before accepting.`,
        { currentVersion: agreement.version, currentDigest: digest },
      );
    }
    if (agreement.confidentiality !== undefined && input.confidentiality !== true) {
      throw problems.badRequest('The confidentiality commitment is accepted with the agreement.', {
        errors: [
          {
            pointer: '/confidentiality',
            detail: 'must be true: the agreement has a confidentiality commitment',
          },
        ],
      });
    }
    const partnerId = viewer.identity.partnerId;
    const records = await this.deps.partnership.acceptances(agreementId);
    const inEffect = inEffectOf(records).get(partnerId);
    if (inEffect?.record.digest === digest)
      return { status: await this.statusOf(agreement), recorded: false };
    this.assertChangesLeft(records, partnerId);
    await this.record(viewer, {
      agreementId,
      partnerId,
      action: 'accept',
      version: agreement.version,
      digest,
      confidentialityDigest: confidentialityDigest(agreement),
    });
    return { status: await this.statusOf(agreement), recorded: true };
  }

  /** Ends the party's acceptance in effect, with a reason. */
  async withdraw(viewer: Viewer, agreementId: string, reason: string): Promise<AgreementStatus> {
    const agreement = this.partyAgreement(viewer, agreementId);
    const partnerId = viewer.identity.partnerId;
    const records = await this.deps.partnership.acceptances(agreementId);
    const inEffect = inEffectOf(records).get(partnerId);
    if (!inEffect) throw problems.conflict(`${partnerId} has no acceptance of this agreement to withdraw.`);
    this.assertChangesLeft(records, partnerId);
    const { version, digest, confidentialityDigest } = inEffect.record;
    await this.record(viewer, {
      agreementId,
      partnerId,
      action: 'withdraw',
      version,
      digest,
      confidentialityDigest,
      reason,
    });
    return this.statusOf(agreement);
  }

  /** A 429 once the party made the day's changes to this agreement (MAX_ACCEPTANCE_CHANGES_PER_DAY). */
  private assertChangesLeft(records: readonly Recorded<Acceptance>[], partnerId: string): void {
    const now = this.deps.clock();
    const today = now.toISOString().slice(0, 10);
    // The gateway's own (the demo's seed) are not the party's changes.
    const made = records.filter(
      (r) =>
        r.record.partnerId === partnerId && r.record.role !== 'system' && r.recordedAt.slice(0, 10) === today,
    ).length;
    if (made < MAX_ACCEPTANCE_CHANGES_PER_DAY) return;
    const tomorrow = Date.parse(`${today}T00:00:00Z`) + 86_400_000;
    throw problems.tooManyRequests(
      `${partnerId} changed its acceptance of this agreement ${made} times today: again tomorrow (UTC).`,
      Math.ceil((tomorrow - now.getTime()) / 1000),
    );
  }

  private async record(viewer: Viewer, fields: Omit<Acceptance, 'by' | 'role'>): Promise<void> {
    const { identity, accreditation } = viewer;
    const acceptance: Acceptance = {
      ...fields,
      by: { partnerId: identity.partnerId, userId: identity.userId },
      // The guard let the person through as legal or as admin: legal when they hold it.
      role: accreditation.roles.includes('legal') ? 'legal' : 'admin',
    };
    await this.deps.partnership.recordAcceptances(
      [acceptance],
      [acceptanceEvent(acceptance, this.deps.partnership.digest)],
    );
  }

  private async statusOf(agreement: Agreement): Promise<AgreementStatus> {
    const records = await this.deps.partnership.acceptances(agreement.id);
    return agreementStatus(agreement, records, this.deps.bundle().partners, this.deps.clock());
  }

  private mayRead(viewer: Viewer, agreement: Agreement): boolean {
    return partiesOf(agreement).includes(viewer.identity.partnerId) || seesAll(this.deps, viewer);
  }

  private agreement(agreementId: string): Agreement {
    const agreement = this.deps.bundle().agreements.get(agreementId);
    if (!agreement) throw problems.notFound('No such agreement.');
    return agreement;
  }

  /** The agreement, when the viewer's partner is one of its parties: only a party accepts for itself. */
  private partyAgreement(viewer: Viewer, agreementId: string): Agreement {
    const agreement = this.agreement(agreementId);
    if (!partiesOf(agreement).includes(viewer.identity.partnerId))
      throw problems.forbidden('Your partner is not a party to this agreement.');
    return agreement;
  }
}

/** Per party, its acceptance in effect: the newest acceptance not withdrawn since. */
function inEffectOf(records: readonly Recorded<Acceptance>[]): Map<string, Recorded<Acceptance>> {
  const inEffect = new Map<string, Recorded<Acceptance>>();
  for (const r of records) {
    if (r.record.action === 'accept') inEffect.set(r.record.partnerId, r);
    else inEffect.delete(r.record.partnerId);
  }
  return inEffect;
}

export function agreementStatus(
  agreement: Agreement,
  records: readonly Recorded<Acceptance>[],
  partners: ReadonlyMap<string, { name: string }>,
  now: Date,
): AgreementStatus {
  const digest = agreementDigest(agreement);
  const inEffect = inEffectOf(records);
  const parties = partiesOf(agreement).map((partnerId): PartyAcceptance => {
    const r = inEffect.get(partnerId);
    return {
      partnerId,
      name: partners.get(partnerId)?.name ?? partnerId,
      sides: [
        ...(agreement.parties.requesters.includes(partnerId) ? (['requester'] as const) : []),
        ...(agreement.parties.providers.includes(partnerId) ? (['provider'] as const) : []),
      ],
      acceptance: r
        ? {
            version: r.record.version,
            digest: r.record.digest,
            by: r.record.by,
            role: r.record.role,
            at: r.recordedAt,
            current: r.record.digest === digest,
          }
        : null,
    };
  });
  const notInForce = whyNotInForce(
    agreement,
    factsOf(
      [],
      records.map((r) => r.record),
    ),
    now,
  );
  const commitment = confidentialityDigest(agreement);
  return {
    agreementId: agreement.id,
    title: agreement.title,
    version: agreement.version,
    digest,
    confidentiality:
      agreement.confidentiality === undefined || commitment === null
        ? null
        : { text: agreement.confidentiality, digest: commitment },
    reviseBy: agreement.reviseBy,
    inForce: notInForce.length === 0,
    notInForce,
    parties,
    history: [...records].reverse().map((r) => ({ ...r.record, seq: r.seq, recordedAt: r.recordedAt })),
  };
}
