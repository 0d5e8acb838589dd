/**
 * The mounted routes as the standing suite calls them (routes-matrix.test.ts, fuzz.test.ts): read from
 * the route table createApp returns, path parameters filled by name. A route with a parameter no
 * filler knows, or a path syntax they do not cover, cannot be called: the suites fail on it.
 */
import type supertest from 'supertest';
import type { Gateway } from '../../src/app';
import { demoAccreditations } from '../../src/accreditations/demo-seed';
import { allows } from '../../src/policy/enforce';
import type { Bundle } from '../../src/policy/types';
import accreditationSchema from '../../schemas/api/accreditation.schema.json';
import { csrfOf } from '../helpers/portal-session';

export type Mounted = Gateway['routes'][number];

/** What the fillers point at: things the suite made first. */
export interface Anchors {
  requestId: string;
  /** The seq of a log entry about that request. */
  seq: number;
  /** The size of a signed checkpoint. */
  treeSize: number;
}

const FILLERS: Record<string, (anchors: Anchors) => string> = {
  id: (a) => a.requestId,
  seq: (a) => String(a.seq),
  datasetId: () => 'vessels',
  userId: () => 'tom',
  partnerId: () => 'police-nl',
  agreementId: () => 'stolen-boats',
  grantId: () => '1',
  name: () => 'portal.css',
  adapter: () => 'boatreg-nl',
  file: () => 'sample.csv',
  // No lookup of that id exists: the route answers 404 to every caller it lets through.
  lookupId: () => '00000000-0000-4000-8000-000000000000',
};

export const keyOf = ({ prefix, route }: Mounted) => `${route.method} ${prefix}${route.path}`;
export const isPortal = ({ prefix }: Mounted) => prefix === '/portal';

/** The route's path with its parameters filled, or why it cannot be. */
export function fillPath(mounted: Mounted, anchors: Anchors): string | { unknown: string } {
  const { prefix, route } = mounted;
  if (/[*{}()?+]/.test(route.path)) return { unknown: `path syntax the fillers do not cover: ${route.path}` };
  const missing = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]).filter((name) => !FILLERS[name]);
  if (missing.length) return { unknown: `no filler for :${missing.join(', :')}` };
  return `${prefix}${route.path.replace(/:(\w+)/g, (_m, name: string) => encodeURIComponent(FILLERS[name](anchors)))}`;
}

/** Whether the route's guard lets a holder of `roles` at `partnerId` through (an active accreditation). */
export function guardAllows(bundle: Bundle, mounted: Mounted, roles: string[], partnerId: string): boolean {
  const guard = mounted.route.guard;
  if (guard.kind !== 'actions') return true;
  return roles.some((role) =>
    guard.actions.some((action) => allows(bundle.enforcer, role, partnerId, action)),
  );
}

/** A demo user's registry entry as the admin API takes it: the fields its schema names, no more. */
export function registryBody(accreditationsFile: string, userId: string): Record<string, unknown> {
  const entry = demoAccreditations(accreditationsFile, new Date()).find((u) => u.userId === userId);
  if (!entry) throw new Error(`${userId} is not in ${accreditationsFile}`);
  const fields = Object.keys(accreditationSchema.properties);
  return Object.fromEntries(Object.entries(entry).filter(([key]) => fields.includes(key)));
}

/**
 * Signs a demo user in through the portal's form, as a browser would: the form names the person by
 * partner and user (a user id is unique only within its partner).
 */
export async function signIn(
  http: ReturnType<typeof supertest>,
  userId: string,
  partnerId: string,
): Promise<{ cookie: string; csrf: string }> {
  const form = await http.get('/portal/sign-in');
  const anonymous = String(form.headers['set-cookie'][0]).split(';')[0];
  const signed = await http
    .post('/portal/sign-in')
    .set('Cookie', anonymous)
    .type('form')
    .send({ _csrf: csrfOf(form.text), partner: partnerId, user: userId });
  if (signed.status !== 303) throw new Error(`sign-in as ${partnerId}:${userId} answered ${signed.status}`);
  const cookie = String(signed.headers['set-cookie'][0]).split(';')[0];
  return { cookie, csrf: csrfOf((await http.get('/portal/').set('Cookie', cookie)).text) };
}
