import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isMountPoint } from '../src/index.js';
import { startChildMount, type ChildMount } from './helpers/child-mount.js';
import { sh } from './helpers/shell.js';

// The project's POSIX suite (tests/posix) against a VFS-over-memory volume mounted by a child
// process through this package, as `juicefs mount` would serve it. The suite spawns tools from
// jest's main thread, which is safe only because the mount is served by another process.

// Loaded by a computed path: the suite lives outside this package (tests/posix, its own
// tsconfig), so this package's typecheck must not pull its sources in.
type PosixSuite = (
  name: string,
  getDir: () => string,
  options?: { bigFileBytes?: number; dirEntries?: number; fsxOps?: number; knownFailures?: Readonly<Record<string, string>> },
) => void;
const suitePath = path.resolve(__dirname, '../../../tests/posix/suite');
const { posixSuite } = require(suitePath) as { posixSuite: PosixSuite };

let tmp = '';
let mp = '';
let served: ChildMount | undefined;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'jfs-fuse-posix-'));
  // mkdtemp makes 0700 directories; the suite's unprivileged user must be able to reach the mount.
  await fs.chmod(tmp, 0o755);
  mp = path.join(tmp, 'mnt');
  await fs.mkdir(mp);
  served = await startChildMount(mp, 'vfs');
});

afterAll(async () => {
  if (served !== undefined) {
    served.child.kill('SIGTERM');
    // A case that fails between open and close leaves a descriptor open in this process; the
    // child then detaches lazily and keeps serving until we exit. Do not wait for that forever:
    // detach here and kill it (its /dev/fuse closing aborts the connection, so nothing hangs).
    const exited = await Promise.race([served.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5_000).unref())]);
    if (!exited) {
      if (await isMountPoint(mp)) await sh(`umount -l ${mp}`);
      served.child.kill('SIGKILL');
      await served.exited;
    }
  }
  if (mp !== '' && (await isMountPoint(mp))) await sh(`umount -l ${mp}`);
  if (tmp !== '') await fs.rm(tmp, { recursive: true, force: true });
}, 30_000);

posixSuite('VFS over memory, mounted with @juicefs/fuse', () => mp, {
  bigFileBytes: 8 * 1024 * 1024,
  dirEntries: 500,
  // 64 KiB blocks in memory: a 72 MiB file is over a thousand of them, and 2 × 1200 operations took a minute.
  fsxOps: 300,
});
