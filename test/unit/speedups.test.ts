/**
 * The speed-ups of the benchmarks issue change how answers are computed, never the answers: each is
 * held against the plain computation it replaces.
 */
import canonicalize from 'canonicalize';
import { newEnforcer, newModelFromString, StringAdapter } from 'casbin';
import fc from 'fast-check';
import fs from 'node:fs';
import path from 'node:path';
import { GENESIS_HASH, buildEntry, canonicalJson, entryBody, entryHash } from '../../src/audit/chain';
import type { AuditEventInput } from '../../src/audit/types';
import { allows } from '../../src/policy/enforce';
import { localDate, localDayAt, localDays, startOfLocalDay, zonedClock } from '../../src/time/zones';

const POLICIES = path.join(__dirname, '..', '..', 'policies');

/** What canonicalJson did before: the package, undefined refused. */
function reference(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  return text;
}

function outcome(f: () => string): { ok: string } | { error: string } {
  try {
    return { ok: f() };
  } catch (error) {
    return { error: (error as Error).constructor.name };
  }
}

describe('canonicalJson', () => {
  it('writes what the canonicalize package writes, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(reference(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes what the package writes for objects with odd keys and absent values', () => {
    const key = fc.oneof(
      fc.string(),
      fc.constantFrom('0', '10', '9', '__proto__', 'constructor', 'é', '\u{1F600}'),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.constant(undefined),
        fc.string(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('node')),
        fc.dictionary(key, tie('node')),
      ),
    })).node;
    fc.assert(
      fc.property(value, (v) => {
        expect(outcome(() => canonicalJson(v))).toEqual(outcome(() => reference(v)));
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves unusual values to the package: the same text, or the same refusal', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    const sparse: unknown[] = [1];
    sparse[2] = 3;
    const unusual: unknown[] = [
      NaN,
      Infinity,
      -0,
      new Date('2026-01-01T00:00:00.000Z'),
      { when: new Date(0) },
      { toJSON: () => ({ b: 1, a: 2 }) },
      Object.create({ toJSON: () => 'inherited' }),
      Object.assign(Object.create(null), { b: 1, a: [true, null] }),
      new Point(1, 2),
      Buffer.from('ab'),
      [undefined, () => 1, Symbol('s')],
      { f: () => 1 },
      { s: Symbol('s'), u: undefined, n: null },
      sparse,
      new Map([['a', 1]]),
      Object.assign(new String('ab')),
      [NaN],
      { deep: { n: Infinity } },
    ];
    for (const value of unusual) {
      expect(outcome(() => canonicalJson(value))).toEqual(outcome(() => reference(value)));
    }
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
    expect(() => canonicalJson(10n)).toThrow(TypeError);
  });
});

describe('buildEntry', () => {
  const event = fc.record({
    type: fc.string({ minLength: 1 }),
    actor: fc.oneof(
      fc.constant('system' as const),
      fc.record({ userId: fc.string({ minLength: 1 }), partnerId: fc.string({ minLength: 1 }) }),
    ),
    partners: fc.array(fc.string()),
    requestId: fc.option(fc.string(), { nil: undefined }),
    agreementId: fc.option(fc.string(), { nil: undefined }),
    outcome: fc.option(fc.string(), { nil: undefined }),
    data: fc.dictionary(fc.string(), fc.jsonValue()),
  });

  it('writes the body entryBody writes, and hashes it', () => {
    fc.assert(
      fc.property(event, fc.integer({ min: 1, max: 2 ** 40 }), (e, seq) => {
        const built = buildEntry(e as AuditEventInput, seq, '2026-06-15T10:00:00.000Z', GENESIS_HASH);
        const { body, hash, ...unhashed } = built;
        expect(body).toBe(entryBody(unhashed));
        expect(hash).toBe(entryHash(body));
        expect(JSON.parse(body)).toEqual(JSON.parse(entryBody(unhashed)));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('allows (casbin, asked once per question)', () => {
  it('answers as enforceSync does, per enforcer', async () => {
    const model = fs.readFileSync(path.join(POLICIES, 'model.conf'), 'utf8');
    const policy = fs.readFileSync(path.join(POLICIES, 'policy.csv'), 'utf8');
    const full = await newEnforcer(newModelFromString(model), new StringAdapter(policy));
    const none = await newEnforcer(newModelFromString(model), new StringAdapter('p, nobody, none, none\n'));
    const roles = ['analyst', 'responder', 'dpo', 'admin', 'nobody'];
    const partners = ['police-nl', 'police-se', 'boatreg-nl', 'insureco', 'gateway', 'elsewhere'];
    const actions = ['requests:create', 'lookups:create', 'audit:read', 'inbox:read', 'datasets:write', 'x'];
    for (let round = 0; round < 2; round++) {
      for (const role of roles) {
        for (const partner of partners) {
          for (const action of actions) {
            expect(allows(full, role, partner, action)).toBe(full.enforceSync(role, partner, action));
            expect(allows(none, role, partner, action)).toBe(false);
          }
        }
      }
    }
    expect(allows(full, 'dpo', 'insureco', 'audit:read')).toBe(true);
  });
});

describe('clock readings kept for a second', () => {
  const zones = ['Europe/Amsterdam', 'America/New_York', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'UTC'];
  const instant = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) });

  it('zonedClock reads what a fresh formatter reads, also for instants a moment apart', () => {
    fc.assert(
      fc.property(instant, fc.constantFrom(...zones), fc.integer({ min: 0, max: 999 }), (ms, zone, dt) => {
        for (const at of [ms, ms + dt, ms + 1000, ms - 1]) {
          const parts = Object.fromEntries(
            new Intl.DateTimeFormat('en-US', {
              timeZone: zone,
              year: 'numeric',
              month: '2-digit',
              day: '2-digit',
              weekday: 'short',
              hour: '2-digit',
              minute: '2-digit',
              hourCycle: 'h23',
            })
              .formatToParts(new Date(at))
              .map((p) => [p.type, p.value]),
          );
          const clock = zonedClock(new Date(at), zone);
          expect(clock.date).toBe(`${parts.year}-${parts.month}-${parts.day}`);
          expect(clock.minutes).toBe(Number(parts.hour) * 60 + Number(parts.minute));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a caller changing a reading does not change the next one', () => {
    const now = new Date('2026-06-15T10:00:00.000Z');
    const first = zonedClock(now, 'Europe/Amsterdam');
    first.minutes = -1;
    expect(zonedClock(now, 'Europe/Amsterdam').minutes).toBe(12 * 60);
  });

  it("startOfLocalDay answers as a fresh formatter does: the first second of now's local date", () => {
    /**
     * The definition itself, with a new formatter at every call: the earliest whole second whose local
     * date is now's (a local date never goes back), found by bisection over the 27 hours before now.
     * On the days the clocks change this is midnight at midnight's offset, not at now's.
     */
    const fresh = (now: Date, timeZone: string): number => {
      const dateAt = (ms: number) =>
        new Intl.DateTimeFormat('en-CA', {
          timeZone,
          year: 'numeric',
          month: '2-digit',
          day: '2-digit',
        }).format(new Date(ms));
      const today = dateAt(now.getTime());
      let before = Math.floor(now.getTime() / 1000) - 27 * 3600; // a second of an earlier date
      let within = Math.floor(now.getTime() / 1000); // a second of today
      while (within - before > 1) {
        const mid = Math.floor((before + within) / 2);
        if (dateAt(mid * 1000) === today) within = mid;
        else before = mid;
      }
      return within * 1000;
    };
    fc.assert(
      fc.property(instant, fc.constantFrom(...zones), fc.integer({ min: 0, max: 999 }), (ms, zone, dt) => {
        for (const at of [ms, ms + dt, ms + 1000]) {
          expect(startOfLocalDay(new Date(at), zone).getTime()).toBe(fresh(new Date(at), zone));
        }
      }),
      {
        numRuns: 300,
        // The second before a clock change, whose next second is read at another offset.
        examples: [
          [Date.UTC(2039, 9, 1, 15, 29, 59), 'Australia/Lord_Howe', 0],
          [Date.UTC(2026, 2, 29, 0, 59, 59), 'Europe/Amsterdam', 0],
          [Date.UTC(2026, 9, 25, 0, 59, 59), 'Europe/Amsterdam', 0],
          [Date.UTC(2026, 10, 1, 5, 59, 59), 'America/New_York', 0],
        ],
      },
    );
  });

  it('localDays answers as localDate, instants near one another or not, and knows each day to the ms', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(instant, fc.integer({ min: -90_000_000, max: 90_000_000 })), { maxLength: 20 }),
        fc.constantFrom(...zones),
        (walks, zone) => {
          const dayOf = localDays();
          for (const [start, span] of walks) {
            for (const at of [start, start + span, start + span / 2, start - 1]) {
              const ms = Math.round(at);
              expect(dayOf(ms, zone)).toBe(localDate(new Date(ms), zone));
              const { day, start: first, end } = localDayAt(ms, zone);
              expect([localDate(new Date(first), zone), localDate(new Date(end - 1), zone)]).toEqual([
                day,
                day,
              ]);
              expect([
                localDate(new Date(first - 1), zone) < day,
                localDate(new Date(end), zone) > day,
              ]).toEqual([true, true]);
            }
          }
        },
      ),
      {
        numRuns: 200,
        examples: [[[[Date.UTC(2026, 2, 29, 0, 59, 59, 999), 2]], 'Europe/Amsterdam']],
      },
    );
  });
});
