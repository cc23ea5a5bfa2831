import {
  DirentBuffer,
  FATTR,
  InitFlag,
  Opcode,
  decodeBatchForget,
  decodeCopyFileRange,
  decodeCreate,
  decodeGetattr,
  decodeInit,
  decodeLk,
  decodeMknod,
  decodeRename,
  decodeRequest,
  decodeSetattr,
  decodeSetxattr,
  decodeSymlink,
  decodeWrite,
  encodeAttrOut,
  encodeEntryOut,
  encodeInitOut,
  encodeLkOut,
  encodeOpenOut,
  encodeReply,
  encodeStatfs,
  encodeXattrList,
  opcodeName,
  type FuseAttr,
} from '../src/protocol/index.js';

// Byte vectors written out by hand from linux/fuse.h, so the codecs are checked against the
// kernel's layout rather than against themselves.

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('fuse_in_header', () => {
  test('a LOOKUP of "hello" under the root decodes to header + name body', () => {
    const req = hex(`
      2e000000 01000000 0700000000000000 0100000000000000
      e8030000 e9030000 39300000 0000 0000
      68656c6c6f00`);
    const r = decodeRequest(req);
    expect(r.header).toEqual({ len: 46, opcode: Opcode.LOOKUP, unique: 7n, nodeid: 1n, uid: 1000, gid: 1001, pid: 12345, extlen: 0 });
    expect(r.body.toString('latin1')).toBe('hello\0');
    expect(opcodeName(r.header.opcode)).toBe('LOOKUP');
    expect(opcodeName(9999)).toBe('OP_9999');
  });

  test('extensions (total_extlen in 8-byte units) are split off the body', () => {
    const req = hex(`30000000 03000000 0100000000000000 0200000000000000 00000000 00000000 00000000 0100 0000 aabbccddeeff0011`);
    const r = decodeRequest(req);
    expect(r.header.extlen).toBe(8);
    expect(r.body.length).toBe(0);
    expect(r.extensions.toString('hex')).toBe('aabbccddeeff0011');
  });

  test('a length that disagrees with the bytes read is EINVAL', () => {
    const req = hex(`ff000000 03000000 0100000000000000 0200000000000000 00000000 00000000 00000000 0000 0000`);
    expect(() => decodeRequest(req)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => decodeRequest(Buffer.alloc(10))).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });
});

describe('request bodies', () => {
  test('INIT 7.45 with flags and flags2', () => {
    const init = decodeInit(hex(`07000000 2d000000 00000200 fbffff73 ff000000` + '00'.repeat(44)));
    expect(init).toEqual({ major: 7, minor: 45, maxReadahead: 0x20000, flags: 0x73fffffb, flags2: 0xff });
  });

  test('SETATTR keeps only the valid fields, and UTIME_NOW becomes "now"', () => {
    const valid = FATTR.MODE | FATTR.SIZE | FATTR.MTIME | FATTR.ATIME_NOW | FATTR.FH;
    const body = hex(
      `${valid.toString(16).padStart(2, '0')}000000 00000000` + // valid, padding
        `0500000000000000` + // fh 5
        `0010000000000000` + // size 4096
        `0000000000000000` + // lock_owner
        `0100000000000000 6400000000000000 0000000000000000` + // atime 1, mtime 100, ctime 0
        `00000000 2a000000 00000000` + // atimensec, mtimensec 42, ctimensec
        `ed810000 00000000 e8030000 e8030000 00000000`, // mode 0100755, unused, uid, gid, unused
    );
    expect(decodeSetattr(body)).toEqual({ fh: 5n, size: 4096, atime: 'now', mtime: { sec: 100, nsec: 42 }, mode: 0o100755 });
  });

  test('GETATTR carries fh only with FUSE_GETATTR_FH', () => {
    expect(decodeGetattr(hex(`01000000 00000000 0900000000000000`))).toEqual({ fh: 9n });
    expect(decodeGetattr(hex(`00000000 00000000 0900000000000000`))).toEqual({});
  });

  test('MKNOD, CREATE, SYMLINK and RENAME2 names', () => {
    expect(decodeMknod(hex(`a4110000 00000000 12000000 00000000 6669666f00`))).toEqual({
      mode: 0o10644,
      rdev: 0,
      umask: 0o22,
      name: Buffer.from('fifo'),
    });
    expect(decodeCreate(hex(`41020000 a4810000 12000000 00000000 6e657700`))).toEqual({
      flags: 0o1101,
      mode: 0o100644,
      umask: 0o22,
      name: Buffer.from('new'),
    });
    expect(decodeSymlink(hex(`6c6e6b00 2f746d702f7400`))).toEqual({ name: Buffer.from('lnk'), target: Buffer.from('/tmp/t') });
    expect(decodeRename(hex(`0300000000000000 02000000 00000000 6100 6200`), true)).toEqual({
      newParent: 3n,
      flags: 2,
      oldName: Buffer.from('a'),
      newName: Buffer.from('b'),
    });
    expect(decodeRename(hex(`0300000000000000 6100 6200`), false).flags).toBe(0);
  });

  test('WRITE data follows the 40-byte fuse_write_in', () => {
    const w = decodeWrite(hex(`0200000000000000 0010000000000000 03000000 00000000 0000000000000000 02800000 00000000 616263`));
    expect(w).toMatchObject({ fh: 2n, offset: 4096, size: 3, flags: 0o100002 });
    expect(w.data.toString()).toBe('abc');
    expect(() => decodeWrite(hex(`0200000000000000 0010000000000000 09000000 00000000 0000000000000000 00000000 00000000 6162`))).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
  });

  test('SETXATTR with and without the SETXATTR_EXT header', () => {
    expect(decodeSetxattr(hex(`03000000 01000000 757365722e6100 787978`), false)).toEqual({
      name: Buffer.from('user.a'),
      value: Buffer.from('xyx'),
      flags: 1,
    });
    expect(decodeSetxattr(hex(`03000000 02000000 00000000 00000000 757365722e6100 787978`), true).flags).toBe(2);
  });

  test('LK: a flock and an fcntl lock to EOF', () => {
    const lk = decodeLk(hex(`0100000000000000 0a00000000000000 0000000000000000 ffffffffffffffff 01000000 39300000 01000000 00000000`));
    expect(lk).toEqual({ fh: 1n, owner: 10n, lock: { start: 0n, end: 0xffffffffffffffffn, type: 1, pid: 12345 }, flock: true });
  });

  test('BATCH_FORGET and COPY_FILE_RANGE', () => {
    expect(decodeBatchForget(hex(`02000000 00000000 0500000000000000 0100000000000000 0600000000000000 0300000000000000`))).toEqual([
      { ino: 5n, nlookup: 1n },
      { ino: 6n, nlookup: 3n },
    ]);
    const c = decodeCopyFileRange(hex(`01${'00'.repeat(7)} 00${'00'.repeat(7)} 07${'00'.repeat(7)} 02${'00'.repeat(7)} 0010${'00'.repeat(6)} ${'ff'.repeat(8)} ${'00'.repeat(8)}`));
    expect(c).toEqual({ fhIn: 1n, offIn: 0, nodeidOut: 7n, fhOut: 2n, offOut: 4096, len: Number.MAX_SAFE_INTEGER, flags: 0 });
  });

  test('a u64 offset above 2^53 is EOVERFLOW, not a rounded number', () => {
    expect(() => decodeWrite(hex(`0200000000000000 ffffffffffffff7f 00000000 00000000 0000000000000000 00000000 00000000`))).toThrow(
      expect.objectContaining({ code: 'EOVERFLOW' }),
    );
  });
});

const ATTR: FuseAttr = {
  ino: 2n,
  size: 1000,
  atime: 1,
  atimensec: 2,
  mtime: 3,
  mtimensec: 4,
  ctime: 5,
  ctimensec: 6,
  mode: 0o100644,
  nlink: 1,
  uid: 1000,
  gid: 100,
  rdev: 0,
};

const ATTR_HEX =
  '0200000000000000 e803000000000000 0200000000000000' + // ino, size, blocks ceil(1000/512)
  '0100000000000000 0300000000000000 0500000000000000' + // atime, mtime, ctime
  '02000000 04000000 06000000' + // nsecs
  'a4810000 01000000 e8030000 64000000 00000000 00100000 00000000'; // mode nlink uid gid rdev blksize flags

describe('replies', () => {
  test('fuse_out_header: length, negated errno, unique', () => {
    expect(encodeReply(9n, 2)).toEqual(hex('10000000 feffffff 0900000000000000'));
    expect(encodeReply(9n, 0, [Buffer.from('ab')])).toEqual(hex('12000000 00000000 0900000000000000 6162'));
  });

  test('fuse_entry_out with fractional timeouts', () => {
    const out = encodeEntryOut({ ino: 2n, generation: 1n, entryTimeout: 1.5, attrTimeout: 0, attr: ATTR });
    expect(out).toEqual(hex(`0200000000000000 0100000000000000 0100000000000000 0000000000000000 0065cd1d 00000000 ${ATTR_HEX}`));
  });

  test('fuse_attr_out', () => {
    expect(encodeAttrOut({ attrTimeout: 2, attr: ATTR })).toEqual(hex(`0200000000000000 00000000 00000000 ${ATTR_HEX}`));
  });

  test('open_out, lk_out, statfs and the xattr list', () => {
    expect(encodeOpenOut({ fh: 3n, openFlags: 2 })).toEqual(hex('0300000000000000 02000000 00000000'));
    expect(encodeLkOut({ start: 1n, end: 2n, type: 2, pid: 0 })).toEqual(hex('0100000000000000 0200000000000000 02000000 00000000'));
    const st = encodeStatfs({ blocks: 10, bfree: 5, bavail: 4, files: 100, ffree: 90, bsize: 4096, namelen: 255, frsize: 4096 });
    expect(st.length).toBe(80);
    expect(st.subarray(0, 52)).toEqual(
      hex('0a00000000000000 0500000000000000 0400000000000000 6400000000000000 5a00000000000000 00100000 ff000000 00100000'),
    );
    expect(encodeXattrList(['user.a', 'user.bb'])).toEqual(Buffer.from('user.a\0user.bb\0'));
  });

  test('fuse_init_out is 64 bytes with max_pages and flags2', () => {
    const out = encodeInitOut({
      major: 7,
      minor: 38,
      maxReadahead: 0x20000,
      flags: InitFlag.ASYNC_READ | InitFlag.MAX_PAGES,
      flags2: 0,
      maxBackground: 64,
      congestionThreshold: 48,
      maxWrite: 1 << 20,
      timeGran: 1,
      maxPages: 256,
    });
    expect(out).toEqual(hex(`07000000 26000000 00000200 01004000 4000 3000 00001000 01000000 0001 0000 00000000 ${'00'.repeat(28)}`));
  });
});

describe('dirent packing', () => {
  test('fuse_dirent records are padded to 8 bytes; a record that does not fit is refused', () => {
    const d = new DirentBuffer(64, false);
    expect(d.add({ name: 'a', ino: 5n, type: 8, offset: 1 })).toBe(true); // 24 + 1 -> 32
    expect(d.add({ name: 'abcdefghi', ino: 6n, type: 4, offset: 2 })).toBe(false); // 24 + 9 -> 40: 72 > 64
    expect(d.add({ name: 'abcdefgh', ino: 6n, type: 4, offset: 2 })).toBe(true); // 24 + 8 -> 32: exactly 64
    expect(d.toBuffer()).toEqual(
      hex(`0500000000000000 0100000000000000 01000000 08000000 61 00000000000000
           0600000000000000 0200000000000000 08000000 04000000 6162636465666768`),
    );
  });

  test('fuse_direntplus puts an entry_out before each dirent; "." gets a zero entry', () => {
    const d = new DirentBuffer(4096, true);
    d.add({ name: '.', ino: 1n, type: 4, offset: 1 });
    d.add({ name: 'f', ino: 2n, type: 8, offset: 2 }, { ino: 2n, attr: ATTR, entryTimeout: 1, attrTimeout: 1 });
    const b = d.toBuffer();
    expect(b.length).toBe(2 * (128 + 32));
    expect(b.subarray(0, 128).equals(Buffer.alloc(128))).toBe(true);
    expect(b.subarray(128, 160)).toEqual(hex(`0100000000000000 0100000000000000 01000000 04000000 2e 00000000000000`));
    expect(b.subarray(160, 160 + 8)).toEqual(hex('0200000000000000'));
    expect(b.subarray(160 + 40, 160 + 128)).toEqual(hex(ATTR_HEX));
    expect(b.subarray(160 + 128 + 16, 160 + 128 + 24)).toEqual(hex('01000000 08000000'));
  });
});
