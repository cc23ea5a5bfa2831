// Model-based random tests run on the model itself (a sanity check of the harness: the model must
// agree with itself on every sequence), and on broken variants to show the harness can fail.
import type { Context } from '../src/types/context.js';
import type { Ino } from '../src/types/inode.js';
import type { Attr } from '../src/types/attr.js';
import { checkMetaModel, compareWithModel, metaModelTest, type MetaFactory, type ModelOp } from '../src/conformance/index.js';
import { MemoryMeta, MemoryVolume } from '../src/testing/index.js';

function factoryOf(Cls: new (v: MemoryVolume) => MemoryMeta): MetaFactory {
  return async () => {
    const volume = new MemoryVolume();
    return { meta: new Cls(volume), newClient: async () => new Cls(volume), cleanup: async () => {} };
  };
}

/** link that does not count the new link. */
class LinkForgetsNlink extends MemoryMeta {
  override async link(ctx: Context, ino: Ino, parent: Ino, name: Buffer | string): Promise<Attr> {
    await super.link(ctx, ino, parent, name);
    this.node(ino).nlink--;
    return { ...this.node(ino) };
  }
}

/** rmdir that does not drop the parent's nlink. */
class RmdirKeepsParentNlink extends MemoryMeta {
  override async rmdir(ctx: Context, parent: Ino, name: Buffer | string): Promise<void> {
    await super.rmdir(ctx, parent, name);
    this.node(parent).nlink++;
  }
}

/** A client that caches lookups until it changes the namespace itself, so it misses other clients' changes. */
class StaleLookupCache extends MemoryMeta {
  private readonly cache = new Map<string, Awaited<ReturnType<MemoryMeta['lookup']>>>();
  override async create(...args: Parameters<MemoryMeta['create']>): ReturnType<MemoryMeta['create']> {
    this.cache.clear();
    return super.create(...args);
  }
  override async rename(...args: Parameters<MemoryMeta['rename']>): ReturnType<MemoryMeta['rename']> {
    this.cache.clear();
    return super.rename(...args);
  }
  override async lookup(ctx: Context, parent: Ino, name: Buffer | string, check = true): ReturnType<MemoryMeta['lookup']> {
    const key = `${parent}/${name.toString()}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const r = await super.lookup(ctx, parent, name, check);
    this.cache.set(key, r);
    return r;
  }
}

metaModelTest('memory model vs itself', factoryOf(MemoryMeta), { numRuns: 40, maxOps: 40 });
metaModelTest('memory model vs itself, one client', factoryOf(MemoryMeta), { numRuns: 20, maxOps: 40, clients: 1 });
metaModelTest('memory model vs itself, trash on', factoryOf(MemoryMeta), { numRuns: 20, maxOps: 40, format: { TrashDays: 1 } });

describe('the model-based test can fail', () => {
  it('a fixed sequence exposes a link that forgets nlink', async () => {
    const ops: ModelOp[] = [
      { op: 'create', path: ['a'], mode: 0o644, user: 'root', client: 0 },
      { op: 'link', from: ['a'], to: ['b'], user: 'root', client: 0 },
    ];
    await compareWithModel(factoryOf(MemoryMeta), ops, {}, 1);
    await expect(compareWithModel(factoryOf(LinkForgetsNlink), ops, {}, 1)).rejects.toThrow(/step 1/);
  });

  it('a difference only visible in the final tree is reported', async () => {
    const ops: ModelOp[] = [
      { op: 'mkdir', path: ['a'], mode: 0o755, user: 'root', client: 0 },
      { op: 'mkdir', path: ['a', 'b'], mode: 0o755, user: 'root', client: 0 },
      { op: 'rmdir', path: ['a', 'b'], user: 'root', client: 0 },
    ];
    await expect(compareWithModel(factoryOf(RmdirKeepsParentNlink), ops, {}, 1)).rejects.toThrow(/final tree differs/);
  });

  it('two clients expose a client that serves stale lookups', async () => {
    const ops: ModelOp[] = [
      { op: 'mkdir', path: ['a'], mode: 0o755, user: 'root', client: 0 },
      { op: 'setattr', path: ['a'], set: { mode: 0o700 }, user: 'root', client: 1 },
      { op: 'rename', from: ['a'], to: ['b'], flags: 0, user: 'root', client: 0 },
      { op: 'create', path: ['a'], mode: 0o644, user: 'root', client: 0 },
      { op: 'setattr', path: ['a'], set: { size: 5 }, user: 'root', client: 1 },
    ];
    await compareWithModel(factoryOf(StaleLookupCache), ops, {}, 1);
    await expect(compareWithModel(factoryOf(StaleLookupCache), ops, {}, 2)).rejects.toThrow(/step 4/);
  });

  it('random sequences find the broken link (fixed seed, no shrinking)', async () => {
    await expect(checkMetaModel(factoryOf(LinkForgetsNlink), { numRuns: 200, seed: 42, shrink: false })).rejects.toThrow(/engine gave|final tree/);
  });
});
