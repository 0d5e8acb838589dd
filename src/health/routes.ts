import type { KeysState } from '../auth/remote-keys';
import { guards, type RouteSpec } from '../http/routes';
import type { Bundle } from '../policy/types';
import type { Store } from '../store/port';
import healthSchema from '../../schemas/api/health.schema.json';
import readinessSchema from '../../schemas/api/readiness.schema.json';

/**
 * Liveness and readiness probes: public, and they say nothing about data. `issuers` gives the state of
 * each issuer whose keys are fetched (TokenVerifier.issuerStatus), from memory.
 */
export function healthRoutes(
  store: Store,
  bundle: () => Bundle | undefined,
  issuers: () => Record<string, KeysState> = () => ({}),
): RouteSpec[] {
  return [
    {
      method: 'get',
      path: '/healthz',
      guard: guards.public,
      handler: (_req, res) => void res.json({ status: 'ok' }),
      doc: {
        summary: 'Liveness probe',
        responses: { 200: { description: 'The process answers.', schema: healthSchema } },
      },
    },
    {
      method: 'get',
      path: '/readyz',
      guard: guards.public,
      handler: async (_req, res) => {
        const storeOk = await store.ping().catch(() => false);
        const current = bundle();
        const ready = storeOk && current !== undefined;
        // An issuer whose keys cannot be fetched is named, but the instance stays ready: one partner's
        // identity provider being down must not take every instance out of the load balancer (the other
        // partners' users would lose the gateway too, and that partner's tokens get a 503 anyway).
        const unreachable = Object.entries(issuers()).filter(([, state]) => state === 'unreachable');
        res.status(ready ? 200 : 503).json({
          status: ready ? 'ready' : 'not-ready',
          checks: {
            store: storeOk ? 'ok' : 'unreachable',
            bundle: current ? 'loaded' : 'missing',
            issuers: Object.fromEntries(unreachable),
          },
          policyDigest: current?.digest ?? null,
        });
      },
      doc: {
        summary: 'Readiness probe',
        description: 'Unreachable identity providers are named but keep the instance ready.',
        responses: {
          200: {
            description: 'Ready: the store answers and a policy bundle is loaded.',
            schema: readinessSchema,
          },
          503: { description: 'Not ready: the checks say what is missing.', schema: readinessSchema },
        },
      },
    },
  ];
}
