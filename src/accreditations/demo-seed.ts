/** Demo users for the quick start, with dates relative to the day of seeding so the demo never ages. */
import fs from 'node:fs';
import YAML from 'yaml';
import type { Role } from '../policy/types';
import type { Accreditation } from '../records/accreditation';

interface DemoUser {
  userId: string;
  partnerId: string;
  displayName: string;
  roles: Role[];
  vettingLevel: number;
  trainedDaysAgo: number;
  validForDays: number;
  teams?: string[];
}

const DAY_MS = 24 * 60 * 60 * 1000;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function readDemoUsers(file: string): DemoUser[] {
  const doc = YAML.parse(fs.readFileSync(file, 'utf8')) as { users?: DemoUser[] };
  if (!Array.isArray(doc?.users)) throw new Error(`${file}: expected a list under "users"`);
  return doc.users;
}

export function demoAccreditations(file: string, now: Date): Accreditation[] {
  return readDemoUsers(file).map((u) => ({
    userId: u.userId,
    partnerId: u.partnerId,
    displayName: u.displayName,
    roles: u.roles,
    vettingLevel: u.vettingLevel,
    trainedOn: isoDate(now.getTime() - u.trainedDaysAgo * DAY_MS),
    expiresOn: isoDate(now.getTime() + u.validForDays * DAY_MS),
    suspended: false,
    teams: u.teams ?? [],
  }));
}
