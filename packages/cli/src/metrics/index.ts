export { createMetricsRegistry, type MetricsSources } from './registry.js';
export { startMetricsServer, parseMetricsAddress, type MetricsServer } from './server.js';
