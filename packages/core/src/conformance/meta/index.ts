export type { MetaCapability, MetaCase, MetaFactory, MetaSupports, MetaTestEnv } from './types.js';
export { metaConformanceCases } from './cases/index.js';
export { metaConformance, missingCapabilities, runMetaCase, type MetaConformanceOptions } from './register.js';
export { expectCode, formatted, listAll, secondClient, testFormat } from './helpers.js';
export { checkMetaModel, compareWithModel, metaModelTest, type MetaModelOptions } from './model-test.js';
export { applyModelOp, modelOpArb, type ModelOp } from './model-ops.js';
