import { chunkStoreConformance } from '@juicefs/core/conformance/chunk';
import { harnessFactory } from './harness.js';

chunkStoreConformance('mem, no compression', harnessFactory({ backend: 'mem' }), { cache: true });
chunkStoreConformance('mem, lz4, writeback with disk cache', harnessFactory({ backend: 'mem', compression: 'lz4', writeback: true, diskCache: true, memoryCache: false }), { cache: true, writeback: true });
chunkStoreConformance('mem, lz4, encrypted (aes256gcm-rsa)', harnessFactory({ backend: 'mem', compression: 'lz4', encrypt: 'aes256gcm-rsa' }), { cache: true });
chunkStoreConformance('mem, encrypted (chacha20-rsa), no caches', harnessFactory({ backend: 'mem', encrypt: 'chacha20-rsa', memoryCache: false }), {});
chunkStoreConformance('mem, zstd, encrypted (sm4gcm)', harnessFactory({ backend: 'mem', compression: 'zstd', encrypt: 'sm4gcm' }), { cache: true });
