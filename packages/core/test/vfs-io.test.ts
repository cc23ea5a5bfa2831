import { CHUNK_SIZE, O_APPEND, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, ROOT_INODE } from '../src/index.js';
import fc from 'fast-check';
import { BLOCK, createFile, expectBytes, FileModel, newHarness, pattern } from './vfs-harness.js';

describe('VFS reads and writes', () => {
  it('reads back a sequential write in several calls, after close and reopen', async () => {
    const h = await newHarness();
    const { ino, fh } = await createFile(h, 'seq');
    const data = pattern(5 * BLOCK + 123);
    for (let off = 0; off < data.length; off += 1000) {
      expect(await h.vfs.write(h.ctx, ino, fh, off, data.subarray(off, off + 1000))).toBe(Math.min(1000, data.length - off));
    }
    await h.vfs.flush(h.ctx, ino, fh);
    await h.vfs.release(h.ctx, ino, fh);
    const r = await h.vfs.open(h.ctx, ino, O_RDONLY);
    expect(r.attr.length).toBe(data.length);
    expectBytes(await h.vfs.read(h.ctx, ino, r.fh, 0, data.length + 100), data);
    expectBytes(await h.vfs.read(h.ctx, ino, r.fh, 3 * BLOCK - 7, 20), data.subarray(3 * BLOCK - 7, 3 * BLOCK + 13));
    expect((await h.vfs.read(h.ctx, ino, r.fh, data.length, 10)).length).toBe(0);
    await h.vfs.release(h.ctx, ino, r.fh);
    // Blocks went to the store named <id>_<index>_<size>, the last one short.
    const sizes = [...h.store.blocks.keys()].map((k) => Number(k.split('_')[2]));
    expect(sizes.filter((s) => s === BLOCK)).toHaveLength(5);
    expect(sizes).toContain(123);
  });

  it('sees its own unflushed writes (read-your-writes) and reports their length', async () => {
    const h = await newHarness();
    const { ino, fh } = await createFile(h, 'ryw');
    await h.vfs.write(h.ctx, ino, fh, 0, Buffer.from('hello world'));
    expect((await h.vfs.getattr(h.ctx, ino)).attr.length).toBe(11);
    const other = await h.vfs.open(h.ctx, ino, O_RDONLY);
    expect((await h.vfs.read(h.ctx, ino, other.fh, 6, 100)).toString()).toBe('world');
    await h.vfs.write(h.ctx, ino, fh, 0, Buffer.from('HELLO'));
    expect((await h.vfs.read(h.ctx, ino, fh, 0, 100)).toString()).toBe('HELLO world');
  });

  it('with a long attribute cache, the length stays right across flushes and truncates', async () => {
    const h = await newHarness({ attrCache: 3600, entryCache: 3600, dirEntryCache: 3600 });
    const { ino, fh } = await createFile(h, 'cached-len');
    expect((await h.vfs.getattr(h.ctx, ino)).attr.length).toBe(0);
    await h.vfs.write(h.ctx, ino, fh, 0, Buffer.alloc(10, 1));
    expect((await h.vfs.getattr(h.ctx, ino)).attr.length).toBe(10);
    await h.vfs.flush(h.ctx, ino, fh);
    expect((await h.vfs.getattr(h.ctx, ino)).attr.length).toBe(10);
    expect((await h.vfs.lookup(h.ctx, ROOT_INODE, 'cached-len')).attr.length).toBe(10);
    await h.vfs.write(h.ctx, ino, fh, 10, Buffer.alloc(5, 2));
    await h.vfs.release(h.ctx, ino, fh);
    expect((await h.vfs.getattr(h.ctx, ino)).attr.length).toBe(15);
    await h.vfs.setattr(h.ctx, ino, { size: 3 });
    expect((await h.vfs.getattr(h.ctx, ino)).attr.length).toBe(3);
  });

  it('closing a handle that only read keeps the cached attributes; closing one that wrote drops them', async () => {
    const h = await newHarness({ attrCache: 3600, entryCache: 3600, dirEntryCache: 3600 });
    const engineGetattrs = (): number => h.vfs.metrics.metaOpsByName.get('getAttr')?.total ?? 0;
    const { ino, fh } = await createFile(h, 'read-then-stat');
    await h.vfs.write(h.ctx, ino, fh, 0, Buffer.from('twelve bytes'));
    await h.vfs.release(h.ctx, ino, fh);
    // A writer's close: the next stat asks the engine, and sees the length the close committed.
    let before = engineGetattrs();
    expect((await h.vfs.getattr(h.ctx, ino)).attr.length).toBe(12);
    expect(engineGetattrs()).toBe(before + 1);
    // A reader's close (cat, then ls -l): the attributes the open fetched still answer.
    const r = await h.vfs.open(h.ctx, ino, O_RDONLY);
    expect((await h.vfs.read(h.ctx, ino, r.fh, 0, 100)).toString()).toBe('twelve bytes');
    await h.vfs.release(h.ctx, ino, r.fh);
    before = engineGetattrs();
    expect((await h.vfs.getattr(h.ctx, ino)).attr.length).toBe(12);
    expect(engineGetattrs()).toBe(before);
    // The last close of an unlinked file removes the node: nothing cached answers for it.
    const gone = await h.vfs.open(h.ctx, ino, O_RDONLY);
    await h.vfs.unlink(h.ctx, ROOT_INODE, 'read-then-stat');
    expect((await h.vfs.getattr(h.ctx, ino)).attr.nlink).toBe(0); // fstat of the open file: cached again
    await h.vfs.release(h.ctx, ino, gone.fh);
    await expect(h.vfs.getattr(h.ctx, ino)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('rewrites of bytes still buffered go into their slice, as JuiceFS does: one slice, not one per write', async () => {
    const h = await newHarness();
    const { ino, fh } = await createFile(h, 'rewrites');
    const want = pattern(3000, 7);
    await h.vfs.write(h.ctx, ino, fh, 0, want);
    // A database file's pages rewritten again and again, and a write that extends the slice.
    for (let i = 0; i < 50; i++) {
      const at = (i * 97) % 2900;
      const bytes = pattern(100, i + 10);
      await h.vfs.write(h.ctx, ino, fh, at, bytes);
      bytes.copy(want, at);
    }
    const tail = pattern(500, 99);
    await h.vfs.write(h.ctx, ino, fh, 2800, tail);
    const all = Buffer.concat([want.subarray(0, 2800), tail]);
    await h.vfs.flush(h.ctx, ino, fh);
    expect(await h.meta.readChunk(h.ctx, ino, 0)).toHaveLength(1);
    expect((await h.vfs.getattr(h.ctx, ino)).attr.length).toBe(3300);
    expectBytes(await h.vfs.read(h.ctx, ino, fh, 0, 4000), all);
  });

  it('a write never goes under a newer slice it overlaps, nor into bytes already sealed for upload', async () => {
    const h = await newHarness();
    const { ino, fh } = await createFile(h, 'layers');
    const want = Buffer.alloc(300);
    const put = async (at: number, bytes: Buffer): Promise<void> => {
      await h.vfs.write(h.ctx, ino, fh, at, bytes);
      bytes.copy(want, at);
    };
    await put(0, pattern(100, 1)); // slice 1: [0, 100)
    await put(200, pattern(100, 2)); // slice 2: [200, 300), not contiguous with slice 1
    await put(60, pattern(30, 3)); // inside slice 1, clear of slice 2: into slice 1
    await put(90, pattern(120, 4)); // would extend slice 1 under slice 2: a slice of its own
    await h.vfs.flush(h.ctx, ino, fh);
    expect(await h.meta.readChunk(h.ctx, ino, 0)).toHaveLength(3);
    expectBytes(await h.vfs.read(h.ctx, ino, fh, 0, 300), want);

    // Past a whole block the slice's first block is sealed: a rewrite there takes a new slice.
    const { ino: big, fh: bigFh } = await createFile(h, 'sealed');
    const bytes = pattern(BLOCK + 500, 5);
    await h.vfs.write(h.ctx, big, bigFh, 0, bytes);
    const patch = pattern(10, 6);
    await h.vfs.write(h.ctx, big, bigFh, 100, patch);
    await h.vfs.write(h.ctx, big, bigFh, BLOCK + 10, patch); // unsealed part: same slice
    patch.copy(bytes, 100);
    patch.copy(bytes, BLOCK + 10);
    await h.vfs.flush(h.ctx, big, bigFh);
    expect(await h.meta.readChunk(h.ctx, big, 0)).toHaveLength(2);
    expectBytes(await h.vfs.read(h.ctx, big, bigFh, 0, 2 * BLOCK), bytes);
  });

  it('commits an idle open file in the background, and close() commits the rest', async () => {
    const h = await newHarness({ flushDelay: 0.05 });
    const { ino, fh } = await createFile(h, 'idle');
    await h.vfs.write(h.ctx, ino, fh, 0, Buffer.from('background'));
    // Wait (not a timing assertion): the slice must reach the engine without any flush call.
    for (let i = 0; i < 250 && (await h.meta.readChunk(h.ctx, ino, 0)).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await h.meta.readChunk(h.ctx, ino, 0)).toHaveLength(1);
    expect((await h.meta.getAttr(h.ctx, ino)).length).toBe(10);

    const quiet = await newHarness({ flushDelay: 0 });
    const f = await createFile(quiet, 'held');
    await quiet.vfs.write(quiet.ctx, f.ino, f.fh, 0, Buffer.from('held'));
    expect(await quiet.meta.readChunk(quiet.ctx, f.ino, 0)).toHaveLength(0);
    await quiet.vfs.close();
    expect((await quiet.meta.getAttr(quiet.ctx, f.ino)).length).toBe(4);
    await h.vfs.close();
  });

  it('a committed write sets mtime to when the data was written, not when it was flushed', async () => {
    const h = await newHarness({ flushDelay: 0 });
    const { ino, fh } = await createFile(h, 'mtime');
    await h.vfs.write(h.ctx, ino, fh, 0, Buffer.from('x'));
    const afterWrite = Date.now();
    await new Promise((r) => setTimeout(r, 30));
    await h.vfs.flush(h.ctx, ino, fh);
    const attr = await h.meta.getAttr(h.ctx, ino);
    expect(attr.mtime * 1000 + attr.mtimensec / 1e6).toBeLessThan(afterWrite + 1); // nowTimespec adds sub-millisecond digits
  });

  it('an mtime set while writes are buffered is not overwritten by their later commit', async () => {
    const h = await newHarness({ flushDelay: 0 });
    const { ino, fh } = await createFile(h, 'touched');
    await h.vfs.write(h.ctx, ino, fh, 0, Buffer.from('data'));
    await h.vfs.setattr(h.ctx, ino, { mtime: { sec: 1_000_000_000, nsec: 5 } });
    await h.vfs.write(h.ctx, ino, fh, 4, Buffer.alloc(0));
    await h.vfs.release(h.ctx, ino, fh);
    const attr = await h.meta.getAttr(h.ctx, ino);
    expect([attr.mtime, attr.mtimensec, attr.length]).toEqual([1_000_000_000, 5, 4]);
  });

  it('concurrent overlapping writes and reads from several handles apply in call order', async () => {
    const h = await newHarness({ flushDelay: 0 });
    const { ino, fh } = await createFile(h, 'concurrent');
    const other = await h.vfs.open(h.ctx, ino, O_RDWR);
    const model = new FileModel();
    const calls: Array<Promise<unknown>> = [];
    for (let i = 0; i < 60; i++) {
      const off = (i * 1237) % (4 * BLOCK);
      const data = pattern(500 + ((i * 97) % 3000), i + 1);
      model.write(off, data);
      calls.push(h.vfs.write(h.ctx, ino, i % 2 ? fh : other.fh, off, data));
      if (i % 7 === 0) calls.push(h.vfs.flush(h.ctx, ino, fh));
      if (i % 5 === 0) {
        const snapshot = Buffer.from(model.data);
        calls.push(h.vfs.read(h.ctx, ino, other.fh, 0, 8 * BLOCK).then((got) => expectBytes(got, snapshot)));
      }
    }
    await Promise.all(calls);
    expectBytes(await h.vfs.read(h.ctx, ino, fh, 0, 8 * BLOCK), model.data);
  });

  it('overlapping writes: the later one wins, also within one buffered slice', async () => {
    const h = await newHarness();
    const { ino, fh } = await createFile(h, 'over');
    await h.vfs.write(h.ctx, ino, fh, 0, Buffer.alloc(100, 'a'));
    await h.vfs.write(h.ctx, ino, fh, 50, Buffer.alloc(60, 'b')); // not contiguous: new slice
    await h.vfs.write(h.ctx, ino, fh, 100, Buffer.alloc(20, 'c')); // contiguous with the first slice's end, must still win over 'b'
    await h.vfs.write(h.ctx, ino, fh, 10, Buffer.alloc(5, 'd'));
    const expected = Buffer.concat([Buffer.alloc(10, 'a'), Buffer.alloc(5, 'd'), Buffer.alloc(35, 'a'), Buffer.alloc(50, 'b'), Buffer.alloc(20, 'c')]);
    await h.vfs.flush(h.ctx, ino, fh);
    expectBytes(await h.vfs.read(h.ctx, ino, fh, 0, 1000), expected);
  });

  it('sparse files read zeros in holes, including a hole past the last write after truncate', async () => {
    const h = await newHarness();
    const { ino, fh } = await createFile(h, 'sparse');
    await h.vfs.write(h.ctx, ino, fh, 3 * BLOCK + 5, Buffer.from('xyz'));
    const got = await h.vfs.read(h.ctx, ino, fh, 0, 4 * BLOCK);
    expect(got.length).toBe(3 * BLOCK + 8);
    expect(got.subarray(0, 3 * BLOCK + 5).every((b) => b === 0)).toBe(true);
    expect(got.subarray(3 * BLOCK + 5).toString()).toBe('xyz');
    await h.vfs.setattr(h.ctx, ino, { size: 10 * BLOCK }, fh);
    const tail = await h.vfs.read(h.ctx, ino, fh, 3 * BLOCK, 7 * BLOCK);
    expect(tail.length).toBe(7 * BLOCK);
    expect(tail.subarray(5, 8).toString()).toBe('xyz');
    expect(tail.subarray(8).every((b) => b === 0)).toBe(true);
  });

  it('writes across a 64 MiB chunk boundary as two slices and reads them back', async () => {
    const h = await newHarness();
    const { ino, fh } = await createFile(h, 'boundary');
    const data = pattern(3 * BLOCK, 7);
    const at = CHUNK_SIZE - BLOCK - 11;
    await h.vfs.write(h.ctx, ino, fh, at, data);
    await h.vfs.fsync(h.ctx, ino, fh);
    const c0 = await h.meta.readChunk(h.ctx, ino, 0);
    const c1 = await h.meta.readChunk(h.ctx, ino, 1);
    expect(c0).toHaveLength(1);
    expect(c1).toHaveLength(1);
    expect(c0[0]!.pos + c0[0]!.len).toBe(CHUNK_SIZE);
    expect(c1[0]!.pos).toBe(0);
    expect(c0[0]!.len + c1[0]!.len).toBe(data.length);
    expectBytes(await h.vfs.read(h.ctx, ino, fh, at, data.length), data);
    expect((await h.vfs.getattr(h.ctx, ino)).attr.length).toBe(at + data.length);
  });

  it('random writes and reads agree with a byte model', async () => {
    const h = await newHarness();
    const { ino, fh } = await createFile(h, 'random');
    const model = new FileModel();
    const op = fc.oneof(
      fc.record({ kind: fc.constant('write' as const), off: fc.integer({ min: 0, max: 6 * BLOCK }), len: fc.integer({ min: 1, max: 2 * BLOCK }), seed: fc.integer({ min: 1, max: 1e6 }) }),
      fc.record({ kind: fc.constant('read' as const), off: fc.integer({ min: 0, max: 8 * BLOCK }), len: fc.integer({ min: 1, max: 3 * BLOCK }) }),
      fc.record({ kind: fc.constant('flush' as const) }),
      fc.record({ kind: fc.constant('truncate' as const), len: fc.integer({ min: 0, max: 7 * BLOCK }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
        await h.vfs.setattr(h.ctx, ino, { size: 0 }, fh);
        model.truncate(0);
        for (const o of ops) {
          if (o.kind === 'write') {
            const bytes = pattern(o.len, o.seed);
            await h.vfs.write(h.ctx, ino, fh, o.off, bytes);
            model.write(o.off, bytes);
          } else if (o.kind === 'read') {
            const got = await h.vfs.read(h.ctx, ino, fh, o.off, o.len);
            expectBytes(got, model.data.subarray(Math.min(o.off, model.data.length), Math.min(o.off + o.len, model.data.length)));
          } else if (o.kind === 'flush') {
            await h.vfs.flush(h.ctx, ino, fh);
          } else {
            await h.vfs.setattr(h.ctx, ino, { size: o.len }, fh);
            model.truncate(o.len);
          }
        }
        expect((await h.vfs.getattr(h.ctx, ino)).attr.length).toBe(model.data.length);
        expectBytes(await h.vfs.read(h.ctx, ino, fh, 0, 10 * BLOCK), model.data);
      }),
      { numRuns: 40, seed: 20261126 },
    );
  });

  it('O_APPEND from two handles appends each write at the end', async () => {
    const h = await newHarness();
    const { ino, fh } = await createFile(h, 'log');
    await h.vfs.write(h.ctx, ino, fh, 0, Buffer.from('start;'));
    await h.vfs.release(h.ctx, ino, fh);
    const a = await h.vfs.open(h.ctx, ino, O_WRONLY | O_APPEND);
    const b = await h.vfs.open(h.ctx, ino, O_WRONLY | O_APPEND);
    await Promise.all([
      h.vfs.write(h.ctx, ino, a.fh, 0, Buffer.from('a1;')),
      h.vfs.write(h.ctx, ino, b.fh, 0, Buffer.from('b1;')),
    ]);
    await h.vfs.write(h.ctx, ino, a.fh, 0, Buffer.from('a2;'));
    await h.vfs.release(h.ctx, ino, a.fh);
    await h.vfs.release(h.ctx, ino, b.fh);
    const r = await h.vfs.open(h.ctx, ino, O_RDONLY);
    expect((await h.vfs.read(h.ctx, ino, r.fh, 0, 100)).toString()).toBe('start;a1;b1;a2;');
  });

  it('a handle the kernel writes back through (kernelWriteback) reads whatever its mode, and writes where asked', async () => {
    const h = await newHarness();
    const { ino, fh } = await createFile(h, 'wb');
    await h.vfs.write(h.ctx, ino, fh, 0, Buffer.from('0123456789'));
    await h.vfs.release(h.ctx, ino, fh);
    const plain = await h.vfs.open(h.ctx, ino, O_WRONLY | O_APPEND);
    const cached = await h.vfs.open(h.ctx, ino, O_WRONLY | O_APPEND, undefined, { kernelWriteback: true });
    const readPlain = await h.vfs.read(h.ctx, ino, plain.fh, 0, 4).then(String, (e: { code?: string }) => e.code);
    const readCached = (await h.vfs.read(h.ctx, ino, cached.fh, 0, 4)).toString();
    // The kernel sends the page it filled, from offset 0: written there, not appended.
    await h.vfs.write(h.ctx, ino, cached.fh, 0, Buffer.from('0123456789ab'));
    // A plain O_APPEND handle still appends, whatever offset it is given.
    await h.vfs.write(h.ctx, ino, plain.fh, 0, Buffer.from(';'));
    await h.vfs.release(h.ctx, ino, plain.fh);
    await h.vfs.release(h.ctx, ino, cached.fh);
    const r = await h.vfs.open(h.ctx, ino, O_RDONLY);
    expect({ readPlain, readCached, content: (await h.vfs.read(h.ctx, ino, r.fh, 0, 100)).toString() }).toEqual({
      readPlain: 'EBADF', readCached: '0123', content: '0123456789ab;',
    });
  });

  it('O_TRUNC empties the file on open, even with unflushed writes from another handle', async () => {
    const h = await newHarness();
    const { ino, fh } = await createFile(h, 'trunc');
    await h.vfs.write(h.ctx, ino, fh, 0, Buffer.from('0123456789'));
    const t = await h.vfs.open(h.ctx, ino, O_RDWR | O_TRUNC);
    expect(t.attr.length).toBe(0);
    expect((await h.vfs.read(h.ctx, ino, t.fh, 0, 100)).length).toBe(0);
    await h.vfs.write(h.ctx, ino, t.fh, 0, Buffer.from('ab'));
    expect((await h.vfs.read(h.ctx, ino, fh, 0, 100)).toString()).toBe('ab');
  });

  it('truncate with an open handle flushes pending writes first and the handle sees the new size', async () => {
    const h = await newHarness();
    const { ino, fh } = await createFile(h, 'shrink');
    await h.vfs.write(h.ctx, ino, fh, 0, pattern(2 * BLOCK));
    await h.vfs.setattr(h.ctx, ino, { size: 100 });
    expect((await h.vfs.getattr(h.ctx, ino)).attr.length).toBe(100);
    expectBytes(await h.vfs.read(h.ctx, ino, fh, 0, 4 * BLOCK), pattern(2 * BLOCK).subarray(0, 100));
    await h.vfs.write(h.ctx, ino, fh, 200, Buffer.from('z'));
    const got = await h.vfs.read(h.ctx, ino, fh, 0, 4 * BLOCK);
    expect(got.length).toBe(201);
    expect(got.subarray(100, 200).every((x) => x === 0)).toBe(true);
  });

  it('refuses reads on write-only handles and writes on read-only ones with EBADF', async () => {
    const h = await newHarness();
    const { ino, fh } = await createFile(h, 'modes', O_WRONLY);
    await expect(h.vfs.read(h.ctx, ino, fh, 0, 10)).rejects.toMatchObject({ code: 'EBADF' });
    const r = await h.vfs.open(h.ctx, ino, O_RDONLY);
    await expect(h.vfs.write(h.ctx, ino, r.fh, 0, Buffer.from('x'))).rejects.toMatchObject({ code: 'EBADF' });
    await expect(h.vfs.read(h.ctx, ino, 9999, 0, 10)).rejects.toMatchObject({ code: 'EBADF' });
  });

  it('copy_file_range copies committed and pending data; fallocate punches holes', async () => {
    const h = await newHarness();
    const src = await createFile(h, 'src');
    const dst = await createFile(h, 'dst');
    const data = pattern(3 * BLOCK, 3);
    await h.vfs.write(h.ctx, src.ino, src.fh, 0, data);
    expect(await h.vfs.copyFileRange(h.ctx, src.ino, src.fh, BLOCK, dst.ino, dst.fh, 10, BLOCK)).toBe(BLOCK);
    const got = await h.vfs.read(h.ctx, dst.ino, dst.fh, 0, 10 * BLOCK);
    expect(got.length).toBe(10 + BLOCK);
    expectBytes(got.subarray(10), data.subarray(BLOCK, 2 * BLOCK));
    await h.vfs.fallocate(h.ctx, src.ino, src.fh, 0x01 | 0x02, 100, 200);
    const punched = await h.vfs.read(h.ctx, src.ino, src.fh, 0, 4 * BLOCK);
    expect(punched.length).toBe(data.length);
    expect(punched.subarray(100, 300).every((x) => x === 0)).toBe(true);
    expectBytes(punched.subarray(300), data.subarray(300));
    await expect(h.vfs.copyFileRange(h.ctx, src.ino, src.fh, 0, src.ino, src.fh, 10, 100)).rejects.toMatchObject({ code: 'EINVAL' });
  });

  it('lseek SEEK_DATA/SEEK_HOLE treat everything below EOF as data', async () => {
    const h = await newHarness();
    const { ino, fh } = await createFile(h, 'seek');
    await h.vfs.write(h.ctx, ino, fh, 0, Buffer.alloc(1000));
    expect(await h.vfs.lseek(h.ctx, ino, fh, 10, 3)).toBe(10);
    expect(await h.vfs.lseek(h.ctx, ino, fh, 10, 4)).toBe(1000);
    await expect(h.vfs.lseek(h.ctx, ino, fh, 1000, 3)).rejects.toMatchObject({ code: 'ENXIO' });
  });

  it('a read-only VFS refuses changes with EROFS', async () => {
    const h = await newHarness({ readOnly: true });
    await expect(h.vfs.mkdir(h.ctx, ROOT_INODE, 'd', 0o755, 0)).rejects.toMatchObject({ code: 'EROFS' });
    await expect(h.vfs.create(h.ctx, ROOT_INODE, 'f', 0o644, 0, O_RDWR)).rejects.toMatchObject({ code: 'EROFS' });
  });
});
