import type { ChunkStore, SliceWriter } from '../chunk/store.js';
import { fsError } from '../errors/fs-error.js';
import type { Meta } from '../meta/meta.js';
import { nowTimespec, type Attr, type Timespec } from '../types/attr.js';
import type { Context } from '../types/context.js';
import type { Ino } from '../types/inode.js';
import { buildSliceView, CHUNK_SIZE, type SliceView } from '../types/slice.js';
import { AsyncMutex } from './async-mutex.js';

/** Flush an inode early once it has this many uncommitted slices (keeps chunk slice lists short). */
const MAX_PENDING_SLICES = 256;
/** A write may go into one of this many of its chunk's newest pending slices (as JuiceFS). */
const WRITABLE_SLICES = 4;

/** A slice being written: bytes [pos, pos+len) of chunk `indx`, stored as slice `id`. */
interface PendingSlice {
  indx: number;
  pos: number;
  len: number;
  id: number;
  writer: SliceWriter;
  /** Bytes handed to flushTo so far. */
  flushed: number;
  /** Time of the last write into the slice: the file's mtime when it is committed (as upstream). */
  lastMod: Timespec;
  /** First background upload failure; the slice must then never be committed. */
  error?: unknown;
}

/** What the VFS knows of one file's data while it is open or has unflushed writes. */
class InodeData {
  readonly mutex = new AsyncMutex();
  /** Length as last committed to / read from the metadata engine. */
  length = 0;
  pending: PendingSlice[] = [];
  /** Slices being finished and committed by a flush: still part of the apparent length. */
  committing: PendingSlice[] = [];
  /** Merged slice lists of chunks read since the last local change. */
  readonly views = new Map<number, SliceView[]>();
  /** Open handles (the entry is dropped at the last close once nothing is pending). */
  opens = 0;
  /** When the last write arrived (ms), and whose it was: background flushes commit as that caller. */
  lastWrite = 0;
  lastWriter: Context | undefined;
  /** A background flush failed: the next flush/fsync/close of the file reports it. */
  deferredError: unknown;
  /** The file's storage tier as last opened (JuiceFS 1.4): its new slices are written for it. */
  tier = 0;

  /** Length including writes not yet committed. */
  get apparentLength(): number {
    let len = this.length;
    for (const s of this.pending) len = Math.max(len, s.indx * CHUNK_SIZE + s.pos + s.len);
    for (const s of this.committing) len = Math.max(len, s.indx * CHUNK_SIZE + s.pos + s.len);
    return len;
  }

  get pendingBytes(): number {
    let n = 0;
    for (const s of this.pending) n += s.len;
    return n;
  }
}

/**
 * The data path of the VFS: writes are buffered per inode into slices (never crossing a 64 MiB
 * chunk) and committed to the metadata engine in write order on flush; reads first commit the
 * inode's own pending writes (so a process reads what it wrote), then merge the chunk's slice
 * list and read each piece from the chunk store, zeros for holes.
 *
 * One writer and many readers per inode: every change of an inode's data runs under that
 * inode's mutex, so writes from several handles (O_APPEND included) are applied one at a time.
 */
/** What a read needs: its length and the slice pieces to copy from (see FileData.planRead). */
interface ReadPlan {
  wanted: number;
  parts: Array<{ piece: SliceView; s: number; e: number; at: number }>;
}

export class FileData {
  private readonly inodes = new Map<Ino, InodeData>();
  private totalPending = 0;
  /** Bumped by every local change of committed data, so stale engine answers can be recognised. */
  private changes = 0;

  /**
   * @param onChange called after this client changed the committed data or length of an inode
   *   (commit, truncate…), so cached attributes can be dropped.
   */
  constructor(
    private readonly meta: Meta,
    private readonly store: ChunkStore,
    private readonly bufferSize: number,
    private readonly onChange: (ino: Ino) => void = () => undefined,
    /** Called when a read found a chunk with many slice records (a compaction candidate). */
    private readonly onFragmented: (ino: Ino, indx: number, records: number) => void = () => undefined,
  ) {}

  /** Forget the merged slice lists of an inode (its chunks were compacted). */
  invalidate(ino: Ino): void {
    this.inodes.get(ino)?.views.clear();
  }

  /** Take before asking the engine for attributes; pass to `observe` with the answer. */
  get changeCount(): number {
    return this.changes;
  }

  /** Bytes written but not yet committed, over all inodes. */
  get usedBuffer(): number {
    return this.totalPending;
  }

  /** An open of `ino` whose attributes say the file is `length` bytes long (close-to-open), in storage tier `tier`. */
  opened(ino: Ino, length: number, tier = 0): void {
    const d = this.entry(ino);
    d.opens++;
    d.tier = tier;
    if (d.pending.length === 0) d.length = length;
    d.views.clear();
  }

  /** A close; the bookkeeping goes once no handle and no pending write is left. */
  closed(ino: Ino): void {
    const d = this.inodes.get(ino);
    if (!d) return;
    d.opens = Math.max(0, d.opens - 1);
    this.maybeForget(ino, d);
  }

  /** Length including this client's uncommitted writes, when it has any. */
  pendingLength(ino: Ino): number | undefined {
    const d = this.inodes.get(ino);
    return d && (d.pending.length > 0 || d.committing.length > 0) ? d.apparentLength : undefined;
  }

  /**
   * Apply attributes fetched from the engine (the committed length of an open file, maybe
   * changed by another client), unless this client changed data since `changeCount` was taken:
   * then the answer may predate our own commit.
   */
  observe(ino: Ino, attr: Attr, changeCount: number): void {
    const d = this.inodes.get(ino);
    if (d && d.length !== attr.length && !d.mutex.busy && changeCount === this.changes) {
      d.length = attr.length;
      d.views.clear();
    }
  }

  /**
   * Write `data` at `offset` (or at the end of the file when `append`); returns the offset used.
   */
  write(ctx: Context, ino: Ino, offset: number, data: Buffer, append: boolean): Promise<number> {
    const d = this.entry(ino);
    return d.mutex.run(async () => {
      const at = append ? d.apparentLength : offset;
      d.lastWrite = Date.now();
      d.lastWriter = ctx;
      await this.writeLocked(d, at, data);
      if (this.totalPending > this.bufferSize || d.pending.length > MAX_PENDING_SLICES) await this.flushLocked(ctx, ino, d);
      return at;
    });
  }

  /** Commit the inode's pending writes. */
  flush(ctx: Context, ino: Ino): Promise<void> {
    const d = this.inodes.get(ino);
    if (!d) return Promise.resolve();
    return d.mutex.run(async () => {
      await this.flushLocked(ctx, ino, d);
      this.maybeForget(ino, d);
      const deferred = d.deferredError;
      if (deferred !== undefined) {
        d.deferredError = undefined;
        throw deferred;
      }
    });
  }

  /**
   * Commit, in the background, inodes whose last write is at least `idleMs` old, so data does
   * not stay in memory indefinitely while a file is held open. A failure is kept for the next
   * flush, fsync or close of that file to report.
   */
  flushIdle(idleMs: number): void {
    const now = Date.now();
    for (const [ino, d] of this.inodes) {
      if (d.pending.length === 0 || d.mutex.busy || now - d.lastWrite < idleMs || !d.lastWriter) continue;
      const ctx = d.lastWriter;
      d.mutex
        .run(() => this.flushLocked(ctx, ino, d))
        .catch((err: unknown) => {
          d.deferredError ??= err;
        });
    }
  }

  /** Commit every inode's pending writes (unmount). */
  async flushAll(ctx: Context): Promise<void> {
    await Promise.all([...this.inodes.keys()].map((ino) => this.flush(ctx, ino)));
  }

  /**
   * Run a metadata change of the file's data (truncate, fallocate, copy_file_range into it)
   * after its pending writes are committed and with its writers held off; `fn` returns the
   * new attributes.
   */
  change(ctx: Context, ino: Ino, fn: () => Promise<Attr | undefined>): Promise<Attr | undefined> {
    const d = this.entry(ino);
    return d.mutex.run(async () => {
      try {
        await this.flushLocked(ctx, ino, d);
        const attr = await fn();
        if (attr) d.length = attr.length;
        return attr;
      } finally {
        this.changes++;
        this.onChange(ino);
        d.views.clear();
        this.maybeForget(ino, d);
      }
    });
  }

  /**
   * Read up to `size` bytes at `offset`, short at the end of the file. A failed piece is tried
   * once more with fresh slice lists: a compaction may have replaced the slices meanwhile.
   */
  async read(ctx: Context, ino: Ino, offset: number, size: number, shared = false): Promise<Buffer> {
    try {
      return await this.readOnce(ctx, ino, offset, size, shared);
    } catch (err) {
      const d = this.inodes.get(ino);
      if (!d || d.views.size === 0) throw err;
      d.views.clear();
      return this.readOnce(ctx, ino, offset, size, shared);
    }
  }

  private async readOnce(ctx: Context, ino: Ino, offset: number, size: number, shared: boolean): Promise<Buffer> {
    const d = this.entry(ino);
    const plan = await d.mutex.run(async () => {
      await this.flushLocked(ctx, ino, d);
      return this.planRead(ctx, ino, d, offset, size);
    });
    if (!plan) return Buffer.alloc(0);
    const { wanted, parts } = plan;
    // The common sequential case: one slice covers the whole request. Its bytes are already a
    // fresh buffer, so hand them on instead of allocating, zeroing and copying another one.
    const only = parts.length === 1 ? parts[0] : undefined;
    if (only && only.at === 0 && only.e - only.s === wanted) {
      const data = await this.readPieceBytes(only.piece, only.s, only.e, shared);
      if (data.length === wanted) return data;
    }
    const out = Buffer.alloc(wanted);
    await Promise.all(parts.map((p) => this.readPiece(p.piece, p.s, p.e, out, p.at)));
    return out;
  }

  /**
   * The slice pieces that hold [offset, offset+size), each with where its bytes go in the result;
   * undefined past the end. Call with the inode's mutex held (the slice views are cached per chunk).
   */
  private async planRead(ctx: Context, ino: Ino, d: InodeData, offset: number, size: number): Promise<ReadPlan | undefined> {
    const end = Math.min(offset + size, d.length);
    if (end <= offset) return undefined;
    const parts: ReadPlan['parts'] = [];
    for (let indx = Math.floor(offset / CHUNK_SIZE); indx * CHUNK_SIZE < end; indx++) {
      let view = d.views.get(indx);
      if (!view) {
        const records = await this.meta.readChunk(ctx, ino, indx);
        this.onFragmented(ino, indx, records.length);
        view = buildSliceView(records);
        d.views.set(indx, view);
      }
      const base = indx * CHUNK_SIZE;
      const from = Math.max(offset, base) - base;
      const to = Math.min(end, base + CHUNK_SIZE) - base;
      for (const piece of view) {
        const s = Math.max(piece.pos, from);
        const e = Math.min(piece.pos + piece.len, to);
        if (e <= s || piece.id === 0) continue;
        parts.push({ piece, s, e, at: base + s - offset });
      }
    }
    return { wanted: end - offset, parts };
  }

  /**
   * A small file was just opened for reading: have the store load its bytes into memory now, so
   * the READ that follows a round trip later finds them there instead of starting the disk read
   * itself (a Node client's open+read+close of a 128 KiB file just written: 1400–1600 -> ~1250 µs;
   * read again later, from memory: read(2) ~690 -> ~260 µs). Files bigger
   * than a block are left to readahead; a file with writes pending here is not touched (planning
   * a read would commit them). Never fails: the real read reports any error.
   */
  async warm(ctx: Context, ino: Ino): Promise<void> {
    const prefetch = this.store.prefetch?.bind(this.store);
    const d = this.inodes.get(ino);
    if (!prefetch || !d || d.pending.length > 0 || d.length === 0 || d.length > this.store.blockSize) return;
    try {
      const plan = await d.mutex.run(() => (d.pending.length > 0 ? Promise.resolve(undefined) : this.planRead(ctx, ino, d, 0, d.length)));
      for (const p of plan?.parts ?? []) prefetch(p.piece.id, p.piece.size, p.piece.off + (p.s - p.piece.pos), p.e - p.s);
    } catch {
      // The read will meet the same problem and report it.
    }
  }

  /** `shared`: the caller will not modify the bytes, so cached ones need no copy (readView). */
  private readPieceBytes(piece: SliceView, s: number, e: number, shared: boolean): Promise<Buffer> {
    const reader = this.store.newReader(piece.id, piece.size);
    const offset = piece.off + (s - piece.pos);
    return shared && reader.readView ? reader.readView(offset, e - s) : reader.readAt(offset, e - s);
  }

  private async readPiece(piece: SliceView, s: number, e: number, out: Buffer, at: number): Promise<void> {
    const reader = this.store.newReader(piece.id, piece.size);
    const offset = piece.off + (s - piece.pos);
    // Straight into the reply buffer when the store can (one copy instead of two); `out` is
    // zeroed, so a short read leaves zeros as readAt's path does.
    if (reader.readInto) {
      await reader.readInto(offset, e - s, out, at);
      return;
    }
    const data = await reader.readAt(offset, e - s);
    data.copy(out, at, 0, Math.min(data.length, e - s));
  }

  private entry(ino: Ino): InodeData {
    let d = this.inodes.get(ino);
    if (!d) {
      d = new InodeData();
      this.inodes.set(ino, d);
    }
    return d;
  }

  private maybeForget(ino: Ino, d: InodeData): void {
    if (d.opens === 0 && d.pending.length === 0 && !d.mutex.busy && this.inodes.get(ino) === d) this.inodes.delete(ino);
  }

  private async writeLocked(d: InodeData, offset: number, data: Buffer): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const off = offset + done;
      const indx = Math.floor(off / CHUNK_SIZE);
      const pos = off - indx * CHUNK_SIZE;
      const n = Math.min(data.length - done, CHUNK_SIZE - pos);
      const slice = await this.sliceFor(d, indx, pos, n);
      const at = pos - slice.pos;
      await slice.writer.writeAt(data.subarray(done, done + n), at);
      // An overwrite inside the slice changes its bytes, not its length.
      const grown = Math.max(0, at + n - slice.len);
      slice.len += grown;
      slice.lastMod = nowTimespec();
      this.totalPending += grown;
      const full = Math.floor(slice.len / this.store.blockSize) * this.store.blockSize;
      if (full > slice.flushed) {
        slice.flushed = full;
        slice.writer.flushTo(full).catch((err: unknown) => {
          slice.error ??= err;
        });
      }
      done += n;
    }
  }

  /**
   * The pending slice a write of `size` bytes at `pos` of chunk `indx` goes into, as JuiceFS
   * chooses it (findWritableSlice): of the chunk's newest WRITABLE_SLICES slices, newest first,
   * the first whose bytes not yet sealed into stored blocks the write starts in, or whose end it
   * starts at. So rewriting the same bytes again and again (a database file's pages, an editor
   * saving in place, `dd conv=notrunc`) changes buffered bytes instead of adding a slice, an
   * object and a metadata record each time: 2000 rewrites of a 1 MiB range in 128 KiB pieces made
   * 2000 slices, and a close that took 400 ms to commit them. A newer slice that overlaps the
   * write keeps it out of the older ones, where its bytes would end up underneath. Otherwise a
   * new slice.
   */
  private async sliceFor(d: InodeData, indx: number, pos: number, size: number): Promise<PendingSlice> {
    let looked = 0;
    for (let i = d.pending.length - 1; i >= 0 && looked < WRITABLE_SLICES; i--) {
      const s = d.pending[i]!;
      if (s.indx !== indx) continue;
      looked++;
      if (pos >= s.pos + s.flushed && pos <= s.pos + s.len) return s;
      if (pos < s.pos + s.len && s.pos < pos + size) break;
    }
    const id = await this.meta.newSlice();
    const slice: PendingSlice = { indx, pos, len: 0, id, writer: this.store.newWriter(id, d.tier === 0 ? undefined : { tier: d.tier }), flushed: 0, lastMod: nowTimespec() };
    d.pending.push(slice);
    return slice;
  }

  private async flushLocked(ctx: Context, ino: Ino, d: InodeData): Promise<void> {
    if (d.pending.length === 0) return;
    const slices = d.pending;
    d.pending = [];
    d.committing = slices;
    for (const s of slices) this.totalPending -= s.len;
    const uploads = await Promise.allSettled(slices.map((s) => s.writer.finish(s.len)));
    let failure: unknown;
    for (let i = 0; i < slices.length; i++) {
      const s = slices[i]!;
      const upload = uploads[i]!;
      if (failure === undefined && upload.status === 'rejected') failure = fsError('EIO', `uploading slice ${s.id} of inode ${ino} failed; the data written since the last flush is lost`, upload.reason);
      if (failure === undefined && s.error !== undefined) failure = fsError('EIO', `uploading slice ${s.id} of inode ${ino} failed; the data written since the last flush is lost`, s.error);
      if (failure !== undefined) {
        await s.writer.abort().catch(() => undefined);
        continue;
      }
      try {
        const attr = await this.meta.write(ctx, ino, s.indx, { pos: s.pos, id: s.id, size: s.len, off: 0, len: s.len }, s.lastMod);
        d.length = attr.length;
      } catch (err) {
        failure = err;
        await s.writer.abort().catch(() => undefined);
      }
    }
    d.committing = [];
    d.views.clear();
    this.changes++;
    this.onChange(ino);
    if (failure !== undefined) throw failure;
  }
}
