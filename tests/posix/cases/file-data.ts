import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { SuiteContext } from '../context.js';
import { errnoOf, openFile, patternBytes, py, shOk } from '../helpers.js';

// File contents: create, read, write at offsets, append, truncate, sparse files, a large file
// through sha256, concurrent writers, and an unlinked file still readable through its descriptor.

const MMAP_SCRIPT = `
import json, mmap, os, sys
p = sys.argv[1]
fd = os.open(p, os.O_RDWR)
m = mmap.mmap(fd, 8192, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
m[4098:4104] = b'mapped'
m.flush()
with open(p, 'rb') as f:
    f.seek(4096)
    via_read = f.read(10).decode()
os.pwrite(fd, b'written!', 100)
via_map = m[100:108].decode()
m.close()
os.close(fd)
print(json.dumps({'viaRead': via_read, 'viaMap': via_map, 'size': os.stat(p).st_size}))
`;

export function registerFileDataCases(ctx: SuiteContext): void {
  const { options } = ctx;

  ctx.test('create, read, overwrite in place, append and truncate', async () => {
    const d = await ctx.dir('data-basic');
    const f = path.join(d, 'f');
    await fs.writeFile(f, 'hello');
    await fs.appendFile(f, ' world');
    const afterAppend = await fs.readFile(f, 'utf8');
    const h = await openFile(f, 'r+');
    await h.write(Buffer.from('HELLO'), 0, 5, 0);
    await h.write(Buffer.from('!'), 0, 1, 11);
    const afterPwrite = (await fs.readFile(f)).toString('utf8');
    await h.truncate(5);
    const afterShrink = await fs.readFile(f, 'utf8');
    await h.truncate(8);
    const grown = await fs.readFile(f);
    await h.close();
    await fs.truncate(f, 0);
    const emptied = (await fs.stat(f)).size;
    const appendFd = await openFile(f, 'a');
    await appendFd.write('x');
    await appendFd.write('y');
    await appendFd.close();
    expect({
      afterAppend,
      afterPwrite,
      afterShrink,
      grown: grown.toString('hex'),
      emptied,
      appended: await fs.readFile(f, 'utf8'),
      exclusive: await errnoOf(() => openFile(f, 'wx')),
      size: (await fs.stat(f)).size,
    }).toEqual({
      afterAppend: 'hello world',
      afterPwrite: 'HELLO world!',
      afterShrink: 'HELLO',
      grown: Buffer.from('HELLO\0\0\0').toString('hex'),
      emptied: 0,
      appended: 'xy',
      exclusive: 'EEXIST',
      size: 2,
    });
  });

  ctx.test('sparse files: a write past the end and dd seek leave holes that read as zeros', async () => {
    const d = await ctx.dir('data-sparse');
    const f = path.join(d, 'sparse');
    const h = await openFile(f, 'w+');
    const far = 10 * 1024 * 1024 + 3;
    await h.write(Buffer.from('Z'), 0, 1, far);
    const hole = Buffer.alloc(1 << 20, 0xff);
    const { bytesRead } = await h.read(hole, 0, hole.length, 4 * 1024 * 1024);
    const tail = Buffer.alloc(8);
    const tailRead = await h.read(tail, 0, 8, far - 3);
    await h.close();
    await shOk(`dd if=/dev/zero of=dd-sparse bs=1 count=0 seek=5M status=none`, d);
    await shOk(`printf abc | dd of=dd-sparse bs=1 seek=7340032 conv=notrunc status=none`, d);
    const ddData = await fs.readFile(path.join(d, 'dd-sparse'));
    expect({
      size: (await fs.stat(f)).size,
      holeBytesRead: bytesRead,
      holeAllZero: hole.every((b) => b === 0),
      tail: tail.subarray(0, tailRead.bytesRead).toString('hex'),
      ddSize: ddData.length,
      ddZeros: ddData.subarray(0, 7340032).every((b) => b === 0),
      ddTail: ddData.subarray(7340032).toString(),
    }).toEqual({
      size: far + 1,
      holeBytesRead: 1 << 20,
      holeAllZero: true,
      tail: '0000005a',
      ddSize: 7340035,
      ddZeros: true,
      ddTail: 'abc',
    });
  });

  ctx.test(`a ${options.bigFileBytes}-byte file round-trips with the same sha256 (Node and sha256sum)`, async () => {
    const d = await ctx.dir('data-big');
    const f = path.join(d, 'big.bin');
    const block = 1024 * 1024;
    const want = createHash('sha256');
    const w = await openFile(f, 'w');
    for (let off = 0; off < options.bigFileBytes; off += block) {
      const buf = patternBytes(7, off, Math.min(block, options.bigFileBytes - off));
      want.update(buf);
      await w.write(buf, 0, buf.length, off);
    }
    await w.close();
    const got = createHash('sha256');
    const r = await openFile(f, 'r');
    const buf = Buffer.alloc(block);
    let total = 0;
    for (;;) {
      const { bytesRead } = await r.read(buf, 0, block, null);
      if (bytesRead === 0) break;
      got.update(buf.subarray(0, bytesRead));
      total += bytesRead;
    }
    await r.close();
    const expected = want.digest('hex');
    const tool = (await shOk(`sha256sum big.bin`, d, options.timeoutMs)).split(' ')[0];
    expect({ total, node: got.digest('hex'), sha256sum: tool }).toEqual({ total: options.bigFileBytes, node: expected, sha256sum: expected });
  }, Math.max(options.timeoutMs, options.bigFileBytes / 1024 / 1024 * 1000));

  ctx.test(`${options.concurrentWriters} concurrent writers to different files, plus 4 dd processes`, async () => {
    const d = await ctx.dir('data-concurrent');
    const size = 3 * 128 * 1024 + 17;
    const writers = Array.from({ length: options.concurrentWriters }, async (_, i) => {
      const h = await openFile(path.join(d, `w${i}`), 'w');
      for (let off = 0; off < size; off += 32 * 1024) {
        const piece = patternBytes(i, off, Math.min(32 * 1024, size - off));
        await h.write(piece, 0, piece.length, off);
      }
      await h.close();
    });
    const dds = [0, 1, 2, 3].map((i) => shOk(`dd if=/dev/urandom of=dd${i} bs=64k count=${8 + i} status=none`, d));
    await Promise.all([...writers, ...dds]);
    const mismatched: number[] = [];
    for (let i = 0; i < options.concurrentWriters; i++) {
      const back = await fs.readFile(path.join(d, `w${i}`));
      if (!back.equals(patternBytes(i, 0, size))) mismatched.push(i);
    }
    const ddSizes = await Promise.all([0, 1, 2, 3].map(async (i) => (await fs.stat(path.join(d, `dd${i}`))).size));
    expect({ mismatched, ddSizes, entries: (await fs.readdir(d)).length }).toEqual({
      mismatched: [],
      ddSizes: [8, 9, 10, 11].map((n) => n * 64 * 1024),
      entries: options.concurrentWriters + 4,
    });
  });

  ctx.test('an unlinked open file stays readable and writable through its descriptor', async () => {
    const d = await ctx.dir('data-unlink-open');
    const f = path.join(d, 'doomed');
    await fs.writeFile(f, 'still here');
    const h = await openFile(f, 'r+');
    await fs.unlink(f);
    const statAfter = await errnoOf(() => fs.stat(f));
    const listed = await fs.readdir(d);
    const buf = Buffer.alloc(32);
    const { bytesRead } = await h.read(buf, 0, 32, 0);
    await h.write(Buffer.from('!'), 0, 1, 10);
    const again = Buffer.alloc(32);
    const second = await h.read(again, 0, 32, 0);
    const fst = await h.stat();
    await h.close();
    expect({
      statAfter,
      listed,
      read: buf.subarray(0, bytesRead).toString(),
      afterWrite: again.subarray(0, second.bytesRead).toString(),
      nlink: fst.nlink,
      size: fst.size,
    }).toEqual({ statAfter: 'ENOENT', listed: [], read: 'still here', afterWrite: 'still here!', nlink: 0, size: 11 });
  });

  ctx.test('writes straddling the 4 MiB block and 64 MiB chunk boundaries read back; truncate zeroes what it cuts', async () => {
    const d = await ctx.dir('data-boundaries');
    const f = path.join(d, 'straddle');
    const MiB = 1024 * 1024;
    const h = await openFile(f, 'w+');
    const marks = [4 * MiB - 3, 64 * MiB - 5, 68 * MiB - 1];
    for (const [i, off] of marks.entries()) await h.write(Buffer.from(`<mark${i}>`), 0, 7, off);
    const seen: string[] = [];
    for (const off of marks) {
      const b = Buffer.alloc(9);
      const { bytesRead } = await h.read(b, 0, 9, off - 1);
      seen.push(b.subarray(0, bytesRead).toString('hex'));
    }
    // A patterned 5 MiB region, cut back into its second block and grown again.
    const body = patternBytes(3, 0, 5 * MiB);
    await h.write(body, 0, body.length, 0);
    await h.truncate(4 * MiB + 10);
    await h.truncate(6 * MiB);
    const back = Buffer.alloc(6 * MiB);
    const { bytesRead } = await h.read(back, 0, back.length, 0);
    await h.close();
    expect({
      seen,
      bytesRead,
      keptPrefix: back.subarray(0, 4 * MiB + 10).equals(body.subarray(0, 4 * MiB + 10)),
      zeroTail: back.subarray(4 * MiB + 10).every((x) => x === 0),
      size: (await fs.stat(f)).size,
    }).toEqual({
      seen: marks.map((_, i) => Buffer.concat([Buffer.alloc(1), Buffer.from(`<mark${i}>`), i === 2 ? Buffer.alloc(0) : Buffer.alloc(1)]).toString('hex')),
      bytesRead: 6 * MiB,
      keptPrefix: true,
      zeroTail: true,
      size: 6 * MiB,
    });
  }, Math.max(options.timeoutMs, 120_000));

  ctx.test('a shared mmap write is seen by read(2), and a write(2) by the mapping', async () => {
    const d = await ctx.dir('data-mmap');
    const f = path.join(d, 'mapped');
    await fs.writeFile(f, Buffer.alloc(8192, 0x2e));
    expect(await py<unknown>(MMAP_SCRIPT, [f])).toEqual({ viaRead: '..mapped..', viaMap: 'written!', size: 8192 });
  });
}
