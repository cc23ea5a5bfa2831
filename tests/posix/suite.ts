import type { PosixSuiteOptions, SuiteContext } from './context.js';
import { resolveOptions } from './context.js';
import { closeLeftHandles, freshDir } from './helpers.js';
import { registerAttributeCases } from './cases/attributes.js';
import { registerFileDataCases } from './cases/file-data.js';
import { registerFsxCases } from './cases/fsx.js';
import { registerHandleCases } from './cases/handles.js';
import { registerLockCases } from './cases/locks.js';
import { registerNameCases } from './cases/names.js';
import { registerPermissionCases } from './cases/permissions.js';
import { registerProgramCases } from './cases/programs.js';
import { registerToolCases } from './cases/tools.js';

export type { PosixSuiteOptions } from './context.js';

/**
 * Register jest tests that exercise the directory `getDir()` returns with Node's fs and a few
 * shell tools, in the spirit of go-fuse's posixtest. Every test gathers what it observed into one
 * object and compares it with what POSIX on Linux gives, so a failure prints the whole difference
 * and the same suite reads the same on any conforming directory (a plain ext4/tmpfs temp dir is
 * the baseline). `getDir` is called when tests run, so it may name a mount made in beforeAll.
 * Its ancestors must be searchable by others (0755): the permission case runs as user nobody.
 */
export function posixSuite(name: string, getDir: () => string, options: PosixSuiteOptions = {}): void {
  const resolved = resolveOptions(options);
  const ctx: SuiteContext = {
    dir: (test) => freshDir(getDir(), test),
    root: getDir,
    test: (title, fn, timeoutMs) => {
      const known = Object.entries(options.knownFailures ?? {}).find(([prefix]) => title.startsWith(prefix));
      if (known === undefined) test(title, fn, timeoutMs);
      else test.failing(`${title} [KNOWN FAILURE: ${known[1]}]`, fn, timeoutMs);
    },
    skip: (title, fn) => test.skip(title, fn),
    options: resolved,
  };
  describe(`POSIX conformance: ${name}`, () => {
    // Some cases run many shell tools or python; give each the same generous budget.
    jest.setTimeout(resolved.timeoutMs);
    afterEach(closeLeftHandles);
    describe('file data', () => registerFileDataCases(ctx));
    describe('random file operations', () => registerFsxCases(ctx));
    describe('names', () => registerNameCases(ctx));
    describe('attributes', () => registerAttributeCases(ctx));
    describe('open handles', () => registerHandleCases(ctx));
    describe('permissions', () => registerPermissionCases(ctx));
    describe('locks', () => registerLockCases(ctx));
    describe('tools', () => registerToolCases(ctx));
    describe('programs', () => registerProgramCases(ctx));
  });
}
