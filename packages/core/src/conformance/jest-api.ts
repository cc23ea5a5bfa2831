/**
 * The few jest globals the suites register tests with, read from globalThis so core does not
 * depend on jest's types at build time.
 */
export interface TestApi {
  describe(name: string, fn: () => void): void;
  it: {
    (name: string, fn: () => Promise<void>, timeout?: number): void;
    skip(name: string, fn: () => Promise<void>): void;
  };
  afterEach?: (fn: () => Promise<void>) => void;
}

export function testApi(): TestApi {
  const g = globalThis as unknown as Partial<TestApi>;
  if (typeof g.describe !== 'function' || typeof g.it !== 'function') {
    throw new Error('conformance suites register jest tests: call them at the top level of a jest test file');
  }
  return g as TestApi;
}
