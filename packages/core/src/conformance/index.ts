// Conformance suites, one per contract: each is a function that takes a factory and registers
// jest tests. Implementations opt in from their own test files.
export * from './meta/index.js';
export * from './object/index.js';
export * from './chunk/index.js';
