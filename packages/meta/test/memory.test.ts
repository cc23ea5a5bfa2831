import { metaConformance } from '@juicefs/core/conformance';
import { BaseMeta } from '../src/base/base-meta.js';
import { clientsEnv } from './clients-env.js';
import { MemoryEngine } from '../src/memory/index.js';

// The whole Meta conformance suite on BaseMeta over the in-memory engine: a fresh volume per
// test; newClient() opens a second BaseMeta on the same engine, as two mounts of one volume.
metaConformance('memory', async () => {
  const engine = new MemoryEngine();
  return clientsEnv(async () => new BaseMeta(engine), undefined, false);
});

describe('MemoryEngine transactions', () => {
  it('roll back every write of a transaction that throws, including nested maps', async () => {
    const engine = new MemoryEngine();
    await engine.txn(async (tx) => {
      tx.setEntry(1n, Buffer.from('keep'), 2n, 1);
      tx.addCounter('usedSpace', 10);
    });
    await expect(
      engine.txn(async (tx) => {
        tx.setEntry(1n, Buffer.from('new'), 3n, 1);
        tx.deleteEntry(1n, Buffer.from('keep'));
        tx.addCounter('usedSpace', 5);
        tx.setXattr(3n, 'user.a', Buffer.from('v'));
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    await engine.txn(async (tx) => {
      expect(await tx.getEntry(1n, Buffer.from('keep'))).toEqual({ ino: 2n, type: 1 });
      expect(await tx.getEntry(1n, Buffer.from('new'))).toBeUndefined();
      expect(await tx.getCounter('usedSpace')).toBe(10);
      expect(await tx.listXattr(3n)).toEqual([]);
    });
  });

  it('run transactions one at a time: a read-modify-write never loses an update', async () => {
    const engine = new MemoryEngine();
    const bump = () =>
      engine.txn(async (tx) => {
        const v = await tx.getCounter('n');
        await new Promise((r) => setImmediate(r)); // yield inside the transaction
        tx.addCounter('n', v + 1 - v);
        return v;
      });
    const seen = await Promise.all(Array.from({ length: 20 }, bump));
    expect(new Set(seen).size).toBe(20);
    expect(await engine.txn((tx) => tx.getCounter('n'))).toBe(20);
  });

  it('page directory entries in byte order with a cursor that survives concurrent inserts', async () => {
    const engine = new MemoryEngine();
    await engine.txn(async (tx) => {
      for (const n of ['c', 'a', 'b', 'd']) tx.setEntry(1n, Buffer.from(n), 2n, 1);
    });
    const p1 = await engine.txn((tx) => tx.listEntries(1n, undefined, 2));
    expect(p1.entries.map((e) => e.name.toString())).toEqual(['a', 'b']);
    await engine.txn(async (tx) => tx.setEntry(1n, Buffer.from('aa'), 3n, 1)); // sorts before the cursor
    const p2 = await engine.txn((tx) => tx.listEntries(1n, p1.cursor, 2));
    expect(p2.entries.map((e) => e.name.toString())).toEqual(['c', 'd']);
    expect(p2.cursor).toBeUndefined();
  });
});
