import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fsError } from '@juicefs/core';
import { createMetricsRegistry, type MetricsSources } from './registry.js';
import { log } from '../log.js';

export interface MetricsServer {
  /** e.g. http://127.0.0.1:9567/metrics */
  readonly url: string;
  close(): Promise<void>;
}

/** Split `--metrics` ("host:port", ":port", "[::1]:port") into host and port. */
export function parseMetricsAddress(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw fsError('EINVAL', `bad --metrics address "${addr}": use HOST:PORT such as 127.0.0.1:9567`);
  }
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

/**
 * Serve the mount's metrics at http://ADDR/metrics in the Prometheus text format (as
 * `juicefs mount --metrics` does). Port 0 picks a free port; `url` says which.
 */
export async function startMetricsServer(addr: string, sources: MetricsSources): Promise<MetricsServer> {
  const { host, port } = parseMetricsAddress(addr);
  const registry = createMetricsRegistry(sources);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || (path !== '/metrics' && path !== '/')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(fsError(err.code === 'EADDRINUSE' ? 'EBUSY' : 'EINVAL', `cannot serve metrics on ${addr}: ${err.message} (pick another --metrics port)`)),
    );
    server.listen(port, host, () => resolve());
  });
  server.unref();
  const bound = server.address() as AddressInfo;
  const shownHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${shownHost}:${bound.port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The metrics endpoint as JuiceFS runs it beside a mount or a server: at `addr`, or on another
 * free port of the same host when that one is taken; a failure costs the metrics (a warning),
 * never what they describe. Logs where they are.
 */
export async function startMetricsBeside(addr: string, sources: MetricsSources): Promise<MetricsServer | undefined> {
  const host = addr.replace(/:\d+$/, '');
  const server = await startMetricsServer(addr, sources)
    .catch(() => startMetricsServer(`${host}:0`, sources))
    .catch((e: unknown) => void log.warn(`juicefs: no metrics endpoint: ${String(e)}`));
  if (server) log.info(`prometheus metrics at ${server.url}`);
  return server ?? undefined;
}
