import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BundleError } from '../../src/policy/bundle-error';
import { loadBundle, readBundleSources } from '../../src/policy/load';

const DEMO = path.resolve(__dirname, '../../policies');

/** A writable copy of the demo bundle (and the demo keys it points at), to break on purpose. */
function copyOfDemo(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-bundle-'));
  fs.cpSync(DEMO, path.join(root, 'policies'), { recursive: true });
  return path.join(root, 'policies');
}

function problemsOf(dir: string): string[] {
  try {
    readBundleSources(dir);
  } catch (error) {
    if (error instanceof BundleError)
      return error.problems.map((p) => `${path.relative(dir, p.file)}: ${p.path}: ${p.message}`);
    throw error;
  }
  throw new Error('expected the bundle to be refused');
}

function edit(file: string, from: string | RegExp, to: string): void {
  const text = fs.readFileSync(file, 'utf8');
  const next = text.replace(from, to);
  if (next === text) throw new Error(`edit did not apply to ${file}`);
  fs.writeFileSync(file, next);
}

describe('policy bundle', () => {
  it('loads the demo bundle: partners, agreements, casbin and a sha256 digest', async () => {
    const bundle = await loadBundle(DEMO);
    expect([...bundle.partners.keys()].sort()).toEqual([
      'autodealers-nl',
      'boatreg-nl',
      'gateway',
      'insureco',
      'police-nl',
      'police-se',
    ]);
    expect([...bundle.agreements.keys()].sort()).toEqual(['stolen-boats', 'stolen-vehicles']);
    expect(bundle.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(bundle.enforcer.enforceSync('analyst', 'police-nl', 'requests:create')).toBe(true);
    expect(bundle.enforcer.enforceSync('responder', 'police-nl', 'inbox:read')).toBe(false);
    expect(bundle.enforcer.enforceSync('dpo', 'insureco', 'audit:read')).toBe(true);
  });

  it('has a digest that ignores comments and layout but changes with any rule', async () => {
    const dir = copyOfDemo();
    const before = (await loadBundle(dir)).digest;
    const file = path.join(dir, 'agreements', 'stolen-boats.yaml');
    fs.appendFileSync(file, '\n# a comment changes nothing\n');
    expect((await loadBundle(dir)).digest).toBe(before);
    edit(file, 'maxRecordsPerRequest: 25', 'maxRecordsPerRequest: 26');
    expect((await loadBundle(dir)).digest).not.toBe(before);
  });

  it('refuses an invalid agreement, naming file, JSON path and reason', () => {
    const dir = copyOfDemo();
    const file = path.join(dir, 'agreements', 'stolen-boats.yaml');
    edit(file, 'minVettingLevel: 2', 'minVettingLevel: nine');
    edit(file, 'tlp: AMBER', 'tlp: BEIGE');
    edit(file, 'owner.postcode]', 'owner.shoeSize]');
    expect(problemsOf(dir)).toEqual([
      'agreements/stolen-boats.yaml: /safes/people/minVettingLevel: must be integer',
      'agreements/stolen-boats.yaml: /safes/output/handling/tlp: must be one of CLEAR, GREEN, AMBER, AMBER+STRICT, RED',
    ]);
    edit(file, 'minVettingLevel: nine', 'minVettingLevel: 2');
    edit(file, 'tlp: BEIGE', 'tlp: AMBER');
    expect(problemsOf(dir)).toEqual([
      'agreements/stolen-boats.yaml: /datasets/0/fields/10: unknown canonical field "owner.shoeSize"',
      'agreements/stolen-boats.yaml: /datasets/0/generalise/owner.postcode: is not an allowed field',
    ]);
  });

  it('refuses unknown parties, a misplaced dataset and an issuer bound to two partners', () => {
    const dir = copyOfDemo();
    edit(
      path.join(dir, 'agreements', 'stolen-vehicles.yaml'),
      'providers: [autodealers-nl, insureco]',
      'providers: [autodealers-nl, nobody]',
    );
    edit(
      path.join(dir, 'partners.yaml'),
      "iss: 'https://idp.police-se.demo'",
      "iss: 'https://idp.police-nl.demo'",
    );
    expect(problemsOf(dir)).toEqual([
      'partners.yaml: /partners/1/issuers/0/iss: issuer is bound to another partner',
      'agreements/stolen-vehicles.yaml: /parties/providers/1: unknown partner "nobody"',
      'agreements/stolen-vehicles.yaml: /datasets/1/provider: "insureco" is not a provider of this agreement',
    ]);
  });

  it('refuses issuer assurance settings that are out of range or not sets of methods', () => {
    const dir = copyOfDemo();
    const file = path.join(dir, 'partners.yaml');
    edit(file, /mfaAmr: \[\[mfa\], \[pwd, otp\]\], maxTokenLifetimeSeconds: 86400/, 'mfaAmr: [pwd, otp]');
    edit(file, 'clockSkewSeconds: 30', 'clockSkewSeconds: 61');
    edit(file, 'maxTokenLifetimeSeconds: 86400\n', 'maxTokenLifetimeSeconds: 86401\n');
    // (The agreements then name unknown partners too: the partners file did not load.)
    expect(problemsOf(dir).filter((p) => p.startsWith('partners.yaml'))).toEqual([
      'partners.yaml: /partners/0/issuers/0/assurance/mfaAmr/0: must be array',
      'partners.yaml: /partners/0/issuers/0/assurance/mfaAmr/1: must be array',
      'partners.yaml: /partners/1/issuers/0/assurance/maxTokenLifetimeSeconds: must be <= 86400',
      'partners.yaml: /partners/1/issuers/0/assurance/clockSkewSeconds: must be <= 60',
    ]);
  });

  it('refuses an mfaAmr set of knowledge methods only: two of them are still one factor', () => {
    const dir = copyOfDemo();
    edit(path.join(dir, 'partners.yaml'), /mfaAmr: \[\[mfa\], \[pwd, otp\]\]/, 'mfaAmr: [[mfa], [pwd, pin]]');
    expect(problemsOf(dir)).toEqual([
      'partners.yaml: /partners/0/issuers/0/assurance/mfaAmr/1: knowledge methods alone (pwd, pin, kba) are one factor, not multi-factor',
    ]);
  });

  it('refuses YAML that does not parse and a missing casbin model', () => {
    const dir = copyOfDemo();
    fs.writeFileSync(path.join(dir, 'agreements', 'broken.yaml'), 'id: [unclosed\n');
    fs.rmSync(path.join(dir, 'model.conf'));
    const problems = problemsOf(dir);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^agreements\/broken\.yaml: \/: /);
    expect(problems[1]).toBe('model.conf: /: cannot be read');
  });
});
