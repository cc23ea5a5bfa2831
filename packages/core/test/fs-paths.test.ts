import { context, JuiceFS } from '../src/index.js';
import { BLOCK, CHUNK_SIZE, expectBytes, newHarness, pattern } from './vfs-harness.js';

async function newFs(): Promise<JuiceFS> {
  const h = await newHarness();
  return new JuiceFS(h.vfs, h.ctx);
}

describe('JuiceFS path API', () => {
  it('writes and reads whole files, appends, truncates', async () => {
    const fs = await newFs();
    await fs.writeFile('/hello.txt', 'hello');
    expect((await fs.readFile('/hello.txt')).toString()).toBe('hello');
    await fs.appendFile('/hello.txt', ' world');
    expect((await fs.readFile('/hello.txt')).toString()).toBe('hello world');
    await fs.writeFile('/hello.txt', 'bye');
    expect((await fs.readFile('/hello.txt')).toString()).toBe('bye');
    await fs.truncate('/hello.txt', 1);
    expect((await fs.readFile('/hello.txt')).toString()).toBe('b');
    const st = await fs.stat('/hello.txt');
    expect(st.isFile()).toBe(true);
    expect(st.size).toBe(1);
    expect(st.mode & 0o777).toBe(0o644);
    await expect(fs.writeFile('/hello.txt', 'x', { flag: 'wx' })).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(fs.readFile('/missing')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('descriptors keep a position; pread/pwrite leave it alone; O_APPEND from two descriptors', async () => {
    const fs = await newFs();
    const fd = await fs.open('/f', 'w+');
    await fs.write(fd, 'abc');
    await fs.write(fd, 'def');
    await fs.write(fd, 'XY', 1);
    expect((await fs.read(fd, 100, 0)).toString()).toBe('aXYdef');
    await fs.write(fd, 'g');
    expect((await fs.fstat(fd)).size).toBe(7);
    await fs.close(fd);
    await expect(fs.close(fd)).rejects.toMatchObject({ code: 'EBADF' });

    const a = await fs.open('/f', 'a');
    const b = await fs.open('/f', 'a');
    await fs.write(a, '1');
    await fs.write(b, '2');
    await fs.write(a, '3');
    await fs.close(a);
    await fs.close(b);
    expect((await fs.readFile('/f')).toString()).toBe('aXYdefg123');
    const r = await fs.open('/f', 'r');
    expect((await fs.read(r, 3)).toString()).toBe('aXY');
    expect((await fs.read(r, 3)).toString()).toBe('def');
    await expect(fs.write(r, 'no')).rejects.toMatchObject({ code: 'EBADF' });
    await fs.close(r);
  });

  it('large and sparse files across blocks and the chunk boundary', async () => {
    const fs = await newFs();
    const data = pattern(9 * BLOCK + 17, 11);
    await fs.writeFile('/big', data);
    expectBytes(await fs.readFile('/big'), data);
    const df = await fs.statfs('/');
    expect(df.bsize).toBe(4096);
    expect(df.blocks - df.bavail).toBeGreaterThanOrEqual(Math.ceil(data.length / 4096));
    const fd = await fs.open('/sparse', 'w+');
    await fs.write(fd, 'end', CHUNK_SIZE + 5);
    expect((await fs.fstat(fd)).size).toBe(CHUNK_SIZE + 8);
    expect((await fs.read(fd, 10, CHUNK_SIZE)).toString('hex')).toBe('0000000000656e64');
    await fs.close(fd);
  });

  it('directories: recursive mkdir, readdir, rmdir, rename, unlink', async () => {
    const fs = await newFs();
    await fs.mkdir('/a/b/c', { recursive: true });
    await fs.mkdir('/a/b/c', { recursive: true });
    await expect(fs.mkdir('/a/b')).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(fs.mkdir('/x/y')).rejects.toMatchObject({ code: 'ENOENT' });
    await fs.writeFile('/a/b/file', '1');
    expect((await fs.readdir('/a/b')).sort()).toEqual(['c', 'file']);
    expect((await fs.readdirEntries('/a')).map((e) => e.name)).toEqual(['b']);
    await expect(fs.mkdir('/a/b/file/sub', { recursive: true })).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(fs.rmdir('/a/b')).rejects.toMatchObject({ code: 'ENOTEMPTY' });
    await fs.rename('/a/b/file', '/a/moved');
    expect(await fs.exists('/a/b/file')).toBe(false);
    expect((await fs.readFile('/a/moved')).toString()).toBe('1');
    await fs.unlink('/a/moved');
    await fs.rmdir('/a/b/c');
    await fs.rmdir('/a/b');
    expect(await fs.readdir('/a')).toEqual([]);
    await expect(fs.readdir('/a/../a/./')).resolves.toEqual([]);
    await expect(fs.rmdir('/')).rejects.toMatchObject({ code: 'EBUSY' });
    const dirFd = await fs.open('/a', 0o200000); // O_DIRECTORY
    await expect(fs.read(dirFd, 10)).rejects.toMatchObject({ code: 'EISDIR' });
    await fs.close(dirFd);
    await expect(fs.open('/a', 'w')).rejects.toMatchObject({ code: 'EISDIR' });
    await expect(fs.readFile('/a')).rejects.toMatchObject({ code: 'EISDIR' });
    expect((await fs.readdir('/')).filter((n) => !n.startsWith('.'))).toEqual(['a']);
  });

  it('lists a directory bigger than one engine page', async () => {
    const h = await newHarness();
    const fs = new JuiceFS(h.vfs, h.ctx);
    await fs.mkdir('/big');
    const { ino: dir } = await fs.stat('/big');
    const names = Array.from({ length: 2345 }, (_, i) => `n${i}`);
    for (const n of names) await h.vfs.mknod(h.ctx, dir, n, 0o100644, 0);
    const listed = await fs.readdir('/big');
    expect(listed).toHaveLength(names.length);
    expect(new Set(listed)).toEqual(new Set(names));
  });

  it('symlinks are followed where POSIX follows them, ELOOP after 40', async () => {
    const fs = await newFs();
    await fs.mkdir('/d/e', { recursive: true });
    await fs.writeFile('/d/e/target', 'T');
    await fs.symlink('e/target', '/d/rel');
    await fs.symlink('/d/e', '/abs');
    expect((await fs.readFile('/d/rel')).toString()).toBe('T');
    expect((await fs.readFile('/abs/target')).toString()).toBe('T');
    expect((await fs.readFile('/abs/../e/target')).toString()).toBe('T');
    expect((await fs.lstat('/d/rel')).isSymbolicLink()).toBe(true);
    expect((await fs.stat('/d/rel')).isFile()).toBe(true);
    expect(await fs.readlink('/d/rel')).toBe('e/target');
    expect(await fs.realpath('/abs/../rel')).toBe('/d/e/target');
    await fs.symlink('loop2', '/loop1');
    await fs.symlink('loop1', '/loop2');
    await expect(fs.stat('/loop1')).rejects.toMatchObject({ code: 'ELOOP' });
    // A chain of exactly 40 links resolves; 41 do not.
    await fs.writeFile('/c0', 'end');
    for (let i = 1; i <= 41; i++) await fs.symlink(`c${i - 1}`, `/c${i}`);
    expect((await fs.readFile('/c40')).toString()).toBe('end');
    await expect(fs.readFile('/c41')).rejects.toMatchObject({ code: 'ELOOP' });
    await expect(fs.open('/d/rel', 'r', 0)).resolves.toBeGreaterThan(2);
    await expect(fs.open('/d/rel', 0o400000)).rejects.toMatchObject({ code: 'ELOOP' });
    await fs.writeFile('/d/rel', 'through the link');
    expect((await fs.readFile('/d/e/target')).toString()).toBe('through the link');
    await expect(fs.readFile('/d/e/target/')).rejects.toMatchObject({ code: 'ENOTDIR' });
    // O_CREAT through a dangling link creates its target; O_EXCL refuses the existing link.
    await fs.symlink('e/created-later', '/d/dangling');
    await fs.writeFile('/d/dangling', 'made');
    expect((await fs.readFile('/d/e/created-later')).toString()).toBe('made');
    await expect(fs.writeFile('/d/dangling', 'x', { flag: 'wx' })).rejects.toMatchObject({ code: 'EEXIST' });
  });

  it('chmod, chown, utimes, link and permission errors for other users', async () => {
    const h = await newHarness();
    const root = new JuiceFS(h.vfs, h.ctx);
    await root.writeFile('/f', 'data');
    await root.chmod('/f', 0o600);
    expect((await root.stat('/f')).mode & 0o7777).toBe(0o600);
    await root.chown('/f', 1000, -1);
    const st = await root.stat('/f');
    expect([st.uid, st.gid]).toEqual([1000, 0]);
    await root.utimes('/f', 1_700_000_000.5, new Date(1_600_000_000_250));
    const t = await root.stat('/f');
    expect(t.atimeNs).toBe(1_700_000_000_500_000_000n);
    expect(t.mtimeMs).toBe(1_600_000_000_250);
    await root.link('/f', '/g');
    expect((await root.stat('/g')).nlink).toBe(2);
    expect((await root.stat('/g')).ino).toBe((await root.stat('/f')).ino);

    const bob = new JuiceFS(h.vfs, context(2000, 2000));
    await expect(bob.readFile('/f')).rejects.toMatchObject({ code: 'EACCES' });
    await expect(bob.writeFile('/bob', 'x')).resolves.toBeUndefined();
    await root.mkdir('/locked', { mode: 0o700 });
    await expect(bob.writeFile('/locked/x', 'x')).rejects.toMatchObject({ code: 'EACCES' });
    await expect(bob.stat('/locked/x')).rejects.toMatchObject({ code: 'EACCES' });
    const alice = new JuiceFS(h.vfs, context(1000, 1000));
    expect((await alice.readFile('/f')).toString()).toBe('data');
  });

  it('a file unlinked or renamed while open stays usable through its descriptor', async () => {
    const fs = await newFs();
    const fd = await fs.open('/tmpfile', 'w+');
    await fs.write(fd, 'before');
    await fs.rename('/tmpfile', '/renamed');
    await fs.write(fd, '-after');
    await fs.unlink('/renamed');
    expect(await fs.exists('/renamed')).toBe(false);
    expect((await fs.read(fd, 100, 0)).toString()).toBe('before-after');
    await fs.close(fd);
  });

  it('rm removes trees, copyFile shares data without copying it', async () => {
    const h = await newHarness();
    const fs = new JuiceFS(h.vfs, h.ctx);
    await fs.mkdir('/tree/a/b', { recursive: true });
    await fs.writeFile('/tree/a/b/f', 'deep');
    await fs.symlink('/tree/a', '/tree/link');
    await expect(fs.rm('/tree')).rejects.toMatchObject({ code: 'EISDIR' });
    await fs.rm('/tree', { recursive: true });
    expect(await fs.exists('/tree')).toBe(false);
    await expect(fs.rm('/tree')).rejects.toMatchObject({ code: 'ENOENT' });
    await fs.rm('/tree', { force: true });

    const data = pattern(3 * BLOCK + 5, 9);
    await fs.writeFile('/orig', data, { mode: 0o640 });
    const puts = h.store.stats().objectPuts;
    await fs.copyFile('/orig', '/copy');
    expect(h.store.stats().objectPuts).toBe(puts);
    expectBytes(await fs.readFile('/copy'), data);
    expect((await fs.stat('/copy')).mode & 0o777).toBe(0o640);
    await expect(fs.copyFile('/orig', '/copy', { exclusive: true })).rejects.toMatchObject({ code: 'EEXIST' });
  });

  it('extended attributes by path, and the virtual files read like files', async () => {
    const fs = await newFs();
    await fs.writeFile('/x', '');
    await fs.symlink('x', '/x-link');
    await fs.setxattr('/x-link', 'user.color', 'blue');
    expect((await fs.getxattr('/x', 'user.color')).toString()).toBe('blue');
    expect(await fs.listxattr('/x')).toEqual(['user.color']);
    await expect(fs.setxattr('/x', 'user.color', 'red', 1)).rejects.toMatchObject({ code: 'EEXIST' });
    await fs.removexattr('/x', 'user.color');
    await expect(fs.getxattr('/x', 'user.color')).rejects.toMatchObject({ code: 'ENODATA' });

    const config = JSON.parse((await fs.readFile('/.config')).toString()) as { Format: { Name: string } };
    expect(config.Format.Name).toBe('vfs-test');
    expect((await fs.readFile('/.stats')).toString()).toMatch(/^juicefs_uptime [0-9.]+$/m);
    expect((await fs.stat('/.stats')).isFile()).toBe(true);
    await expect(fs.writeFile('/.stats', 'x')).rejects.toMatchObject({ code: 'EACCES' });
    await expect(fs.unlink('/.config')).rejects.toMatchObject({ code: 'EPERM' });
    await expect(fs.mkdir('/.accesslog')).rejects.toMatchObject({ code: 'EEXIST' });
  });

  it('O_TRUNC through the path API with another descriptor still open', async () => {
    const fs = await newFs();
    const a = await fs.open('/t', 'w+');
    await fs.write(a, 'long content');
    const b = await fs.open('/t', 'w');
    expect((await fs.fstat(a)).size).toBe(0);
    await fs.write(b, 'new');
    expect((await fs.read(a, 100, 0)).toString()).toBe('new');
    await fs.ftruncate(a, 1);
    expect((await fs.read(a, 100, 0)).toString()).toBe('n');
    await fs.closeAll();
    expect((await fs.readFile('/t')).toString()).toBe('n');
  });
});
