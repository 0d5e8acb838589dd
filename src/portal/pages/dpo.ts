/** DPO pages: the log as a filterable table, verification and the last checkpoint, export, subject search. */
import { PassThrough } from 'node:stream';
import { guards } from '../../http/routes';
import { problems, ProblemError } from '../../http/problem';
import { logTimestamp } from '../../http/timestamps';
import { CONTENT_TYPES, type ExportFormat } from '../../audit/export';
import type { EventFilter } from '../../audit/service';
import { localDate } from '../../requests/local-day';
import { PERSON } from '../../records/accreditation';
import { daysBetween } from '../charts';
import { one } from '../forms';
import type { Ctx, PortalRoute } from '../context';
import { activityView, logView, verifyView } from './dpo-views';

const PARTNER = /^[A-Za-z0-9._-]{1,64}$/;

const FILTERS: [name: string, label: string, pattern: RegExp][] = [
  ['agreement', 'Agreement', /^[A-Za-z0-9._-]{1,128}$/],
  ['partner', 'Partner', PARTNER],
  // A person is (partner, user): a user id alone could be anyone's at another partner.
  ['user', 'Actor (partner:user, e.g. police-se:sven)', PERSON],
  ['request', 'Request id', /^[0-9a-f-]{36}$/],
  ['type', 'Entry type', /^[a-z][a-z.-]*(,[a-z][a-z.-]*)*$/],
  ['outcome', 'Outcome', /^[A-Za-z_-]{1,64}$/],
  ['identifier', 'Who saw data about this identifier (type:value)', /^[a-z][a-z0-9-]*:\S.{0,190}$/],
  ['subject', 'Who saw data about this person (name)', /^.{1,200}$/],
];

function filterOf(ctx: Ctx): { filter: EventFilter; values: Record<string, string> } {
  const values: Record<string, string> = {};
  for (const [name, label, pattern] of FILTERS) {
    const v = ctx.req.query[name];
    if (typeof v !== 'string' || !v.trim()) continue;
    if (!pattern.test(v.trim())) throw problems.badRequest(`${label}: not a valid value.`);
    values[name] = v.trim();
  }
  const { type, ...rest } = values;
  return { filter: { ...rest, ...(type ? { types: type.split(',') } : {}) }, values };
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A YYYY-MM-DD that is a real day, or a 400 naming the field. */
function dayField(value: string | undefined, label: string): string | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (!DAY.test(v) || logTimestamp(v, { allowDate: true }) === undefined) {
    throw problems.badRequest(`${label}: not a day (YYYY-MM-DD).`);
  }
  return v;
}

function exportFilterOf(ctx: Ctx): { from?: string; to?: string; partner?: string } {
  const from = dayField(one(ctx.form, 'from'), 'From');
  const to = dayField(one(ctx.form, 'to'), 'To');
  const partner = one(ctx.form, 'partner')?.trim();
  if (from && to && from > to) throw problems.badRequest('From: comes after To.');
  if (partner && !PARTNER.test(partner)) throw problems.badRequest('Partner: not a partner id.');
  return {
    ...(from ? { from: `${from}T00:00:00.000Z` } : {}),
    ...(to ? { to: `${to}T23:59:59.999Z` } : {}),
    ...(partner ? { partner } : {}),
  };
}

const MAX_DAYS = 366;
const DEFAULT_DAYS = 30;

/**
 * Today as the latest agreement sees it: days are counted in each agreement's own time zone, and east
 * of UTC the local day has begun while UTC's has not (Amsterdam's from 23:00 UTC): a default range
 * ending on UTC's day left out that day's activity there.
 */
export function latestToday(now: Date, zones: Iterable<string>): string {
  let latest = now.toISOString().slice(0, 10);
  for (const timeZone of new Set(zones)) {
    const day = localDate(now, timeZone);
    if (day > latest) latest = day;
  }
  return latest;
}

function activityRange(ctx: Ctx): { from: string; to: string } {
  const q = ctx.req.query;
  const zones = [...ctx.deps.bundle().agreements.values()].map((a) => a.timezone);
  const today = latestToday(ctx.deps.clock(), zones);
  const to = dayField(typeof q.to === 'string' ? q.to : undefined, 'To') ?? today;
  const from =
    dayField(typeof q.from === 'string' ? q.from : undefined, 'From') ??
    new Date(Date.parse(`${to}T00:00:00Z`) - (DEFAULT_DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
  if (from > to) throw problems.badRequest('From: comes after To.');
  if (daysBetween(from, to).length > MAX_DAYS) throw problems.badRequest(`Show at most ${MAX_DAYS} days.`);
  return { from, to };
}

export function dpoRoutes(): PortalRoute[] {
  return [
    {
      method: 'get',
      path: '/log',
      guard: guards.anyOf('audit:read'),
      handler: async (ctx) => {
        const { filter, values } = filterOf(ctx);
        const cursor =
          typeof ctx.req.query.cursor === 'string' && /^[A-Za-z0-9_-]{1,100}$/.test(ctx.req.query.cursor)
            ? ctx.req.query.cursor
            : undefined;
        const audit = ctx.deps.services.audit;
        const { items, nextCursor } = await audit.events(ctx.identity, filter, {
          cursor,
          limit: 50,
          order: 'desc',
        });
        const latest = await audit.latestCheckpoint().catch((e: unknown) => {
          if (e instanceof ProblemError && e.status === 404) return null;
          throw e;
        });
        const next = new URLSearchParams({ ...values, ...(nextCursor ? { cursor: nextCursor } : {}) });
        ctx.render(
          'Disclosure log',
          logView({
            csrf: ctx.user.csrf,
            latest,
            filters: FILTERS.map(([name, label]) => ({ name, label, value: values[name] ?? '' })),
            items,
            older: nextCursor ? `/portal/log?${next.toString()}` : undefined,
          }),
        );
      },
    },
    {
      method: 'get',
      path: '/log/activity',
      guard: guards.anyOf('audit:read'),
      handler: async (ctx) => {
        const { from, to } = activityRange(ctx);
        const chosen = typeof ctx.req.query.agreement === 'string' ? ctx.req.query.agreement : '';
        const days = daysBetween(from, to);
        // Each agreement's local days from..to, scoped to the entries involving the DPO's partner.
        const all = await ctx.deps.services.audit.statsDays(ctx.identity, { fromDay: from, toDay: to });
        const rows = all.filter((r) => r.agreementId);
        const agreements = [...new Set(rows.map((r) => r.agreementId!))].sort();
        const shown = chosen ? agreements.filter((a) => a === chosen) : agreements;
        ctx.render(
          'Activity by agreement',
          activityView({
            from,
            to,
            chosen,
            agreements,
            days,
            shown: shown.map((a) => ({ agreementId: a, rows: rows.filter((r) => r.agreementId === a) })),
          }),
        );
      },
    },
    {
      method: 'post',
      path: '/log/verify',
      guard: guards.anyOf('audit:read'),
      handler: async (ctx) => {
        const r = await ctx.deps.services.audit.verify(ctx.identity);
        ctx.render('Log verification', verifyView(r));
      },
    },
    {
      method: 'post',
      path: '/log/export',
      guard: guards.anyOf('audit:export'),
      handler: async (ctx) => {
        const format = one(ctx.form, 'format') as ExportFormat;
        if (format !== 'jsonl' && format !== 'csv') throw problems.badRequest('Export as jsonl or csv.');
        const filter = exportFilterOf(ctx);
        // Buffered through a pass-through so an error before the first byte still renders a page.
        const out = new PassThrough();
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        ctx.res.status(200).type(CONTENT_TYPES[format]);
        ctx.res.setHeader('Content-Disposition', `attachment; filename="fsg-audit-${stamp}.${format}"`);
        out.pipe(ctx.res);
        try {
          await ctx.deps.services.audit.export(ctx.identity, filter, format, out);
          out.end();
        } catch (error) {
          out.destroy();
          ctx.res.destroy(error as Error);
        }
      },
    },
  ];
}
