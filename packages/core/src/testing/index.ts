// In-memory implementations for unit tests of pure logic and as reference models for
// model-based tests (never the only test of a server-backed component).
export { MemoryVolume } from './memory/volume.js';
export { MemoryMeta, createMemoryMeta } from './memory/meta.js';
export * from './memory-chunk-store.js';
