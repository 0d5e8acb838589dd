import { overdue } from '../../../src/partnership/overdue';

const created = '2026-11-02T09:00:00.000Z';
const request = (state: 'awaiting_provider' | 'answered') => ({ state, createdAt: created });
const at = (iso: string) => new Date(iso);

describe('overdue', () => {
  it.each([
    ['within the response time', 'awaiting_provider', '2026-11-05T08:59:59.999Z', { overdue: false }],
    ['at the moment it runs out', 'awaiting_provider', '2026-11-05T09:00:00.000Z', { overdue: false }],
    [
      'past it, since when it ran out',
      'awaiting_provider',
      '2026-11-05T09:00:00.001Z',
      { overdue: true, overdueSince: '2026-11-05T09:00:00.000Z' },
    ],
    ['answered, however late', 'answered', '2026-12-30T00:00:00.000Z', { overdue: false }],
  ] as const)('%s', (_name, state, now, expected) => {
    expect(overdue(request(state), { responseTimeHours: 72 }, at(now))).toEqual(expected);
  });

  it('is never overdue under an agreement without a response time, or none', () => {
    expect(overdue(request('awaiting_provider'), {}, at('2030-01-01T00:00:00Z'))).toEqual({ overdue: false });
    expect(overdue(request('awaiting_provider'), undefined, at('2030-01-01T00:00:00Z'))).toEqual({
      overdue: false,
    });
  });
});
