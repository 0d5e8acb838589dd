/** boatreg-nl's DPO, whom the demo does not have: accredited in the test gateway, with a token of their own. */
import { issueDemoToken } from '../../src/auth/demo-tokens';
import { loadConfig } from '../../src/config/load';
import type { TestGateway } from './gateway';

export async function boatregDpoToken(gw: TestGateway): Promise<string> {
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  await gw.store.accreditations.put(
    {
      userId: 'bea',
      partnerId: 'boatreg-nl',
      displayName: 'Bea (boatreg-nl DPO)',
      roles: ['dpo'],
      vettingLevel: 2,
      trainedOn: day(-10),
      expiresOn: day(300),
      suspended: false,
    },
    [],
  );
  return issueDemoToken({
    userId: 'bea',
    partner: gw.bundle.partners.get('boatreg-nl')!,
    bundleDir: gw.bundle.dir,
    audience: loadConfig({}).auth.audience,
    ttlSeconds: 3600,
    mfa: true,
  });
}
