import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { juicefs, juicefsMountMissing, startMount, type JuicefsMount } from './mount-harness.js';
import { posixSuite } from './suite.js';

// The POSIX suite on a real juicefs mount: a SQLite + local-directory volume formatted and mounted
// with the CLI. Whatever fails here but passes in tmpdir.test.ts is a bug in the mount.

const missing = juicefsMountMissing();

if (missing !== undefined) {
  test.skip(`juicefs mount (SQLite + local directory) NOT RUN: ${missing}`, () => undefined);
} else {
  let tmp = '';
  let mp = '';
  let m: JuicefsMount | undefined;

  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'jfs-posix-sqlite-'));
    // Searchable by others: the permission cases enter the mount as an unprivileged user.
    await fs.chmod(tmp, 0o755);
    mp = path.join(tmp, 'mnt');
    await fs.mkdir(mp);
    const meta = `sqlite3://${tmp}/meta.db`;
    const f = await juicefs(['format', meta, 'posix-sqlite', '--bucket', path.join(tmp, 'bucket'), '--trash-days', '0']);
    if (f.code !== 0) throw new Error(`juicefs format failed (exit ${f.code}): ${f.stderr}`);
    // A cache of its own: the default /var/jfsCache would be shared with other mounts.
    m = await startMount(meta, mp, ['--cache-dir', path.join(tmp, 'cache'), '--enable-xattr']);
  }, 120_000);

  afterAll(async () => {
    await m?.stop();
    if (tmp !== '') await fs.rm(tmp, { recursive: true, force: true });
  }, 120_000);

  test('the volume is mounted as fuse.juicefs', () => {
    expect(m?.mountinfo).toMatch(/ - fuse\.juicefs /);
  });

  posixSuite('juicefs mount (SQLite + local directory)', () => mp);
}
