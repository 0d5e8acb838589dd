/**
 * Group commit for appends that change nothing else (lookups, system entries): appends asked for while
 * one transaction holds the log's lock wait, and go together in the next one: one lock, one tip read,
 * one insert and one commit for all of them, instead of one each. No timer: a lone append goes at once.
 * None is answered before the transaction holding its entries has committed. A batch that fails is
 * tried again unit by unit, so one refused append fails alone.
 */
import type { AuditEntry, AuditEventInput } from '../../audit/types';
import { isUnreachable } from './errors';

interface Unit {
  events: readonly AuditEventInput[];
  resolve: (entries: AuditEntry[]) => void;
  reject: (error: unknown) => void;
}

/** Most events in one transaction. */
const MAX_EVENTS = 1000;

export function groupAppends(
  write: (events: readonly AuditEventInput[]) => Promise<AuditEntry[]>,
): (events: readonly AuditEventInput[]) => Promise<AuditEntry[]> {
  const queue: Unit[] = [];
  let running = false;

  const next = (): Unit[] => {
    const batch: Unit[] = [];
    let events = 0;
    while (queue.length > 0 && (batch.length === 0 || events + queue[0].events.length <= MAX_EVENTS)) {
      const unit = queue.shift()!;
      events += unit.events.length;
      batch.push(unit);
    }
    return batch;
  };

  const alone = async (unit: Unit) => {
    try {
      unit.resolve(await write(unit.events));
    } catch (error) {
      unit.reject(error);
    }
  };

  const flush = async () => {
    running = true;
    try {
      while (queue.length > 0) {
        const batch = next();
        if (batch.length === 1) {
          await alone(batch[0]);
          continue;
        }
        let written: AuditEntry[];
        try {
          written = await write(batch.flatMap((u) => u.events));
        } catch (error) {
          // The connection lost (perhaps during COMMIT): the batch may have been committed, so it is
          // not written again; every unit is told the store is unreachable.
          if (isUnreachable(error)) {
            for (const unit of batch) unit.reject(error);
            continue;
          }
          // Refused: nothing of the batch was committed; each unit again in a transaction of its own.
          for (const unit of batch) await alone(unit);
          continue;
        }
        let at = 0;
        for (const unit of batch) {
          unit.resolve(written.slice(at, at + unit.events.length));
          at += unit.events.length;
        }
      }
    } finally {
      running = false;
    }
  };

  return (events) =>
    new Promise<AuditEntry[]>((resolve, reject) => {
      queue.push({ events, resolve, reject });
      if (!running) void flush();
    });
}
