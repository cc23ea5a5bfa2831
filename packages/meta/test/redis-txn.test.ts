import { Redis } from 'ioredis';
import { claimRedisDb, type ClaimedDb } from './redis-claim.js';
import { NodeType, fsError, type Attr } from '@juicefs/core';
import { createRedisEngine } from '../src/redis/index.js';
import { encodeAttr } from '../src/codec/attr.js';
import type { EngineStore } from '../src/base/store.js';

// Optimistic transactions (FORMAT.md 4.9) against the real Redis of scripts/services/redis.sh,
// in a database claimed for this file (claim key set with NX, shared range 16..39).

let claimed: ClaimedDb;
let raw: Redis;
let url: string;
let engine: EngineStore;

beforeAll(async () => {
  claimed = await claimRedisDb();
  ({ raw, url } = claimed);
});

beforeEach(async () => {
  await claimed.reset();
  engine = await createRedisEngine(url);
});
afterEach(() => engine.close());
afterAll(() => claimed.release());

const file = (nlink: number): Attr => ({
  flags: 0, type: NodeType.File, mode: 0o644, uid: 0, gid: 0, atime: 0, atimensec: 0, mtime: 0,
  mtimensec: 0, ctime: 0, ctimensec: 0, nlink, length: 0, rdev: 0, parent: 1n, accessACL: 0,
  defaultACL: 0, tier: 0,
});

describe('Redis optimistic transactions', () => {
  it('re-runs the function when a watched key changes before EXEC', async () => {
    await engine.txn(async (tx) => tx.setAttr(5n, file(1)));
    const timed = { ...engine.txDurations! };
    let runs = 0;
    await engine.txn(async (tx) => {
      runs++;
      const a = (await tx.getAttr(5n))!;
      if (runs === 1) await raw.set('i5', (encodeNlink(a, 10)));
      tx.setAttr(5n, { ...a, nlink: a.nlink + 1 });
    });
    expect(runs).toBe(2);
    expect(engine.txRestarts).toBe(1); // juicefs_transaction_restart
    // One transaction for the histogram, its re-run included in its time.
    expect(engine.txDurations!.total - timed.total).toBe(1);
    expect(engine.txDurations!.sum).toBeGreaterThan(timed.sum);
    expect((await engine.txn((tx) => tx.getAttr(5n)))?.nlink).toBe(11);
  });

  it('serialises two concurrent writers without losing updates', async () => {
    const other = await createRedisEngine(url);
    try {
      await engine.txn(async (tx) => tx.setAttr(7n, file(0)));
      let runs = 0;
      const bump = (e: EngineStore) =>
        e.txn(async (tx) => {
          runs++;
          const a = (await tx.getAttr(7n))!;
          await new Promise((r) => setImmediate(r)); // let the other writer interleave
          tx.setAttr(7n, { ...a, nlink: a.nlink + 1 });
          tx.addCounter('totalInodes', 1);
        });
      await Promise.all(Array.from({ length: 40 }, (_, i) => bump(i % 2 === 0 ? engine : other)));
      expect((await engine.txn((tx) => tx.getAttr(7n)))?.nlink).toBe(40);
      expect(await raw.get('totalInodes')).toBe('40');
      expect(runs).toBeGreaterThan(40); // some runs conflicted and were repeated
      expect((engine.txRestarts ?? 0) + (other.txRestarts ?? 0)).toBe(runs - 40);
    } finally {
      await other.close();
    }
  });

  it('retries instead of failing when an error follows reads that another client changed', async () => {
    await engine.txn(async (tx) => tx.setAttr(5n, file(1)));
    let runs = 0;
    const result = await engine.txn(async (tx) => {
      runs++;
      await tx.getAttr(5n);
      if (runs === 1) {
        await raw.del('i5');
        throw fsError('ENOENT', 'stale view');
      }
      return 'second run';
    });
    expect(result).toBe('second run');
    expect(runs).toBe(2);
  });

  it('reports an error from a consistent run once', async () => {
    let runs = 0;
    await expect(
      engine.txn(async (tx) => {
        runs++;
        await tx.getAttr(5n);
        throw fsError('ENOENT', 'no such node');
      }),
    ).rejects.toMatchObject({ code: 'ENOENT' });
    expect(runs).toBe(1);
  });

  it('leaves no WATCH behind after a read-only transaction', async () => {
    await engine.txn(async (tx) => tx.setAttr(5n, file(1)));
    expect((await engine.txn((tx) => tx.getAttr(5n)))?.nlink).toBe(1);
    await raw.set('i5', (encodeNlink(file(1), 3)));
    let runs = 0;
    await engine.txn(async (tx) => {
      runs++;
      tx.setAttr(6n, file(1)); // same pooled connection; i5 must no longer be watched
    });
    expect(runs).toBe(1);
  });

  it('re-runs instead of committing blindly when the connection dropped (and lost its WATCH)', async () => {
    await engine.txn(async (tx) => tx.setAttr(5n, file(1)));
    let runs = 0;
    await engine.txn(async (tx) => {
      runs++;
      const a = (await tx.getAttr(5n))!;
      if (runs === 1) {
        await killEngineConnections();
        await raw.set('i5', encodeNlink(a, 10)); // another writer, unseen by the lost WATCH
      }
      tx.setAttr(5n, { ...a, nlink: a.nlink + 1 });
    });
    expect(runs).toBe(2);
    expect((await engine.txn((tx) => tx.getAttr(5n)))?.nlink).toBe(11);
  });

  it('gives up with EAGAIN after 50 conflicting runs', async () => {
    let runs = 0;
    await expect(
      engine.txn(async (tx) => {
        runs++;
        await tx.getAttr(8n);
        await raw.set('i8', (encodeNlink(file(runs), runs)));
        tx.setAttr(8n, file(0));
      }),
    ).rejects.toMatchObject({ code: 'EAGAIN' });
    expect(runs).toBe(50);
  });
});

/** Drop every connection to this file's database except the raw client's own. */
async function killEngineConnections(): Promise<void> {
  const me = await raw.client('ID');
  const db = url.slice(url.lastIndexOf('/') + 1);
  const list = (await raw.client('LIST')) as string;
  for (const line of list.split('\n')) {
    const id = /(?:^| )id=(\d+)/.exec(line)?.[1];
    if (id && id !== String(me) && new RegExp(`(?:^| )db=${db}(?: |$)`).test(line)) {
      await raw.client('KILL', 'ID', id);
    }
  }
}

/** An attr record with a different nlink, as a "foreign" client would write it. */
function encodeNlink(a: Attr, nlink: number): Buffer {
  return encodeAttr({ ...a, nlink });
}
