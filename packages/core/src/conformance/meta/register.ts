import { testApi } from '../jest-api.js';
import { metaConformanceCases } from './cases/index.js';
import type { MetaCapability, MetaCase, MetaFactory, MetaSupports, MetaTestEnv } from './types.js';

export interface MetaConformanceOptions {
  /** Capabilities the engine lacks (`false`): their cases are registered as visible skips. */
  supports?: MetaSupports;
  /** Per-test timeout in ms (default 30 s). */
  timeout?: number;
}

/** The capabilities of `supports` that a case needs but the engine lacks. */
export function missingCapabilities(c: MetaCase, supports: MetaSupports | undefined): MetaCapability[] {
  return (c.needs ?? []).filter((cap) => supports?.[cap] === false);
}

/**
 * Run one case on a fresh volume from `factory`, always cleaning up. A capability the env says it
 * lacks (env.supports) but that was not declared at registration fails loudly: skips must be
 * visible in the test names, never silent.
 */
export async function runMetaCase(c: MetaCase, factory: MetaFactory): Promise<void> {
  const env: MetaTestEnv = await factory();
  try {
    const lacking = missingCapabilities(c, env.supports);
    if (lacking.length > 0) {
      throw new Error(
        `the engine's env.supports lacks ${lacking.join(', ')}: pass { supports } to metaConformance so this case is skipped visibly`,
      );
    }
    await c.run(env);
  } finally {
    await env.cleanup();
  }
}

/**
 * Register the Meta conformance suite as jest tests: one `describe` per group, one test per case,
 * each on a fresh, isolated, unformatted volume from `factory`.
 */
export function metaConformance(name: string, factory: MetaFactory, options: MetaConformanceOptions = {}): void {
  const { describe, it } = testApi();
  const groups = new Map<string, MetaCase[]>();
  for (const c of metaConformanceCases()) groups.set(c.group, [...(groups.get(c.group) ?? []), c]);
  describe(`Meta conformance: ${name}`, () => {
    for (const [group, cases] of groups) {
      describe(group, () => {
        for (const c of cases) {
          const lacking = missingCapabilities(c, options.supports);
          if (lacking.length > 0) {
            it.skip(`${c.name} [skipped: engine does not support ${lacking.join(', ')}]`, async () => {});
          } else {
            it(c.name, () => runMetaCase(c, factory), options.timeout ?? 30000);
          }
        }
      });
    }
  });
}
