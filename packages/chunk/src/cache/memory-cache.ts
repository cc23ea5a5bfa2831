import { createRequire } from 'node:module';
import type LruModule from 'mnemonist/lru-map-with-delete';

// The one structure used, from its own file: mnemonist's index loads all of its ~90 modules
// (a third of this package's load time, which every juicefs command paid). That file is
// CommonJS only (no "import" condition in mnemonist's exports), hence require.
const LRUMapWithDelete = createRequire(import.meta.url)('mnemonist/lru-map-with-delete') as typeof LruModule.default;
type LRUMapWithDelete<K, V> = LruModule.default<K, V>;

/**
 * Recently used blocks in memory, bounded by their total bytes (not their count). Keys are block
 * keys; values are uncompressed block bytes, never modified after insertion.
 */
export class MemoryBlockCache {
  private readonly lru: LRUMapWithDelete<string, Buffer>;
  private bytes = 0;

  constructor(readonly capacityBytes: number, maxEntries = 65536) {
    // mnemonist preallocates arrays for its entry count, so that stays moderate; bytes decide
    // eviction, and an entry pushed out by the count is accounted for through `setpop`.
    this.lru = new LRUMapWithDelete<string, Buffer>(Math.max(1, maxEntries));
  }

  get usedBytes(): number {
    return this.bytes;
  }

  get(key: string): Buffer | undefined {
    return this.lru.get(key);
  }

  has(key: string): boolean {
    return this.lru.has(key);
  }

  put(key: string, data: Buffer): void {
    if (data.length > this.capacityBytes) return;
    const old = this.lru.peek(key);
    if (old) this.bytes -= old.length;
    const popped = this.lru.setpop(key, data);
    if (popped?.evicted) this.bytes -= popped.value.length;
    this.bytes += data.length;
    if (this.bytes > this.capacityBytes) this.evict();
  }

  delete(key: string): void {
    const old = this.lru.remove(key, undefined);
    if (old) this.bytes -= old.length;
  }

  /** Drops least recently used blocks until under 90% of capacity (so evictions come in batches). */
  private evict(): void {
    const target = this.capacityBytes * 0.9;
    const oldestFirst = [...this.lru.keys()].reverse();
    for (const key of oldestFirst) {
      if (this.bytes <= target) break;
      this.delete(key);
    }
  }
}
