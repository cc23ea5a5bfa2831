export { createMetricsRegistry, type MetricsSources } from './registry.js';
export { startMetricsBeside, startMetricsServer, parseMetricsAddress, type MetricsServer } from './server.js';
