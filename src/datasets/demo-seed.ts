/**
 * Demo mode: each dataset the agreements share for hit/no-hit lookups starts with its provider's
 * example file (adapters/<id>/fixtures/sample.*, invented people and objects), uploaded through the
 * provider's adapter like any upload and logged as one; a provider's demo volume (volume.*: enough
 * invented records that a table passes the threshold) is added to it the same way. A dataset that has
 * had an upload is left alone.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Identity } from '../auth/identity';
import { PROJECT_ROOT } from '../config/load';
import { adapters } from '../mapping';
import type { InputFormat } from '../mapping/types';
import type { Bundle } from '../policy/types';
import type { Store } from '../store/port';
import type { DatasetService } from './service';

export interface SeededDataset {
  providerId: string;
  datasetId: string;
  file: string;
  read: number;
  mapped: number;
  quarantined: number;
}

/** The actor the log names for the demo's seeded uploads. */
export const DEMO_SEED_USER = 'demo-seed';

const SAMPLE = /^sample\.(csv|json|ndjson)$/;
/** A provider's demo volume (adapters/<id>/fixtures/volume.*): enough invented records for a table. */
const VOLUME = /^volume\.(csv|json|ndjson)$/;

/** The example files an adapter ships (adapters/<id>/fixtures/sample.*), by name: CSV, JSON, NDJSON. */
export function exampleFiles(adapterId: string, pattern = SAMPLE): string[] {
  const dir = exampleFile(adapterId, '');
  return fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => pattern.test(f))
        .sort()
    : [];
}

/** The path of one of them (or, given '', of their folder). */
export const exampleFile = (adapterId: string, name: string): string =>
  path.join(PROJECT_ROOT, 'adapters', adapterId, 'fixtures', name);

/** The first example file of a provider's adapters, or (`VOLUME`) its demo volume. */
function sampleOf(providerId: string, pattern = SAMPLE): { adapterId: string; file: string } | undefined {
  for (const adapter of adapters.values()) {
    const [name] = adapter.partnerId === providerId ? exampleFiles(adapter.id, pattern) : [];
    if (name) return { adapterId: adapter.id, file: exampleFile(adapter.id, name) };
  }
  return undefined;
}

const seedIdentity = (providerId: string): Identity => ({
  userId: DEMO_SEED_USER,
  partnerId: providerId,
  issuer: 'demo-seed',
  amr: [],
  mfa: false,
  mfaClaims: [],
  expiresAt: Number.MAX_SAFE_INTEGER,
});

export async function seedDemoDatasets(
  bundle: Bundle,
  store: Store,
  datasets: DatasetService,
): Promise<SeededDataset[]> {
  const shared = new Map<string, { providerId: string; datasetId: string }>();
  for (const agreement of bundle.agreements.values()) {
    for (const d of agreement.datasets) {
      if (d.lookup) shared.set(`${d.provider}/${d.id}`, { providerId: d.provider, datasetId: d.id });
    }
  }
  const seeded: SeededDataset[] = [];
  for (const { providerId, datasetId } of shared.values()) {
    if ((await store.datasets.status(providerId, datasetId)).lastUpload) continue;
    // The example file, then (where the provider has one) the demo volume added to it.
    const files = [
      { found: sampleOf(providerId), mode: 'replace' as const },
      { found: sampleOf(providerId, VOLUME), mode: 'upsert' as const },
    ];
    for (const { found, mode } of files) {
      if (!found) continue;
      // The upload is the system's, on the provider's behalf: the log names "demo-seed" as the actor.
      const upload = await datasets.upload(
        seedIdentity(providerId),
        datasetId,
        found.adapterId,
        path.extname(found.file).slice(1) as InputFormat,
        mode,
        fs.createReadStream(found.file),
      );
      seeded.push({
        providerId,
        datasetId,
        file: path.relative(PROJECT_ROOT, found.file),
        read: upload.read,
        mapped: upload.mapped,
        quarantined: upload.quarantined,
      });
    }
  }
  return seeded;
}
