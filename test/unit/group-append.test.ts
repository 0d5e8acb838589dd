/**
 * Group commit of the PostgreSQL log's plain appends (src/store/postgres/group-append.ts): appends asked
 * for while a transaction runs share the next one; each caller gets its own entries, and only once the
 * transaction holding them has committed; a batch that fails is tried unit by unit, so one refused
 * append fails alone and the others are written.
 */
import type { AuditEntry, AuditEventInput } from '../../src/audit/types';
import { groupAppends } from '../../src/store/postgres/group-append';

const event = (i: number): AuditEventInput => ({ type: `t${i}`, actor: 'system', partners: [], data: { i } });

/** A log in memory whose writes take a turn of the event loop; `refuse` makes a write holding that type fail. */
function fakeLog(refuse?: string) {
  const entries: AuditEntry[] = [];
  const transactions: number[] = [];
  let committed = 0;
  const write = async (events: readonly AuditEventInput[]) => {
    await new Promise((resolve) => setTimeout(resolve, 2));
    if (refuse && events.some((e) => e.type === refuse)) throw new Error('refused');
    transactions.push(events.length);
    const written = events.map((e, k) => ({ seq: entries.length + k + 1, type: e.type }) as AuditEntry);
    for (const w of written) entries.push(w);
    committed = entries.length;
    return written;
  };
  return { entries, transactions, write, committed: () => committed };
}

describe('group commit of plain appends', () => {
  it('appends asked for together share transactions; each gets its own entries, after commit', async () => {
    const log = fakeLog();
    const append = groupAppends(log.write);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        append([event(i), event(1000 + i)]).then((entries) => ({ entries, committed: log.committed() })),
      ),
    );
    // The first goes alone, the 49 that came while it ran share the next transaction.
    expect(log.transactions).toEqual([2, 98]);
    results.forEach(({ entries, committed }, i) => {
      expect(entries.map((e) => e.type)).toEqual([`t${i}`, `t${1000 + i}`]);
      expect(committed).toBeGreaterThanOrEqual(entries[1].seq);
    });
    expect(log.entries.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('a lone append goes at once, in a transaction of its own', async () => {
    const log = fakeLog();
    const append = groupAppends(log.write);
    await append([event(1)]);
    await append([event(2)]);
    expect(log.transactions).toEqual([1, 1]);
  });

  it('a batch holding a refused append is tried unit by unit: that one fails alone', async () => {
    const log = fakeLog('t7');
    const append = groupAppends(log.write);
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => append([event(i)])));
    expect(outcomes.map((o) => o.status)).toEqual(
      Array.from({ length: 10 }, (_, i) => (i === 7 ? 'rejected' : 'fulfilled')),
    );
    expect(log.entries.map((e) => e.type)).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't8', 't9']);
  });

  it('a batch holds at most 1,000 events', async () => {
    const log = fakeLog();
    const append = groupAppends(log.write);
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        append(Array.from({ length: 100 }, (__, k) => event(i * 100 + k))),
      ),
    );
    expect(Math.max(...log.transactions)).toBeLessThanOrEqual(1000);
    expect(log.transactions.reduce((a, b) => a + b, 0)).toBe(3000);
  });
});
