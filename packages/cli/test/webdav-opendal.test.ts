// The WebDAV server driven by a real WebDAV client: OpenDAL's webdav service (the Rust client
// the chunk store already uses for object storage), with Basic auth. What it writes is read back
// through a second opening of the volume, and what the path API writes is read through OpenDAL.
import { Operator } from 'opendal';
import { pattern } from './tools-volume.js';
import { davVolume } from './support/webdav-volume.js';

const v = davVolume('jfs-webdav-opendal-');
let op: Operator;
let url: string;

beforeAll(async () => {
  const s = await v.serve({ username: 'dave', password: 'pa55' });
  url = s.url;
  await v.other.fs.mkdir('/od');
  op = new Operator('webdav', { endpoint: s.url, root: '/od/', username: 'dave', password: 'pa55' });
});

test('write and read back, whole and by range; stat gives size and type', async () => {
  const data = pattern(3 * 1024 * 1024 + 17, 5);
  await op.write('big.bin', data);
  expect(Buffer.compare(await v.other.fs.readFile('/od/big.bin'), data)).toBe(0);
  expect(Buffer.compare(await op.read('big.bin'), data)).toBe(0);
  const part = await op.read('big.bin', { offset: 1_000_000n, size: 4096n });
  expect(Buffer.compare(part, data.subarray(1_000_000, 1_004_096))).toBe(0);
  const st = await op.stat('big.bin');
  expect(st.isFile()).toBe(true);
  expect(st.contentLength).toBe(BigInt(data.length));
  expect(st.etag).toMatch(/^"[0-9a-f]+"$/);
});

test('files the path API wrote are read through OpenDAL', async () => {
  await v.other.fs.writeFile('/od/native.txt', 'written natively');
  expect((await op.read('native.txt')).toString()).toBe('written natively');
});

test('createDir and list: entries with their kinds', async () => {
  await op.createDir('dir/sub/');
  await op.write('dir/a.txt', 'a');
  await op.write('dir/sub/b.txt', 'bb');
  expect((await v.other.fs.stat('/od/dir/sub')).isDirectory()).toBe(true);
  const entries = await op.list('dir/');
  const names = entries.map((e) => e.path()).sort();
  expect(names).toEqual(expect.arrayContaining(['dir/a.txt', 'dir/sub/']));
  expect(entries.find((e) => e.path() === 'dir/sub/')?.metadata().isDirectory()).toBe(true);
  const all = (await op.list('dir/', { recursive: true })).map((e) => e.path());
  expect(all).toEqual(expect.arrayContaining(['dir/a.txt', 'dir/sub/b.txt']));
});

test('rename and copy (MOVE and COPY), over existing files too', async () => {
  await op.write('r-src.txt', 'renamed');
  await op.rename('r-src.txt', 'r-dst.txt');
  expect(await v.other.fs.exists('/od/r-src.txt')).toBe(false);
  expect((await v.other.fs.readFile('/od/r-dst.txt')).toString()).toBe('renamed');
  await op.write('c-dst.txt', 'old');
  await op.copy('r-dst.txt', 'c-dst.txt');
  expect((await v.other.fs.readFile('/od/c-dst.txt')).toString()).toBe('renamed');
  expect((await v.other.fs.readFile('/od/r-dst.txt')).toString()).toBe('renamed');
});

test('delete a file and removeAll a tree', async () => {
  await op.write('gone.txt', 'x');
  await op.delete('gone.txt');
  expect(await v.other.fs.exists('/od/gone.txt')).toBe(false);
  expect(await op.exists('gone.txt')).toBe(false);
  await op.removeAll('dir/');
  expect(await v.other.fs.exists('/od/dir')).toBe(false);
});

test('wrong credentials fail, and change nothing', async () => {
  const bad = new Operator('webdav', { endpoint: url, root: '/od/', username: 'dave', password: 'wrong' });
  await expect(bad.read('native.txt')).rejects.toThrow();
  await expect(bad.write('intruder.txt', 'x')).rejects.toThrow();
  expect(await v.other.fs.exists('/od/intruder.txt')).toBe(false);
});
