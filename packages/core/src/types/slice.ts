/** 64 MiB: the fixed chunk size. Chunk index = offset / CHUNK_SIZE. */
export const CHUNK_SIZE = 64 * 1024 * 1024;

/**
 * One record of a chunk's slice list (24 bytes on disk): chunk range [pos, pos+len) reads slice
 * `id` bytes [off, off+len). id 0 is a hole (zeros). Later records win where they overlap.
 */
export interface Slice {
  pos: number;
  id: number;
  size: number;
  off: number;
  len: number;
}

/** A piece of the merged view of a chunk: [pos, pos+len) comes from slice id at off (id 0 = zeros). */
export interface SliceView {
  pos: number;
  id: number;
  size: number;
  off: number;
  len: number;
}

/**
 * Replay a chunk's slice list into non-overlapping, position-ordered pieces, later records
 * overwriting earlier ones; gaps are omitted (they read as zeros).
 */
export function buildSliceView(records: readonly Slice[]): SliceView[] {
  let view: SliceView[] = [];
  for (const r of records) {
    if (r.len === 0) continue;
    const start = r.pos;
    const end = r.pos + r.len;
    const next: SliceView[] = [];
    for (const v of view) {
      const vEnd = v.pos + v.len;
      if (vEnd <= start || v.pos >= end) {
        next.push(v);
        continue;
      }
      if (v.pos < start) next.push({ ...v, len: start - v.pos });
      if (vEnd > end) next.push({ ...v, pos: end, off: v.off + (end - v.pos), len: vEnd - end });
    }
    next.push({ pos: r.pos, id: r.id, size: r.size, off: r.off, len: r.len });
    next.sort((a, b) => a.pos - b.pos);
    view = next;
  }
  return view;
}
