import { LockType } from '@juicefs/core';
import { FuseSession, VfsFuseHandler, type FuseHandler, type LkIn, type RequestContext } from '../src/index.js';
import { MemoryChannel } from './helpers/memory-channel.js';
import { ROOT_CONTEXT, memoryVfs } from './helpers/vfs-volume.js';

// INTERRUPT of a blocked SETLKW at the byte level: requests are framed by hand (fuse_in_header +
// fuse_lk_in / fuse_interrupt_in as the kernel lays them out) and replies read back as
// fuse_out_header, through the real session, VFS handler, VFS and in-memory Meta.

const OP = { INIT: 26, GETLK: 31, SETLK: 32, SETLKW: 33, INTERRUPT: 36, READLINK: 5 } as const;
const F_RDLCK = 0;
const F_WRLCK = 1;
const F_UNLCK = 2;
const FUSE_LK_FLOCK = 1;
const EINTR = 4;
const EAGAIN = 11;
const OFFSET_MAX = 0x7fffffffffffffffn;

let nextUnique = 0x1000n;
/** Kernel uniques step by 2; an INTERRUPT carries its target's unique with bit 0 set. */
const newUnique = (): bigint => (nextUnique += 2n);

/** fuse_in_header (40 bytes) + body. */
function frame(opcode: number, unique: bigint, nodeid: bigint, body: Buffer, pid = 4242): Buffer {
  const b = Buffer.alloc(40 + body.length);
  b.writeUInt32LE(b.length, 0);
  b.writeUInt32LE(opcode, 4);
  b.writeBigUInt64LE(unique, 8);
  b.writeBigUInt64LE(nodeid, 16);
  b.writeUInt32LE(0, 24); // uid
  b.writeUInt32LE(0, 28); // gid
  b.writeUInt32LE(pid, 32);
  // total_extlen and padding stay 0
  body.copy(b, 40);
  return b;
}

/** fuse_lk_in: fh, owner, fuse_file_lock {start, end, type, pid}, lk_flags, padding (48 bytes). */
function lkIn(fh: number, owner: bigint, type: number, start: bigint, end: bigint, flags = 0, pid = 4242): Buffer {
  const b = Buffer.alloc(48);
  b.writeBigUInt64LE(BigInt(fh), 0);
  b.writeBigUInt64LE(owner, 8);
  b.writeBigUInt64LE(start, 16);
  b.writeBigUInt64LE(end, 24);
  b.writeUInt32LE(type, 32);
  b.writeUInt32LE(pid, 36);
  b.writeUInt32LE(flags, 40);
  return b;
}

/** fuse_interrupt_in: the unique of the request to interrupt. */
function interruptIn(target: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(target, 0);
  return b;
}

function initIn(): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32LE(7, 0);
  b.writeUInt32LE(38, 4);
  b.writeUInt32LE(0x20000, 8);
  b.writeUInt32LE(0xffffffff, 12);
  return b;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
/** Long enough for a wait wrongly left polling (the in-memory Meta retries every 5 ms) to grab a freed lock. */
const pollersHadTheirChance = () => new Promise((resolve) => setTimeout(resolve, 50));

async function session(handler: FuseHandler): Promise<{ ch: MemoryChannel; s: FuseSession }> {
  const ch = new MemoryChannel();
  const s = new FuseSession(ch, handler, { log: () => {} });
  s.start();
  const u = newUnique();
  ch.push(frame(OP.INIT, u, 0n, initIn()));
  await s.ready;
  expect(ch.replyTo(u).errno).toBe(0);
  return { ch, s };
}

/** Send one request and wait for its reply; returns the raw fuse_out_header fields. */
async function call(ch: MemoryChannel, opcode: number, nodeid: bigint, body: Buffer): Promise<{ errno: number; payload: Buffer }> {
  const u = newUnique();
  const before = ch.replies.length;
  ch.push(frame(opcode, u, nodeid, body));
  for (;;) {
    const r = ch.replies.slice(before).find((x) => x.unique === u);
    if (r !== undefined) return r;
    await ch.waitFor(ch.replies.length + 1);
  }
}

async function replyFor(ch: MemoryChannel, unique: bigint): Promise<{ errno: number; payload: Buffer }> {
  for (;;) {
    const r = ch.replies.find((x) => x.unique === unique);
    if (r !== undefined) return r;
    await ch.waitFor(ch.replies.length + 1);
  }
}

/** A VFS-backed session with one file opened twice (two open file descriptions). */
async function lockVolume() {
  const vfs = await memoryVfs();
  const created = await vfs.create(ROOT_CONTEXT, 1n, 'locked', 0o644, 0, 2 /* O_RDWR */);
  const ino = created.ino;
  const second = await vfs.open(ROOT_CONTEXT, ino, 2);
  const { ch, s } = await session(new VfsFuseHandler(vfs));
  return { vfs, ino, fhA: created.fh, fhB: second.fh, ch, s };
}

describe('INTERRUPT of a blocked lock wait', () => {
  test('SETLKW then INTERRUPT: the wait answers EINTR, holds nothing, and another owner then takes the range', async () => {
    const { ino, fhA, fhB, ch } = await lockVolume();
    expect((await call(ch, OP.SETLK, ino, lkIn(fhA, 0xa1n, F_WRLCK, 0n, OFFSET_MAX))).errno).toBe(0);

    const waiting = newUnique();
    ch.push(frame(OP.SETLKW, waiting, ino, lkIn(fhB, 0xb2n, F_WRLCK, 100n, 199n)));
    for (let i = 0; i < 20; i++) await tick();
    expect(ch.replies.filter((r) => r.unique === waiting)).toHaveLength(0);

    const before = ch.replies.length;
    ch.push(frame(OP.INTERRUPT, waiting | 1n, 0n, interruptIn(waiting)));
    const r = await replyFor(ch, waiting);
    expect(r.errno).toBe(EINTR);
    expect(r.payload.length).toBe(0);
    // INTERRUPT itself is never answered.
    expect(ch.replies.some((x) => x.unique === (waiting | 1n))).toBe(false);

    // The waiter took nothing: GETLK by a third owner sees only A's lock.
    const g = await call(ch, OP.GETLK, ino, lkIn(fhB, 0xc3n, F_WRLCK, 150n, 150n));
    expect(g.errno).toBe(0);
    expect(g.payload.readUInt32LE(16)).toBe(F_WRLCK);
    expect(g.payload.readBigUInt64LE(0)).toBe(0n); // A's range starts at 0, B asked from 100
    expect((await call(ch, OP.SETLK, ino, lkIn(fhA, 0xa1n, F_UNLCK, 0n, OFFSET_MAX))).errno).toBe(0);
    await pollersHadTheirChance();
    expect((await call(ch, OP.SETLK, ino, lkIn(fhB, 0xc3n, F_WRLCK, 0n, OFFSET_MAX))).errno).toBe(0);
    // Exactly one reply went to the interrupted request, however late its handler finished.
    for (let i = 0; i < 20; i++) await tick();
    expect(ch.replies.slice(before).filter((x) => x.unique === waiting)).toHaveLength(1);
  });

  test('blocking flock (SETLKW with FUSE_LK_FLOCK) is interrupted the same way', async () => {
    const { ino, fhA, fhB, ch } = await lockVolume();
    expect((await call(ch, OP.SETLK, ino, lkIn(fhA, 0xa1n, F_WRLCK, 0n, OFFSET_MAX, FUSE_LK_FLOCK))).errno).toBe(0);
    const waiting = newUnique();
    ch.push(frame(OP.SETLKW, waiting, ino, lkIn(fhB, 0xb2n, F_RDLCK, 0n, OFFSET_MAX, FUSE_LK_FLOCK)));
    for (let i = 0; i < 20; i++) await tick();
    expect(ch.replies.some((r) => r.unique === waiting)).toBe(false);
    ch.push(frame(OP.INTERRUPT, waiting | 1n, 0n, interruptIn(waiting)));
    expect((await replyFor(ch, waiting)).errno).toBe(EINTR);
    // Still A's: a non-blocking flock from B fails, then succeeds once A unlocks.
    expect((await call(ch, OP.SETLK, ino, lkIn(fhB, 0xb2n, F_RDLCK, 0n, OFFSET_MAX, FUSE_LK_FLOCK))).errno).toBe(EAGAIN);
    expect((await call(ch, OP.SETLK, ino, lkIn(fhA, 0xa1n, F_UNLCK, 0n, OFFSET_MAX, FUSE_LK_FLOCK))).errno).toBe(0);
    await pollersHadTheirChance();
    expect((await call(ch, OP.SETLK, ino, lkIn(fhB, 0xb2n, F_WRLCK, 0n, OFFSET_MAX, FUSE_LK_FLOCK))).errno).toBe(0);
  });

  test('a SETLKW granted as the interrupt arrives is answered with success, not EINTR', async () => {
    // The handler finishes its lock even though the signal aborted (the grant won the race):
    // the session must pass that on, or the caller would hold a lock it believes it lacks.
    let release!: () => void;
    const h: FuseHandler = {
      getlk: async () => ({ start: 0n, end: 0n, type: F_UNLCK, pid: 0 }),
      setlk: (ctx: RequestContext) => new Promise<void>((resolve) => {
        release = resolve;
        void ctx.signal;
      }),
    };
    const { ch } = await session(h);
    const waiting = newUnique();
    ch.push(frame(OP.SETLKW, waiting, 1n, lkIn(1, 1n, F_WRLCK, 0n, 0n)));
    await tick();
    ch.push(frame(OP.INTERRUPT, waiting | 1n, 0n, interruptIn(waiting)));
    await tick();
    expect(ch.replies.some((r) => r.unique === waiting)).toBe(false);
    release();
    expect((await replyFor(ch, waiting)).errno).toBe(0);
  });

  test('an INTERRUPT that arrives before its request: the request is answered EINTR without running', async () => {
    const calls: string[] = [];
    const h: FuseHandler = {
      getlk: async () => ({ start: 0n, end: 0n, type: F_UNLCK, pid: 0 }),
      setlk: async (_c: RequestContext, _i: bigint, req: LkIn) => void calls.push(`setlk ${req.owner}`),
      readlink: async () => (calls.push('readlink'), Buffer.from('t')),
    };
    const { ch } = await session(h);
    const lock = newUnique();
    const link = newUnique();
    ch.push(frame(OP.INTERRUPT, lock | 1n, 0n, interruptIn(lock)));
    ch.push(frame(OP.INTERRUPT, link | 1n, 0n, interruptIn(link)));
    ch.push(frame(OP.SETLKW, lock, 1n, lkIn(1, 7n, F_WRLCK, 0n, 0n)));
    ch.push(frame(OP.READLINK, link, 2n, Buffer.alloc(0)));
    expect((await replyFor(ch, lock)).errno).toBe(EINTR);
    expect((await replyFor(ch, link)).errno).toBe(EINTR);
    expect(calls).toEqual([]);
    // Used up: the same kind of request later runs normally.
    expect((await call(ch, OP.SETLKW, 1n, lkIn(1, 8n, F_WRLCK, 0n, 0n))).errno).toBe(0);
    expect(calls).toEqual(['setlk 8']);
  });

  test('the session ending (unmount) stops a waiting SETLKW: its lock call settles with EINTR and nothing is written after the end', async () => {
    const vfs = await memoryVfs();
    const created = await vfs.create(ROOT_CONTEXT, 1n, 'locked', 0o644, 0, 2);
    const ino = created.ino;
    const fhA = created.fh;
    const fhB = (await vfs.open(ROOT_CONTEXT, ino, 2)).fh;
    const handler = new VfsFuseHandler(vfs);
    // Watch the handler's own promise: after the end no reply can tell us it settled.
    let outcome: string | undefined;
    const watched: FuseHandler = {
      getlk: (c, i, r) => handler.getlk(c, i, r),
      setlk: (c, i, r, b) => {
        const p = handler.setlk(c, i, r, b);
        if (b) p.then(() => (outcome = 'granted'), (e: { code?: string }) => (outcome = e.code ?? 'error'));
        return p;
      },
    };
    const { ch, s } = await session(watched);
    expect((await call(ch, OP.SETLK, ino, lkIn(fhA, 0xa1n, F_WRLCK, 0n, OFFSET_MAX))).errno).toBe(0);
    const waiting = newUnique();
    ch.push(frame(OP.SETLKW, waiting, ino, lkIn(fhB, 0xb2n, F_WRLCK, 0n, 0n)));
    for (let i = 0; i < 20; i++) await tick();
    expect(outcome).toBeUndefined();
    const count = ch.replies.length;
    ch.end('ENODEV');
    await expect(s.ended).resolves.toBe('ENODEV');
    while (outcome === undefined) await tick();
    expect(outcome).toBe('EINTR');
    expect(ch.replies.length).toBe(count);
    await s.close();
    // Nothing was taken by the stopped wait.
    await vfs.setlk(ROOT_CONTEXT, ino, fhA, 0xa1n, { type: LockType.Unlock, start: 0n, end: OFFSET_MAX, pid: 1 }, false);
    await pollersHadTheirChance();
    await vfs.setlk(ROOT_CONTEXT, ino, fhB, 0xc3n, { type: LockType.Write, start: 0n, end: OFFSET_MAX, pid: 1 }, false);
  });
});
