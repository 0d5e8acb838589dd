/** Copies of the demo policy bundle whose partners trust the tests' OpenID providers. */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { PROJECT_ROOT } from '../../src/config/load';
import type { IssuerConfig, Partner } from '../../src/policy/types';
import { copyOfDemo } from '../helpers/bundle-copy';

/** Per partner id: issuers added beside its demo issuer, or in its place. */
export type IssuerChanges = Record<string, { add?: IssuerConfig[]; replace?: IssuerConfig[] }>;

/** A writable copy of the demo bundle with `changes` made to partners.yaml; returns its folder. */
export function bundleWithIssuers(changes: IssuerChanges): string {
  const dir = copyOfDemo();
  const file = path.join(dir, 'partners.yaml');
  const doc = YAML.parse(fs.readFileSync(file, 'utf8')) as { partners: Partner[] };
  const demoKeys = path.join(PROJECT_ROOT, 'config', 'demo');
  for (const partner of doc.partners) {
    // The demo keys stay where the project has them.
    for (const issuer of partner.issuers) {
      if (issuer.publicKey) issuer.publicKey = path.join(demoKeys, path.basename(issuer.publicKey));
    }
    const change = changes[partner.id];
    if (change?.replace) partner.issuers = change.replace;
    if (change?.add) partner.issuers.push(...change.add);
  }
  const unknown = Object.keys(changes).filter((id) => !doc.partners.some((p) => p.id === id));
  if (unknown.length) throw new Error(`No such partner in the demo bundle: ${unknown.join(', ')}`);
  fs.writeFileSync(file, YAML.stringify(doc));
  return dir;
}
