/**
 * A generated policy bundle of N agreements, written as files and loaded by the gateway's own loader
 * (validated like any bundle). The partners and the casbin policy grow with the agreements, as they
 * would in a larger partnership: one requesting police force per 20 agreements, one provider per 4,
 * five analyst lines per force and three responder lines per provider.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config/load';

export interface GeneratedBundle {
  dir: string;
  agreements: number;
  requesters: string[];
  providers: string[];
  policyLines: number;
}

const pad = (n: number, width = 5) => String(n).padStart(width, '0');

export function writeBundle(dir: string, agreements: number): GeneratedBundle {
  fs.mkdirSync(path.join(dir, 'agreements'), { recursive: true });
  const requesters = Array.from(
    { length: Math.max(1, Math.ceil(agreements / 20)) },
    (_, i) => `police-${pad(i)}`,
  );
  const providers = Array.from(
    { length: Math.max(2, Math.ceil(agreements / 4)) },
    (_, i) => `company-${pad(i)}`,
  );
  // Keys are never read when deciding; the loader only checks the issuer entries' form.
  const issuer = (id: string) => ({
    iss: `https://idp.${id}.bench`,
    algorithm: 'ES256',
    publicKey: 'keys/none.pub.pem',
  });
  const partners = [
    ...requesters.map((id) => ({
      id,
      name: id,
      sector: 'public',
      country: 'NL',
      issuers: [issuer(id)],
      networks: ['127.0.0.0/8', '::1/128'],
    })),
    ...providers.map((id) => ({
      id,
      name: id,
      sector: 'private',
      country: 'NL',
      issuers: [issuer(id)],
      networks: ['127.0.0.0/8'],
    })),
  ];
  // JSON is YAML: written as JSON, read by the YAML loader.
  fs.writeFileSync(path.join(dir, 'partners.yaml'), JSON.stringify({ partners }));
  fs.copyFileSync(path.join(PROJECT_ROOT, 'policies', 'model.conf'), path.join(dir, 'model.conf'));
  const lines: string[] = [];
  // Interleaved, as a policy edited partner by partner would be.
  const longest = Math.max(requesters.length, providers.length);
  for (let i = 0; i < longest; i++) {
    const r = requesters[i];
    if (r)
      for (const act of [
        'requests:create',
        'requests:read-own',
        'requests:withdraw',
        'disclosures:read',
        'lookups:create',
      ])
        lines.push(`p, analyst, ${r}, ${act}`);
    const p = providers[i];
    if (p)
      for (const act of ['inbox:read', 'requests:answer', 'datasets:write'])
        lines.push(`p, responder, ${p}, ${act}`);
  }
  lines.push('p, dpo, *, audit:read', 'p, dpo, *, audit:export');
  fs.writeFileSync(path.join(dir, 'policy.csv'), lines.join('\n') + '\n');

  for (let i = 0; i < agreements; i++) {
    const requester = requesters[i % requesters.length];
    const a = providers[i % providers.length];
    const b = providers[(i + 1) % providers.length];
    const id = `agreement-${pad(i)}`;
    const agreement = {
      id,
      title: `Generated agreement ${i}`,
      version: 1,
      parties: { requesters: [requester], providers: [a, b] },
      legalBasis: 'Art. 6(1)(e) GDPR.',
      validity: { from: '2020-01-01', until: '2099-12-31' },
      reviseBy: '2099-12-31',
      timezone: 'Europe/Amsterdam',
      purposes: ['stolen-property-investigation'],
      datasets: [
        {
          id: 'vessels',
          provider: a,
          objectTypes: ['boat', 'boat-engine'],
          classification: 'restricted',
          fields: [
            'sourceRef',
            'linkId',
            'objectType',
            'status',
            'identifier',
            'make',
            'model',
            'owner.name',
          ],
          pseudonymise: ['owner.name'],
          lookup: true,
        },
        {
          id: 'claims',
          provider: b,
          objectTypes: ['boat', 'boat-engine'],
          classification: 'restricted',
          fields: ['sourceRef', 'linkId', 'objectType', 'status', 'identifier', 'make', 'model'],
          pseudonymise: [],
          lookup: true,
        },
      ],
      safes: {
        people: { roles: ['analyst'], minVettingLevel: 2, trainingMaxAgeDays: 365 },
        project: { caseRefPatterns: { [requester]: '^NL-\\d{4}-\\d{6}$' }, dailyQuotaPerUser: 1000000 },
        setting: {
          mfaRequired: true,
          maxAuthAgeMinutes: 720,
          tlsRequired: false,
          allowedHours: { days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '24:00' },
        },
        data: { classificationCeiling: 'restricted', minimise: true },
        output: {
          maxLookupIdentifiers: 100,
          maxRecordsPerRequest: 25,
          retentionDays: 30,
          handling: { tlp: 'AMBER', conditions: ['No onward disclosure without the provider’s permission.'] },
        },
      },
    };
    fs.writeFileSync(path.join(dir, 'agreements', `${id}.yaml`), JSON.stringify(agreement));
  }
  return { dir, agreements, requesters, providers, policyLines: lines.length };
}
