import { compactChunk, O_RDWR, ROOT_INODE, type WriterOptions } from '../src/index.js';
import { newHarness, pattern } from './vfs-harness.js';

// JuiceFS 1.4 storage tiers in the VFS: a file's slices are written for the tier its attributes
// name (inherited from its directory when it was made), so the chunk store can put their objects
// in that tier's storage class.

describe('VFS: storage tiers', () => {
  it('writes of a file in a tiered directory ask the chunk store for that tier, on create and on a later open', async () => {
    const h = await newHarness();
    const tiers: number[] = [];
    const newWriter = h.store.newWriter.bind(h.store);
    h.store.newWriter = (id: number, options?: WriterOptions) => {
      tiers.push(options?.tier ?? 0);
      return newWriter(id);
    };
    const cold = await h.vfs.mkdir(h.ctx, ROOT_INODE, 'cold', 0o755, 0o022);
    h.volume.nodes.set(cold.ino, { ...h.volume.nodes.get(cold.ino)!, tier: 2 }); // as `juicefs tier set --id 2 /cold` leaves it

    const made = await h.vfs.create(h.ctx, cold.ino, 'f', 0o644, 0o022, O_RDWR);
    expect(made.attr.tier).toBe(2);
    await h.vfs.write(h.ctx, made.ino, made.fh, 0, pattern(5000));
    await h.vfs.flush(h.ctx, made.ino, made.fh);
    await h.vfs.release(h.ctx, made.ino, made.fh);

    const again = await h.vfs.open(h.ctx, made.ino, O_RDWR);
    await h.vfs.write(h.ctx, made.ino, again.fh, 5000, pattern(100, 7));
    await h.vfs.release(h.ctx, made.ino, again.fh);

    const hot = await h.vfs.create(h.ctx, ROOT_INODE, 'g', 0o644, 0o022, O_RDWR);
    await h.vfs.write(h.ctx, hot.ino, hot.fh, 0, pattern(10));
    await h.vfs.release(h.ctx, hot.ino, hot.fh);
    // Compaction rewrites the file's two slices as one: still in the file's tier.
    expect(await compactChunk(h.meta, h.store, made.ino, 0)).toBe(true);
    expect(tiers).toEqual([2, 2, 0, 2]);
  });
});
