import { metaModelTest, type MetaFactory } from '@juicefs/core/conformance';
import { BaseMeta } from '../src/base/base-meta.js';
import { clientsEnv } from './clients-env.js';
import { MemoryEngine } from '../src/memory/index.js';

// Random operation sequences (fast-check) applied to BaseMeta over the memory engine and to the
// core's reference model; every result (value or errno) and the final tree must agree.
const memoryBaseMeta: MetaFactory = async () => {
  const engine = new MemoryEngine();
  return clientsEnv(async () => new BaseMeta(engine), undefined, false);
};

metaModelTest('BaseMeta on memory vs model', memoryBaseMeta, { numRuns: 300, maxOps: 50 });
metaModelTest('BaseMeta on memory vs model, trash on', memoryBaseMeta, { numRuns: 150, maxOps: 50, format: { TrashDays: 1 } });
