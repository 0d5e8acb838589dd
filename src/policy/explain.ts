/**
 * `fsg policy explain <request.json>`: a what-if for analysts and DPOs. Decides a request body (as sent
 * to POST /api/v1/requests or POST /api/v1/lookups) against the Five Safes for a demo user and prints
 * the whole decision with its obligations. Nothing is sent, stored or logged.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ErrorObject } from 'ajv';
import type { Command } from 'commander';
import lookupSchema from '../../schemas/api/lookup.schema.json';
import requestCreateSchema from '../../schemas/api/request-create.schema.json';
import { demoAccreditations } from '../accreditations/demo-seed';
import { aggregateFields, type AggregateQuery } from '../aggregates/query';
import type { Identity } from '../auth/identity';
import { createAjv } from '../config/ajv';
import { ConfigError, loadConfig, type GatewayConfig } from '../config/load';
import { ajvPointer } from '../config/schema-errors';
import type { Accreditation } from '../records/accreditation';
import { decide } from '../safes/decide';
import { parseAddress } from '../safes/setting';
import { SAFE_NAMES, type Decision, type IdentifierInput, type RequestInput } from '../safes/types';
import { BundleError } from './bundle-error';
import { loadBundle } from './load';
import type { Bundle } from './types';
import { inGoodStanding } from '../partnership/standing';

/** The facts a what-if assumes about the caller and the call. */
export interface ExplainOptions {
  /** Demo user id; default `anna`. */
  user?: string;
  /** Decision time; default now. */
  now?: Date;
  /** Default 127.0.0.1. */
  sourceIp?: string;
  /** Default false. */
  tls?: boolean;
  /** The token records a second factor (amr pwd+otp); default true. */
  mfa?: boolean;
}

export const EXPLAIN_DEFAULTS = { user: 'anna', sourceIp: '127.0.0.1', tls: false, mfa: true } as const;

/** How old the assumed authentication is at decision time. */
const AUTH_AGE_SECONDS = 5 * 60;
const TOKEN_TTL_SECONDS = 60 * 60;

/**
 * The decision the gateway would make for this request, as the given user, with nothing stored:
 * requestsToday is 0, every partner is taken as cleared and every agreement as accepted by its parties. An unknown user is not an error; the people safe says PEOPLE_UNKNOWN_USER.
 */
export function explain(
  input: RequestInput,
  options: ExplainOptions,
  bundle: Bundle,
  accreditations: readonly Accreditation[],
): Decision {
  const now = options.now ?? new Date();
  const identity = explainIdentity(options, bundle, accreditations, now);
  // A person is (partner, user): the entry of the identity's partner, never another partner's.
  const accreditation = accreditations.find(
    (a) => a.partnerId === identity.partnerId && a.userId === identity.userId,
  );
  return decide(
    input,
    identity,
    {
      now,
      sourceIp: options.sourceIp ?? EXPLAIN_DEFAULTS.sourceIp,
      tls: options.tls ?? EXPLAIN_DEFAULTS.tls,
      accreditation,
      requestsToday: 0,
      // Offline, with no store: every partner taken as cleared and every agreement as accepted.
      partnership: inGoodStanding(bundle),
    },
    bundle,
  );
}

/** The identity a verified token of the user's partner would give; no partner for an unknown user. */
export function explainIdentity(
  options: ExplainOptions,
  bundle: Bundle,
  accreditations: readonly Accreditation[],
  now: Date,
): Identity {
  const userId = options.user ?? EXPLAIN_DEFAULTS.user;
  const partnerId = accreditations.find((a) => a.userId === userId)?.partnerId ?? '';
  const seconds = Math.floor(now.getTime() / 1000);
  const mfa = options.mfa ?? EXPLAIN_DEFAULTS.mfa;
  return {
    userId,
    partnerId,
    issuer: bundle.partners.get(partnerId)?.issuers[0]?.iss ?? '',
    amr: mfa ? ['pwd', 'otp'] : ['pwd'],
    // What the verifier reads from such a token with the demo issuers' settings (pwd + otp counts).
    mfa,
    mfaClaims: ['amr'],
    authTime: seconds - AUTH_AGE_SECONDS,
    expiresAt: seconds + TOKEN_TTL_SECONDS,
  };
}

// ---------------------------------------------------------------------------------------------------
// The request body: validated with the API's own schemas, turned into a RequestInput as the services do.

export interface InputProblem {
  pointer: string;
  detail: string;
}

export type ParsedBody =
  | { ok: true; kind: 'detail' | 'aggregate' | 'lookup'; input: RequestInput }
  | { ok: false; problems: InputProblem[] };

interface RequestBody {
  agreementId: string;
  providerId: string;
  datasetId: string;
  identifiers?: IdentifierInput[];
  recordRefs?: string[];
  fields?: string[];
  purpose: string;
  caseRef: string;
  query?: AggregateQuery;
  /** Carried through as the request service does, when the schema allows it. */
  recipients?: { team: string };
}

interface LookupBody {
  agreementId: string;
  identifiers: IdentifierInput[];
  purpose: string;
  caseRef: string;
}

const ajv = createAjv();
const validateRequest = ajv.compile<RequestBody>(requestCreateSchema);
const validateLookup = ajv.compile<LookupBody>(lookupSchema);

/** A lookup names no provider or dataset and carries identifiers; anything else is a request. */
export function isLookupBody(body: unknown): boolean {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return false;
  const b = body as Record<string, unknown>;
  return b.providerId === undefined && b.datasetId === undefined && b.identifiers !== undefined;
}

export function parseRequestBody(body: unknown): ParsedBody {
  if (isLookupBody(body)) {
    if (!validateLookup(body)) return { ok: false, problems: schemaProblems(validateLookup.errors) };
    return {
      ok: true,
      kind: 'lookup',
      // As LookupService builds it.
      input: {
        agreementId: body.agreementId,
        identifiers: body.identifiers,
        purpose: body.purpose,
        caseRef: body.caseRef,
        kind: 'lookup',
        providerId: '',
        datasetId: '',
        fields: [],
        recordRefs: [],
      },
    };
  }
  if (!validateRequest(body)) return { ok: false, problems: schemaProblems(validateRequest.errors) };
  const raw: RequestBody = body;
  // As RequestService.create builds it: an aggregate's fields are those its query reads.
  const input: RequestInput = {
    ...raw,
    identifiers: raw.identifiers ?? [],
    recordRefs: raw.recordRefs ?? [],
    fields: raw.fields ?? [],
    ...(raw.query ? { kind: 'aggregate' as const, fields: aggregateFields(raw.query) } : {}),
  };
  return { ok: true, kind: raw.query ? 'aggregate' : 'detail', input };
}

function schemaProblems(errors: ErrorObject[] | null | undefined): InputProblem[] {
  const seen = new Set<string>();
  const problems: InputProblem[] = [];
  // "must match then schema" only repeats the errors under it.
  for (const e of (errors ?? []).filter((err) => err.keyword !== 'if')) {
    const problem = { pointer: ajvPointer(e), detail: describe(e) };
    const key = `${problem.pointer} ${problem.detail}`;
    if (!seen.has(key)) problems.push(problem);
    seen.add(key);
  }
  return problems;
}

function describe(e: ErrorObject): string {
  if (e.keyword === 'required') return 'is required';
  if (e.keyword === 'additionalProperties') return 'is not a known key';
  if (e.keyword === 'false schema') return 'is not allowed here';
  if (e.keyword === 'enum') return `must be one of ${(e.params.allowedValues as unknown[]).join(', ')}`;
  return e.message ?? 'is invalid';
}

// ---------------------------------------------------------------------------------------------------
// Human-readable form.

export interface ExplainSummary {
  kind: 'detail' | 'aggregate' | 'lookup';
  input: RequestInput;
  identity: Identity;
  sourceIp: string;
  tls: boolean;
}

const list = (items: readonly string[]) => (items.length ? items.join(', ') : '(none)');

export function formatDecision(decision: Decision, summary?: ExplainSummary): string {
  const lines: string[] = [];
  lines.push(`${decision.outcome.toUpperCase()}`);
  if (summary) {
    const { input, identity } = summary;
    const target =
      summary.kind === 'lookup' ? 'its lookup datasets' : `${input.providerId}/${input.datasetId}`;
    const asked =
      summary.kind === 'aggregate'
        ? `table by ${list(input.query?.groupBy ?? [])}`
        : `${input.identifiers.length} identifier(s), ${input.recordRefs.length} record ref(s)`;
    lines.push(`  request: ${summary.kind} under ${input.agreementId} to ${target}, ${asked}`);
    lines.push(`  purpose: ${input.purpose}, case ${input.caseRef}`);
    lines.push(
      `  as: ${identity.userId} (${identity.partnerId || 'no partner'}), amr ${identity.amr.join('+')}, ` +
        `from ${summary.sourceIp}, ${summary.tls ? 'TLS' : 'no TLS'}, at ${decision.decidedAt}`,
    );
  }
  lines.push('Safes:');
  const width = Math.max(...SAFE_NAMES.map((n) => n.length));
  for (const name of SAFE_NAMES) {
    const safe = decision.safes[name];
    lines.push(`  ${name.padEnd(width)}  ${safe.outcome}`);
    for (const r of safe.reasons) lines.push(`    ${r.code}: ${r.message}`);
  }
  const o = decision.obligations;
  lines.push('Obligations:');
  lines.push(`  fields: ${list(o.fields)}`);
  lines.push(`  pseudonymise: ${list(o.pseudonymise)}`);
  // Newer obligations, shown when the decision carries them.
  const generalise = Object.entries(o.generalise ?? {});
  if (generalise.length) lines.push(`  generalise: ${generalise.map(([f, g]) => `${f} to ${g}`).join(', ')}`);
  if (o.recipients)
    lines.push(
      `  recipients: ${o.recipients.user || '(none)'}${o.recipients.team ? `, team ${o.recipients.team}` : ''}`,
    );
  lines.push(`  max records: ${o.maxRecords}`);
  lines.push(`  handling: TLP:${o.handling.tlp}`);
  for (const condition of o.handling.conditions) lines.push(`    - ${condition}`);
  lines.push(`  retention: ${o.retentionDays} days`);
  lines.push(`Agreement version: ${decision.agreementVersion ?? '(none)'}`);
  lines.push(`Policy digest: sha256:${decision.policyDigest}`);
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------
// The command.

export interface ExplainFlags {
  as?: string;
  at?: string;
  from?: string;
  mfa?: boolean;
  tls?: boolean;
  dir?: string;
  json?: boolean;
}

export interface ExplainIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** The gateway configuration (policyDir, demo accreditations). */
  config: () => GatewayConfig;
  /** The real clock: demo accreditations are dated from it, as when they are seeded. */
  clock: () => Date;
  /** Receives the exit code: 0 permit, 1 deny, 2 bad input. */
  setExitCode: (code: number) => void;
}

export const EXPLAIN_EXIT = { PERMIT: 0, DENY: 1, USAGE: 2 } as const;

class ExplainUsageError extends Error {}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Runs the what-if; resolves to the exit code. Bad input is named on stderr, never thrown. */
export async function runExplain(file: string, flags: ExplainFlags, io: ExplainIo): Promise<number> {
  try {
    const now = parseAt(flags.at, io.clock);
    const sourceIp = flags.from ?? EXPLAIN_DEFAULTS.sourceIp;
    if (!parseAddress(sourceIp))
      throw new ExplainUsageError(`--from "${sourceIp}" is not an IPv4 or IPv6 address`);
    const body = readJson(file);
    const parsed = parseRequestBody(body.value);
    if (!parsed.ok) {
      io.stderr.write(
        `fsg: ${body.name} is not a valid request or lookup body:\n` +
          parsed.problems.map((p) => `  ${p.pointer}: ${p.detail}\n`).join(''),
      );
      return EXPLAIN_EXIT.USAGE;
    }
    const cfg = io.config();
    const bundle = await loadBundle(flags.dir ? path.resolve(flags.dir) : cfg.policyDir);
    const accreditations = demoAccreditations(cfg.demo.accreditations, io.clock());
    const options: ExplainOptions = {
      user: flags.as ?? EXPLAIN_DEFAULTS.user,
      now,
      sourceIp,
      tls: flags.tls ?? EXPLAIN_DEFAULTS.tls,
      mfa: flags.mfa ?? EXPLAIN_DEFAULTS.mfa,
    };
    const decision = explain(parsed.input, options, bundle, accreditations);
    if (flags.json) io.stdout.write(`${JSON.stringify(decision, null, 2)}\n`);
    else
      io.stdout.write(
        formatDecision(decision, {
          kind: parsed.kind,
          input: parsed.input,
          identity: explainIdentity(options, bundle, accreditations, now),
          sourceIp,
          tls: options.tls ?? false,
        }),
      );
    return decision.outcome === 'permit' ? EXPLAIN_EXIT.PERMIT : EXPLAIN_EXIT.DENY;
  } catch (error) {
    if (error instanceof ConfigError) io.stderr.write(`fsg: configuration: ${error.problems.join('\n  ')}\n`);
    else if (error instanceof BundleError || error instanceof ExplainUsageError)
      io.stderr.write(`fsg: ${error.message}\n`);
    else if (error instanceof Error && isFsError(error)) io.stderr.write(`fsg: ${error.message}\n`);
    else throw error;
    return EXPLAIN_EXIT.USAGE;
  }
}

function parseAt(at: string | undefined, clock: () => Date): Date {
  if (at === undefined) return clock();
  const ms = ISO_TIME.test(at) ? Date.parse(at) : NaN;
  if (Number.isNaN(ms)) throw new ExplainUsageError(`--at "${at}" is not an ISO 8601 time`);
  return new Date(ms);
}

function readJson(file: string): { name: string; value: unknown } {
  let text: string;
  try {
    text = fs.readFileSync(path.resolve(file), 'utf8');
  } catch {
    throw new ExplainUsageError(`${file}: cannot be read`);
  }
  try {
    return { name: file, value: JSON.parse(text) as unknown };
  } catch (error) {
    throw new ExplainUsageError(`${file}: /: is not valid JSON (${(error as Error).message})`);
  }
}

function isFsError(error: Error): boolean {
  return typeof (error as NodeJS.ErrnoException).code === 'string';
}

/** Adds `explain` to the `fsg policy` group. */
export function registerExplainCommand(policy: Command, io: Partial<ExplainIo> = {}): Command {
  const full: ExplainIo = {
    stdout: process.stdout,
    stderr: process.stderr,
    config: () => loadConfig(),
    clock: () => new Date(),
    setExitCode: (code) => {
      process.exitCode = code;
    },
    ...io,
  };
  return policy
    .command('explain')
    .description(
      'What-if: decide a request or lookup body against the Five Safes as a demo user and print every ' +
        'safe, its reasons and the obligations. Nothing is sent or stored. Exit 0 permit, 1 deny, 2 bad input.',
    )
    .argument('<request>', 'JSON body of POST /api/v1/requests (detail or aggregate) or /api/v1/lookups')
    .option('--as <user>', 'demo user (config demo.accreditations, dated from today)', EXPLAIN_DEFAULTS.user)
    .option('--at <time>', 'decide at this ISO 8601 time (default: now)')
    .option('--from <ip>', 'source address of the call', EXPLAIN_DEFAULTS.sourceIp)
    .option('--no-mfa', 'the token records no second factor')
    .option('--tls', 'the call arrives over TLS', false)
    .option('--dir <policyDir>', 'policy bundle folder (default: the configured policyDir)')
    .option('--json', 'print the decision as JSON', false)
    .action(async (file: string, flags: ExplainFlags) => {
      full.setExitCode(await runExplain(file, flags, full));
    });
}
