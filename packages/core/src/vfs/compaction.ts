import type { ChunkStore } from '../chunk/store.js';
import { hasCode } from '../errors/fs-error.js';
import type { Meta } from '../meta/meta.js';
import { ROOT_CONTEXT } from '../types/context.js';
import type { Ino } from '../types/inode.js';
import { buildSliceView, type Slice } from '../types/slice.js';

/** A chunk with at least this many slice records is compacted after it is read (JuiceFS's threshold). */
export const COMPACT_READ_THRESHOLD = 5;

/**
 * Merge the slice records of one chunk into a single slice: read the merged view (zeros for
 * holes), write it as a new slice, and swap it in for the records read with
 * `meta.compactChunk`, which refuses (EAGAIN) when the chunk changed meanwhile; the new slice
 * is then deleted again. Records appended during the work stay after the replacement, so
 * concurrent writes are never lost. Returns true when the chunk was compacted.
 */
export async function compactChunk(meta: Meta, store: ChunkStore, ino: Ino, indx: number): Promise<boolean> {
  const head = await meta.readChunk(ROOT_CONTEXT, ino, indx);
  if (head.length < 2) return false;
  const start = Math.min(...head.map((s) => s.pos));
  const end = Math.max(...head.map((s) => s.pos + s.len));
  const size = end - start;
  const view = buildSliceView(head);
  let replacement: Slice;
  if (view.every((p) => p.id === 0)) {
    replacement = { pos: start, id: 0, size, off: 0, len: size };
  } else {
    const data = Buffer.alloc(size);
    await Promise.all(
      view
        .filter((p) => p.id !== 0)
        .map(async (p) => {
          const piece = await store.newReader(p.id, p.size).readAt(p.off, p.len);
          piece.copy(data, p.pos - start, 0, Math.min(piece.length, p.len));
        }),
    );
    const id = await meta.newSlice();
    // The merged slice belongs to the same file: its objects keep the file's storage tier.
    const { tier } = await meta.getAttr(ROOT_CONTEXT, ino);
    const writer = store.newWriter(id, tier === 0 ? undefined : { tier });
    try {
      // Block by block, letting the store upload as it goes rather than buffer 64 MiB at once.
      for (let done = 0; done < size; ) {
        const n = Math.min(store.blockSize, size - done);
        await writer.writeAt(data.subarray(done, done + n), done);
        done += n;
        await writer.flushTo(done);
      }
      await writer.finish(size);
    } catch (err) {
      await writer.abort().catch(() => undefined);
      throw err;
    }
    replacement = { pos: start, id, size, off: 0, len: size };
  }
  try {
    await meta.compactChunk(ino, indx, head, replacement);
    return true;
  } catch (err) {
    if (replacement.id !== 0) await store.remove(replacement.id, size).catch(() => undefined);
    if (hasCode(err, 'EAGAIN') || hasCode(err, 'ENOENT')) return false; // changed or deleted meanwhile: nothing lost
    throw err;
  }
}
