import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isMountPoint, mount, type FuseMount } from '../src/index.js';
import { MemFsHandler } from './helpers/memfs-handler.js';
import { exec, sh } from './helpers/shell.js';

// A real mount of the in-memory handler through /dev/fuse, driven with Node's async fs and shell
// tools. Everything here must be async: this process serves the mount it is testing.

let tmp: string;
let mp: string;
let m: FuseMount | undefined;
const handler = new MemFsHandler();

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'jfs-fuse-'));
  mp = path.join(tmp, 'mnt');
  await fs.mkdir(mp);
  m = await mount(mp, handler, { fsname: 'memfs-test', subtype: 'memfs', log: () => {} });
});

afterAll(async () => {
  if (m !== undefined) await m.unmount().catch(() => m?.unmount({ lazy: true }));
  if (await isMountPoint(mp)) await sh(`umount -l ${mp}`);
  await fs.rm(tmp, { recursive: true, force: true });
});

test('the mount shows in /proc/self/mountinfo with our type and source', async () => {
  const info = await fs.readFile('/proc/self/mountinfo', 'utf8');
  const line = info.split('\n').find((l) => l.includes(` ${mp} `));
  expect(line).toContain(' - fuse.memfs memfs-test ');
  expect(m?.session.connection?.minor).toBeGreaterThanOrEqual(31);
});

test('write, cat, stat and append through the kernel', async () => {
  await fs.writeFile(path.join(mp, 'hello.txt'), 'hello world\n');
  expect(await fs.readFile(path.join(mp, 'hello.txt'), 'utf8')).toBe('hello world\n');
  const cat = await sh(`cat ${mp}/hello.txt`);
  expect(cat).toMatchObject({ code: 0, stdout: 'hello world\n' });
  await fs.appendFile(path.join(mp, 'hello.txt'), 'again\n');
  const st = await fs.stat(path.join(mp, 'hello.txt'));
  expect(st.size).toBe(18);
  expect(st.isFile()).toBe(true);
  await fs.writeFile(path.join(mp, 'hello.txt'), 'short');
  expect(await fs.readFile(path.join(mp, 'hello.txt'), 'utf8')).toBe('short');
});

test('a 3 MiB file crosses several 1 MiB writes and reads back intact', async () => {
  const data = Buffer.alloc(3 * 1024 * 1024 + 123);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 11)) & 0xff;
  await fs.writeFile(path.join(mp, 'big.bin'), data);
  const back = await fs.readFile(path.join(mp, 'big.bin'));
  expect(back.equals(data)).toBe(true);
  const sum = await sh(`cmp ${mp}/big.bin ${mp}/big.bin && wc -c < ${mp}/big.bin`);
  expect(sum.stdout.trim()).toBe(String(data.length));
});

test('mkdir, ls, rename, unlink and rmdir', async () => {
  await fs.mkdir(path.join(mp, 'd1'));
  await fs.writeFile(path.join(mp, 'd1', 'a'), 'A');
  await fs.writeFile(path.join(mp, 'd1', 'b'), 'B');
  expect((await fs.readdir(path.join(mp, 'd1'))).sort()).toEqual(['a', 'b']);
  const ls = await sh(`ls -la ${mp}/d1`);
  expect(ls.code).toBe(0);
  expect(ls.stdout).toMatch(/ a\n/);
  await fs.rename(path.join(mp, 'd1', 'a'), path.join(mp, 'd1', 'c'));
  expect((await fs.readdir(path.join(mp, 'd1'))).sort()).toEqual(['b', 'c']);
  expect(await fs.readFile(path.join(mp, 'd1', 'c'), 'utf8')).toBe('A');
  await expect(fs.rmdir(path.join(mp, 'd1'))).rejects.toMatchObject({ code: 'ENOTEMPTY' });
  await fs.unlink(path.join(mp, 'd1', 'b'));
  await fs.unlink(path.join(mp, 'd1', 'c'));
  await fs.rmdir(path.join(mp, 'd1'));
  await expect(fs.stat(path.join(mp, 'd1'))).rejects.toMatchObject({ code: 'ENOENT' });
});

test('a directory of 500 entries lists completely (several READDIR pages)', async () => {
  await fs.mkdir(path.join(mp, 'many'));
  const names = Array.from({ length: 500 }, (_, i) => `file-with-a-longish-name-${String(i).padStart(4, '0')}`);
  for (const n of names) await fs.writeFile(path.join(mp, 'many', n), '');
  expect((await fs.readdir(path.join(mp, 'many'))).sort()).toEqual(names);
  const ls = await sh(`ls ${mp}/many | wc -l`);
  expect(ls.stdout.trim()).toBe('500');
});

test('symlink, readlink, hard link and chmod', async () => {
  await fs.writeFile(path.join(mp, 'target'), 'T');
  await fs.symlink('target', path.join(mp, 'sl'));
  expect(await fs.readlink(path.join(mp, 'sl'))).toBe('target');
  expect(await fs.readFile(path.join(mp, 'sl'), 'utf8')).toBe('T');
  await fs.link(path.join(mp, 'target'), path.join(mp, 'hl'));
  expect((await fs.stat(path.join(mp, 'target'))).nlink).toBe(2);
  await fs.chmod(path.join(mp, 'target'), 0o640);
  expect((await fs.stat(path.join(mp, 'hl'))).mode & 0o7777).toBe(0o640);
  await fs.utimes(path.join(mp, 'target'), 1_000_000, 2_000_000);
  expect((await fs.stat(path.join(mp, 'target'))).mtimeMs).toBe(2_000_000_000);
});

test('xattrs: set, get, list, remove (python3 os.*xattr: Node has no xattr API)', async () => {
  await fs.writeFile(path.join(mp, 'x'), '');
  const py = (code: string): Promise<{ code: number; stdout: string; stderr: string }> =>
    exec('python3', ['-c', `import os, sys; p = sys.argv[1]; ${code}`, `${mp}/x`]);
  expect(await py("os.setxattr(p, 'user.color', b'blue')")).toMatchObject({ code: 0 });
  expect(await py("print(os.getxattr(p, 'user.color').decode())")).toMatchObject({ code: 0, stdout: 'blue\n' });
  expect(await py("print(sorted(os.listxattr(p)))")).toMatchObject({ code: 0, stdout: "['user.color']\n" });
  const create = await py("os.setxattr(p, 'user.color', b'red', os.XATTR_CREATE)");
  expect(create.stderr).toMatch(/File exists/);
  expect(await py("os.removexattr(p, 'user.color')")).toMatchObject({ code: 0 });
  const gone = await py("os.getxattr(p, 'user.color')");
  expect(gone.code).not.toBe(0);
  expect(gone.stderr).toMatch(/No data available/);
});

test('statfs answers df', async () => {
  const df = await sh(`df -B4096 ${mp} | tail -1`);
  expect(df.code).toBe(0);
  expect(df.stdout).toMatch(/^memfs-test\s+1048576\s+524288\s+524288/);
});

test('handler errors reach the caller as the same errno', async () => {
  await expect(fs.readFile(path.join(mp, 'nope'))).rejects.toMatchObject({ code: 'ENOENT' });
  await fs.mkdir(path.join(mp, 'dup'));
  await expect(fs.mkdir(path.join(mp, 'dup'))).rejects.toMatchObject({ code: 'EEXIST' });
  await expect(fs.unlink(path.join(mp, 'dup'))).rejects.toMatchObject({ code: 'EISDIR' });
});
