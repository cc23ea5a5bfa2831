import { fsError } from '@juicefs/core';
import {
  FuseSession,
  InitFlag,
  Opcode,
  encodeRequest,
  type ConnectionInfo,
  type EntryOut,
  type FuseHandler,
  type FuseNotifier,
  type RequestContext,
  type SessionOptions,
} from '../src/index.js';
import { MemoryChannel } from './helpers/memory-channel.js';
import { MemFsHandler } from './helpers/memfs-handler.js';

// The session driven through an in-memory channel with hand-built requests: INIT negotiation,
// dispatch, error mapping, concurrency, INTERRUPT, FORGET and DESTROY, without a kernel.

const ALL_FLAGS = 0xffffffff;
let unique = 100n;

function req(opcode: number, nodeid: bigint, body: Buffer = Buffer.alloc(0)): { buf: Buffer; unique: bigint } {
  const u = unique++;
  return { buf: encodeRequest({ opcode, unique: u, nodeid, uid: 0, gid: 0, pid: 1 }, body), unique: u };
}

function initBody(major: number, minor: number, flags = ALL_FLAGS, flags2 = 0): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32LE(major, 0);
  b.writeUInt32LE(minor, 4);
  b.writeUInt32LE(0x20000, 8);
  b.writeUInt32LE(flags >>> 0, 12);
  b.writeUInt32LE(flags2, 16);
  return b;
}

const cstr = (s: string): Buffer => Buffer.from(`${s}\0`);

async function started(handler: FuseHandler, options: SessionOptions = {}): Promise<{ ch: MemoryChannel; s: FuseSession; logs: string[] }> {
  const ch = new MemoryChannel();
  const logs: string[] = [];
  const s = new FuseSession(ch, handler, { log: (m) => logs.push(m), ...options });
  s.start();
  const r = req(Opcode.INIT, 0n, initBody(7, 45));
  ch.push(r.buf);
  await s.ready;
  expect(ch.replyTo(r.unique).errno).toBe(0);
  return { ch, s, logs };
}

describe('INIT negotiation', () => {
  test('kernel 7.45 offering everything: minor 38, 1 MiB writes, the features the handler supports', async () => {
    const { ch, s } = await started(new MemFsHandler());
    const out = ch.replies[0]!.payload;
    expect(out.length).toBe(64);
    expect(out.readUInt32LE(0)).toBe(7);
    expect(out.readUInt32LE(4)).toBe(38);
    const flags = out.readUInt32LE(12);
    for (const f of ['ASYNC_READ', 'BIG_WRITES', 'MAX_PAGES', 'PARALLEL_DIROPS', 'ATOMIC_O_TRUNC', 'EXPORT_SUPPORT', 'DO_READDIRPLUS', 'READDIRPLUS_AUTO'] as const) {
      expect([f, flags & InitFlag[f]]).toEqual([f, InitFlag[f]]);
    }
    // The in-memory handler has no locks and leaves setuid/setgid to the kernel; writeback cache
    // and DONT_MASK (--umask) are opt-in.
    expect(flags & (InitFlag.POSIX_LOCKS | InitFlag.FLOCK_LOCKS | InitFlag.WRITEBACK_CACHE | InitFlag.DONT_MASK | InitFlag.HANDLE_KILLPRIV_V2)).toBe(0);
    expect(out.readUInt32LE(20)).toBe(1 << 20); // max_write
    expect(out.readUInt32LE(24)).toBe(1); // time_gran: nanoseconds
    expect(out.readUInt16LE(28)).toBe(256); // max_pages
    expect(s.connection).toMatchObject({ major: 7, minor: 38, maxWrite: 1 << 20 });
  });

  test('options and handler methods switch features on; the kernel offer caps everything', async () => {
    const h: FuseHandler = { handleKillpriv: true, getlk: async () => ({ start: 0n, end: 0n, type: 2, pid: 0 }), setlk: async () => {} };
    const { s } = await started(h, { writebackCache: true, atomicOTrunc: false, maxWrite: 128 * 1024, dontMask: true });
    const flags = s.connection!.flags;
    expect(flags & InitFlag.HANDLE_KILLPRIV_V2).toBe(InitFlag.HANDLE_KILLPRIV_V2);
    expect(flags & InitFlag.DONT_MASK).toBe(InitFlag.DONT_MASK);
    expect(flags & InitFlag.POSIX_LOCKS).toBe(InitFlag.POSIX_LOCKS);
    expect(flags & InitFlag.FLOCK_LOCKS).toBe(InitFlag.FLOCK_LOCKS);
    expect(flags & InitFlag.WRITEBACK_CACHE).toBe(InitFlag.WRITEBACK_CACHE);
    expect(flags & InitFlag.ATOMIC_O_TRUNC).toBe(0);
    expect(s.connection!.maxWrite).toBe(128 * 1024);

    const ch = new MemoryChannel();
    const old = new FuseSession(ch, h, { log: () => {} });
    old.start();
    const r = req(Opcode.INIT, 0n, initBody(7, 31, InitFlag.ASYNC_READ));
    ch.push(r.buf);
    await old.ready;
    const out = ch.replyTo(r.unique).payload;
    expect(out.readUInt32LE(4)).toBe(31);
    expect(out.readUInt32LE(12)).toBe(InitFlag.ASYNC_READ);
    expect(out.readUInt32LE(20)).toBe(32 * 4096); // no MAX_PAGES offered: 128 KiB writes
  });

  test('a newer major gets our version back; a too old kernel is refused with EPROTO', async () => {
    const ch = new MemoryChannel();
    const logs: string[] = [];
    const s = new FuseSession(ch, {}, { log: (m) => logs.push(m) });
    s.start();
    const newer = req(Opcode.INIT, 0n, initBody(8, 0));
    ch.push(newer.buf);
    await ch.waitFor(1);
    expect(ch.replyTo(newer.unique).payload.readUInt32LE(0)).toBe(7);
    expect(s.connection).toBeUndefined();
    const older = req(Opcode.INIT, 0n, initBody(7, 20));
    ch.push(older.buf);
    await expect(s.ended).resolves.toMatch(/7\.20 is older than 7\.31/);
    expect(ch.replyTo(older.unique).errno).toBe(71);
  });

  test('a handler whose init fails fails INIT with its errno and ends the session', async () => {
    const ch = new MemoryChannel();
    const s = new FuseSession(ch, { init: () => Promise.reject(fsError('EACCES', 'volume locked')) }, { log: () => {} });
    s.start();
    const r = req(Opcode.INIT, 0n, initBody(7, 45));
    ch.push(r.buf);
    await expect(s.ended).resolves.toMatch(/INIT failed: EACCES: volume locked/);
    expect(ch.replyTo(r.unique).errno).toBe(13);
  });

  test('requests before INIT are refused with EIO', async () => {
    const ch = new MemoryChannel();
    new FuseSession(ch, new MemFsHandler(), { log: () => {} }).start();
    const r = req(Opcode.GETATTR, 1n, Buffer.alloc(16));
    ch.push(r.buf);
    expect(ch.replyTo(r.unique).errno).toBe(5);
  });
});

/** A GETXATTR (with a name) or LISTXATTR body asking for `size` bytes. */
function xattrBody(size: number, name?: string): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(size, 0);
  return name === undefined ? head : Buffer.concat([head, cstr(name)]);
}

describe('dispatch', () => {
  test('unknown opcodes and missing handler methods answer ENOSYS', async () => {
    const { ch } = await started({});
    const bmap = req(Opcode.BMAP, 1n, Buffer.alloc(16));
    const getattr = req(Opcode.GETATTR, 1n, Buffer.alloc(16));
    const weird = req(4242, 1n);
    for (const r of [bmap, getattr, weird]) ch.push(r.buf);
    await ch.waitFor(4);
    for (const r of [bmap, getattr, weird]) expect(ch.replyTo(r.unique).errno).toBe(38);
  });

  test('errors map one to one by code; anything without a code is EIO with a log line', async () => {
    const failing: FuseHandler = {
      lookup: async (_c, _p, name) => {
        const n = name.toString();
        if (n === 'fs') throw fsError('ENOTEMPTY', 'not empty');
        if (n === 'node') throw Object.assign(new Error('denied'), { code: 'EACCES', errno: -13 });
        if (n === 'odd') throw Object.assign(new Error('weird'), { code: 'ERR_SOMETHING' });
        throw new TypeError('a bug');
      },
    };
    const { ch, logs } = await started(failing);
    const rs = ['fs', 'node', 'odd', 'bug'].map((n) => req(Opcode.LOOKUP, 1n, cstr(n)));
    for (const r of rs) ch.push(r.buf);
    await ch.waitFor(5);
    expect(rs.map((r) => ch.replyTo(r.unique).errno)).toEqual([39, 13, 5, 5]);
    expect(logs.filter((l) => l.includes('LOOKUP failed'))).toHaveLength(2);
    expect(logs.join('\n')).toContain('TypeError: a bug');
  });

  test('a malformed body fails that request with EINVAL', async () => {
    const { ch } = await started(new MemFsHandler());
    const r = req(Opcode.LOOKUP, 1n, Buffer.from('no-nul'));
    ch.push(r.buf);
    await ch.waitFor(2);
    expect(ch.replyTo(r.unique).errno).toBe(22);
  });

  test('a slow request does not hold up later ones', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const attr = { ino: 1n, size: 0, atime: 0, atimensec: 0, mtime: 0, mtimensec: 0, ctime: 0, ctimensec: 0, mode: 0o40755, nlink: 2, uid: 0, gid: 0, rdev: 0 };
    const h: FuseHandler = {
      lookup: async (): Promise<EntryOut> => (await gate, { ino: 2n, attr: { ...attr, ino: 2n } }),
      getattr: async () => ({ attr }),
    };
    const { ch, s } = await started(h);
    const slow = req(Opcode.LOOKUP, 1n, cstr('x'));
    const fast = req(Opcode.GETATTR, 1n, Buffer.alloc(16));
    ch.push(slow.buf);
    ch.push(fast.buf);
    await ch.waitFor(2);
    expect(ch.replies[1]!.unique).toBe(fast.unique);
    expect(s.inFlightCount).toBe(1);
    release();
    await ch.waitFor(3);
    expect(ch.replies[2]!.unique).toBe(slow.unique);
    expect(ch.replyTo(slow.unique).payload.readBigUInt64LE(0)).toBe(2n);
    expect(s.inFlightCount).toBe(0);
  });

  test('GETXATTR/LISTXATTR: size 0 asks for the size, a small buffer is ERANGE', async () => {
    const h = new MemFsHandler();
    const { ch } = await started(h);
    h.nodes.get(1n)!.xattrs.set('user.k', Buffer.from('value'));
    const probe = req(Opcode.GETXATTR, 1n, xattrBody(0, 'user.k'));
    const small = req(Opcode.GETXATTR, 1n, xattrBody(2, 'user.k'));
    const full = req(Opcode.GETXATTR, 1n, xattrBody(100, 'user.k'));
    const list = req(Opcode.LISTXATTR, 1n, xattrBody(100));
    const missing = req(Opcode.GETXATTR, 1n, xattrBody(100, 'user.nope'));
    for (const r of [probe, small, full, list, missing]) ch.push(r.buf);
    await ch.waitFor(6);
    expect(ch.replyTo(probe.unique).payload.readUInt32LE(0)).toBe(5);
    expect(ch.replyTo(small.unique).errno).toBe(34);
    expect(ch.replyTo(full.unique).payload.toString()).toBe('value');
    expect(ch.replyTo(list.unique).payload.toString()).toBe('user.k\0');
    expect(ch.replyTo(missing.unique).errno).toBe(61);
  });

  test('with disableXattrs every xattr opcode answers ENOSYS without reaching the handler', async () => {
    const h = new MemFsHandler();
    const { ch } = await started(h, { disableXattrs: true });
    h.nodes.get(1n)!.xattrs.set('user.k', Buffer.from('value'));
    const get = req(Opcode.GETXATTR, 1n, xattrBody(100, 'user.k'));
    const list = req(Opcode.LISTXATTR, 1n, xattrBody(100));
    const remove = req(Opcode.REMOVEXATTR, 1n, cstr('user.k'));
    const getattr = req(Opcode.GETATTR, 1n, Buffer.alloc(16));
    for (const r of [get, list, remove, getattr]) ch.push(r.buf);
    await ch.waitFor(5);
    for (const r of [get, list, remove]) expect(ch.replyTo(r.unique).errno).toBe(38);
    expect(ch.replyTo(getattr.unique).errno).toBe(0);
    expect(h.nodes.get(1n)!.xattrs.get('user.k')?.toString()).toBe('value');
  });

  test('READDIR fills at most the requested size and resumes from the last offset', async () => {
    const h = new MemFsHandler();
    const { ch } = await started(h);
    const ctx = { uid: 0, gid: 0, pid: 0, unique: 0n, signal: new AbortController().signal };
    for (let i = 0; i < 10; i++) await h.create(ctx, 1n, { name: Buffer.from(`f${i}`), mode: 0o644, umask: 0, flags: 0 });
    const readBody = (offset: number, size: number): Buffer => {
      const b = Buffer.alloc(40);
      b.writeBigUInt64LE(BigInt(offset), 8);
      b.writeUInt32LE(size, 16);
      return b;
    };
    const first = req(Opcode.READDIR, 1n, readBody(0, 100)); // 3 records of 32 bytes
    ch.push(first.buf);
    await ch.waitFor(2);
    const p = ch.replyTo(first.unique).payload;
    expect(p.length).toBe(96);
    const lastOff = Number(p.readBigUInt64LE(64 + 8));
    expect(lastOff).toBe(3);
    const rest = req(Opcode.READDIR, 1n, readBody(lastOff, 4096));
    ch.push(rest.buf);
    await ch.waitFor(3);
    expect(ch.replyTo(rest.unique).payload.length).toBe(9 * 32);
  });
});

describe('requests without replies, interrupts and the end of a session', () => {
  test('FORGET and BATCH_FORGET reach the handler and are never answered', async () => {
    const h = new MemFsHandler();
    const { ch } = await started(h);
    const one = Buffer.alloc(8);
    one.writeBigUInt64LE(3n);
    const batch = Buffer.alloc(8 + 32);
    batch.writeUInt32LE(2, 0);
    ch.push(req(Opcode.FORGET, 5n, one).buf);
    ch.push(req(Opcode.BATCH_FORGET, 0n, batch).buf);
    const after = req(Opcode.GETATTR, 1n, Buffer.alloc(16));
    ch.push(after.buf);
    await ch.waitFor(2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.forgets).toBe(3);
    expect(ch.replies.map((r) => r.unique)).toEqual([ch.replies[0]!.unique, after.unique]);
  });

  test('INTERRUPT aborts the request, answers EINTR at once, and drops the late reply', async () => {
    let seen: RequestContext | undefined;
    let finish!: () => void;
    const h: FuseHandler = {
      readlink: async (ctx) => {
        seen = ctx;
        await new Promise<void>((resolve) => (finish = resolve));
        return Buffer.from('late');
      },
    };
    const { ch } = await started(h);
    const slow = req(Opcode.READLINK, 2n);
    ch.push(slow.buf);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen?.signal.aborted).toBe(false);
    const intr = Buffer.alloc(8);
    intr.writeBigUInt64LE(slow.unique);
    ch.push(req(Opcode.INTERRUPT, 0n, intr).buf);
    expect(seen?.signal.aborted).toBe(true);
    expect(ch.replyTo(slow.unique).errno).toBe(4);
    finish();
    await new Promise((resolve) => setImmediate(resolve));
    expect(ch.replies.filter((r) => r.unique === slow.unique)).toHaveLength(1);
    // An interrupt for a request that already finished is ignored: no reply at all.
    const count = ch.replies.length;
    ch.push(req(Opcode.INTERRUPT, 0n, intr).buf);
    expect(ch.replies.length).toBe(count);
  });

  test('an interrupted request that changes something is answered by its handler, not EINTR', async () => {
    let seen: RequestContext | undefined;
    let finish!: () => void;
    const h: FuseHandler = {
      mkdir: async (ctx) => {
        seen = ctx;
        // Past the point of no return: the directory is made whatever the signal says.
        await new Promise<void>((resolve) => (finish = resolve));
        return { ino: 7n, attr: { ino: 7n, size: 0, atime: 0, mtime: 0, ctime: 0, atimensec: 0, mtimensec: 0, ctimensec: 0, mode: 0o40755, nlink: 2, uid: 0, gid: 0, rdev: 0 } };
      },
    };
    const { ch } = await started(h);
    const body = Buffer.concat([Buffer.alloc(8), cstr('d')]);
    body.writeUInt32LE(0o755, 0);
    const slow = req(Opcode.MKDIR, 1n, body);
    ch.push(slow.buf);
    await new Promise((resolve) => setImmediate(resolve));
    const intr = Buffer.alloc(8);
    intr.writeBigUInt64LE(slow.unique);
    ch.push(req(Opcode.INTERRUPT, 0n, intr).buf);
    expect(seen?.signal.aborted).toBe(true);
    expect(ch.replies.filter((r) => r.unique === slow.unique)).toHaveLength(0);
    finish();
    await ch.waitFor(2);
    const reply = ch.replyTo(slow.unique);
    expect(reply.errno).toBe(0);
    expect(reply.payload.readBigUInt64LE(0)).toBe(7n);
  });

  test('DESTROY calls the handler, is answered, and ends the session', async () => {
    const h = new MemFsHandler();
    const { ch, s } = await started(h);
    const d = req(Opcode.DESTROY, 0n);
    ch.push(d.buf);
    await expect(s.ended).resolves.toBe('destroyed');
    expect(h.destroyed).toBe(true);
    expect(ch.replyTo(d.unique).errno).toBe(0);
  });

  test('the channel ending (kernel ENODEV) ends the session and aborts in-flight requests', async () => {
    let seen: RequestContext | undefined;
    const h: FuseHandler = { readlink: (ctx) => ((seen = ctx), new Promise<Buffer>(() => {})) };
    const { ch, s } = await started(h);
    ch.push(req(Opcode.READLINK, 2n).buf);
    await new Promise((resolve) => setImmediate(resolve));
    ch.end('ENODEV');
    await expect(s.ended).resolves.toBe('ENODEV');
    expect(seen?.signal.aborted).toBe(true);
    await s.close();
    expect(ch.closed).toBe(true);
  });
});

describe('IOCTL', () => {
  test('a restricted ioctl gets its input and answers result 0 with at most out_size bytes; unrestricted is ENOTTY', async () => {
    const seen: number[] = [];
    const h: FuseHandler = {
      ioctl: async (_c, _i, r) => {
        seen.push(r.cmd, r.input.length, r.outSize);
        return Buffer.from('0123456789');
      },
    };
    const { ch, s } = await started(h);
    expect(s.connection!.flags & InitFlag.HAS_IOCTL_DIR).toBe(InitFlag.HAS_IOCTL_DIR);
    const body = (flags: number): Buffer => {
      const b = Buffer.alloc(32 + 4);
      b.writeUInt32LE(flags, 8);
      b.writeUInt32LE(0x80086601, 12);
      b.writeUInt32LE(4, 24); // in_size
      b.writeUInt32LE(8, 28); // out_size
      return b;
    };
    const ok = req(Opcode.IOCTL, 2n, body(0));
    const unrestricted = req(Opcode.IOCTL, 2n, body(2));
    ch.push(ok.buf);
    ch.push(unrestricted.buf);
    await ch.waitFor(3);
    const p = ch.replyTo(ok.unique).payload;
    expect(p.readInt32LE(0)).toBe(0);
    expect(p.subarray(16).toString()).toBe('01234567');
    expect(seen).toEqual([0x80086601, 4, 8]);
    expect(ch.replyTo(unrestricted.unique).errno).toBe(25);
  });
});

describe('resuming a connection another server initialised (a restarted mount worker)', () => {
  test('no INIT is awaited: the handler learns the saved terms, requests are served, and the kernel is asked to resend', async () => {
    const conn = { major: 7, minor: 38, flags: InitFlag.ASYNC_READ | InitFlag.BIG_WRITES, flags2: 0, maxWrite: 1 << 20, maxReadahead: 1 << 20 };
    const seen: ConnectionInfo[] = [];
    const handler: FuseHandler = Object.assign(new MemFsHandler(), { init: (c: ConnectionInfo) => void seen.push(c) });
    const ch = new MemoryChannel();
    const s = new FuseSession(ch, handler, { resume: conn });
    s.start();
    await s.ready;
    expect(seen).toEqual([conn]);
    expect(s.connection).toEqual(conn);
    // The first write is FUSE_NOTIFY_RESEND: a bare header, unique 0, the notify code in error.
    expect(ch.replies[0]).toEqual({ unique: 0n, errno: 7, payload: Buffer.alloc(0) });
    // A request resent by the kernel (high bit of its unique set) is answered under that unique.
    const resent = (1n << 63n) | 77n;
    ch.push(encodeRequest({ opcode: Opcode.GETATTR, unique: resent, nodeid: 1n, uid: 0, gid: 0, pid: 1 }, Buffer.alloc(16)));
    await ch.waitFor(2);
    expect(ch.replyTo(resent).errno).toBe(0);
    await s.close();
  });
});

describe('notifications', () => {
  test('a handler gets a notifier at INIT: FUSE_NOTIFY_INVAL_INODE for attributes only, nothing once the session ended', async () => {
    let notify: FuseNotifier | undefined;
    const handler: FuseHandler = Object.assign(new MemFsHandler(), { init: (_c: ConnectionInfo, n: FuseNotifier) => void (notify = n) });
    const { ch, s } = await started(handler);
    const before = ch.replies.length;
    notify!.invalidateAttributes(42n);
    const msg = ch.replies[before]!;
    // unique 0, the notify code (2) in error, then fuse_notify_inval_inode_out: ino, off -1, len 0.
    expect([msg.unique, msg.errno, msg.payload.length]).toEqual([0n, 2, 24]);
    expect([msg.payload.readBigUInt64LE(0), msg.payload.readBigInt64LE(8), msg.payload.readBigInt64LE(16)]).toEqual([42n, -1n, 0n]);
    await s.close();
    notify!.invalidateAttributes(43n);
    expect(ch.replies.length).toBe(before + 1);
  });
});

describe('handing a connection over (an upgrade)', () => {
  test('reading stops, the request under way is answered, later answers go nowhere; a channel that cannot pause refuses', async () => {
    class PausingChannel extends MemoryChannel {
      paused = false;
      pause(): void {
        this.paused = true;
      }
    }
    let release!: () => void;
    const slow: FuseHandler = { getattr: () => new Promise((r) => (release = () => r({ attr: { ino: 1n, size: 0, blocks: 0, atime: 0, mtime: 0, ctime: 0, atimensec: 0, mtimensec: 0, ctimensec: 0, mode: 0o40755, nlink: 2, uid: 0, gid: 0, rdev: 0, blksize: 4096 }, attrTimeout: 1 }))) };
    const ch = new PausingChannel();
    const s = new FuseSession(ch, slow, {});
    s.start();
    const init = req(Opcode.INIT, 0n, initBody(7, 45));
    ch.push(init.buf);
    await s.ready;
    const g = req(Opcode.GETATTR, 1n, Buffer.alloc(16));
    ch.push(g.buf);
    const handing = s.handOver(2000);
    expect(ch.paused).toBe(true);
    release();
    expect(await handing).toBe(0); // nothing left unanswered
    expect(ch.replyTo(g.unique).errno).toBe(0);
    const late = req(Opcode.GETATTR, 1n, Buffer.alloc(16));
    ch.push(late.buf); // were one read anyway, its answer would not be written
    await new Promise((r) => setTimeout(r, 20));
    release();
    await new Promise((r) => setTimeout(r, 20));
    expect(ch.replies.filter((r) => r.unique === late.unique)).toEqual([]);

    expect(await new FuseSession(new MemoryChannel(), slow, {}).handOver(10)).toBe(false);
  });
});
