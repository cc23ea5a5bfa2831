import { ROOT_CONTEXT, Vfs, defaultFormat, type VfsOptions } from '@juicefs/core';
import { MemoryChunkStore, MemoryVolume, createMemoryMeta } from '@juicefs/core/testing';

/** A VFS over the in-memory Meta and ChunkStore of '@juicefs/core/testing'. */
export async function memoryVfs(options: Partial<VfsOptions> = {}): Promise<Vfs> {
  const meta = createMemoryMeta(new MemoryVolume());
  const format = { ...defaultFormat('fuse-test', '6b0b1b2e-0000-4000-8000-0000000000f5', '/tmp/fuse-test'), TrashDays: 0 };
  await meta.init(format);
  await meta.newSession();
  const store = new MemoryChunkStore({ blockSize: 64 * 1024 });
  return new Vfs({ meta, store, format, options: { flushDelay: 0, ...options } });
}

export { ROOT_CONTEXT };
