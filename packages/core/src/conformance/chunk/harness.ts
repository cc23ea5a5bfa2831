import type { ChunkStore } from '../../chunk/store.js';

/** A fresh chunk store over its own empty object storage, with hooks into that storage. */
export interface ChunkStoreUnderTest {
  store: ChunkStore;
  /** Every object key in the storage below the store (volume prefix removed), in byte order. */
  listKeys(): Promise<string[]>;
  /** Calls that reached the object storage (counted below the store, not by it). */
  objectCalls(): { get: number; put: number };
  /** Makes the next `times` puts (default: all until cleared) fail. */
  failPuts(times?: number): void;
  /** Makes gets fail: `error` throws, `short` returns fewer bytes than the object has. */
  failGets(mode: 'error' | 'short', probability?: number): void;
  clearFaults(): void;
  /** Closes the store if the test did not, and removes what it left. */
  cleanup(): Promise<void>;
}

export interface ChunkStoreCapabilities {
  /** The store keys blocks with the hashed layout. */
  hashPrefix?: boolean;
  /** Reads are cached: a second read of a slice costs no object gets. */
  cache?: boolean;
  /** finish() acknowledges once blocks are staged locally; uploads follow in the background. */
  writeback?: boolean;
}

export type ChunkStoreFactory = (options: { blockSize: number }) => Promise<ChunkStoreUnderTest>;
