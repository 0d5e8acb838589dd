/** The partnership's API: outcomes of disclosures and hits, and each agreement's report. */
import type { Request, Response } from 'express';
import type { Identity } from '../auth/identity';
import { ITEMS_SCHEMA, OBJECT_SCHEMA } from '../http/openapi';
import { problems } from '../http/problem';
import { guards, type RouteSpec } from '../http/routes';
import type { OutcomeSeen, OutcomeService } from './outcomes';
import { validateOutcome } from './outcomes';
import type { Recorded } from './registry';
import { REPORT_ACTION, type ReportService } from './report';

const identityOf = (res: Response): Identity => res.locals.identity as Identity;

function uuidParam(req: Request, name: string, what: string): string {
  const id = String(req.params[name]);
  if (!/^[0-9a-f-]{36}$/.test(id)) throw problems.notFound(`No such ${what}.`);
  return id;
}

/** An outcome as the API shows it (the note is the requester's side's own text: not to the provider). */
export function outcomeView(o: Recorded<OutcomeSeen>) {
  return {
    seq: o.seq,
    recordedAt: o.recordedAt,
    source: o.record.source,
    kind: o.record.kind,
    ...(o.record.note === undefined ? {} : { note: o.record.note }),
    by: o.record.by,
  };
}

const PERIOD_QUERY = {
  period: {
    type: 'string',
    pattern: '^2\\d{3}(-(Q[1-4]|0[1-9]|1[0-2]))?$',
    examples: ['2026-Q4', '2026-11', '2026'],
  },
};

export function reportRoutes(outcomes: OutcomeService, reports: ReportService): RouteSpec[] {
  const recorded = {
    201: {
      description: 'Recorded, and logged as outcome.recorded (the note only as a digest).',
      schema: OBJECT_SCHEMA,
    },
  };
  return [
    {
      method: 'post',
      path: '/requests/:id/outcomes',
      guard: guards.anyOf('outcomes:record'),
      doc: {
        summary: 'Record what a disclosure led to',
        description: 'By the requesting analyst (or the team the request named), once it was disclosed.',
        body: validateOutcome.schema,
        responses: {
          ...recorded,
          409: { description: 'Nothing was disclosed yet, or it has the most outcomes one keeps.' },
        },
      },
      handler: async (req, res) => {
        const id = uuidParam(req, 'id', 'request');
        const outcome = await outcomes.recordForRequest(identityOf(res), id, req.body);
        res.status(201).json(outcomeView(outcome));
      },
    },
    {
      method: 'get',
      path: '/requests/:id/outcomes',
      guard: guards.anyOf('requests:read-own', 'inbox:read', 'outcomes:record'),
      doc: {
        summary: 'What a disclosure led to, as recorded',
        description: 'The provider’s side reads each outcome without the analyst’s note.',
        responses: { 200: { description: 'The outcomes, oldest first.', schema: ITEMS_SCHEMA } },
      },
      handler: async (req, res) => {
        const list = await outcomes.listForRequest(identityOf(res), uuidParam(req, 'id', 'request'));
        res.json({ items: list.map(outcomeView) });
      },
    },
    {
      method: 'post',
      path: '/lookups/:lookupId/outcomes',
      guard: guards.anyOf('outcomes:record'),
      doc: {
        summary: 'Record what a hit led to',
        description: 'By the analyst who made the lookup, which had at least one hit.',
        body: validateOutcome.schema,
        responses: {
          ...recorded,
          409: { description: 'The lookup had no hit, or it has the most outcomes one keeps.' },
        },
      },
      handler: async (req, res) => {
        const id = uuidParam(req, 'lookupId', 'lookup');
        const outcome = await outcomes.recordForLookup(identityOf(res), id, req.body);
        res.status(201).json(outcomeView(outcome));
      },
    },
    {
      method: 'get',
      path: '/agreements/:agreementId/report',
      guard: guards.anyOf(REPORT_ACTION),
      doc: {
        summary: 'The monitoring and evaluation report of an agreement',
        description:
          'Activity, denials, response times, outcomes against goals, screening, changes and whether it is in force. ' +
          'Read by the parties’ contact points and DPOs, a supervisor’s DPO and the gateway’s admins (anyone else: 404).',
        query: PERIOD_QUERY,
        responses: { 200: { description: 'The report.', schema: OBJECT_SCHEMA } },
      },
      handler: async (req, res) => {
        const period = req.query.period;
        if (period !== undefined && typeof period !== 'string') throw problems.badRequest('Give one period.');
        res.json(await reports.reportFor(identityOf(res), String(req.params.agreementId), period));
      },
    },
  ];
}
