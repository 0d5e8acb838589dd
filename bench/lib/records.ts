/** A provider's shared dataset of N generated vessel records, stored through the store as uploads do. */
import crypto from 'node:crypto';
import type { DatasetRecord, DatasetUpload } from '../../src/datasets/types';
import { identifierKey } from '../../src/identifiers';
import type { CanonicalRecord } from '../../src/records/canonical';
import type { Store } from '../../src/store/port';
import { writeUpload } from '../../src/store/uploads';

const ALPHABET = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789';
const BUILDERS = ['BEN', 'JEA', 'BAV', 'HXA', 'SEA', 'LIN', 'QUI', 'DEH'];

/** A 14-character hull number (ISO 10087 with country code) of vessel n, unique for n < 33^5 * 8. */
export function hinOf(n: number): string {
  let serial = '';
  let m = Math.floor(n / 8);
  for (let i = 0; i < 5; i++) {
    serial = ALPHABET[m % 33] + serial;
    m = Math.floor(m / 33);
  }
  return `NL-${BUILDERS[n % 8]}${serial}${'ABCDEFGHJKL'[n % 11]}${n % 10}${String(n % 100).padStart(2, '0')}`;
}

/** The index key the gateway stores and looks up for vessel n. */
export const keyOf = (n: number): string => identifierKey('hin', hinOf(n));

export function datasetRecord(n: number): DatasetRecord {
  const hin = hinOf(n);
  const body = {
    objectType: 'boat',
    identifier: { type: 'hin', value: hin },
    sourceRef: `BR-${n}`,
    linkId: `vessel-${n}`,
    status: 'registered',
    make: 'Bayliner',
    model: 'VR5',
    colour: 'white',
    year: 2000 + (n % 25),
    owner: { name: `Owner ${n}`, postcode: '1011 AB' },
  } as unknown as CanonicalRecord;
  return {
    identifierKey: identifierKey('hin', hin),
    identifierType: 'hin',
    objectType: 'boat',
    recordRef: crypto.createHash('sha256').update(`ref:${n}`).digest('hex'),
    sourceRef: `BR-${n}`,
    linkId: `vessel-${n}`,
    record: body,
  };
}

/** Stores vessels 0..records-1 as boatreg-nl's "vessels" dataset, in uploads of 50,000. */
export async function fillDataset(store: Store, records: number, log: (line: string) => void): Promise<void> {
  const chunk = 50_000;
  for (let done = 0; done < records; done += chunk) {
    const n = Math.min(chunk, records - done);
    const upload: DatasetUpload = {
      id: crypto.randomUUID(),
      providerId: 'boatreg-nl',
      datasetId: 'vessels',
      adapterId: 'boatreg-nl',
      mode: done === 0 ? 'replace' : 'upsert',
      read: n,
      mapped: n,
      quarantined: 0,
      records: n,
      digest: '0'.repeat(64),
      uploadedBy: 'bench',
      uploadedAt: new Date().toISOString(),
      quarantine: [],
    };
    const batch = Array.from({ length: n }, (_, k) => datasetRecord(done + k));
    await writeUpload(store.datasets, upload, batch, [
      {
        type: 'dataset.upload',
        actor: 'system',
        partners: ['boatreg-nl'],
        outcome: 'stored',
        data: { records: n },
      },
    ]);
    if (records >= 200_000 && (done + n) % 200_000 === 0) log(`  ${done + n} records stored`);
  }
}
