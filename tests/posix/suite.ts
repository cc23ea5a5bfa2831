import type { PosixSuiteOptions, SuiteContext } from './context.js';
import { resolveOptions } from './context.js';
import { freshDir } from './helpers.js';
import { registerAttributeCases } from './cases/attributes.js';
import { registerFileDataCases } from './cases/file-data.js';
import { registerLockCases } from './cases/locks.js';
import { registerNameCases } from './cases/names.js';
import { registerToolCases } from './cases/tools.js';

export type { PosixSuiteOptions } from './context.js';

/**
 * Register jest tests that exercise the directory `getDir()` returns with Node's fs and a few
 * shell tools, in the spirit of go-fuse's posixtest. Every test gathers what it observed into one
 * object and compares it with what POSIX on Linux gives, so a failure prints the whole difference
 * and the same suite reads the same on any conforming directory (a plain ext4/tmpfs temp dir is
 * the baseline). `getDir` is called when tests run, so it may name a mount made in beforeAll.
 */
export function posixSuite(name: string, getDir: () => string, options: PosixSuiteOptions = {}): void {
  const resolved = resolveOptions(options);
  const ctx: SuiteContext = {
    dir: (test) => freshDir(getDir(), test),
    options: resolved,
  };
  describe(`POSIX conformance: ${name}`, () => {
    // Some cases run many shell tools or python; give each the same generous budget.
    jest.setTimeout(resolved.timeoutMs);
    describe('file data', () => registerFileDataCases(ctx));
    describe('names', () => registerNameCases(ctx));
    describe('attributes', () => registerAttributeCases(ctx));
    describe('locks', () => registerLockCases(ctx));
    describe('tools', () => registerToolCases(ctx));
  });
}
