/** `fsg policy explain`: the what-if decision, called in-process through commander. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { demoAccreditations } from '../../src/accreditations/demo-seed';
import { buildCli } from '../../src/cli';
import { loadConfig } from '../../src/config/load';
import { explain, parseRequestBody, registerExplainCommand } from '../../src/policy/explain';
import { loadBundle } from '../../src/policy/load';
import type { Decision } from '../../src/safes/types';
import { SAFE_NAMES } from '../../src/safes/types';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'explain');
const fixture = (name: string) => path.join(FIXTURES, name);
const POLICIES = path.join(__dirname, '..', '..', 'policies');
/** A Monday noon in Amsterdam, inside both agreements' validity. */
const NOW = new Date('2026-06-15T10:00:00.000Z');

interface Run {
  code: number | undefined;
  stdout: string;
  stderr: string;
}

/** Runs `policy explain …` on a fresh command tree, with the clock pinned and output captured. */
async function run(...args: string[]): Promise<Run> {
  const out: Run = { code: undefined, stdout: '', stderr: '' };
  const policy = new Command('policy').exitOverride();
  registerExplainCommand(policy, {
    stdout: { write: (text: string) => (out.stdout += text) },
    stderr: { write: (text: string) => (out.stderr += text) },
    config: () => loadConfig({}),
    clock: () => NOW,
    setExitCode: (code) => (out.code = code),
  });
  await policy.parseAsync(['explain', ...args], { from: 'user' });
  return out;
}

async function runJson(...args: string[]): Promise<{ code: number | undefined; decision: Decision }> {
  const result = await run(...args, '--json');
  expect(result.stderr).toBe('');
  return { code: result.code, decision: JSON.parse(result.stdout) as Decision };
}

const codes = (decision: Decision) =>
  SAFE_NAMES.flatMap((name) => decision.safes[name].reasons.map((r) => r.code));

describe('fsg policy explain', () => {
  it("permits anna's demo boat request, with the agreement's obligations", async () => {
    const { code, decision } = await runJson(fixture('boat-request.json'));
    expect(codes(decision)).toEqual([]);
    expect(decision.outcome).toBe('permit');
    expect(code).toBe(0);
    expect(decision.obligations).toMatchObject({
      fields: ['identifier', 'linkId', 'objectType', 'status', 'make', 'model', 'owner.name'],
      pseudonymise: ['owner.name'],
      maxRecords: 25,
      handling: {
        tlp: 'AMBER',
        conditions: [
          "No onward disclosure without the provider's permission.",
          "Not for use in judicial proceedings without the provider's permission.",
        ],
      },
      retentionDays: 30,
    });
    expect(decision.policyDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(decision.agreementVersion).toBe(4);
    expect(decision.decidedAt).toBe(NOW.toISOString());
  });

  it('denies tom, whose training is out of date, and says so under people', async () => {
    const { code, decision } = await runJson(fixture('boat-request.json'), '--as', 'tom');
    expect(decision.outcome).toBe('deny');
    expect(code).toBe(1);
    expect(decision.safes.people.outcome).toBe('fail');
    expect(decision.safes.people.reasons.map((r) => r.code)).toEqual(['PEOPLE_TRAINING_OUTDATED']);
    expect(SAFE_NAMES.filter((s) => decision.safes[s].outcome === 'fail')).toEqual(['people']);
  });

  it('without a second factor the setting safe fails with SETTING_MFA_REQUIRED', async () => {
    const { code, decision } = await runJson(fixture('boat-request.json'), '--no-mfa');
    expect(code).toBe(1);
    expect(decision.safes.setting.reasons.map((r) => r.code)).toEqual(['SETTING_MFA_REQUIRED']);
  });

  it('an unknown user is a decision (PEOPLE_UNKNOWN_USER), not an error', async () => {
    const { code, decision } = await runJson(fixture('boat-request.json'), '--as', 'mallory');
    expect(code).toBe(1);
    expect(decision.safes.people.reasons.map((r) => r.code)).toEqual(['PEOPLE_UNKNOWN_USER']);
  });

  it('takes the source address, TLS and time from the flags', async () => {
    const outside = await runJson(fixture('boat-request.json'), '--from', '203.0.113.9');
    expect(outside.decision.safes.setting.reasons.map((r) => r.code)).toEqual([
      'SETTING_NETWORK_NOT_ALLOWED',
    ]);
    const inside = await runJson(fixture('boat-request.json'), '--from', '10.10.4.2', '--tls');
    expect(inside.decision.outcome).toBe('permit');
    const later = await runJson(fixture('boat-request.json'), '--at', '2031-01-02T10:00:00Z');
    expect(later.decision.decidedAt).toBe('2031-01-02T10:00:00.000Z');
    expect(codes(later.decision)).toEqual(
      expect.arrayContaining(['PEOPLE_TRAINING_OUTDATED', 'PROJECT_AGREEMENT_NOT_IN_FORCE']),
    );
  });

  it('decides an aggregate on the fields its query reads', async () => {
    const { code, decision } = await runJson(fixture('boat-aggregate.json'));
    expect(codes(decision)).toEqual([]);
    expect(code).toBe(0);
    expect(decision.obligations.fields).toEqual(['make', 'theft.date']);
    expect(decision.obligations.pseudonymise).toEqual([]);
  });

  it('recognises a lookup body (no provider or dataset, identifiers) and decides it as a lookup', async () => {
    const { code, decision } = await runJson(fixture('boat-lookup.json'));
    expect(codes(decision)).toEqual([]);
    expect(code).toBe(0);
    expect(decision.obligations.fields).toEqual([]);
    // A lookup needs lookups:create: a responder may not make one.
    const bram = await runJson(fixture('boat-lookup.json'), '--as', 'bram');
    expect(bram.decision.safes.people.reasons.map((r) => r.code)).toContain('PEOPLE_ROLE_NOT_PERMITTED');
  });

  it('rejects a body that fails the API schema with exit 2, naming each problem by JSON pointer', async () => {
    const result = await run(fixture('bad-request.json'));
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('bad-request.json is not a valid request or lookup body');
    expect(result.stderr).toContain('  /caseRef: is required');
    expect(result.stderr).toContain('  /colour: is not a known key');
    expect(result.stderr).toContain('  /identifiers/0/type: must match pattern');
    expect(result.stderr).toContain('  /fields: must NOT have fewer than 1 items');
  });

  it('validates a lookup body with the lookup schema', () => {
    const parsed = parseRequestBody({
      agreementId: 'stolen-boats',
      identifiers: [{ type: 'imei', value: '1' }],
      purpose: 'x',
      caseRef: 'y',
    });
    expect(parsed).toEqual({
      ok: false,
      problems: [
        {
          pointer: '/identifiers/0/type',
          detail: expect.stringContaining('must be one of hin, boat-registration, vin') as unknown,
        },
      ],
    });
  });

  it('exits 2 for a file that is not JSON, a missing file, or a bad --at or --from', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-explain-'));
    try {
      const broken = path.join(dir, 'broken.json');
      fs.writeFileSync(broken, '{ "agreementId": ');
      const notJson = await run(broken);
      expect(notJson.code).toBe(2);
      expect(notJson.stderr).toMatch(/broken\.json: \/: is not valid JSON/);
      expect((await run(path.join(dir, 'missing.json'))).stderr).toContain('cannot be read');
      const at = await run(fixture('boat-request.json'), '--at', 'next tuesday');
      expect(at).toMatchObject({ code: 2, stdout: '' });
      expect(at.stderr).toContain('--at "next tuesday" is not an ISO 8601 time');
      expect((await run(fixture('boat-request.json'), '--from', '127.1')).code).toBe(2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a policy change in a copied bundle (--dir) flips the outcome and the digest', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-explain-bundle-'));
    try {
      fs.cpSync(POLICIES, dir, { recursive: true });
      const before = await runJson(fixture('boat-request-three.json'), '--dir', dir);
      expect(before.decision.outcome).toBe('permit');

      const file = path.join(dir, 'agreements', 'stolen-boats.yaml');
      const yaml = fs.readFileSync(file, 'utf8');
      expect(yaml).toContain('maxRecordsPerRequest: 25');
      fs.writeFileSync(file, yaml.replace('maxRecordsPerRequest: 25', 'maxRecordsPerRequest: 2'));

      const after = await runJson(fixture('boat-request-three.json'), '--dir', dir);
      expect(after.code).toBe(1);
      expect(after.decision.safes.output.reasons.map((r) => r.code)).toEqual(['OUTPUT_TOO_MANY_RECORDS']);
      expect(after.decision.obligations.maxRecords).toBe(2);
      expect(after.decision.policyDigest).not.toBe(before.decision.policyDigest);
      // The configured bundle is untouched.
      expect((await runJson(fixture('boat-request-three.json'))).decision.outcome).toBe('permit');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints a human-readable decision naming every safe, its reasons and the obligations', async () => {
    const result = await run(fixture('boat-request.json'), '--as', 'tom', '--no-mfa');
    expect(result.code).toBe(1);
    const text = result.stdout;
    expect(text.split('\n')[0]).toBe('DENY');
    for (const safe of SAFE_NAMES) expect(text).toMatch(new RegExp(`^  ${safe} +(pass|fail)$`, 'm'));
    expect(text).toMatch(/^ {2}people +fail$/m);
    expect(text).toMatch(/^ {2}project +pass$/m);
    expect(text).toContain("    PEOPLE_TRAINING_OUTDATED: The user's data-protection training is older");
    expect(text).toContain('    SETTING_MFA_REQUIRED: The agreement requires multi-factor authentication.');
    expect(text).toContain('  fields: identifier, linkId, objectType, status, make, model, owner.name');
    expect(text).toContain('  pseudonymise: owner.name');
    expect(text).toContain('  max records: 25');
    expect(text).toContain('  handling: TLP:AMBER');
    expect(text).toContain("    - No onward disclosure without the provider's permission.");
    expect(text).toContain('  retention: 30 days');
    expect(text).toMatch(/^Policy digest: sha256:[0-9a-f]{64}$/m);
    expect(text).toContain('as: tom (police-nl), amr pwd');

    const permit = await run(fixture('boat-request.json'));
    expect(permit.code).toBe(0);
    expect(permit.stdout.split('\n')[0]).toBe('PERMIT');
  });

  it('the pure function agrees with the command', async () => {
    const bundle = await loadBundle(POLICIES);
    const accreditations = demoAccreditations(loadConfig({}).demo.accreditations, NOW);
    const parsed = parseRequestBody(JSON.parse(fs.readFileSync(fixture('boat-request.json'), 'utf8')));
    if (!parsed.ok) throw new Error('fixture is invalid');
    const decision = explain(parsed.input, { now: NOW }, bundle, accreditations);
    expect(decision).toEqual((await runJson(fixture('boat-request.json'))).decision);
    expect(explain(parsed.input, { now: NOW, user: 'tom' }, bundle, accreditations).outcome).toBe('deny');
  });

  it('is registered under `fsg policy`', async () => {
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const before = process.exitCode;
    try {
      const program = buildCli().exitOverride();
      await program.parseAsync(['policy', 'explain', fixture('boat-request.json'), '--json'], {
        from: 'user',
      });
      const printed = write.mock.calls.map((c) => String(c[0])).join('');
      expect((JSON.parse(printed) as Decision).safes.people).toBeDefined();
      expect(process.exitCode).toBe((JSON.parse(printed) as Decision).outcome === 'permit' ? 0 : 1);
    } finally {
      write.mockRestore();
      process.exitCode = before;
    }
  });
});
