/**
 * The metrics listener: GET /metrics and nothing else, on an address of its own (config `metrics`),
 * never on the API's port. It takes no token: it is meant for a loopback or private address that only
 * the scraper reaches, and what it shows holds no personal data (gateway-metrics.ts).
 */
import http, { type Server } from 'node:http';
import type { Logger } from '../http/logger';
import type { GatewayMetrics } from './gateway-metrics';

export interface MetricsServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

export async function serveMetrics(
  metrics: GatewayMetrics,
  where: { host: string; port: number },
  logger: Logger,
): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.statusCode = req.url === '/metrics' ? 405 : 404;
      if (res.statusCode === 405) res.setHeader('Allow', 'GET');
      res.end();
      return;
    }
    metrics.scrape().then(
      ({ contentType, body }) => {
        res.setHeader('Content-Type', contentType);
        res.end(body);
      },
      (error: Error) => {
        logger.error('metrics scrape failed', { error: error.name });
        res.statusCode = 500;
        res.end();
      },
    );
  });
  server.listen(where.port, where.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : where.port;
  const url = `http://${where.host.includes(':') ? `[${where.host}]` : where.host}:${port}/metrics`;
  return {
    server,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A scraper's kept-alive connection must not hold the gateway's shutdown.
        server.closeIdleConnections();
      }),
  };
}
