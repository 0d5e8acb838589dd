/**
 * The mounted routes as the standing suite calls them (routes-matrix.test.ts, fuzz.test.ts): read from
 * the route table createApp returns, path parameters filled by name. A route with a parameter no
 * filler knows, or a path syntax they do not cover, cannot be called: the suites fail on it.
 */
import type { Gateway } from '../../src/app';
import { allows } from '../../src/policy/enforce';
import type { Bundle } from '../../src/policy/types';

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
  grantId: () => '1',
  name: () => 'portal.css',
  adapter: () => 'boatreg-nl',
  file: () => 'sample.csv',
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
