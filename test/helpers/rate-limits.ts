/** A configuration file (for FSG_CONFIG) turning rate limits on with the limits given, the rest high. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RateLimitName } from '../../src/http/rate-limits';
import type { RateLimitRule } from '../../src/store/port';

const HIGH: RateLimitRule = { points: 1000, durationSeconds: 60 };

/** The file's path, in a folder of its own: remove it with `fs.rmSync(path.dirname(file), …)`. */
export function rateLimitsConfig(limits: Partial<Record<RateLimitName, RateLimitRule>>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-rate-limits-'));
  const file = path.join(dir, 'limits.yaml');
  const rateLimits = { enabled: true, perAddress: HIGH, failedAuth: HIGH, lookups: HIGH, perPerson: HIGH };
  // JSON is YAML.
  fs.writeFileSync(file, JSON.stringify({ rateLimits: { ...rateLimits, ...limits } }));
  return file;
}
