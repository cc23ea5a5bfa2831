/**
 * The Meta conformance suite and model-based random tests.
 *
 * An engine opts in from its own test file:
 *
 *   metaConformance('redis', async () => ({
 *     meta,                       // a client of a fresh, isolated, UNFORMATTED volume
 *     newClient: async () => ..., // another client of the same volume
 *     cleanup: async () => ...,   // close every client, drop the volume
 *   }), { supports: { locks: false } });  // lacking capabilities become visible skips
 *
 *   metaModelTest('redis', factory, { numRuns: 50 });  // random sequences vs the in-memory model
 *
 * The suite formats each volume itself (TrashDays 0 unless a case turns the trash on). Cases are
 * data (`metaConformanceCases()`), so they can also run outside jest (`runMetaCase`).
 */
export type { MetaCapability, MetaCase, MetaFactory, MetaSupports, MetaTestEnv } from './types.js';
export { metaConformanceCases } from './cases/index.js';
export { metaConformance, missingCapabilities, runMetaCase, type MetaConformanceOptions } from './register.js';
export { expectCode, formatted, listAll, secondClient, testFormat } from './helpers.js';
export { checkMetaModel, compareWithModel, metaModelTest, type MetaModelOptions } from './model-test.js';
export { applyModelOp, modelOpArb, type ModelOp } from './model-ops.js';
