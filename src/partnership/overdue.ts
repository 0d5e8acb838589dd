/**
 * A request the provider has not answered within the agreement's response time is overdue: flagged in
 * the provider's inbox, on its contact point's home page, and counted in the report.
 */
import type { Agreement } from '../policy/types';
import type { StoredRequest } from '../requests/types';

const HOUR_MS = 3_600_000;

export type Overdue = { overdue: false } | { overdue: true; overdueSince: string };

/** When the agreement's response time for a request created at `createdAt` runs out (undefined: none). */
export function dueBy(createdAt: string, agreement: Pick<Agreement, 'responseTimeHours'> | undefined) {
  const hours = agreement?.responseTimeHours;
  if (hours === undefined) return undefined;
  return new Date(Date.parse(createdAt) + hours * HOUR_MS).toISOString();
}

/** Whether `request`, still awaiting its provider at `now`, is past the agreement's response time. */
export function overdue(
  request: Pick<StoredRequest, 'state' | 'createdAt'>,
  agreement: Pick<Agreement, 'responseTimeHours'> | undefined,
  now: Date,
): Overdue {
  const due = dueBy(request.createdAt, agreement);
  if (request.state !== 'awaiting_provider' || due === undefined) return { overdue: false };
  return now.toISOString() > due ? { overdue: true, overdueSince: due } : { overdue: false };
}
