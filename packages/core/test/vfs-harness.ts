// Shared set-up of the VFS tests: a fresh in-memory volume (reference Meta + MemoryChunkStore)
// per test, with a small block size so tests cross block boundaries cheaply.
import { CHUNK_SIZE, defaultFormat, O_CREAT, O_RDWR, ROOT_CONTEXT, ROOT_INODE, Vfs, type Context, type Ino, type VfsOptions } from '../src/index.js';
import { createMemoryMeta, MemoryChunkStore, MemoryVolume } from '../src/testing/index.js';

export { CHUNK_SIZE };
export const BLOCK = 4096;

export interface Harness {
  vfs: Vfs;
  meta: ReturnType<typeof createMemoryMeta>;
  store: MemoryChunkStore;
  volume: MemoryVolume;
  ctx: Context;
}

export async function newHarness(options: Partial<VfsOptions> = {}, volume?: MemoryVolume): Promise<Harness> {
  const vol = volume ?? new MemoryVolume();
  const meta = createMemoryMeta(vol);
  const format = { ...defaultFormat('vfs-test', '6b0b1b2e-0000-4000-8000-000000000001', '/tmp/vfs-test'), SecretKey: 'sekrit', TrashDays: 0 };
  if (!volume) await meta.init(format);
  await meta.newSession();
  const store = new MemoryChunkStore({ blockSize: BLOCK });
  const vfs = new Vfs({ meta, store, format, options: { attrCache: 0, entryCache: 0, dirEntryCache: 0, ...options } });
  return { vfs, meta, store, volume: vol, ctx: ROOT_CONTEXT };
}

/** Create `name` in the root and return its inode and a read-write handle. */
export async function createFile(h: Harness, name: string, flags = O_RDWR | O_CREAT): Promise<{ ino: Ino; fh: number }> {
  const r = await h.vfs.create(h.ctx, ROOT_INODE, name, 0o644, 0o022, flags);
  return { ino: r.ino, fh: r.fh };
}

/** Deterministic pseudo-random bytes. */
export function pattern(length: number, seed = 1): Buffer {
  const b = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/** A model of a file's bytes: apply writes, read back. */
export class FileModel {
  data = Buffer.alloc(0);
  write(offset: number, bytes: Buffer): void {
    if (offset + bytes.length > this.data.length) {
      const grown = Buffer.alloc(offset + bytes.length);
      this.data.copy(grown);
      this.data = grown;
    }
    bytes.copy(this.data, offset);
  }
  truncate(length: number): void {
    const next = Buffer.alloc(length);
    this.data.copy(next, 0, 0, Math.min(length, this.data.length));
    this.data = next;
  }
}

/** Compare bytes quickly (jest's deep equality walks Buffers element by element), naming the first difference. */
export function expectBytes(got: Buffer, want: Buffer): void {
  if (got.equals(want)) return;
  let i = 0;
  while (i < got.length && i < want.length && got[i] === want[i]) i++;
  expect({ length: got.length, firstDifferenceAt: i, got: got.subarray(i, i + 16).toString('hex') }).toEqual({
    length: want.length,
    firstDifferenceAt: Math.min(got.length, want.length),
    got: want.subarray(i, i + 16).toString('hex'),
  });
}
