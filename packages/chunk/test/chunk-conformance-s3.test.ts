import { chunkStoreConformance } from '@juicefs/core/conformance/chunk';
import { harnessFactory } from './harness.js';

chunkStoreConformance('s3 (s3rver), no compression', harnessFactory({ backend: 's3' }), { cache: true });
chunkStoreConformance('s3 (s3rver), lz4, disk cache', harnessFactory({ backend: 's3', compression: 'lz4', diskCache: true }), { cache: true });
chunkStoreConformance('s3 (s3rver), writeback', harnessFactory({ backend: 's3', writeback: true, diskCache: true }), { cache: true, writeback: true });
