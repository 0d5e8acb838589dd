/**
 * The decision: all five safes, always all of them (the analyst and the DPO see every failing safe),
 * permit only when every one passes, plus the obligations the answer must satisfy.
 */
import type { Agreement, Bundle } from '../policy/types';
import type { Identity } from '../auth/identity';
import type { Decision, DecisionContext, Obligations, RequestInput, SafeName, SafeResult } from './types';
import { SAFE_NAMES } from './types';
import { checkPeople } from './people';
import { checkProject } from './project';
import { checkSetting } from './setting';
import { checkData, distinct, findDataset } from './data';
import { checkOutput } from './output';

type Safe = (input: RequestInput, identity: Identity, ctx: DecisionContext, bundle: Bundle) => SafeResult;

const SAFES: Record<SafeName, Safe> = {
  people: checkPeople,
  project: checkProject,
  setting: checkSetting,
  data: checkData,
  output: checkOutput,
};

export function decide(
  input: RequestInput,
  identity: Identity,
  ctx: DecisionContext,
  bundle: Bundle,
): Decision {
  const safes = {} as Record<SafeName, SafeResult>;
  for (const name of SAFE_NAMES) safes[name] = SAFES[name](input, identity, ctx, bundle);
  const agreement = bundle.agreements.get(input.agreementId);
  return {
    outcome: SAFE_NAMES.every((name) => safes[name].outcome === 'pass') ? 'permit' : 'deny',
    safes,
    obligations: obligationsFor(input, agreement, identity.userId),
    policyDigest: bundle.digest,
    agreementVersion: agreement?.version ?? null,
    decidedAt: ctx.now.toISOString(),
  };
}

/** What an answer must satisfy; without an agreement nothing may leave (empty, zero, TLP:RED). */
export function obligationsFor(
  input: RequestInput,
  agreement: Agreement | undefined,
  requester = '',
): Obligations {
  const recipients = { user: requester, team: input.recipients?.team ?? null };
  if (!agreement) {
    return {
      fields: [],
      pseudonymise: [],
      generalise: {},
      recipients,
      maxRecords: 0,
      handling: { tlp: 'RED', conditions: [] },
      retentionDays: 0,
    };
  }
  const dataset = findDataset(agreement, input);
  const allowed = new Set(dataset?.fields ?? []);
  const fields = distinct(input.fields).filter((f) => allowed.has(f));
  const pseudonymised = new Set(dataset?.pseudonymise ?? []);
  const { maxRecordsPerRequest, handling, retentionDays } = agreement.safes.output;
  const generalise = Object.fromEntries(
    Object.entries(dataset?.generalise ?? {}).filter(([field]) => fields.includes(field)),
  );
  return {
    fields,
    pseudonymise: fields.filter((f) => pseudonymised.has(f)),
    generalise,
    recipients,
    maxRecords: maxRecordsPerRequest,
    // A copy, so that a later change to the loaded bundle cannot alter a recorded decision.
    handling: { tlp: handling.tlp, conditions: [...handling.conditions] },
    retentionDays,
  };
}
