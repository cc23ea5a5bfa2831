import { chunkStoreConformance } from '@juicefs/core/conformance/chunk';
import { harnessFactory } from './harness.js';

chunkStoreConformance('mem, no compression', harnessFactory({ backend: 'mem' }), { cache: true });
chunkStoreConformance('mem, lz4, writeback with disk cache', harnessFactory({ backend: 'mem', compression: 'lz4', writeback: true, diskCache: true, memoryCache: false }), { cache: true, writeback: true });
