import type { ChunkStore, TimedCount } from '../chunk/store.js';
import type { Meta } from '../meta/meta.js';

/** A count and a sum of seconds: how JuiceFS's `.stats` shows a histogram. */
export class Histogram implements TimedCount {
  total = 0;
  sum = 0;
  observe(value: number): void {
    this.total++;
    this.sum += value;
  }
}

/**
 * Live counters of one VFS, rendered as the `name value` lines of `.stats` (what `juicefs stats`,
 * `bench` and `debug` parse). Names follow JuiceFS's metrics with the `juicefs_` prefix.
 */
export class VfsMetrics {
  readonly startedAt = Date.now();
  readonly fuseOps = new Histogram();
  readonly fuseOpsByName = new Map<string, Histogram>();
  readonly metaOps = new Histogram();
  readonly metaOpsByName = new Map<string, Histogram>();
  readonly readSize = new Histogram();
  readonly writtenSize = new Histogram();
  readBytes = 0;
  writtenBytes = 0;
  openHandles = 0;
  usedBuffer = 0;
  /** Where the metadata engine's transaction restarts are read from (Meta.txRestarts). */
  txRestarts: () => number = () => 0;
  /** The engine's own transaction timings (Meta.txDurations); the metadata operations where it keeps none. */
  txDurations: () => TimedCount = () => this.metaOps;

  fuseOp(name: string, seconds: number): void {
    this.fuseOps.observe(seconds);
    histogramOf(this.fuseOpsByName, name).observe(seconds);
  }

  metaOp(name: string, seconds: number): void {
    this.metaOps.observe(seconds);
    histogramOf(this.metaOpsByName, name).observe(seconds);
  }

  render(store: ChunkStore, extra?: () => string): string {
    const lines: string[] = [];
    const put = (name: string, value: number) => lines.push(`${name} ${formatNumber(value)}`);
    const hist = (name: string, h: TimedCount) => {
      put(`${name}_total`, h.total);
      put(`${name}_sum`, h.sum);
    };
    const usage = process.cpuUsage();
    put('juicefs_uptime', (Date.now() - this.startedAt) / 1000);
    put('juicefs_cpu_usage', (usage.user + usage.system) / 1e6);
    put('juicefs_memory', process.memoryUsage().rss);
    put('juicefs_fuse_open_handlers', this.openHandles);
    hist('juicefs_fuse_ops_durations_histogram_seconds', this.fuseOps);
    for (const [op, h] of [...this.fuseOpsByName].sort()) hist(`juicefs_fuse_ops_durations_histogram_seconds_${op}`, h);
    hist('juicefs_fuse_read_size_bytes', this.readSize);
    hist('juicefs_fuse_written_size_bytes', this.writtenSize);
    put('juicefs_fuse_read_bytes', this.readBytes);
    put('juicefs_fuse_written_bytes', this.writtenBytes);
    hist('juicefs_meta_ops_durations_histogram_seconds', this.metaOps);
    for (const [op, h] of [...this.metaOpsByName].sort()) hist(`juicefs_meta_ops_durations_histogram_seconds_${op}`, h);
    hist('juicefs_transaction_durations_histogram_seconds', this.txDurations());
    put('juicefs_transaction_restart', this.txRestarts());
    put('juicefs_used_buffer_size_bytes', this.usedBuffer);
    const s = store.stats();
    put('juicefs_store_cache_size_bytes', s.usedMemory);
    put('juicefs_blockcache_bytes', s.memoryCacheBytes + s.diskCacheBytes);
    put('juicefs_blockcache_hits', s.cacheHits);
    put('juicefs_blockcache_miss', s.cacheMisses);
    put('juicefs_blockcache_drops', s.cacheDrops ?? 0);
    put('juicefs_blockcache_hit_bytes', s.cacheHitBytes);
    put('juicefs_blockcache_miss_bytes', s.cacheMissBytes);
    put('juicefs_blockcache_writes', s.diskCacheWrites.total);
    put('juicefs_blockcache_write_bytes', s.diskCacheWriteBytes);
    hist('juicefs_blockcache_read_hist_seconds', s.diskCacheReads);
    hist('juicefs_blockcache_write_hist_seconds', s.diskCacheWrites);
    // Labelled histograms appear with the label value in the name, as JuiceFS's `.stats` has them.
    for (const method of ['GET', 'PUT', 'DELETE'] as const) {
      hist(`juicefs_object_request_durations_histogram_seconds_${method}`, s.objectRequests[method]);
    }
    put('juicefs_object_request_errors', s.objectErrors);
    put('juicefs_object_request_data_bytes_GET', s.getBytes);
    put('juicefs_object_request_data_bytes_PUT', s.putBytes);
    put('juicefs_staging_blocks', s.stagedBlocks);
    let text = lines.join('\n') + '\n';
    const more = extra?.();
    if (more) text += more.endsWith('\n') ? more : more + '\n';
    return text;
  }
}

function histogramOf(map: Map<string, Histogram>, name: string): Histogram {
  let h = map.get(name);
  if (!h) {
    h = new Histogram();
    map.set(name, h);
  }
  return h;
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(6).replace(/0+$/, '');
}

/**
 * Wrap a Meta so every method call is timed into `metrics` (the "meta ops" of `.stats`). The
 * wrapper forwards everything else (properties such as `sid` and `name`) untouched.
 */
export function instrumentMeta(meta: Meta, metrics: VfsMetrics): Meta {
  return new Proxy(meta, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      const fn = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => {
        const start = process.hrtime.bigint();
        const result = fn.apply(target, args);
        if (result instanceof Promise) {
          const done = () => metrics.metaOp(prop, Number(process.hrtime.bigint() - start) / 1e9);
          result.then(done, done);
        }
        return result;
      };
    },
  });
}
