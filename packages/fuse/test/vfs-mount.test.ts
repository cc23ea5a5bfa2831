import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bdiPath, DEFAULT_READAHEAD_KIB, isMountPoint, mount, VfsFuseHandler, type FuseMount } from '../src/index.js';
import { exec, sh } from './helpers/shell.js';
import { memoryVfs } from './helpers/vfs-volume.js';

// The adapter end to end: a VFS over the in-memory Meta and ChunkStore, mounted through the
// kernel and driven with Node's async fs and shell tools.

let tmp: string;
let mp: string;
let m: FuseMount | undefined;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'jfs-fuse-vfs-'));
  mp = path.join(tmp, 'mnt');
  await fs.mkdir(mp);
  m = await mount(mp, new VfsFuseHandler(await memoryVfs()), { fsname: 'vfs-test', log: () => {} });
});

afterAll(async () => {
  if (m !== undefined) await m.unmount().catch(() => m?.unmount({ lazy: true }));
  if (await isMountPoint(mp)) await sh(`umount -l ${mp}`);
  await fs.rm(tmp, { recursive: true, force: true });
});

test('the root lists the virtual files and a new file reads back', async () => {
  expect((await fs.readdir(mp)).sort()).toEqual(expect.arrayContaining(['.accesslog', '.config', '.stats']));
  await fs.writeFile(path.join(mp, 'a.txt'), 'hello juicefs\n');
  expect(await fs.readFile(path.join(mp, 'a.txt'), 'utf8')).toBe('hello juicefs\n');
  expect(await sh(`cat ${mp}/a.txt`)).toMatchObject({ code: 0, stdout: 'hello juicefs\n' });
  const config = JSON.parse(await fs.readFile(path.join(mp, '.config'), 'utf8')) as { Format?: { Name?: string } };
  expect(config.Format?.Name).toBe('fuse-test');
});

test('cat .accesslog follows the log through quiet seconds and prints the operations that come', async () => {
  // cat stops at an empty read: the log must answer a quiet second with a "#" line instead.
  const cat = sh(`timeout 3 cat ${mp}/.accesslog`);
  await new Promise((r) => setTimeout(r, 1600));
  await fs.mkdir(path.join(mp, 'after-a-quiet-second'));
  const out = await cat;
  expect(out.code).toBe(124); // still reading when timeout stopped it
  expect(out.stdout.split('\n')).toContain('#');
  expect(out.stdout).toMatch(/\] mkdir \(1,after-a-quiet-second,/);
});

test('a 5 MiB file written in 1 MiB requests compares equal with cmp', async () => {
  const data = Buffer.alloc(5 * 1024 * 1024 + 17);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >>> 13)) & 0xff;
  await fs.writeFile(path.join(tmp, 'src.bin'), data);
  expect((await sh(`cp ${tmp}/src.bin ${mp}/big.bin && cmp ${tmp}/src.bin ${mp}/big.bin`)).code).toBe(0);
  expect((await fs.readFile(path.join(mp, 'big.bin'))).equals(data)).toBe(true);
  const st = await fs.stat(path.join(mp, 'big.bin'));
  expect(st.size).toBe(data.length);
  expect(st.blksize).toBe(65536);
});

test('names: mkdir -p, mv, ln, ln -s, rm -r', async () => {
  expect((await sh(`mkdir -p ${mp}/d/e/f && echo x > ${mp}/d/e/f/g && mv ${mp}/d/e ${mp}/d/e2 && cat ${mp}/d/e2/f/g`)).stdout).toBe('x\n');
  expect((await sh(`ln ${mp}/d/e2/f/g ${mp}/d/hard && stat -c %h ${mp}/d/hard`)).stdout).toBe('2\n');
  expect((await sh(`ln -s e2/f/g ${mp}/d/soft && readlink ${mp}/d/soft && cat ${mp}/d/soft`)).stdout).toBe('e2/f/g\nx\n');
  expect((await sh(`rm -r ${mp}/d && ls ${mp}/d`)).code).not.toBe(0);
});

test('attributes: chmod, truncate, utimes and errno pass-through', async () => {
  const f = path.join(mp, 'attrs');
  await fs.writeFile(f, '0123456789');
  await fs.chmod(f, 0o600);
  await fs.truncate(f, 4);
  await fs.utimes(f, 1_700_000_000, 1_700_000_001.5);
  const st = await fs.stat(f);
  expect([st.mode & 0o7777, st.size, st.mtimeMs]).toEqual([0o600, 4, 1_700_000_001_500]);
  await expect(fs.mkdir(path.join(mp, 'attrs'))).rejects.toMatchObject({ code: 'EEXIST' });
  await expect(fs.rmdir(path.join(mp, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  await expect(fs.writeFile(path.join(mp, '.stats'), 'x')).rejects.toMatchObject({ code: 'EACCES' });
});

test('xattrs and flock through python3', async () => {
  const f = `${mp}/locked`;
  await fs.writeFile(f, '');
  const script = [
    'import os, sys, fcntl',
    'p = sys.argv[1]',
    "os.setxattr(p, 'user.k', b'v1')",
    "print(os.getxattr(p, 'user.k').decode(), sorted(os.listxattr(p)))",
    "a = open(p, 'r+'); b = open(p, 'r+')",
    'fcntl.flock(a, fcntl.LOCK_EX)',
    'try:\n    fcntl.flock(b, fcntl.LOCK_EX | fcntl.LOCK_NB); print("no conflict")\nexcept BlockingIOError: print("conflict")',
    'fcntl.flock(a, fcntl.LOCK_UN); fcntl.flock(b, fcntl.LOCK_EX | fcntl.LOCK_NB); print("taken")',
    'fcntl.lockf(a, fcntl.LOCK_EX, 10, 0); print("posix lock")',
  ].join('\n');
  const r = await exec('python3', ['-c', script, f]);
  expect(r).toMatchObject({ code: 0, stdout: "v1 ['user.k']\nconflict\ntaken\nposix lock\n" });
});

test('df reports the volume', async () => {
  const df = await sh(`df -P ${mp} | tail -1`);
  expect(df.stdout).toMatch(/^vfs-test\s+\d+/);
});

test('chattr +i / lsattr go through IOCTL and set the node flag', async () => {
  const f = `${mp}/frozen`;
  await fs.writeFile(f, 'ice');
  expect(await sh(`chattr +i ${f}`)).toMatchObject({ code: 0 });
  expect((await sh(`lsattr ${f}`)).stdout).toMatch(/^-*i-* /);
  expect(await sh(`chattr -i ${f}`)).toMatchObject({ code: 0 });
  expect((await sh(`lsattr ${f}`)).stdout).toMatch(/^-+ /);
  await fs.writeFile(f, 'melt');
  expect(await fs.readFile(f, 'utf8')).toBe('melt');
});

test('the mount gets an 8 MiB kernel readahead window (sysfs bdi), so sequential reads arrive in large requests', async () => {
  const st = await fs.stat(mp);
  const kib = (await fs.readFile(`${bdiPath(st.dev)}/read_ahead_kb`, 'utf8')).trim();
  expect(kib).toBe(String(DEFAULT_READAHEAD_KIB));
  expect(DEFAULT_READAHEAD_KIB).toBe(8192);
});

test('security.capability is ENODATA and cannot be set without enableCap (no metadata round trip before each write)', async () => {
  const f = `${mp}/capfile`;
  await fs.writeFile(f, 'x');
  const py = [
    'import os, errno, sys',
    // a well-formed vfs_cap_data v2 (the kernel checks the value before passing it on): cap_net_bind_service
    'CAP = bytes([0, 0, 0, 2, 0, 4, 0, 0]) + bytes(12)',
    'def code(fn):',
    '    try:',
    '        fn(); return "ok"',
    '    except OSError as e:',
    '        return errno.errorcode[e.errno]',
    `print(code(lambda: os.getxattr(sys.argv[1], "security.capability")), code(lambda: os.setxattr(sys.argv[1], "security.capability", CAP)), code(lambda: os.setxattr(sys.argv[1], "user.k", b"v")))`,
  ].join('\n');
  await fs.writeFile(path.join(tmp, 'cap.py'), py);
  const r = await sh(`python3 ${tmp}/cap.py ${f}`);
  // Python names errno 95 (EOPNOTSUPP on Linux) ENOTSUP.
  expect(r.stdout.trim()).toBe('ENODATA ENOTSUP ok');
});
