import path from 'node:path';
import type { SuiteContext } from '../context.js';
import { opsNotRun, runFsx } from '../fsx/run.js';

const MIB = 1024 * 1024;

// A seeded random mix of reads, writes, appends, O_DIRECT reads and writes, truncates, fallocate
// (punch, zero, allocate), copy_file_range and mmap on one file through several descriptors, each
// byte read checked against a model (fsx/fsx.c). The file may reach 72 MiB, so operations cross
// the 4 MiB block and 64 MiB chunk boundaries of a JuiceFS volume.

export function registerFsxCases(ctx: SuiteContext): void {
  ctx.test('fsx: random reads, writes, truncates, fallocate, copies and maps agree with a model of the file', async () => {
    const d = await ctx.dir('fsx');
    // Two files at once, so two writers are in flight on the mount.
    const runs = await Promise.all([1, 2].map((seed) => runFsx(path.join(d, `f${seed}`), { ops: ctx.options.fsxOps, seed, maxFileBytes: 72 * MIB })));
    expect(runs.map((r) => ({ unsupported: r.unsupported, notRun: opsNotRun(r) }))).toEqual(
      runs.map(() => ({ unsupported: ctx.options.fsxUnsupported, notRun: [] })),
    );
  }, 240_000);
}
