/** Insurer claims for tables: boats of the makes and counts given, each with an insured value. */
import type { TestGateway } from './gateway';

export function boatClaims(
  counts: Record<string, number>,
  insuredValue: (make: string, n: number) => number | undefined = (_make, n) => 40_000 + n,
): string {
  const out: object[] = [];
  let i = 0;
  for (const [make, count] of Object.entries(counts)) {
    for (let n = 0; n < count; n++, i++) {
      out.push({
        claimId: `CLM-2026-${String(i).padStart(4, '0')}`,
        insuredObject: {
          kind: 'boat',
          identifiers: [{ scheme: 'HIN', value: `NL-BAY${String(10000 + i)}A626` }],
          make,
          model: 'M',
          year: 2019,
          insuredValue: insuredValue(make, n),
        },
        theft: { date: `2026-0${5 + (n % 2)}-1${i % 9}`, place: 'Utrecht' },
        reportedAt: '2026-06-30T10:00:00Z',
      });
    }
  }
  return JSON.stringify(out);
}

/** Replaces insureco's theft-claims dataset with `body` (insureco's own JSON), as iris. */
export async function uploadClaims(gw: TestGateway, body: string): Promise<void> {
  const res = await gw.http
    .put('/api/v1/datasets/theft-claims/records?adapter=insureco&mode=replace')
    .set('Authorization', `Bearer ${await gw.token('iris')}`)
    .set('Content-Type', 'application/json')
    .send(body);
  if (res.status !== 200 || res.body.quarantined !== 0)
    throw new Error(`claims upload answered ${res.status}: ${JSON.stringify(res.body)}`);
}
