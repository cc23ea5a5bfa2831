import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { run, runOk } from './mounts.js';

// A file system of the bench's own: a sparse image formatted as ext4 (with its journal, as
// mkfs.ext4 makes it) and loop-mounted, so that every target's files land on a file system in the
// same fresh state, whatever the host's disk went through before (see create-probe.ts).

export interface Scratch {
  dir: string;
  remove(): Promise<void>;
}

export async function mountScratchExt4(parent: string, sizeGiB: number): Promise<Scratch> {
  const mkfs = await run('which', ['mkfs.ext4']);
  if (mkfs.code !== 0) throw new Error('mkfs.ext4 is missing (apt-get install e2fsprogs), or pass --work-dir DIR to run on an existing file system');
  const home = await fs.mkdtemp(path.join(parent, 'jfs-bench-scratch-'));
  const image = path.join(home, 'ext4.img');
  const dir = path.join(home, 'fs');
  let mounted = false;
  const remove = async (): Promise<void> => {
    if (mounted) {
      const r = await run('umount', [dir]);
      if (r.code !== 0) await run('umount', ['-l', dir]);
      mounted = false;
    }
    await fs.rm(home, { recursive: true, force: true });
  };
  try {
    const sparse = await fs.open(image, 'w');
    try {
      await sparse.truncate(sizeGiB * 1024 ** 3);
    } finally {
      await sparse.close();
    }
    await runOk('mkfs.ext4', ['-q', '-F', image]);
    await fs.mkdir(dir);
    await runOk('mount', ['-o', 'loop', image, dir]);
    mounted = true;
    return { dir, remove };
  } catch (e) {
    await remove();
    throw new Error(`cannot make the bench's scratch ext4 in ${parent} (${(e as Error).message}); pass --work-dir DIR to run on an existing file system`);
  }
}

/** The directory a bench's targets share: `workDir`, else a scratch ext4 when root may mount one, else $TMPDIR. */
export async function workRoot(workDir: string | undefined, scratchGiB: number): Promise<{ dir: string; scratch?: Scratch }> {
  if (workDir !== undefined) return { dir: workDir };
  if (process.getuid?.() !== 0) {
    process.stderr.write(`not root: no scratch ext4, the targets share ${os.tmpdir()} (see --work-dir)\n`);
    return { dir: os.tmpdir() };
  }
  const scratch = await mountScratchExt4(os.tmpdir(), scratchGiB);
  process.stderr.write(`scratch ext4 of ${scratchGiB} GiB (sparse) at ${scratch.dir}\n`);
  return { dir: scratch.dir, scratch };
}
