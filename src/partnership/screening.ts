/**
 * Partner screening: the gateway's admins record each partner's due diligence; the newest record is in
 * effect (standing.ts). Admins and a supervisor's DPO read every partner's history, a partner's DPO its own.
 */
import { ProblemError, problems } from '../http/problem';
import { bodyValidator } from '../http/validate';
import screeningSchema from '../../schemas/api/screening.schema.json';
import type { Partner } from '../policy/types';
import { screeningEvent } from './events';
import type { Recorded } from './registry';
import { factsOf, screeningStanding } from './standing';
import type { Screening } from './types';
import { seesAll, utcToday, type PartnershipDeps, type Viewer } from './viewer';

/** A screening as an admin gives it: the partner is in the path, the reviewer is the admin. */
export type ScreeningInput = Omit<Screening, 'partnerId' | 'reviewer'>;

const validateShape = bodyValidator<ScreeningInput>(screeningSchema);

interface FieldError {
  pointer: string;
  detail: string;
}

/**
 * A screening body, or a 400 listing every problem at its pointer: the schema's, and the dates' (when
 * both are dates), together, so a form shows them all at once. Carries the schema for the API's description.
 */
export const validateScreening = Object.assign(
  (body: unknown, now: Date): ScreeningInput => {
    let errors: FieldError[] = [];
    try {
      validateShape(body);
    } catch (error) {
      if (!(error instanceof ProblemError)) throw error;
      errors = (error.extensions.errors as FieldError[] | undefined) ?? [];
    }
    const dates = body as Partial<Record<'reviewedOn' | 'nextReviewOn', unknown>>;
    const isDay = (pointer: string, value: unknown) =>
      typeof value === 'string' && !errors.some((e) => e.pointer === pointer);
    if (isDay('/reviewedOn', dates?.reviewedOn) && isDay('/nextReviewOn', dates?.nextReviewOn))
      errors.push(...dateErrors(body as ScreeningInput, now));
    if (errors.length) throw problems.badRequest('The screening is invalid.', { errors });
    return body as ScreeningInput;
  },
  { schema: validateShape.schema },
);

/** A partner's standing as people read it: a clearance with conditions says so. */
export type StandingStatus = 'cleared' | 'cleared-with-conditions' | 'refused' | 'lapsed' | 'unscreened';

export interface PartnerStanding {
  partnerId: string;
  name: string;
  status: StandingStatus;
  reviewedOn: string | null;
  nextReviewOn: string | null;
  conditions: string[];
}

export interface ScreeningHistory {
  standing: PartnerStanding;
  items: Recorded<Screening>[];
}

/** The longest a clearance may run before its next review. */
const MAX_REVIEW_YEARS = 3;

export class Screenings {
  constructor(private readonly deps: PartnershipDeps) {}

  async record(viewer: Viewer, partnerId: string, input: ScreeningInput): Promise<ScreeningHistory> {
    this.partner(partnerId);
    const { identity } = viewer;
    const screening: Screening = {
      partnerId,
      reviewedOn: input.reviewedOn,
      reviewer: { partnerId: identity.partnerId, userId: identity.userId },
      outcome: input.outcome,
      conditions: input.conditions,
      riskNotes: input.riskNotes,
      contact: input.contact,
      nextReviewOn: input.nextReviewOn,
    };
    await this.deps.partnership.recordScreenings(
      [screening],
      [screeningEvent(screening, this.deps.partnership.digest)],
    );
    return this.history(viewer, partnerId);
  }

  /** One partner's screenings, newest first, with its standing today. */
  async history(viewer: Viewer, partnerId: string): Promise<ScreeningHistory> {
    const partner = this.partner(partnerId);
    // Another partner's history does not exist for a partner's DPO (as another partner's log entries).
    if (!this.inScope(viewer, partnerId)) throw problems.notFound('No such partner in your scope.');
    const items = (await this.deps.partnership.screenings(partnerId)).reverse();
    return { standing: this.standingOf(partner, items[0]?.record), items };
  }

  /** Every partner's standing today, those the viewer may see. */
  async standings(viewer: Viewer): Promise<PartnerStanding[]> {
    const newest = factsOf(
      (await this.deps.partnership.screenings()).map((s) => s.record),
      [],
    ).screenings;
    return [...this.deps.bundle().partners.values()]
      .filter((p) => this.inScope(viewer, p.id))
      .map((p) => this.standingOf(p, newest.get(p.id)));
  }

  private inScope(viewer: Viewer, partnerId: string): boolean {
    return seesAll(this.deps, viewer) || viewer.identity.partnerId === partnerId;
  }

  private partner(partnerId: string): Partner {
    const partner = this.deps.bundle().partners.get(partnerId);
    if (!partner) throw problems.notFound('No such partner.');
    return partner;
  }

  private standingOf(partner: Partner, newest: Screening | undefined): PartnerStanding {
    const facts = factsOf(newest ? [newest] : [], []);
    const standing = screeningStanding(facts, partner.id, utcToday(this.deps.clock()));
    const status: StandingStatus =
      standing.status === 'cleared' && standing.screening.outcome === 'cleared-with-conditions'
        ? 'cleared-with-conditions'
        : standing.status;
    return {
      partnerId: partner.id,
      name: partner.name,
      status,
      reviewedOn: newest?.reviewedOn ?? null,
      nextReviewOn: newest?.nextReviewOn ?? null,
      conditions: newest?.conditions ?? [],
    };
  }
}

/**
 * What the schema cannot say: the review is not in the future (a day's grace for reviewers east of
 * UTC), and the next one comes after it, within three years.
 */
function dateErrors(input: ScreeningInput, now: Date): FieldError[] {
  const errors: FieldError[] = [];
  const tomorrow = utcToday(new Date(now.getTime() + 24 * 60 * 60 * 1000));
  if (input.reviewedOn > tomorrow)
    errors.push({ pointer: '/reviewedOn', detail: 'must not be in the future' });
  if (input.nextReviewOn <= input.reviewedOn) {
    errors.push({ pointer: '/nextReviewOn', detail: 'must be after reviewedOn' });
  } else if (input.nextReviewOn > yearsLater(input.reviewedOn, MAX_REVIEW_YEARS)) {
    errors.push({
      pointer: '/nextReviewOn',
      detail: `must be at most ${MAX_REVIEW_YEARS} years after reviewedOn`,
    });
  }
  return errors;
}

/** The same day `years` later, as text (a 29 February compares as the day after 28 February). */
const yearsLater = (date: string, years: number) =>
  `${String(Number(date.slice(0, 4)) + years).padStart(4, '0')}${date.slice(4)}`;
