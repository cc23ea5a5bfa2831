import {
  align4K,
  buildSliceView,
  CHUNK_SIZE,
  fsError,
  NodeType,
  R_OK,
  W_OK,
  type Attr,
  type Context,
  type Ino,
  type Slice,
  type Timespec,
} from '@juicefs/core';
import { checkAccess } from './permissions.js';
import { quotaTxn } from './quota.js';
import type { MetaState } from './state.js';
import type { TxStore } from './store.js';
import { MAX_FILE_SIZE } from './truncate.js';
import { chargeParents, chargeVolume, checkQuota, now, readOnly, requireAttr, setCtime, setMtime } from './tx-util.js';
import { changeLogEnabled, logChange } from './changelog.js';

function requireFile(attr: Attr, ino: Ino): void {
  if (attr.type === NodeType.Directory) throw fsError('EISDIR', `inode ${ino} is a directory`);
  if (attr.type !== NodeType.File) throw fsError('EINVAL', `inode ${ino} is not a regular file`);
}

function checkSlice(indx: number, s: Slice): void {
  const ok =
    Number.isInteger(indx) && indx >= 0 && [s.pos, s.id, s.size, s.off, s.len].every((v) => Number.isSafeInteger(v) && v >= 0);
  if (!ok || s.pos + s.len > CHUNK_SIZE || (s.id > 0 && s.off + s.len > s.size)) {
    throw fsError('EINVAL', `invalid slice ${JSON.stringify(s)} for chunk ${indx}: it must lie within the chunk and the slice`);
  }
}

/** Grow a file to `length` if it is shorter; charges the extra space (ENOSPC past quota). */
async function growTo(m: MetaState, tx: TxStore, ino: Ino, attr: Attr, length: number): Promise<void> {
  if (length <= attr.length) return;
  if (length > MAX_FILE_SIZE) throw fsError('EFBIG', `file ${ino} would exceed the largest file size`);
  const spaceDelta = align4K(length) - align4K(attr.length);
  await checkQuota(m, tx, spaceDelta, 0, { file: ino, attr });
  const lengthDelta = length - attr.length;
  attr.length = length;
  chargeVolume(tx, spaceDelta, 0, attr);
  await chargeParents(m, tx, ino, attr, lengthDelta, spaceDelta);
}

/** Commit one written slice: append its record and extend the file to cover it. */
export async function write(
  m: MetaState,
  ino: Ino,
  indx: number,
  slice: Slice,
  mtime: Timespec | undefined,
): Promise<Attr> {
  if (m.readOnly) throw fsError('EROFS', 'the volume is mounted read-only');
  checkSlice(indx, slice);
  return quotaTxn(m, async (tx) => {
    const attr = await requireAttr(tx, ino);
    requireFile(attr, ino);
    await growTo(m, tx, ino, attr, indx * CHUNK_SIZE + slice.pos + slice.len);
    tx.appendSlice(ino, indx, slice);
    if (slice.id > 0) tx.newSliceRef(slice.id, slice.size);
    const t = now();
    setMtime(attr, mtime ?? t);
    setCtime(attr, t);
    tx.setAttr(ino, attr);
    // The arguments are built only for a volume that keeps the log: this is the write path.
    if (changeLogEnabled(m)) logChange(m, tx, 'WRITE', [ino, indx, slice.pos, slice.id, slice.size, slice.off, slice.len], attr.length);
    return attr;
  });
}

/**
 * The slice records of chunk `indx`, with the file's attributes when `withAttr` (an atime update
 * needs them). Without, the node is read only when the chunk has no slices, as JuiceFS's Read
 * does: only a file has slices, so a chunk with some answers for the file, and an empty one must
 * still tell a hole of a file from a directory (EISDIR) or a missing inode (ENOENT). A small
 * file's read then costs one statement, not two.
 */
export async function readChunk(m: MetaState, ino: Ino, indx: number, withAttr: boolean): Promise<{ attr?: Attr; slices: Slice[] }> {
  if (!Number.isInteger(indx) || indx < 0) throw fsError('EINVAL', `invalid chunk index ${indx}`);
  return readOnly(m, async (tx) => {
    const found = withAttr ? undefined : await tx.getChunk(ino, indx);
    if (found && found.length > 0) return { slices: found };
    const attr = await requireAttr(tx, ino);
    requireFile(attr, ino);
    return { attr, slices: found ?? (await tx.getChunk(ino, indx)) };
  });
}

/**
 * copy_file_range(2) at the metadata level: the destination gets records pointing into the
 * source's slices (each slice gains a reference); gaps in the source become holes.
 */
export async function copyFileRange(
  m: MetaState,
  ctx: Context,
  fin: Ino,
  offIn: number,
  fout: Ino,
  offOut: number,
  size: number,
  flags: number,
): Promise<number> {
  if (m.readOnly) throw fsError('EROFS', 'the volume is mounted read-only');
  if (flags !== 0) throw fsError('EINVAL', `copy_file_range flags must be 0, got ${flags}`);
  if (![offIn, offOut, size].every((v) => Number.isSafeInteger(v) && v >= 0)) {
    throw fsError('EINVAL', 'copy_file_range offsets and size must be non-negative integers');
  }
  return quotaTxn(m, async (tx) => {
    // generic_copy_file_checks' order: a directory on either side (EISDIR), then any other
    // non-regular file (EINVAL), then overlapping ranges within one file (EINVAL).
    const ain = await requireAttr(tx, fin);
    const aout = fin === fout ? ain : await requireAttr(tx, fout);
    if (ain.type === NodeType.Directory || aout.type === NodeType.Directory) {
      throw fsError('EISDIR', `copy_file_range between inode ${fin} and ${fout}: one is a directory`);
    }
    requireFile(ain, fin);
    requireFile(aout, fout);
    checkAccess(ain, ctx, R_OK, `inode ${fin}`);
    checkAccess(aout, ctx, W_OK, `inode ${fout}`);
    // The copy is cut at the source's EOF before the overlap test, as Linux does.
    const n = offIn >= ain.length ? 0 : Math.min(size, ain.length - offIn);
    if (fin === fout && offIn < offOut + n && offOut < offIn + n) {
      throw fsError('EINVAL', 'copy_file_range source and destination ranges of one file overlap');
    }
    if (aout.flags & 3) throw fsError('EPERM', `inode ${fout} is immutable or append-only (chattr)`);
    if (n === 0) return 0;
    await growTo(m, tx, fout, aout, offOut + n);
    await copySlices(tx, fin, offIn, fout, offOut, n);
    const t = now();
    setMtime(aout, t);
    setCtime(aout, t);
    tx.setAttr(fout, aout);
    logChange(m, tx, 'COPYFILERANGE', [fin, offIn, fout, offOut, size, flags], n);
    return n;
  });
}

async function copySlices(tx: TxStore, fin: Ino, offIn: number, fout: Ino, offOut: number, n: number): Promise<void> {
  const end = offIn + n;
  for (let indx = Math.floor(offIn / CHUNK_SIZE); indx * CHUNK_SIZE < end; indx++) {
    const base = indx * CHUNK_SIZE;
    const lo = Math.max(offIn, base) - base;
    const hi = Math.min(end, base + CHUNK_SIZE) - base;
    const view = buildSliceView(await tx.getChunk(fin, indx));
    // Walk [lo, hi) of this source chunk: pieces from the view, holes in between.
    let pos = lo;
    const pieces = view.filter((v) => v.pos < hi && v.pos + v.len > lo);
    for (const v of [...pieces, undefined]) {
      const start = v ? Math.max(v.pos, lo) : hi;
      if (start > pos) await place(tx, fout, offOut + (base + pos - offIn), { id: 0, size: 0, off: 0 }, start - pos);
      if (!v) break;
      const stop = Math.min(v.pos + v.len, hi);
      const src = { id: v.id, size: v.size, off: v.off + (start - v.pos) };
      await place(tx, fout, offOut + (base + start - offIn), src, stop - start);
      pos = stop;
    }
  }
}

/** Append records for `len` bytes at file offset `at`, split at chunk boundaries. */
async function place(
  tx: TxStore,
  ino: Ino,
  at: number,
  src: { id: number; size: number; off: number },
  len: number,
): Promise<void> {
  let done = 0;
  while (done < len) {
    const off = at + done;
    const indx = Math.floor(off / CHUNK_SIZE);
    const pos = off % CHUNK_SIZE;
    const l = Math.min(len - done, CHUNK_SIZE - pos);
    tx.appendSlice(ino, indx, { pos, id: src.id, size: src.size, off: src.id > 0 ? src.off + done : 0, len: l });
    if (src.id > 0) await tx.addSliceRef(src.id, src.size, 1);
    done += l;
  }
}

function sameSlice(a: Slice, b: Slice): boolean {
  return a.pos === b.pos && a.id === b.id && a.size === b.size && a.off === b.off && a.len === b.len;
}

/**
 * Replace the head of a chunk's list by one compacted slice. Old slices lose a reference;
 * those that reach zero are returned for deletion.
 */
export async function compactChunk(
  m: MetaState,
  ino: Ino,
  indx: number,
  head: readonly Slice[],
  replacement: Slice,
): Promise<Array<{ id: number; size: number }>> {
  if (head.length === 0) throw fsError('EINVAL', 'compaction needs at least one slice to replace');
  checkSlice(indx, replacement);
  return m.store.txn(async (tx) => {
    await requireAttr(tx, ino);
    const current = await tx.getChunk(ino, indx);
    if (current.length < head.length || head.some((s, i) => !sameSlice(s, current[i]!))) {
      throw fsError('EAGAIN', `chunk ${indx} of inode ${ino} changed while it was compacted: retry`);
    }
    tx.setChunk(ino, indx, [replacement, ...current.slice(head.length)]);
    if (replacement.id > 0) tx.newSliceRef(replacement.id, replacement.size);
    const unreferenced: Array<{ id: number; size: number }> = [];
    for (const s of head) {
      if (s.id === 0) continue;
      if ((await tx.addSliceRef(s.id, s.size, -1)) <= 0) unreferenced.push({ id: s.id, size: s.size });
    }
    logChange(m, tx, 'COMPACTCHUNK', [ino, indx, head.length, replacement.id, replacement.size, replacement.len]);
    return unreferenced;
  });
}
