import { chunkStoreConformance } from '@juicefs/core/conformance/chunk';
import { harnessFactory } from './harness.js';

chunkStoreConformance('file, no compression, memory cache', harnessFactory({ backend: 'file' }), { cache: true });
chunkStoreConformance('file, lz4, disk cache only', harnessFactory({ backend: 'file', compression: 'lz4', diskCache: true, memoryCache: false }), { cache: true });
chunkStoreConformance('file, zstd, hash prefix', harnessFactory({ backend: 'file', compression: 'zstd', hashPrefix: true }), { cache: true, hashPrefix: true });
chunkStoreConformance('file, writeback', harnessFactory({ backend: 'file', writeback: true }), { cache: true, writeback: true });
chunkStoreConformance('file, no caches', harnessFactory({ backend: 'file', memoryCache: false }), {});
chunkStoreConformance('file, writeback and disk cache over three directories', harnessFactory({ backend: 'file', writeback: true, diskCache: true, memoryCache: false, cacheDirs: 3 }), { cache: true, writeback: true });
