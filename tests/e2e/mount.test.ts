import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// format -> mount -> file operations through the kernel -> umount -> remount and read back, all
// through the real juicefs command (TypeScript entry under node), on SQLite and a local bucket.

const repo = path.resolve(__dirname, '../..');
const bin = path.join(repo, 'packages/cli/test/support/juicefs-from-source.cjs');

function juicefs(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: repo, encoding: 'utf8', input: '', timeout: 90000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function mounted(mp: string): boolean {
  return fs.readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === mp);
}

describe('e2e: juicefs mount on SQLite + local directory', () => {
  let dir: string;
  let mp: string;
  let meta: string;

  beforeAll(() => {
    if (process.getuid?.() !== 0 || !fs.existsSync('/dev/fuse')) {
      throw new Error('these tests mount FUSE: run them as root on a machine with /dev/fuse (scripts/setup.sh installs fuse3)');
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-e2e-'));
    mp = path.join(dir, 'mnt');
    fs.mkdirSync(mp);
    meta = `sqlite3://${dir}/meta.db`;
    const f = juicefs('format', meta, 'e2e-vol', '--bucket', `${dir}/bucket`);
    expect(f.code).toBe(0);
  });

  afterAll(() => {
    if (dir && mounted(mp)) spawnSync('umount', ['-l', mp]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const mountIt = () => {
    const m = juicefs('mount', meta, mp, '-d', '--log', `${dir}/juicefs.log`, '--cache-dir', `${dir}/cache`);
    expect(m.err).toMatch(/mounted at/);
    expect(m.code).toBe(0);
    expect(mounted(mp)).toBe(true);
  };

  it('serves files, directories, links and renames, and keeps them across a remount', () => {
    mountIt();
    const big = Buffer.alloc(5 * 1024 * 1024 + 123, 7);
    fs.writeFileSync(path.join(mp, 'hello.txt'), 'hello, juicefs\n');
    fs.mkdirSync(path.join(mp, 'sub/deeper'), { recursive: true });
    fs.writeFileSync(path.join(mp, 'sub/deeper/big.bin'), big);
    fs.linkSync(path.join(mp, 'hello.txt'), path.join(mp, 'sub/hard'));
    fs.symlinkSync('hello.txt', path.join(mp, 'link'));
    fs.renameSync(path.join(mp, 'sub/deeper'), path.join(mp, 'moved'));
    expect(fs.statSync(path.join(mp, 'hello.txt')).nlink).toBe(2);
    expect(fs.readlinkSync(path.join(mp, 'link'))).toBe('hello.txt');
    expect(fs.readdirSync(mp).filter((n) => !n.startsWith('.')).sort()).toEqual(['hello.txt', 'link', 'moved', 'sub']);
    // As in JuiceFS, xattrs are off without --enable-xattr: the kernel reports EOPNOTSUPP (95).
    const xattr = spawnSync('python3', ['-c', `import os\ntry:\n os.setxattr(${JSON.stringify(path.join(mp, 'hello.txt'))}, 'user.k', b'v')\nexcept OSError as e:\n print(e.errno)`], { encoding: 'utf8' });
    expect(xattr.stdout.trim()).toBe('95');

    const status = JSON.parse(juicefs('status', meta).out) as { Sessions: Array<{ MountPoint: string }> };
    expect(status.Sessions.map((s) => s.MountPoint)).toEqual([mp]);

    const u = juicefs('umount', mp);
    expect(u.code).toBe(0);
    expect(mounted(mp)).toBe(false);
    // Data went to the bucket as JuiceFS names objects: <Name>/chunks/<id/1e6>/<id/1e3>/<id>_<indx>_<size>.
    const chunks = path.join(dir, 'bucket/e2e-vol/chunks');
    expect(fs.existsSync(chunks)).toBe(true);

    mountIt();
    expect(fs.readFileSync(path.join(mp, 'sub/hard'), 'utf8')).toBe('hello, juicefs\n');
    expect(fs.readFileSync(path.join(mp, 'moved/big.bin')).equals(big)).toBe(true);
    expect(juicefs('umount', mp).code).toBe(0);

    const dump = juicefs('dump', meta);
    expect(dump.code).toBe(0);
    expect(dump.out).toContain('"big.bin": {');
    expect(dump.out).toMatch(/"hard": \{\n\s+"attr": \{[^\n]*"nlink":2,"length":15/);
  });

  it('umount of a mount in use fails with EBUSY naming the fix, and leaves it mounted; --force then detaches it', async () => {
    mountIt();
    // A process whose working directory is in the mount keeps it busy, as a shell cd'ed into it does.
    const holder = spawn('sleep', ['30'], { cwd: mp, stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 200));
      const u = juicefs('umount', mp);
      expect(u.code).toBe(1);
      expect(u.err.trim()).toMatch(/^juicefs: EBUSY: umount .* failed: .*target is busy; close the files using it, or use --force$/);
      expect(mounted(mp)).toBe(true);
      expect(fs.readFileSync(path.join(mp, 'hello.txt'), 'utf8')).toBe('hello, juicefs\n');
      const f = juicefs('umount', '--force', mp);
      expect(f.code).toBe(0);
      expect(mounted(mp)).toBe(false);
    } finally {
      holder.kill();
    }
  });

  it('fails with a clear message when the mount point does not exist', () => {
    const r = juicefs('mount', meta, path.join(dir, 'missing'), '--cache-dir', `${dir}/cache`);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/juicefs: .*missing/);
  });
});
