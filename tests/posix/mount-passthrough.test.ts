import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { run } from './helpers.js';
import { posixSuite } from './suite.js';

// The POSIX suite through the kernel's FUSE layer with a reference server: libfuse's low-level
// passthrough_ll example over a temp directory, built from the libfuse3-dev examples. What passes
// in tmpdir.test.ts and here is expected of our mount too; what fails here is FUSE itself.
// -o xattr: passthrough_ll answers ENOTSUP to xattr calls unless asked to pass them through;
// allow_other and default_permissions: as juicefs mounts when run as root, so other users may
// enter the mount and the kernel checks mode bits.

const EXAMPLES = '/usr/share/doc/libfuse3-dev/examples';
let tmp = '';
let mp = '';
let server: ChildProcess | undefined;
let serverExit: Promise<unknown> | undefined;

async function mounted(dir: string): Promise<boolean> {
  return (await fs.readFile('/proc/self/mountinfo', 'utf8')).split('\n').some((l) => l.split(' ')[4] === dir);
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'jfs-posix-pt-'));
  // Searchable by others: the permission cases enter the mount as an unprivileged user.
  await fs.chmod(tmp, 0o755);
  const bin = path.join(tmp, 'passthrough_ll');
  const flags = await run('pkg-config', ['fuse3', '--cflags', '--libs']);
  const cc = await run('gcc', ['-O2', `-I${EXAMPLES}`, path.join(EXAMPLES, 'passthrough_ll.c'), ...flags.stdout.trim().split(/\s+/), '-o', bin]);
  if (flags.code !== 0 || cc.code !== 0) throw new Error(`cannot build passthrough_ll: install gcc, pkg-config and libfuse3-dev (${flags.stderr}${cc.stderr})`);
  const src = path.join(tmp, 'src');
  mp = path.join(tmp, 'mnt');
  await fs.mkdir(src);
  await fs.mkdir(mp);
  const child = spawn(bin, ['-f', '-o', `source=${src},xattr,allow_other,default_permissions`, mp], { stdio: ['ignore', 'ignore', 'pipe'] });
  server = child;
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  let exited = false;
  serverExit = new Promise((r) => child.once('exit', () => r((exited = true))));
  while (!(await mounted(mp))) {
    if (exited) throw new Error(`passthrough_ll exited before mounting: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}, 60_000);

afterAll(async () => {
  if (mp !== '' && (await mounted(mp))) {
    const r = await run('umount', [mp]);
    if (r.code !== 0) await run('umount', ['-l', mp]);
  }
  server?.kill('SIGTERM');
  await serverExit;
  if (tmp !== '') await fs.rm(tmp, { recursive: true, force: true });
}, 60_000);

posixSuite('libfuse passthrough_ll (FUSE reference)', () => mp, {
  // Built as Debian ships it (neither HAVE_FALLOCATE nor HAVE_POSIX_FALLOCATE defined),
  // passthrough_ll answers every fallocate EOPNOTSUPP; O_DIRECT writes fail as below.
  fsxUnsupported: ['direct write', 'punch', 'zero', 'allocate'],
  knownFailures: {
    'O_DIRECT writes and reads back':
      'passthrough_ll opens its backing file with O_DIRECT and writes the unaligned FUSE buffers to it (EINVAL)',
    'permission checks for an unprivileged user': 'passthrough_ll creates files as its own uid (root), not the caller\'s',
    'writes, truncates, O_TRUNC':
      'with atomic O_TRUNC the kernel leaves clearing setuid at open to the server, and passthrough_ll truncates as root, which keeps it',
  },
});
