import type { ChunkStore, VfsMetrics } from '@juicefs/core';
import { Counter, Gauge, Registry } from 'prom-client';

/** What a mount feeds the metrics from: its Vfs's counters and its chunk store. */
export interface MetricsSources {
  vfs: VfsMetrics;
  store: ChunkStore;
  /** The metadata backup job, when the mount runs one. */
  backup?: BackupMetrics;
  /** Constant labels JuiceFS puts on every metric (vol_name, mp). */
  labels?: Record<string, string>;
}

type Hist = { total: number; sum: number };

/** What the metadata backup job reports (see mount/backup.ts). */
export interface BackupMetrics {
  /** When the last backup of this mount succeeded, ms since the epoch; 0 before the first. */
  readonly lastSuccessAt: number;
  /** How long the last backup took, ms (0 when the last wake-up found none due, as JuiceFS reports it). */
  readonly lastDurationMs: number;
}

/**
 * A prom-client registry with JuiceFS's metric names, read from the live counters at scrape
 * time (nothing is recorded twice). The Vfs keeps only counts and sums, so each JuiceFS
 * histogram appears as a `<name>_count` and a `<name>_sum` counter: the same series
 * rate(sum)/rate(count) queries use.
 */
export function createMetricsRegistry(src: MetricsSources): Registry {
  const registry = new Registry();
  if (src.labels) registry.setDefaultLabels(src.labels);
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({ name, help, registers: [registry], collect() { this.reset(); this.inc(read()); } });
  const histogram = (name: string, help: string, read: () => ReadonlyMap<string, Hist> | Hist) => {
    const each = (set: (h: Hist, labels: Record<string, string>) => void) => {
      const v = read();
      if (v instanceof Map) for (const [method, h] of v as ReadonlyMap<string, Hist>) set(h, { method });
      else set(v as Hist, {});
    };
    new Counter({ name: `${name}_count`, help: `${help} (observations)`, labelNames: ['method'], registers: [registry], collect() {
      this.reset();
      each((h, l) => this.inc(l, h.total));
    } });
    new Counter({ name: `${name}_sum`, help: `${help} (sum)`, labelNames: ['method'], registers: [registry], collect() {
      this.reset();
      each((h, l) => this.inc(l, h.sum));
    } });
  };
  const { vfs, store } = src;
  gauge('juicefs_uptime', 'Seconds since the mount started', () => (Date.now() - vfs.startedAt) / 1000);
  gauge('juicefs_cpu_usage', 'CPU seconds used by the process', () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  });
  gauge('juicefs_memory', 'Resident memory of the process in bytes', () => process.memoryUsage().rss);
  gauge('juicefs_fuse_open_handlers', 'Open file handles', () => vfs.openHandles);
  histogram('juicefs_fuse_ops_durations_histogram_seconds', 'FUSE operation latency', () => vfs.fuseOpsByName);
  histogram('juicefs_fuse_read_size_bytes', 'Size of FUSE reads', () => vfs.readSize);
  histogram('juicefs_fuse_written_size_bytes', 'Size of FUSE writes', () => vfs.writtenSize);
  counter('juicefs_fuse_read_bytes', 'Bytes read through FUSE', () => vfs.readBytes);
  counter('juicefs_fuse_written_bytes', 'Bytes written through FUSE', () => vfs.writtenBytes);
  histogram('juicefs_meta_ops_durations_histogram_seconds', 'Metadata operation latency', () => vfs.metaOpsByName);
  histogram('juicefs_transaction_durations_histogram_seconds', 'Metadata transaction latency', () => vfs.txDurations());
  counter('juicefs_transaction_restart', 'Metadata transactions run again after a conflict', () => vfs.txRestarts());
  gauge('juicefs_used_buffer_size_bytes', 'Bytes of write buffers in use', () => vfs.usedBuffer);
  gauge('juicefs_store_cache_size_bytes', 'Bytes of write buffers and memory cache', () => store.stats().usedMemory);
  gauge('juicefs_blockcache_bytes', 'Bytes of cached blocks (memory and disk)', () => {
    const s = store.stats();
    return s.memoryCacheBytes + s.diskCacheBytes;
  });
  counter('juicefs_blockcache_hits', 'Block cache hits', () => store.stats().cacheHits);
  counter('juicefs_blockcache_miss', 'Block cache misses', () => store.stats().cacheMisses);
  gauge('juicefs_staging_blocks', 'Blocks staged for upload (writeback)', () => store.stats().stagedBlocks);
  counter('juicefs_blockcache_hit_bytes', 'Bytes read from the block cache', () => store.stats().cacheHitBytes);
  counter('juicefs_blockcache_miss_bytes', 'Bytes the block cache did not have', () => store.stats().cacheMissBytes);
  counter('juicefs_blockcache_writes', 'Blocks written into the disk cache', () => store.stats().diskCacheWrites.total);
  counter('juicefs_blockcache_write_bytes', 'Bytes written into the disk cache', () => store.stats().diskCacheWriteBytes);
  histogram('juicefs_blockcache_read_hist_seconds', 'Disk cache read latency', () => store.stats().diskCacheReads);
  histogram('juicefs_blockcache_write_hist_seconds', 'Disk cache write latency', () => store.stats().diskCacheWrites);
  histogram('juicefs_object_request_durations_histogram_seconds', 'Object request latency', () => new Map(Object.entries(store.stats().objectRequests)));
  counter('juicefs_object_request_errors', 'Failed object requests', () => store.stats().objectErrors);
  new Counter({ name: 'juicefs_object_request_data_bytes', help: 'Bytes moved by object requests', labelNames: ['method'], registers: [registry], collect() {
    const s = store.stats();
    this.reset();
    this.inc({ method: 'GET' }, s.getBytes);
    this.inc({ method: 'PUT' }, s.putBytes);
  } });
  if (src.backup) {
    const b = src.backup;
    gauge('juicefs_last_successful_backup', 'Last successful metadata backup (Unix seconds)', () => b.lastSuccessAt / 1000);
    gauge('juicefs_last_backup_duration', 'Duration of the last metadata backup (seconds)', () => b.lastDurationMs / 1000);
  }
  return registry;
}
