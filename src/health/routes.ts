import { guards, type RouteSpec } from '../http/routes';
import type { Bundle } from '../policy/types';
import type { Store } from '../store/port';

/** Liveness and readiness probes: public, and they say nothing about data. */
export function healthRoutes(store: Store, bundle: () => Bundle | undefined): RouteSpec[] {
  return [
    {
      method: 'get',
      path: '/healthz',
      guard: guards.public,
      handler: (_req, res) => void res.json({ status: 'ok' }),
    },
    {
      method: 'get',
      path: '/readyz',
      guard: guards.public,
      handler: async (_req, res) => {
        const storeOk = await store.ping().catch(() => false);
        const current = bundle();
        const ready = storeOk && current !== undefined;
        res.status(ready ? 200 : 503).json({
          status: ready ? 'ready' : 'not-ready',
          checks: { store: storeOk ? 'ok' : 'unreachable', bundle: current ? 'loaded' : 'missing' },
          policyDigest: current?.digest ?? null,
        });
      },
    },
  ];
}
