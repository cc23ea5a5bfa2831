import fc from 'fast-check';
import { Redis } from 'ioredis';
import { claimRedisDb, type ClaimedDb } from './redis-claim.js';
import { CHUNK_SIZE, NodeType, type Attr, type Ino } from '@juicefs/core';
import type { EngineStore, TxStore } from '../src/base/store.js';
import { MemoryEngine } from '../src/memory/index.js';
import { createRedisEngine } from '../src/redis/index.js';

// Model-based random test: random transactions of TxStore writes and reads run on the Redis engine
// (real server, scripts/services/redis.sh) and on the in-memory engine; every read inside a
// transaction, and the whole visible state after each, must agree. This exercises the Redis
// write overlay (reads see the transaction's own writes) and aborts (nothing of a failed run
// is committed). A database of its own is claimed with a NX key (shared range 16..39).

let claimed: ClaimedDb;
let raw: Redis;
let url: string;

beforeAll(async () => {
  claimed = await claimRedisDb();
  ({ raw, url } = claimed);
});
afterAll(() => claimed.release());

const INOS = [2n, 3n, 4n] as const;
const NAMES = [Buffer.from('a'), Buffer.from('b'), Buffer.from([0xff, 0x00])];
const XNAMES = ['user.a', 'user.b'];
const COUNTERS = ['usedSpace', 'nextTrash'];

const ino = fc.constantFrom(...INOS);
const name = fc.constantFrom(...NAMES);
const indx = fc.constantFrom(0, 1);
const small = fc.integer({ min: -3, max: 3 });
const slice = fc.record({ pos: fc.nat(1000), id: fc.nat(5), size: fc.nat(1000), off: fc.nat(100), len: fc.nat(1000) });

function attrOf(nlink: number): Attr {
  // length covers chunks 0 and 1, so the Redis engine's length-bounded chunk probe sees both
  return {
    flags: 0, type: NodeType.File, mode: 0o644, uid: 0, gid: 0, atime: 1, atimensec: 0, mtime: 2, mtimensec: 0,
    ctime: 3, ctimensec: 0, nlink, length: 2 * CHUNK_SIZE, rdev: 0, parent: 1n, accessACL: 0, defaultACL: 0, tier: 0,
  };
}

type Op = (tx: TxStore) => Promise<unknown> | void;
const op: fc.Arbitrary<[string, Op]> = fc.oneof(
  fc.tuple(ino, fc.nat(5)).map(([i, n]): [string, Op] => [`setAttr ${i} ${n}`, (tx) => tx.setAttr(i, attrOf(n))]),
  ino.map((i): [string, Op] => [`deleteAttr ${i}`, (tx) => tx.deleteAttr(i)]),
  fc.tuple(ino, name, ino).map(([p, n, c]): [string, Op] => [`setEntry ${p} ${n.toString('hex')} ${c}`, (tx) => tx.setEntry(p, n, c, NodeType.File)]),
  fc.tuple(ino, name).map(([p, n]): [string, Op] => [`deleteEntry ${p} ${n.toString('hex')}`, (tx) => tx.deleteEntry(p, n)]),
  fc.tuple(ino, ino, small).map(([i, p, d]): [string, Op] => [`addParent ${i} ${p} ${d}`, (tx) => tx.addParent(i, p, d)]),
  ino.map((i): [string, Op] => [`deleteParents ${i}`, (tx) => tx.deleteParents(i)]),
  fc.tuple(ino, fc.string({ minLength: 1, maxLength: 5 })).map(([i, t]): [string, Op] => [`setSymlink ${i}`, (tx) => tx.setSymlink(i, Buffer.from(t))]),
  ino.map((i): [string, Op] => [`deleteSymlink ${i}`, (tx) => tx.deleteSymlink(i)]),
  fc.tuple(ino, indx, slice).map(([i, x, s]): [string, Op] => [`appendSlice ${i} ${x}`, (tx) => tx.appendSlice(i, x, s)]),
  fc.tuple(ino, indx, fc.array(slice, { maxLength: 2 })).map(([i, x, s]): [string, Op] => [`setChunk ${i} ${x} ${s.length}`, (tx) => tx.setChunk(i, x, s)]),
  fc.tuple(ino, indx).map(([i, x]): [string, Op] => [`deleteChunk ${i} ${x}`, (tx) => tx.deleteChunk(i, x)]),
  fc.tuple(ino, fc.constantFrom(...XNAMES), fc.string({ maxLength: 4 })).map(([i, n, v]): [string, Op] => [`setXattr ${i} ${n}`, (tx) => tx.setXattr(i, n, Buffer.from(v))]),
  fc.tuple(ino, fc.constantFrom(...XNAMES)).map(([i, n]): [string, Op] => [`removeXattr ${i} ${n}`, (tx) => tx.removeXattr(i, n)]),
  ino.map((i): [string, Op] => [`deleteXattrs ${i}`, (tx) => tx.deleteXattrs(i)]),
  fc.tuple(fc.constantFrom(...COUNTERS), small).map(([c, d]): [string, Op] => [`addCounter ${c} ${d}`, (tx) => tx.addCounter(c, d)]),
  ino.map((i): [string, Op] => [`initDirStat ${i}`, (tx) => tx.initDirStat(i)]),
  fc.tuple(ino, small, small, small).map(([i, a, b, c]): [string, Op] => [`addDirStat ${i}`, (tx) => tx.addDirStat(i, { length: a, space: b, inodes: c })]),
  ino.map((i): [string, Op] => [`deleteDirStat ${i}`, (tx) => tx.deleteDirStat(i)]),
  fc.tuple(fc.constantFrom(1, 2), small).map(([id, d]): [string, Op] => [`addSliceRef ${id} ${d}`, (tx) => tx.addSliceRef(id, 100, d)]),
  fc.tuple(ino, fc.constantFrom(1, 2), fc.constantFrom<'R' | 'W' | undefined>('R', 'W', undefined)).map(([i, sid, t]): [string, Op] => [
    `setFlock ${i} ${sid} ${t}`, (tx) => tx.setFlock(i, sid, 7n, t),
  ]),
  fc.tuple(ino, fc.boolean()).map(([i, on]): [string, Op] => [
    `setPlock ${i} ${on}`, (tx) => tx.setPlock(i, 1, 9n, on ? [{ type: 1, pid: 5, start: 0n, end: 10n }] : []),
  ]),
  // reads, whose results are compared (weighted up: the overlay is only visible through them)
  ...[0, 1, 2].map(() => ino.map((i): [string, Op] => [`read ${i}`, (tx) => snapshotOf(tx, [i])])),
);

const txnArb = fc.record({ ops: fc.array(op, { minLength: 1, maxLength: 8 }), abort: fc.boolean() });

/** Everything a transaction can see about the small domain, in comparable form. */
async function snapshotOf(tx: TxStore, inos: readonly Ino[] = INOS): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const i of inos) {
    const entries: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await tx.listEntries(i, cursor, 2);
      entries.push(...page.entries.map((e) => `${e.name.toString('hex')}=${e.ino}`));
      cursor = page.cursor;
    } while (cursor !== undefined);
    out[`ino ${i}`] = {
      attr: await tx.getAttr(i),
      entries: entries.sort(),
      lookups: await Promise.all(NAMES.map((n) => tx.getEntry(i, n))),
      hasEntries: await tx.hasEntries(i),
      parents: [...(await tx.getParents(i))].sort(),
      symlink: (await tx.getSymlink(i))?.toString('hex'),
      // Redis cannot hold an empty list, so an emptied chunk is simply absent there
      chunks: await nonEmptyChunks(tx, i),
      chunk0: await tx.getChunk(i, 0),
      chunk1: await tx.getChunk(i, 1),
      xattrs: (await tx.listXattr(i)).sort(),
      xvalues: await Promise.all(XNAMES.map(async (n) => (await tx.getXattr(i, n))?.toString('hex'))),
      dirStat: await tx.getDirStat(i),
      flocks: (await tx.getFlocks(i)).sort((a, b) => a.sid - b.sid),
      plocks: await tx.getPlocks(i),
    };
  }
  out.attrs = await tx.getAttrs(inos);
  out.counters = await Promise.all(COUNTERS.map((c) => tx.getCounter(c)));
  return out;
}

async function nonEmptyChunks(tx: TxStore, i: Ino): Promise<number[]> {
  const out: number[] = [];
  for (const x of await tx.listChunks(i)) if ((await tx.getChunk(i, x)).length > 0) out.push(x);
  return out;
}

class Abort extends Error {}

async function runTxn(engine: EngineStore, ops: ReadonlyArray<[string, Op]>, abort: boolean): Promise<unknown[]> {
  const seen: unknown[] = [];
  try {
    await engine.txn(async (tx) => {
      seen.length = 0; // a re-run starts over
      for (const [, f] of ops) seen.push(await f(tx));
      if (abort) throw new Abort();
    });
  } catch (err) {
    if (!(err instanceof Abort)) throw err;
  }
  return seen;
}

it('behaves like the in-memory engine on random transactions', async () => {
  const redis = await createRedisEngine(url);
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(txnArb, { minLength: 1, maxLength: 6 }), async (txns) => {
        await claimed.reset();
        const memory = new MemoryEngine();
        for (const t of txns) {
          const a = await runTxn(redis, t.ops, t.abort);
          const b = await runTxn(memory, t.ops, t.abort);
          expect({ ops: t.ops.map(([n]) => n), seen: a }).toEqual({ ops: t.ops.map(([n]) => n), seen: b });
          expect(await redis.txn((tx) => snapshotOf(tx))).toEqual(await memory.txn((tx) => snapshotOf(tx)));
        }
      }),
      { numRuns: 80 },
    );
  } finally {
    await redis.close();
  }
}, 120000);
