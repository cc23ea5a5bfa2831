import type { Meta } from '@juicefs/core';
import { metaConformance } from '@juicefs/core/conformance';
import { BaseMeta } from '../src/base/base-meta.js';
import { MemoryEngine } from '../src/memory/index.js';

// The whole Meta conformance suite on BaseMeta over the in-memory engine: a fresh volume per
// test; newClient() opens a second BaseMeta on the same engine, as two mounts of one volume.
metaConformance('memory', async () => {
  const engine = new MemoryEngine();
  const clients: Meta[] = [];
  const open = async (): Promise<Meta> => {
    const meta = new BaseMeta(engine);
    clients.push(meta);
    return meta;
  };
  return {
    meta: await open(),
    newClient: open,
    cleanup: async () => {
      await Promise.all(clients.map((c) => c.shutdown()));
    },
  };
});
