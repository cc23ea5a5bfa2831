import { metaConformance } from '../src/conformance/index.js';
import { createMemoryMeta, MemoryMeta } from '../src/testing/index.js';

// The in-memory reference model must pass the whole suite: it is the model the random tests
// compare engines against, and what VFS unit tests run on.
metaConformance('memory model', async () => {
  const meta = createMemoryMeta();
  return {
    meta,
    newClient: async () => new MemoryMeta(meta.volume),
    cleanup: async () => {},
  };
}, { supports: { clientOptions: false, ownerQuotas: false } });
