/**
 * Demo mode: every partner never screened is cleared for a year, and every agreement no party has ever
 * accepted is accepted by all its parties, so the quick start works as before. Seeded once: a partner
 * or an agreement with any record keeps its history, and a new agreement version needs real acceptances.
 */
import type { AuditEventInput } from '../audit/types';
import type { Bundle } from '../policy/types';
import { acceptanceEvent, screeningEvent } from './events';
import type { PartnershipRegistry } from './registry';
import { acceptedByAll } from './standing';
import type { Screening } from './types';

const DAY_MS = 24 * 60 * 60 * 1000;
const SYSTEM = { partnerId: 'gateway', userId: 'system' };

export async function seedDemoPartnership(
  registry: PartnershipRegistry,
  bundle: Bundle,
  now: Date,
): Promise<{ screened: number; accepted: number }> {
  const screened = new Set((await registry.screenings()).map((s) => s.record.partnerId));
  const screenings = [...bundle.partners.values()]
    .filter((p) => !screened.has(p.id))
    .map((p): Screening => ({
      partnerId: p.id,
      reviewedOn: isoDate(now.getTime()),
      reviewer: SYSTEM,
      outcome: 'cleared',
      conditions: [],
      riskNotes: 'Demo partner, cleared when the demo was seeded.',
      contact: { name: `${p.name} partnership desk`, email: `partnership@${p.id}.example` },
      nextReviewOn: isoDate(now.getTime() + 365 * DAY_MS),
    }));
  const seen = new Set((await registry.acceptances()).map((a) => a.record.agreementId));
  const acceptances = [...bundle.agreements.values()]
    .filter((a) => !seen.has(a.id))
    .flatMap((agreement) => acceptedByAll(agreement));
  const seed = (events: AuditEventInput[]) => events.map((e) => ({ ...e, actor: 'system' as const }));
  if (screenings.length)
    await registry.recordScreenings(
      screenings,
      seed(screenings.map((s) => screeningEvent(s, registry.digest))),
    );
  if (acceptances.length)
    await registry.recordAcceptances(
      acceptances,
      seed(acceptances.map((a) => acceptanceEvent(a, registry.digest))),
    );
  return { screened: screenings.length, accepted: acceptances.length };
}

const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
