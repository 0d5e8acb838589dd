import fs from 'node:fs';
import path from 'node:path';
import { loadBundle } from '../../src/policy/load';
import { copyOfDemo, DEMO_POLICIES as DEMO, edit, problemsOf } from '../helpers/bundle-copy';

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
      'agreements/stolen-boats.yaml: /datasets/0/fields/11: unknown canonical field "owner.shoeSize"',
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
      'agreements/stolen-vehicles.yaml: /contacts/insureco: is not a party to this agreement',
    ]);
  });

  it('refuses table rules naming an unknown, identifying, pseudonymised or non-numeric field', () => {
    const dir = copyOfDemo();
    const file = path.join(dir, 'agreements', 'stolen-vehicles.yaml');
    edit(file, 'dimensions: [objectType,', 'dimensions: [shoeSize, identifier, owner.name, objectType,');
    edit(file, 'measures: [year,', 'measures: [make, linkId, year,');
    const at = 'agreements/stolen-vehicles.yaml: /safes/output/aggregates';
    expect(problemsOf(dir)).toEqual([
      `${at}/dimensions/0: unknown canonical field "shoeSize"`,
      `${at}/dimensions/1: "identifier" identifies an object or a person: never a table's dimension or measure`,
      `${at}/dimensions/2: "owner.name" identifies an object or a person: never a table's dimension or measure`,
      `${at}/measures/0: "make" is not a number`,
      `${at}/measures/1: "linkId" identifies an object or a person: never a table's dimension or measure`,
    ]);
  });

  it('takes the totals rule and the OpenSAFELY profile, and names an unknown one', async () => {
    const dir = copyOfDemo();
    const file = path.join(dir, 'agreements', 'stolen-vehicles.yaml');
    edit(file, 'roundingBase: 5 }', 'roundingBase: 5, totals: rounded, profile: opensafly }');
    const at = 'agreements/stolen-vehicles.yaml: /safes/output/aggregates/sdc';
    expect(problemsOf(dir)).toEqual([
      `${at}/totals: must be one of published, none`,
      `${at}/profile: must be one of opensafely`,
    ]);
    edit(file, 'totals: rounded, profile: opensafly', 'totals: none, profile: opensafely');
    const bundle = await loadBundle(dir);
    const sdc = bundle.agreements.get('stolen-vehicles')?.safes.output.aggregates?.sdc;
    expect(sdc).toMatchObject({ totals: 'none', profile: 'opensafely' });
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

  it('refuses an issuer with more than one source of keys, or a key set without its algorithms', () => {
    const dir = copyOfDemo();
    const file = path.join(dir, 'partners.yaml');
    // police-nl: discovery beside a static key; police-se: discovery and a jwksUri; boatreg-nl: no algorithms.
    edit(
      file,
      "iss: 'https://idp.police-nl.demo'",
      "iss: 'https://idp.police-nl.demo'\n        discovery: true",
    );
    edit(
      file,
      /iss: 'https:\/\/idp\.police-se\.demo'\n {8}algorithm: RS256\n {8}publicKey: .*\n/,
      "iss: 'https://idp.police-se.demo'\n        discovery: true\n        jwksUri: https://idp.police-se.demo/jwks\n        algorithms: [RS256]\n",
    );
    edit(
      file,
      /iss: 'https:\/\/idp\.boatreg-nl\.demo'\n {8}algorithm: EdDSA\n {8}publicKey: .*\n/,
      "iss: 'https://idp.boatreg-nl.demo'\n        discovery: true\n",
    );
    expect(problemsOf(dir)).toEqual([
      'partners.yaml: /partners/0/issuers/0: give either publicKey with algorithm, or algorithms with jwksUri or discovery (exactly one of the two)',
      'partners.yaml: /partners/1/issuers/0: discovery finds the key set itself; give jwksUri or discovery, not both',
      'partners.yaml: /partners/2/issuers/0: a key set (jwksUri or discovery) needs the algorithms its tokens may use (algorithms: [...])',
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
