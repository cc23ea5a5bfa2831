import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { forceDown, isMounted, juicefs, killGroup, mountBackground, requireRootAndFuse, run, sleep, tempDir, type BackgroundMount } from './support.js';

// One of a mount's cache directories dies under it. The "disk" is a second JuiceFS mount, killed
// with SIGKILL: every access to it then fails (ENOTCONN, ECONNABORTED), as a dead device's would fail with
// EIO. The mount using it must keep reading every file right (from object storage), say which
// directory it gave up, and go on caching in the directory that still works, as JuiceFS takes a
// failing directory out of its ring.

describe('faults: a cache directory whose disk dies while mounted', () => {
  let dir: string;
  let disk: BackgroundMount | undefined;
  let vol: BackgroundMount | undefined;
  let mp = '';

  beforeAll(() => {
    requireRootAndFuse();
    dir = tempDir('cachedisk');
  });

  afterAll(async () => {
    await forceDown(vol);
    if (disk && isMounted(disk.mountpoint)) await run('umount', ['-l', disk.mountpoint], 30_000);
    await forceDown(disk);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  const blockFiles = (root: string): number => {
    try {
      return fs.readdirSync(root, { recursive: true }).filter((f) => /\d+_\d+_\d+$/.test(String(f))).length;
    } catch {
      return 0;
    }
  };
  /**
   * Drops the files' pages from the kernel's cache (GNU dd's nocache: fadvise DONTNEED), so the
   * next reads reach the mount. Not drop_caches: that would evict every file on the machine,
   * under the feet of tests running beside this one.
   */
  const dropPageCache = async (names: Iterable<string>): Promise<void> => {
    for (const name of names) await run('dd', [`if=${path.join(mp, name)}`, 'iflag=nocache', 'count=0', 'status=none']);
  };

  it('reads stay right, the dead directory is given up by name, and the other one keeps caching', async () => {
    for (const [name, extra] of [['diskvol', []], ['usevol', ['--block-size', '64']]] as const) {
      const f = await juicefs(['format', `sqlite3://${dir}/${name}.db`, name, '--bucket', `${dir}/bucket-${name}`, '--trash-days', '0', ...extra]);
      if (f.code !== 0) throw new Error(`juicefs format failed: ${f.stderr}`);
    }
    const diskMp = path.join(dir, 'disk');
    mp = path.join(dir, 'mnt');
    fs.mkdirSync(diskMp);
    fs.mkdirSync(mp);
    disk = await mountBackground(`sqlite3://${dir}/diskvol.db`, diskMp, dir);
    const dying = path.join(diskMp, 'cache');
    const healthy = path.join(dir, 'local-cache');
    vol = await mountBackground(`sqlite3://${dir}/usevol.db`, mp, dir, ['--cache-dir', `${dying}:${healthy}`]);

    const files = new Map<string, Buffer>();
    // 96 MiB: more than the mount's 64 MiB memory cache, so reads after the disk died need the disk cache.
    for (let i = 0; i < 48; i++) files.set(`f${i}`, crypto.randomBytes((2 << 20) + i * 3001));
    for (const [name, data] of files) fs.writeFileSync(path.join(mp, name), data);
    await dropPageCache(files.keys());
    for (const [name, data] of files) expect(fs.readFileSync(path.join(mp, name)).equals(data)).toBe(true);
    for (let i = 0; i < 100 && blockFiles(dying) === 0; i++) await sleep(100);
    const cachedOnDying = blockFiles(dying);
    const cachedOnHealthy = blockFiles(healthy);
    // A file whose first block sits only on the dying disk (and, being among the first read, no
    // longer in the memory cache): its first read after the death must go to the disk and fail over.
    const onDying = new Set(fs.readdirSync(dying, { recursive: true }).map((f) => path.basename(String(f))));
    let victim: string | undefined;
    for (let i = 0; i < 12 && victim === undefined; i++) {
      const info = await juicefs(['info', path.join(mp, `f${i}`), '--json']);
      const first = (JSON.parse(info.stdout) as { Objects: Array<{ Key: string }> }).Objects[0]?.Key;
      if (first !== undefined && onDying.has(path.basename(first))) victim = `f${i}`;
    }

    killGroup(disk.pid); // the disk dies: ENOTCONN (or ECONNABORTED) from now on
    let diskError = '';
    for (let i = 0; i < 50 && diskError === ''; i++) {
      try {
        fs.readdirSync(dying);
        await sleep(100);
      } catch (err) {
        diskError = String((err as NodeJS.ErrnoException).code);
      }
    }

    await dropPageCache(files.keys());
    const victimHead = Buffer.alloc(65536);
    const fd = fs.openSync(path.join(mp, victim ?? 'f0'), 'r');
    try {
      fs.readSync(fd, victimHead, 0, victimHead.length, 0);
    } finally {
      fs.closeSync(fd);
    }
    const victimRead = victim !== undefined && victimHead.equals(files.get(victim)!.subarray(0, 65536));
    const readBack = [...files].every(([name, data]) => fs.readFileSync(path.join(mp, name)).equals(data));
    const more = new Map<string, Buffer>();
    for (let i = 0; i < 8; i++) more.set(`g${i}`, crypto.randomBytes(130_000 + i * 999));
    for (const [name, data] of more) fs.writeFileSync(path.join(mp, name), data);
    await dropPageCache(more.keys());
    const newReadBack = [...more].every(([name, data]) => fs.readFileSync(path.join(mp, name)).equals(data));
    for (let i = 0; i < 50 && blockFiles(healthy) === cachedOnHealthy; i++) await sleep(100);
    const log = fs.readFileSync(vol.log, 'utf8');

    expect({
      bothCachedBefore: cachedOnDying > 0 && cachedOnHealthy > 0,
      diskFailed: ['ENOTCONN', 'ECONNABORTED'].includes(diskError), // a dead FUSE mount answers with either
      victimRead,
      readBack,
      newReadBack,
      givenUp: log.includes(`cache directory ${dying} is unavailable`),
      healthyKeptCaching: blockFiles(healthy) > cachedOnHealthy,
      stillMounted: isMounted(mp),
    }).toEqual({ bothCachedBefore: true, diskFailed: true, victimRead: true, readBack: true, newReadBack: true, givenUp: true, healthyKeptCaching: true, stillMounted: true });
  }, 180_000);
});
