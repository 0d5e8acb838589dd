/**
 * Loads the policy bundle from a folder: partners.yaml, agreements/*.yaml, model.conf, policy.csv.
 * Everything is validated before anything is used; an invalid bundle refuses to load, naming the
 * file, the JSON path and the reason of every problem found.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { canonicalJson } from '../audit/chain';
import { newEnforcer, newModelFromString, StringAdapter } from 'casbin';
import ipaddr from 'ipaddr.js';
import YAML from 'yaml';
import agreementSchema from '../../schemas/agreement.schema.json';
import partnersSchema from '../../schemas/partners.schema.json';
import { isSingleFactorSet } from '../auth/assurance';
import { keySourceOf } from '../auth/key-source';
import { createAjv } from '../config/ajv';
import { ajvPointer } from '../config/schema-errors';
import { parseDimension } from '../aggregates/query';
import { FIELD_CATALOGUE, isKnownField } from '../records/canonical';
import { findIllFormed } from '../http/well-formed';
import { isTimeZone } from '../time/zones';
import { BundleError, type BundleProblem } from './bundle-error';
import type { Agreement, AggregateRules, Bundle, Partner } from './types';

const ajv = createAjv();
const validatePartners = ajv.compile<{ partners: Partner[] }>(partnersSchema);
const validateAgreement = ajv.compile<Agreement>(agreementSchema);

/** The parsed, validated sources of a bundle, before casbin is built. */
export interface BundleSources {
  partners: Partner[];
  agreements: Agreement[];
  model: string;
  policy: string;
}

export async function loadBundle(dir: string): Promise<Bundle> {
  const absolute = path.resolve(dir);
  const sources = readBundleSources(absolute);
  const enforcer = await newEnforcer(newModelFromString(sources.model), new StringAdapter(sources.policy));
  return {
    partners: new Map(sources.partners.map((p) => [p.id, p])),
    agreements: new Map(sources.agreements.map((a) => [a.id, a])),
    enforcer,
    digest: bundleDigest(sources),
    dir: absolute,
  };
}

/** sha256 over the canonical form: parsed YAML as RFC 8785 JSON (comments and layout do not count). */
export function bundleDigest(sources: BundleSources): string {
  const canonical = canonicalJson({
    partners: [...sources.partners].sort((a, b) => a.id.localeCompare(b.id)),
    agreements: [...sources.agreements].sort((a, b) => a.id.localeCompare(b.id)),
    model: normaliseLines(sources.model),
    policy: normaliseLines(sources.policy),
  });
  return crypto.createHash('sha256').update(canonical).digest('hex');
}

export function readBundleSources(dir: string): BundleSources {
  const problems: BundleProblem[] = [];
  const partnersFile = path.join(dir, 'partners.yaml');
  const partnersDoc = readYaml(partnersFile, problems);
  let partners: Partner[] = [];
  if (partnersDoc !== undefined) {
    if (validatePartners(partnersDoc)) partners = partnersDoc.partners;
    else problems.push(...schemaProblems(partnersFile, validatePartners.errors));
  }
  checkPartners(partnersFile, partners, problems);

  const agreementsDir = path.join(dir, 'agreements');
  const agreementFiles = listYaml(agreementsDir, problems);
  const agreements: Agreement[] = [];
  for (const file of agreementFiles) {
    const doc = readYaml(file, problems);
    if (doc === undefined) continue;
    if (!validateAgreement(doc)) {
      problems.push(...schemaProblems(file, validateAgreement.errors));
      continue;
    }
    checkAgreement(file, doc, new Set(partners.map((p) => p.id)), problems);
    const twin = agreements.find((a) => a.id === doc.id);
    if (twin)
      problems.push({ file, path: '/id', message: `agreement id "${doc.id}" is used by another file` });
    agreements.push(doc);
  }

  const model = readText(path.join(dir, 'model.conf'), problems);
  const policy = readText(path.join(dir, 'policy.csv'), problems);
  if (problems.length) throw new BundleError(problems);
  return { partners, agreements, model, policy };
}

function checkPartners(file: string, partners: Partner[], problems: BundleProblem[]): void {
  const seenIds = new Set<string>();
  const seenIssuers = new Set<string>();
  partners.forEach((partner, i) => {
    if (seenIds.has(partner.id))
      problems.push({ file, path: `/partners/${i}/id`, message: 'duplicate partner id' });
    seenIds.add(partner.id);
    partner.issuers.forEach((issuer, j) => {
      // One issuer, one partner: otherwise a token could act for two partners.
      if (seenIssuers.has(issuer.iss)) {
        problems.push({
          file,
          path: `/partners/${i}/issuers/${j}/iss`,
          message: 'issuer is bound to another partner',
        });
      }
      seenIssuers.add(issuer.iss);
      const keys = keySourceOf(issuer);
      if ('problem' in keys)
        problems.push({ file, path: `/partners/${i}/issuers/${j}`, message: keys.problem });
      issuer.assurance?.mfaAmr?.forEach((set, k) => {
        // `[pwd, pin]` is two methods but one factor: counting it as MFA would be a silent downgrade.
        if (isSingleFactorSet(set)) {
          problems.push({
            file,
            path: `/partners/${i}/issuers/${j}/assurance/mfaAmr/${k}`,
            message: 'knowledge methods alone (pwd, pin, kba) are one factor, not multi-factor',
          });
        }
      });
    });
    partner.networks.forEach((cidr, j) => {
      if (!isCidr(cidr))
        problems.push({
          file,
          path: `/partners/${i}/networks/${j}`,
          message: `"${cidr}" is not a CIDR range`,
        });
    });
  });
}

function checkAgreement(
  file: string,
  agreement: Agreement,
  partnerIds: Set<string>,
  problems: BundleProblem[],
): void {
  const add = (p: string, message: string) => problems.push({ file, path: p, message });
  if (path.basename(file).replace(/\.ya?ml$/, '') !== agreement.id) add('/id', 'must equal the file name');
  (['requesters', 'providers'] as const).forEach((side) =>
    agreement.parties[side].forEach((id, i) => {
      if (!partnerIds.has(id)) add(`/parties/${side}/${i}`, `unknown partner "${id}"`);
    }),
  );
  if (agreement.validity.from > agreement.validity.until) add('/validity', '"from" is after "until"');
  if (!isTimeZone(agreement.timezone)) add('/timezone', `"${agreement.timezone}" is not an IANA time zone`);
  agreement.datasets.forEach((dataset, i) => {
    if (!agreement.parties.providers.includes(dataset.provider)) {
      add(`/datasets/${i}/provider`, `"${dataset.provider}" is not a provider of this agreement`);
    }
    dataset.fields.forEach((field, j) => {
      if (!isKnownField(field)) add(`/datasets/${i}/fields/${j}`, `unknown canonical field "${field}"`);
    });
    for (const field of Object.keys(dataset.generalise ?? {})) {
      if (!dataset.fields.includes(field))
        add(`/datasets/${i}/generalise/${field}`, 'is not an allowed field');
    }
    dataset.pseudonymise.forEach((field, j) => {
      if (!dataset.fields.includes(field))
        add(`/datasets/${i}/pseudonymise/${j}`, `"${field}" is not an allowed field`);
    });
  });
  const aggregates = agreement.safes.output.aggregates;
  if (aggregates) checkTableRules(agreement, aggregates, add);
  for (const requester of Object.keys(agreement.safes.project.caseRefPatterns)) {
    if (!agreement.parties.requesters.includes(requester)) {
      add(`/safes/project/caseRefPatterns/${requester}`, 'is not a requester of this agreement');
    }
  }
  const parties = new Set([...agreement.parties.requesters, ...agreement.parties.providers]);
  for (const party of Object.keys(agreement.contacts ?? {})) {
    if (!parties.has(party)) add(`/contacts/${party}`, 'is not a party to this agreement');
  }
  if (agreement.reviseBy < agreement.validity.from) add('/reviseBy', 'is before the agreement is valid');
}

/**
 * A table's dimensions and measures are known fields, measures numeric; a field that identifies, or
 * that a dataset of the agreement pseudonymises, is never either (a table by it lists the dataset).
 */
function checkTableRules(
  agreement: Agreement,
  rules: AggregateRules,
  add: (path: string, message: string) => void,
): void {
  const judge = (field: string, at: string): boolean => {
    if (!isKnownField(field)) add(at, `unknown canonical field "${field}"`);
    else if (FIELD_CATALOGUE[field].identifying)
      add(at, `"${field}" identifies an object or a person: never a table's dimension or measure`);
    else {
      const dataset = agreement.datasets.find((d) => d.pseudonymise.includes(field));
      if (!dataset) return true;
      add(at, `"${field}" is pseudonymised in dataset "${dataset.id}": never a table's dimension or measure`);
    }
    return false;
  };
  const at = '/safes/output/aggregates';
  rules.dimensions.forEach((dimension, i) => judge(parseDimension(dimension).field, `${at}/dimensions/${i}`));
  (rules.measures ?? []).forEach((field, i) => {
    if (judge(field, `${at}/measures/${i}`) && !FIELD_CATALOGUE[field].numeric)
      add(`${at}/measures/${i}`, `"${field}" is not a number`);
  });
}

function schemaProblems(file: string, errors: typeof validateAgreement.errors): BundleProblem[] {
  return (errors ?? []).map((e) => ({
    file,
    path: ajvPointer(e),
    message:
      e.keyword === 'additionalProperties'
        ? 'is not a known key'
        : e.keyword === 'required'
          ? 'is required'
          : e.keyword === 'enum'
            ? `must be one of ${(e.params.allowedValues as unknown[]).join(', ')}`
            : (e.message ?? 'is invalid'),
  }));
}

function readText(file: string, problems: BundleProblem[]): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    problems.push({ file, path: '/', message: 'cannot be read' });
    return '';
  }
}

function readYaml(file: string, problems: BundleProblem[]): unknown {
  const text = readText(file, problems);
  if (!text) return undefined;
  const doc = YAML.parseDocument(text);
  if (doc.errors.length) {
    problems.push(...doc.errors.map((e) => ({ file, path: '/', message: e.message.split('\n')[0] })));
    return undefined;
  }
  const value: unknown = doc.toJS();
  // YAML's "\udfff" escape makes a lone surrogate: text the log (policy.load) and the store cannot keep.
  const illFormed = findIllFormed(value);
  if (illFormed) {
    problems.push({ file, path: illFormed.pointer || '/', message: illFormed.detail });
    return undefined;
  }
  return value;
}

function listYaml(dir: string, problems: BundleProblem[]): string[] {
  try {
    return fs
      .readdirSync(dir)
      .filter((name) => /\.ya?ml$/.test(name))
      .sort()
      .map((name) => path.join(dir, name));
  } catch {
    problems.push({ file: dir, path: '/', message: 'cannot be read' });
    return [];
  }
}

function isCidr(text: string): boolean {
  try {
    ipaddr.parseCIDR(text);
    return true;
  } catch {
    return false;
  }
}

function normaliseLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
}
