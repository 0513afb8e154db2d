/**
 * The node's optional plain-HTTP metrics listener (`metricsHttp` in the
 * node config, off by default): `GET /metrics` in Prometheus text format,
 * nothing else. A listener of its own, apart from `healthHttp`: a load
 * balancer may reach the health check, while metrics (query volumes per
 * kind, budgets per coordinator) are for the hospital's own monitoring, so
 * the example config binds them to 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import { NodeError } from '../errors.js';
import type { NodeMetrics } from './metrics.js';

export interface MetricsListener {
  readonly port: number;
  close(): Promise<void>;
}

/** Listen on `endpoint` (port 0: ephemeral); resolves once bound. */
export async function startMetricsHttp(endpoint: { readonly host: string; readonly port: number }, metrics: NodeMetrics): Promise<MetricsListener> {
  const server: Server = createServer((req, res) => {
    if ((req.method === 'GET' || req.method === 'HEAD') && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) {
      metrics.text().then(
        ({ contentType, body }) => { res.writeHead(200, { 'content-type': contentType }).end(req.method === 'HEAD' ? undefined : body); },
        () => { res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'); },
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (cause) => reject(new NodeError('GENOFED_CONFIG', 'metricsHttp: cannot bind the metrics port', { cause })));
    server.listen(endpoint.port, endpoint.host, () => resolve((server.address() as { port: number }).port));
  });
  return {
    port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    }),
  };
}
