import fs from 'node:fs/promises';
import path from 'node:path';
import type { SuiteContext } from '../context.js';
import { openFile, py } from '../helpers.js';

// Open descriptors against a changing namespace, after go-fuse's posixtest: fstat of replaced and
// deleted files, parallel opens, directories renamed while open (and openat through them),
// readdir seeing creates, descriptor leaks, fallocate, O_DIRECT and copy_file_range.

const OPENAT_SCRIPT = `
import json, os, sys
d = sys.argv[1]
os.mkdir(os.path.join(d, 'dir1'))
dirfd = os.open(os.path.join(d, 'dir1'), os.O_RDONLY)
os.rename(os.path.join(d, 'dir1'), os.path.join(d, 'dir2'))
fd = os.open('file1', os.O_CREAT | os.O_WRONLY, 0o700, dir_fd=dirfd)
os.write(fd, b'via dirfd')
os.close(fd)
st = os.fstat(dirfd)
os.close(dirfd)
print(json.dumps({'listed': os.listdir(os.path.join(d, 'dir2')), 'dirfdIsDir': (st.st_mode & 0o170000) == 0o040000,
  'content': open(os.path.join(d, 'dir2', 'file1')).read()}))
`;

const FALLOCATE_DIRECT_COPY_SCRIPT = `
import errno, json, mmap, os, sys
d, part = sys.argv[1], sys.argv[2]
out = {}
if part == 'fallocate':
    p = os.path.join(d, 'falloc')
    fd = os.open(p, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
    os.posix_fallocate(fd, 1024, 4096)
    os.close(fd)
    out['fallocSize'] = os.stat(p).st_size
    out['fallocZeros'] = open(p, 'rb').read() == bytes(5120)
if part == 'direct':
    p = os.path.join(d, 'direct')
    buf = mmap.mmap(-1, 12288)
    buf.write(b'bye' * 4096)
    try:
        fd = os.open(p, os.O_CREAT | os.O_WRONLY | os.O_TRUNC | os.O_DIRECT, 0o644)
        out['directWrite'] = os.write(fd, buf)
        os.close(fd)
        fd = os.open(p, os.O_RDONLY | os.O_DIRECT)
        back = mmap.mmap(-1, 12288)
        out['directRead'] = os.readv(fd, [back])
        os.close(fd)
        out['directSame'] = back[:] == buf[:]
    except OSError as e:
        out['directError'] = errno.errorcode[e.errno]
if part == 'copy_file_range':
    src, dst = os.path.join(d, 'cfr-src'), os.path.join(d, 'cfr-dst')
    with open(src, 'wb') as f: f.write(bytes(range(256)) * 1024)
    with open(dst, 'wb') as f: f.write(b'D' * 100)
    s, t = os.open(src, os.O_RDONLY), os.open(dst, os.O_WRONLY)
    copied = 0
    while copied < 65536:
        n = os.copy_file_range(s, t, 65536 - copied, 1000 + copied, 50 + copied)
        if n == 0: break
        copied += n
    os.close(s); os.close(t)
    data = open(dst, 'rb').read()
    out['cfrCopied'] = copied
    out['cfrSize'] = len(data)
    out['cfrHead'] = data[:50] == b'D' * 50
    out['cfrBody'] = data[50:] == (bytes(range(256)) * 1024)[1000:1000 + 65536]
print(json.dumps(out))
`;

export function registerHandleCases(ctx: SuiteContext): void {
  ctx.test('fstat of a file replaced by rename and of unlinked files: nlink 0, other fields unchanged', async () => {
    const d = await ctx.dir('handles-fstat');
    await fs.writeFile(path.join(d, 'src'), 'source');
    await fs.writeFile(path.join(d, 'dst'), 'dst');
    const h = await openFile(path.join(d, 'dst'), 'r');
    const before = await h.stat();
    await fs.rename(path.join(d, 'src'), path.join(d, 'dst'));
    const after = await h.stat();
    await h.close();
    const mismatches: string[] = [];
    for (let i = 0; i < 10; i++) {
      const p = path.join(d, `f${i}`);
      await fs.writeFile(p, Buffer.alloc(i, 0x61));
      const st = await fs.stat(p);
      const fh = await openFile(p, 'r');
      await fs.unlink(p);
      const fst = await fh.stat();
      await fh.close();
      for (const k of ['ino', 'size', 'mode', 'uid', 'gid', 'mtimeMs'] as const) if (st[k] !== fst[k]) mismatches.push(`f${i}.${k}`);
      if (fst.nlink !== 0) mismatches.push(`f${i}.nlink=${fst.nlink}`);
    }
    expect({ nlinkBefore: before.nlink, nlinkAfter: after.nlink, sizeAfter: after.size, inoKept: after.ino === before.ino, mismatches }).toEqual({
      nlinkBefore: 1,
      nlinkAfter: 0,
      sizeAfter: 3,
      inoKept: true,
      mismatches: [],
    });
  });

  ctx.test('ten parallel opens of one file each write their byte; O_APPEND from two descriptors interleaves', async () => {
    const d = await ctx.dir('handles-parallel');
    const f = path.join(d, 'file');
    await fs.writeFile(f, 'content...');
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const h = await openFile(f, 'r+');
        await h.read(Buffer.alloc(10), 0, 10, 0);
        await h.write(Buffer.from([0x30 + i]), 0, 1, i);
        await h.close();
      }),
    );
    const a1 = await openFile(path.join(d, 'log'), 'a');
    const a2 = await openFile(path.join(d, 'log'), 'a');
    for (let i = 0; i < 5; i++) {
      await a1.write(`a${i}`);
      await a2.write(`b${i}`);
    }
    await a1.close();
    await a2.close();
    expect({ file: await fs.readFile(f, 'utf8'), log: await fs.readFile(path.join(d, 'log'), 'utf8') }).toEqual({
      file: '0123456789',
      log: 'a0b0a1b1a2b2a3b3a4b4',
    });
  });

  ctx.test('a directory renamed over another while open keeps its inode, type and mode (fstat)', async () => {
    const d = await ctx.dir('handles-opendir');
    await fs.mkdir(path.join(d, 'dir1'), { mode: 0o755 });
    await fs.mkdir(path.join(d, 'dir2'), { mode: 0o700 });
    const st1 = await fs.stat(path.join(d, 'dir2'));
    const h = await openFile(path.join(d, 'dir2'), 'r');
    await fs.rename(path.join(d, 'dir1'), path.join(d, 'dir2'));
    const st2 = await h.stat();
    await h.close();
    expect({ isDir: st2.isDirectory(), sameIno: st2.ino === st1.ino, perm: st2.mode & 0o777, nlink: st2.nlink }).toEqual({
      isDir: true,
      sameIno: true,
      perm: 0o700,
      nlink: 0,
    });
  });

  ctx.test('openat through a directory descriptor still works after the directory is renamed', async () => {
    const o = await ctx.dir('handles-openat');
    expect(await py<unknown>(OPENAT_SCRIPT, [o])).toEqual({ listed: ['file1'], dirfdIsDir: true, content: 'via dirfd' });
  });

  ctx.test('readdir sees each file right after it is created, and one created after opendir', async () => {
    const d = await ctx.dir('handles-readdir-create');
    const wrong: string[] = [];
    for (let i = 0; i < 110; i++) {
      await fs.writeFile(path.join(d, `file${i.toString(16).padStart(36, '0')}`), 'hello');
      const names = await fs.readdir(d);
      if (names.length !== i + 1) wrong.push(`after ${i + 1} creates: ${names.length} entries`);
    }
    const late = await ctx.dir('handles-readdir-late');
    const dir = await fs.opendir(late);
    await fs.writeFile(path.join(late, 'file'), Buffer.from([42]));
    const seen: string[] = [];
    for await (const e of dir) seen.push(e.name);
    expect({ wrong, seen }).toEqual({ wrong: [], seen: ['file'] });
  });

  ctx.test('reading a file 100 times leaves no descriptors open', async () => {
    const d = await ctx.dir('handles-fdleak');
    const f = path.join(d, 'file');
    await fs.writeFile(f, 'hello world');
    const before = (await fs.readdir('/proc/self/fd')).length;
    const reads = new Set<string>();
    for (let i = 0; i < 100; i++) reads.add(await fs.readFile(f, 'utf8'));
    const after = (await fs.readdir('/proc/self/fd')).length;
    expect({ reads: [...reads], leaked: after - before <= 0 }).toEqual({ reads: ['hello world'], leaked: true });
  });

  ctx.test('fallocate extends a file with zeros', async () => {
    const d = await ctx.dir('handles-fallocate');
    expect(await py<unknown>(FALLOCATE_DIRECT_COPY_SCRIPT, [d, 'fallocate'])).toEqual({ fallocSize: 5120, fallocZeros: true });
  });

  ctx.test('O_DIRECT writes and reads back page-aligned buffers', async () => {
    const d = await ctx.dir('handles-direct');
    expect(await py<unknown>(FALLOCATE_DIRECT_COPY_SCRIPT, [d, 'direct'])).toEqual({ directWrite: 12288, directRead: 12288, directSame: true });
  });

  ctx.test('copy_file_range copies a range between offsets of two files', async () => {
    const d = await ctx.dir('handles-copy-file-range');
    expect(await py<unknown>(FALLOCATE_DIRECT_COPY_SCRIPT, [d, 'copy_file_range'])).toEqual({
      cfrCopied: 65536,
      cfrSize: 50 + 65536,
      cfrHead: true,
      cfrBody: true,
    });
  });
}
